package cookieconsent

import (
	"testing"
	"time"

	"accord/store"
)

var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// choiceAt is a consent made at t on revision rev, for 6 months.
func choiceAt(t time.Time, rev uint64, state store.ConsentState) *store.CookieConsent {
	return &store.CookieConsent{Time: t, State: state, RegisterRevision: rev, ValidUntil: t.AddDate(0, 6, 0)}
}

// Ensure that a choice holds on the current revision until it ends — by its
// own date or by a shortened lifetime — and not once expired or after the
// register changed.
func TestStillValid(t *testing.T) {
	given := choiceAt(t0, 3, store.ConsentGiven)
	for _, tc := range []struct {
		name     string
		r        *store.CookieConsent
		rev      uint64
		now      time.Time
		lifetime int
		want     bool
	}{
		{"no choice at all", nil, 3, t0, 6, false},
		{"a consent made a minute ago", given, 3, t0.Add(time.Minute), 6, true},
		{"a refusal made a minute ago holds as long", choiceAt(t0, 3, store.ConsentRefused), 3, t0.Add(time.Minute), 6, true},
		{"a withdrawal holds as long", choiceAt(t0, 3, store.ConsentWithdrawn), 3, t0.AddDate(0, 5, 0), 6, true},
		{"a day before its end", given, 3, t0.AddDate(0, 6, -1), 6, true},
		{"at its valid-until", given, 3, t0.AddDate(0, 6, 0), 6, false},
		{"the lifetime was shortened to 3 months since", given, 3, t0.AddDate(0, 4, 0), 3, false},
		{"the lifetime was lengthened to 13 months since: its own date still ends it", given, 3, t0.AddDate(0, 7, 0), 13, false},
		{"the register's revision rose since", given, 4, t0.Add(time.Minute), 6, false},
		{"an expiry record", choiceAt(t0, 3, store.ConsentExpired), 3, t0.Add(time.Minute), 6, false},
	} {
		if got := StillValid(tc.r, tc.rev, tc.now, tc.lifetime); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Ensure that a new choice is recorded as given, refused or withdrawn by
// what it accepts and what it replaces.
func TestStateOf(t *testing.T) {
	none := map[store.CookieCategory]bool{store.CookieNecessary: true}
	stats := map[store.CookieCategory]bool{store.CookieNecessary: true, store.CookieStatistics: true}
	for _, tc := range []struct {
		name      string
		decisions map[store.CookieCategory]bool
		prev      *store.CookieConsent
		want      store.ConsentState
	}{
		{"first choice accepts statistics", stats, nil, store.ConsentGiven},
		{"first choice refuses everything optional", none, nil, store.ConsentRefused},
		{"strictly necessary alone is no consent", map[store.CookieCategory]bool{store.CookieNecessary: true, store.CookiePreferences: false}, nil, store.ConsentRefused},
		{"refuses after a consent: withdrawn", none, choiceAt(t0, 1, store.ConsentGiven), store.ConsentWithdrawn},
		{"refuses after a refusal: refused again", none, choiceAt(t0, 1, store.ConsentRefused), store.ConsentRefused},
		{"refuses after a withdrawal: refused", none, choiceAt(t0, 1, store.ConsentWithdrawn), store.ConsentRefused},
		{"accepts after a refusal: given", stats, choiceAt(t0, 1, store.ConsentRefused), store.ConsentGiven},
	} {
		if got := StateOf(tc.decisions, tc.prev); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

// Ensure that a browser's choice applies to its visitor and to the account
// that made it, never to another account signed in on that browser.
func TestApplies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		madeBy uint64
		userID uint64
		want   bool
	}{
		{"a visitor's choice, for the visitor", 0, 0, true},
		{"a visitor's choice, once they sign in", 0, 7, true},
		{"an account's choice on this browser, for that account", 7, 7, true},
		{"an account's choice on this browser, after sign-out", 7, 0, true},
		{"an account's choice on this browser, for another account", 7, 8, false},
	} {
		if got := applies(&store.CookieConsent{UserID: tc.madeBy}, tc.userID); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
