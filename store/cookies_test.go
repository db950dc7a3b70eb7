package store

import (
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Ensure that the revision rule asks everyone again for what changes the
// meaning of the register, and not for a typo fix.
func TestRaisesRevision(t *testing.T) {
	base := Cookie{Name: "a", Category: CookiePreferences, PurposeEN: "p", PurposeFR: "p", DurationEN: "d", DurationFR: "d", Provider: "x"}
	with := func(f func(c *Cookie)) *Cookie { c := base; f(&c); return &c }
	for _, tc := range []struct {
		name     string
		old, new *Cookie
		minor    bool
		want     bool
	}{
		{"nothing changed", &base, &base, false, false},
		{"a cookie is added", nil, &base, false, true},
		{"a cookie is added, even if called minor", nil, &base, true, true},
		{"a cookie is removed", &base, nil, false, false},
		{"the purpose is reworded", &base, with(func(c *Cookie) { c.PurposeFR = "q" }), false, true},
		{"the purpose's punctuation, minor", &base, with(func(c *Cookie) { c.PurposeEN = "P." }), true, false},
		{"the purpose's punctuation, not called minor", &base, with(func(c *Cookie) { c.PurposeEN = "P." }), false, true},
		{"a word of the purpose, even if called minor", &base, with(func(c *Cookie) { c.PurposeEN = "q" }), true, true},
		{"the duration changes", &base, with(func(c *Cookie) { c.DurationEN = "e" }), false, true},
		{"the provider changes", &base, with(func(c *Cookie) { c.Provider = "y" }), false, true},
		{"the category changes, even if called minor", &base, with(func(c *Cookie) { c.Category = CookieStatistics }), true, true},
		{"the cookie is renamed, even if called minor", &base, with(func(c *Cookie) { c.Name = "b" }), true, true},
	} {
		if got := RaisesRevision(tc.old, tc.new, tc.minor); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Ensure that seeding adds every built-in cookie once, at revision 1, and
// leaves an administrator's edits alone.
func TestSeedCookies(t *testing.T) {
	db := openTest(t)
	for i := 0; i < 2; i++ {
		if err := db.SeedCookies(); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := db.CookieRegister()
	if err != nil {
		t.Fatal(err)
	}
	if reg.Revision != 1 || len(reg.Cookies) != len(builtinCookies) {
		t.Fatalf("got revision %d with %d cookies, want 1 with %d", reg.Revision, len(reg.Cookies), len(builtinCookies))
	}
	ck := *reg.Find("accord_lang")
	ck.PurposeEN = "Edited."
	if _, err := db.UpdateCookie(ck.ID, ck, false, 0); err != nil {
		t.Fatal(err)
	}
	db.SeedCookies()
	got, _ := db.Cookie(ck.ID)
	if got.PurposeEN != "Edited." {
		t.Errorf("seeding overwrote an edit: got %q", got.PurposeEN)
	}
	if err := db.DeleteCookie(ck.ID, 0); err != ErrBuiltInCookie {
		t.Errorf("delete a built-in cookie: got %v, want ErrBuiltInCookie", err)
	}
}

// Ensure that consent records append per subject, are exported for their
// account, and are erased with it (index entries too) while a browser's
// records made before sign-in stay, with no account in them.
func TestCookieConsentRecords(t *testing.T) {
	db := openTest(t)
	visitor := &CookieConsent{ConsentID: "browser-1", State: ConsentGiven, Method: MethodAcceptAll}
	mine := &CookieConsent{UserID: 7, ConsentID: "browser-1", State: ConsentRefused, Method: MethodRefuseAll}
	other := &CookieConsent{UserID: 8, State: ConsentRefused, Method: MethodClose}
	for _, r := range []*CookieConsent{visitor, mine, other} {
		if err := db.RecordCookieConsent(r); err != nil {
			t.Fatal(err)
		}
	}
	latest := map[string]string{}
	db.LatestCookieConsents(func(s string, r *CookieConsent) { latest[s] = r.ID })
	if latest[string(ConsentSubject(0, "browser-1"))] != mine.ID || latest[string(ConsentSubject(7, ""))] != mine.ID || len(latest) != 3 {
		t.Errorf("latest: got %v", latest)
	}
	var exported []any
	err := db.view(func(tx *bolt.Tx) error {
		return inventory[string(bCookieConsents)].Records(tx, 7, func(v any) error { exported = append(exported, v); return nil })
	})
	if err != nil || len(exported) != 1 {
		t.Fatalf("export: got %d records (%v), want 1", len(exported), err)
	}
	err = db.update(func(tx *bolt.Tx) error {
		_, err := inventory[string(bCookieConsents)].Erase(tx, 7)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := db.CookieConsentHistory(7); len(h) != 0 {
		t.Errorf("after erasure: got %d records, want 0", len(h))
	}
	latest = map[string]string{}
	db.LatestCookieConsents(func(s string, r *CookieConsent) { latest[s] = r.ID })
	if latest[string(ConsentSubject(0, "browser-1"))] != visitor.ID || len(latest) != 2 {
		t.Errorf("after erasure: got latest %v, want the visitor's and the other account's", latest)
	}
}

// Ensure that visits add up per day and are purged by age, and that the
// committed transaction id moves with writes only.
func TestVisitsAndTxID(t *testing.T) {
	db := openTest(t)
	before, _ := db.CommittedTxID()
	db.Visits("2026-01-01", "2026-12-31")
	if after, _ := db.CommittedTxID(); after != before {
		t.Errorf("a read moved the transaction id")
	}
	db.AddVisits([]DailyVisits{{Day: "2024-01-01", Views: 1, Visitors: 1}, {Day: "2026-11-28", Views: 2, Visitors: 1}})
	db.AddVisits([]DailyVisits{{Day: "2026-11-28", Views: 3, Visitors: 2}})
	if after, _ := db.CommittedTxID(); after == before {
		t.Errorf("a write did not move the transaction id")
	}
	if n, _ := db.PurgeVisits("2024-10-28"); n != 1 {
		t.Errorf("purge: got %d days, want 1", n)
	}
	got, _ := db.Visits("2000-01-01", "2099-01-01")
	if len(got) != 1 || got[0].Views != 5 || got[0].Visitors != 3 {
		t.Errorf("got %+v, want 5 views and 3 visitors on 2026-11-28", got)
	}
}

// Ensure that visitors' records are purged once ended long enough, index
// included, and accounts' records never.
func TestPurgeVisitorConsents(t *testing.T) {
	db := openTest(t)
	old := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, r := range []*CookieConsent{
		{ConsentID: "old-browser", ValidUntil: old},
		{UserID: 3, ConsentID: "old-browser", ValidUntil: old},
		{ConsentID: "new-browser", ValidUntil: old.AddDate(3, 0, 0)},
	} {
		if err := db.RecordCookieConsent(r); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.PurgeVisitorConsents(old.AddDate(0, 1, 0)); err != nil || n != 1 {
		t.Fatalf("got %d, %v, want 1 record purged", n, err)
	}
	subjects := map[string]bool{}
	db.LatestCookieConsents(func(s string, r *CookieConsent) { subjects[s] = true })
	if len(subjects) != 3 { // the account, and both browsers (old-browser through the account's record)
		t.Errorf("got subjects %v, want 3", subjects)
	}
	if h, _ := db.CookieConsentHistory(3); len(h) != 1 {
		t.Errorf("an account's record was purged")
	}
}
