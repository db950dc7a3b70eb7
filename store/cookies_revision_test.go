package store

import (
	"errors"
	"strings"
	"testing"
)

// Ensure that a minor fix may change only case, spaces and punctuation,
// never a word, a number or a sign.
func TestWordingOnly(t *testing.T) {
	base := Cookie{Name: "accord_visitor", Category: CookieStatistics,
		PurposeEN: "Random identifier for visit statistics.", PurposeFR: "Identifiant aléatoire pour les statistiques de visite.",
		DurationEN: "12 months", DurationFR: "12 mois", Provider: "Accord"}
	with := func(f func(c *Cookie)) Cookie { c := base; f(&c); return c }
	for _, tc := range []struct {
		name string
		new  Cookie
		want bool
	}{
		{"nothing changed", base, true},
		{"a full stop added", with(func(c *Cookie) { c.DurationEN = "12 months." }), true},
		{"a capital letter", with(func(c *Cookie) { c.PurposeEN = "random identifier for Visit statistics." }), true},
		{"two spaces made one, a trailing space", with(func(c *Cookie) { c.DurationFR = " 12  mois " }), true},
		{"a French non-breaking space before a colon", with(func(c *Cookie) { c.PurposeFR = "Identifiant aléatoire\u202f: pour les statistiques de visite." }), true},
		{"a straight apostrophe made curly", with(func(c *Cookie) { c.Provider = "Accord’" }), true},
		{"the duration from 12 months to 10 years", with(func(c *Cookie) { c.DurationEN = "10 years" }), false},
		{"a number changed", with(func(c *Cookie) { c.DurationFR = "13 mois" }), false},
		{"a decimal point between digits", with(func(c *Cookie) { c.DurationEN = "1.2 months" }), false},
		{"a typo fixed in a word", with(func(c *Cookie) { c.PurposeEN = "Random identifiers for visit statistics." }), false},
		{"a word added", with(func(c *Cookie) { c.PurposeEN = "Random identifier for visit statistics, shared." }), false},
		{"an accent changed", with(func(c *Cookie) { c.PurposeFR = "Identifiant aleatoire pour les statistiques de visite." }), false},
		{"a sign added", with(func(c *Cookie) { c.DurationEN = "< 12 months" }), false},
		{"another provider", with(func(c *Cookie) { c.Provider = "Matomo" }), false},
		{"a new category", with(func(c *Cookie) { c.Category = CookiePreferences }), false},
		{"a new name, even in case only", with(func(c *Cookie) { c.Name = "Accord_visitor" }), false},
	} {
		if got := WordingOnly(base, tc.new); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Ensure that a change called minor that changes meaning is refused, that
// an update's audit keeps each field before and after, and that every
// revision logs what it changed.
func TestUpdateCookieMinorAndAudit(t *testing.T) {
	db := openTest(t)
	if err := db.SeedCookies(); err != nil {
		t.Fatal(err)
	}
	reg, _ := db.CookieRegister()
	ck := *reg.Find("accord_visitor")
	longer := ck
	longer.DurationEN = "10 years"
	if _, err := db.UpdateCookie(ck.ID, longer, true, 1); !errors.Is(err, ErrNotMinor) {
		t.Fatalf("10 years as a minor fix: got %v, want ErrNotMinor", err)
	}
	if got, _ := db.Cookie(ck.ID); got.DurationEN != ck.DurationEN {
		t.Errorf("a refused change was saved: %q", got.DurationEN)
	}
	raised, err := db.UpdateCookie(ck.ID, longer, false, 1)
	if err != nil || !raised {
		t.Fatalf("10 years: got raised=%v err=%v, want a new revision", raised, err)
	}
	fixed := longer
	fixed.DurationEN = "10 years."
	if raised, err := db.UpdateCookie(ck.ID, fixed, true, 1); err != nil || raised {
		t.Fatalf("a full stop as a minor fix: got raised=%v err=%v", raised, err)
	}
	events, _, err := db.ListAudit(AuditQuery{Action: ActCookieUpdated})
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, e := range events { // newest first
		details = append(details, e.Detail)
	}
	if len(details) != 2 || !strings.Contains(details[1], `duration_en "12 months" → "10 years"`) || !strings.Contains(details[0], `"10 years" → "10 years."`) {
		t.Errorf("audit: got %q, want each change with before and after", details)
	}
	log, err := db.RegisterChanges()
	if err != nil {
		t.Fatal(err)
	}
	last := log[len(log)-1]
	if len(log) != 2 || last.Revision != 2 || len(last.Changes) != 1 || last.Changes[0].Name != "accord_visitor" || strings.Join(last.Changes[0].Fields, ",") != "duration_en" {
		t.Errorf("change log: got %+v, want the seed, then the duration of accord_visitor", log)
	}
	if first := log[0]; len(first.Changes) != len(builtinCookies) || !first.Changes[0].Added {
		t.Errorf("the seed's revision: got %+v, want every built-in cookie added", first)
	}
}
