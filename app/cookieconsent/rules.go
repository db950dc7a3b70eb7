package cookieconsent

import (
	"time"

	"accord/store"
)

// The rules of a cookie choice, each decided here and nowhere else. Which
// register change asks everyone again is store.RaisesRevision (the store
// applies it inside the transaction that changes the register).

// StillValid is the rule "does choice r still hold?": it is not an expiry
// record, it was made on the register's current revision rev, and now is
// before it ends (Ends). A refusal lasts exactly as long as a consent (CNIL:
// no asking again sooner).
func StillValid(r *store.CookieConsent, rev uint64, now time.Time, lifetimeMonths int) bool {
	if r == nil || r.State == store.ConsentExpired {
		return false
	}
	return r.RegisterRevision == rev && now.Before(Ends(r, lifetimeMonths))
}

// Ends is when choice r stops holding: its own valid-until, or sooner when
// the lifetime setting (lifetimeMonths) was shortened since it was made.
func Ends(r *store.CookieConsent, lifetimeMonths int) time.Time {
	end := r.Time.AddDate(0, lifetimeMonths, 0)
	if r.ValidUntil.Before(end) {
		return r.ValidUntil
	}
	return end
}

// StateOf is the rule "what state does a new choice record?": given when
// it accepts at least one optional category; otherwise withdrawn when the
// choice it replaces (prev, nil for none) had consented, else refused
// (ISO/IEC TS 27560 states).
func StateOf(decisions map[store.CookieCategory]bool, prev *store.CookieConsent) store.ConsentState {
	for _, cat := range store.OptionalCookieCategories {
		if decisions[cat] {
			return store.ConsentGiven
		}
	}
	if prev != nil && prev.State == store.ConsentGiven {
		return store.ConsentWithdrawn
	}
	return store.ConsentRefused
}

// OutdatedByRegister is the rule "is choice r asked again only because
// the register changed since?": it would still hold on its own revision,
// and the register is now at a later one (rev).
func OutdatedByRegister(r *store.CookieConsent, rev uint64, now time.Time, lifetimeMonths int) bool {
	return r != nil && r.RegisterRevision < rev && StillValid(r, r.RegisterRevision, now, lifetimeMonths)
}

// applies is the rule "may browser record r apply to a request by account
// userID (0: a visitor)?": a browser's choice made by another account never
// applies to this one, so two people sharing a browser stay apart.
func applies(r *store.CookieConsent, userID uint64) bool {
	return userID == 0 || r.UserID == 0 || r.UserID == userID
}
