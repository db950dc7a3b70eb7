package app

import (
	"errors"
	"strings"
	"testing"
	"time"

	"accord/store"
)

// Ensure that the officer dry-runs the retention review on
// /admin/courses/retention: the page shows what the purge would delete
// and the flagged accounts, writing nothing; ticking one account shows
// exactly what its erasure removes and keeps (and why), still erasing
// nothing; confirming erases that account only, and its request's report
// names what was kept and why.
func TestBrowserRetentionReview(t *testing.T) {
	b := newBrowser(t)
	b.env.advance(-400 * 24 * time.Hour)
	ann := b.env.person(t, "ann@example.org", store.RoleLearner, "Ann", "Old", "en")
	bob := b.env.person(t, "bob@example.org", store.RoleLearner, "Bob", "Old", "en")
	if err := b.env.db.AddNotification(&store.Notification{UserID: bob.ID, Subject: "Old", Body: "An old notice."}, nil); err != nil {
		t.Fatal(err)
	}
	b.env.advance(400 * 24 * time.Hour)
	b.env.person(t, "dora@example.org", store.RoleDPO, "Dora", "Officer", "en")
	b.env.app.sweepRetention()
	// The purge ran with the review: an older notice shows in the dry run.
	if err := b.env.db.AddNotification(&store.Notification{UserID: bob.ID, Subject: "Old", Body: "Another old notice."}, nil); err != nil {
		t.Fatal(err)
	}
	b.env.advance(366 * 24 * time.Hour)
	commit := func() uint64 {
		t.Helper()
		n, err := b.env.db.CommitID()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	b.login("dora@example.org")
	b.refuseCookies()
	before := commit()
	b.visit("/admin/courses/retention")
	if got := b.text("#purge-notifications"); !strings.Contains(got, "Notifications") || !strings.HasSuffix(strings.TrimSpace(got), "1") {
		t.Errorf("purge dry run: got %q, want the notification past its period counted", got)
	}
	if got := b.text("#flags tbody"); !strings.Contains(got, "ann@example.org") || !strings.Contains(got, "bob@example.org") {
		t.Fatalf("flagged accounts: got %q, want ann and bob", got)
	}
	b.shots("retention-review")
	b.click(`#flags input[value="ann@example.org"]`)
	if status := b.submit(`form[action="/admin/courses/retention/erase"] button[type=submit]`); status != 200 {
		t.Fatalf("erase selected: got %d, want 200 (the confirmation)", status)
	}
	cands := b.text("#candidates")
	if !strings.Contains(cands, "ann@example.org") || strings.Contains(cands, "bob@example.org") {
		t.Errorf("confirmation: got %q, want ann alone", cands)
	}
	for _, s := range []string{"Data protection requests", "Legal obligation to show that each request was answered", "kept as an anonymous record", "Security audit log"} {
		if !strings.Contains(cands, s) {
			t.Errorf("confirmation: %q missing from what is kept: %q", s, cands)
		}
	}
	if got := b.text("#erased"); !strings.Contains(got, "Identity and account") || !strings.Contains(got, "Messages to the DPO") || strings.Contains(got, "Data protection requests") {
		t.Errorf("confirmation: erased %q, want the account and the DPO messages, not the requests", got)
	}
	b.shots("retention-confirm")
	if n := commit(); n != before {
		t.Errorf("the dry run and the confirmation page wrote to the database (commit %d → %d)", before, n)
	}
	if _, err := b.env.db.User(ann.ID); err != nil {
		t.Fatalf("ann before the confirmation: %v", err)
	}

	if status := b.submit(`form[action="/admin/courses/retention/erase"] button.danger`); status != 200 {
		t.Fatalf("confirm: got %d, want 200", status)
	}
	b.env.settle()
	if _, err := b.env.db.User(ann.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ann after the confirmation: got %v, want erased", err)
	}
	if _, err := b.env.db.User(bob.ID); err != nil {
		t.Errorf("bob was erased too: %v", err)
	}
	b.visit("/admin/courses/retention")
	if got := b.text("#flags tbody"); strings.Contains(got, "ann@example.org") || !strings.Contains(got, "bob@example.org") {
		t.Errorf("flagged after the erasure: got %q, want bob alone", got)
	}
	reqs, _, err := b.env.db.ListRequests(store.RequestQuery{})
	if err != nil || len(reqs) != 1 || reqs[0].Status != store.StatusComplete {
		t.Fatalf("requests: got %+v, %v; want one complete deletion", reqs, err)
	}
	b.visit(reqAdminPath(reqs[0].ID))
	kept := b.text("#erasure-kept")
	for _, s := range []string{"Kept, and why", "Data protection requests", "Legal obligation to show that each request was answered", "Security audit log", "kept as an anonymous record"} {
		if !strings.Contains(kept, s) {
			t.Errorf("report: %q missing from %q", s, kept)
		}
	}
	b.shots("retention-report")
}
