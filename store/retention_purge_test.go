package store

import (
	"testing"
	"time"
)

// Ensure that the purge of expired categories removes exactly what is past
// each category's period — old notifications, old threads no longer open
// (an open one waits for its answer), old daily totals, old audit details
// (the events stay) — that a dry run counts the same and writes nothing,
// and that the hash chain still verifies after the audit details went.
func TestPurgeExpired(t *testing.T) {
	db, now := openClockTest(t)
	if err := db.SeedSettings(DefaultSettings("en")); err != nil {
		t.Fatal(err)
	}
	if err := db.SeedDefaultProcessing(); err != nil {
		t.Fatal(err)
	}
	u := testUser(t, db, "ann@example.org", RoleLearner)
	day := 24 * time.Hour
	old := now.Format(time.DateOnly)
	if err := db.AddNotification(&Notification{UserID: u.ID, Subject: "s", Body: "b"}, nil); err != nil {
		t.Fatal(err)
	}
	closed, err := db.CreateDPOThread(u.ID, "old", "closed since")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CloseDPOThread(closed.ID, 0); err != nil {
		t.Fatal(err)
	}
	open, err := db.CreateDPOThread(u.ID, "old", "still open")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddVisits([]DailyVisits{{Day: old, Views: 3, Visitors: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Audit(AuditEvent{Action: ActSettingsChanged, Detail: "old detail"}); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(1200 * day) // past every period: 365, 1095, 760 days
	if err := db.AddNotification(&Notification{UserID: u.ID, Subject: "s", Body: "new"}, nil); err != nil {
		t.Fatal(err)
	}
	count := func(lines []PurgeLine) map[string]int {
		m := map[string]int{}
		for _, l := range lines {
			m[l.Category] = l.Count
		}
		return m
	}
	dry, err := db.PurgeExpired(true)
	if err != nil {
		t.Fatal(err)
	}
	got := count(dry)
	if got[CategoryNotifications] != 1 || got[CategoryDPOThreads] != 1 || got[CategoryStatistics] != 1 || got[CategoryAudit] == 0 {
		t.Errorf("dry run: got %v, want 1 notification, 1 thread, 1 day, some audit details", got)
	}
	if _, n, _ := db.Notifications(u.ID, 10); n != 2 {
		t.Errorf("the dry run deleted: %d notifications left, want 2", n)
	}
	done, err := db.PurgeExpired(false)
	if err != nil {
		t.Fatal(err)
	}
	if g := count(done); g[CategoryNotifications] != 1 || g[CategoryDPOThreads] != 1 || g[CategoryStatistics] != 1 || g[CategoryAudit] != got[CategoryAudit] {
		t.Errorf("purge: got %v, want what the dry run said (%v)", g, got)
	}
	if _, n, _ := db.Notifications(u.ID, 10); n != 1 {
		t.Errorf("notifications left: %d, want 1 (the recent one)", n)
	}
	if _, _, err := db.DPOThread(closed.ID); err == nil {
		t.Errorf("the old closed thread is still there")
	}
	if _, _, err := db.DPOThread(open.ID); err != nil {
		t.Errorf("the open thread went: %v", err)
	}
	evs, _, _ := db.ListAudit(AuditQuery{Action: ActSettingsChanged})
	if len(evs) != 1 || evs[0].Detail != "" {
		t.Errorf("old audit event: got %+v, want it kept without its detail", evs)
	}
	if _, err := db.VerifyChain(VerifyOptions{}); err != nil {
		t.Errorf("chain after the purge: %v", err)
	}
	again, _ := db.PurgeExpired(false)
	for _, l := range again {
		if l.Count != 0 && l.Category != CategoryAudit {
			t.Errorf("second purge removed %d of %s, want nothing", l.Count, l.Category)
		}
	}
}
