package consent

import (
	"fmt"
	"testing"
	"time"

	"accord/store"
)

// openService opens a real store in a temp dir (seeded with the three
// default policies) and the service over it.
func openService(t testing.TB) (*Service, *store.DB) {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("check: %v", err)
		}
		db.Close()
	})
	s, err := New(db)
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

// addPolicy creates and activates a policy for all users.
func addPolicy(t testing.TB, s *Service, db *store.DB, name string, optional bool, style store.Style) *store.PolicyVersion {
	t.Helper()
	v := &store.PolicyVersion{Revision: "1", Type: store.TypeOther, Audience: store.AudienceAll, Style: style, Optional: optional,
		Texts: map[string]store.PolicyText{"en": {Name: name, Summary: "S", Content: name + "."}, "fr": {Name: name, Summary: "S", Content: name + "."}}}
	if err := db.CreatePolicy(v, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.ActivateVersion(v.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	return s.Snapshot().Version(v.ID)
}

func learner(t testing.TB, db *store.DB, email string) *store.User {
	t.Helper()
	u := &store.User{Email: email, FirstName: "A", LastName: "B", Lang: "en", Role: store.RoleLearner}
	if err := db.CreateUser(u, 0); err != nil {
		t.Fatal(err)
	}
	return u
}

func answersFor(u *store.User, accept bool, vs ...*store.PolicyVersion) []store.Answer {
	var out []store.Answer
	for _, v := range vs {
		out = append(out, store.Answer{UserID: u.ID, VersionID: v.ID, Accept: accept, Lang: "en", TextHash: v.Texts["en"].Hash, Where: store.WhereConsent})
	}
	return out
}

// Ensure that Record writes the store and the memory at once: the gate
// sees the answer without anything else done, and a new service over the
// same file sees the same.
func TestRecordUpdatesStoreAndMemory(t *testing.T) {
	s, db := openService(t)
	u := learner(t, db, "ann@example.org")
	all := s.Snapshot().ForUsers()
	if len(all) != 3 || !s.Pending(u.ID) {
		t.Fatalf("got %d versions for users, pending %v; want 3 and pending", len(all), s.Pending(u.ID))
	}
	events, err := s.Record(answersFor(u, true, all[:2]...))
	if err != nil || len(events) != 2 {
		t.Fatalf("got %d events, %v; want 2", len(events), err)
	}
	if got := s.PendingVersions(u.ID); len(got) != 1 || got[0].ID != all[2].ID {
		t.Errorf("got %d pending, want only the third version", len(got))
	}
	if _, err := s.Record(answersFor(u, true, all[2])); err != nil {
		t.Fatal(err)
	}
	if s.Pending(u.ID) {
		t.Errorf("after every answer: still pending")
	}
	again, err := New(db)
	if err != nil {
		t.Fatal(err)
	}
	if again.Pending(u.ID) || again.Status(u.ID, all[0].ID) != store.Accepted {
		t.Errorf("a new service over the file: got pending %v, status %q; want the answers rebuilt", again.Pending(u.ID), again.Status(u.ID, all[0].ID))
	}
	if events, _ := db.UserAcceptances(u.ID); len(events) != 3 {
		t.Errorf("got %d events in the store, want 3", len(events))
	}
}

// Ensure that a refused answer (a compulsory version declined) records
// nothing, in the store or in memory.
func TestRecordRefusedLeavesNothing(t *testing.T) {
	s, db := openService(t)
	u := learner(t, db, "ann@example.org")
	site := s.Snapshot().ForUsers()[0]
	if _, err := s.Record(answersFor(u, false, site)); err == nil {
		t.Fatalf("declining a compulsory version: got no error")
	}
	if s.Status(u.ID, site.ID) != "" {
		t.Errorf("memory: got %q, want no answer", s.Status(u.ID, site.ID))
	}
	if events, _ := db.UserAcceptances(u.ID); len(events) != 0 {
		t.Errorf("store: got %d events, want none", len(events))
	}
}

// Ensure that own-page versions come first, that a declined optional
// version is not asked again, and that Forget drops a user's answers.
func TestPendingVersionsAndForget(t *testing.T) {
	s, db := openService(t)
	news := addPolicy(t, s, db, "News", true, store.StyleConsentPage)
	own := addPolicy(t, s, db, "Partner", false, store.StyleOwnPage)
	u := learner(t, db, "ann@example.org")
	got := s.PendingVersions(u.ID)
	if len(got) != 5 || got[0].ID != own.ID {
		t.Fatalf("got %d pending, first %d; want 5, the own-page one first", len(got), got[0].ID)
	}
	if _, err := s.Record(answersFor(u, false, news)); err != nil {
		t.Fatal(err)
	}
	for _, v := range s.PendingVersions(u.ID) {
		if v.ID == news.ID {
			t.Errorf("a declined optional version is asked again")
		}
	}
	if got := Label(news, s.Status(u.ID, news.ID)); got != "declined" {
		t.Errorf("label: got %q, want declined", got)
	}
	s.Forget(u.ID)
	if s.Status(u.ID, news.ID) != "" || len(s.PendingVersions(u.ID)) != 5 {
		t.Errorf("after Forget: the answers are still in memory")
	}
}

// Ensure that the dashboard counts accounts with something pending,
// including those that never answered, and accepted answers per version.
func TestCounts(t *testing.T) {
	s, db := openService(t)
	all := s.Snapshot().ForUsers()
	var users []*store.User
	for i := range 4 {
		users = append(users, learner(t, db, fmt.Sprintf("u%d@example.org", i)))
	}
	if _, err := s.Record(answersFor(users[0], true, all...)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record(answersFor(users[1], true, all[0])); err != nil {
		t.Fatal(err)
	}
	if got := s.PendingUsers(len(users)); got != 3 {
		t.Errorf("pending users: got %d, want 3 (one partly answered, two never)", got)
	}
	counts := s.AcceptedCounts()
	if counts[all[0].ID] != 2 || counts[all[1].ID] != 1 {
		t.Errorf("accepted counts: got %v, want 2 for the first version, 1 for the second", counts)
	}
}
