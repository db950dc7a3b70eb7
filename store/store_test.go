package store

import (
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db := openFile(t, Options{NoSync: true})
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	return db
}

// openFile opens a store in a temp dir, checked and closed at cleanup.
func openFile(t testing.TB, opt Options) *DB {
	t.Helper()
	db, err := Open(t.TempDir(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("check: %v", err)
		}
		db.Close()
	})
	return db
}

// Ensure that a second Open of a data dir in use fails fast with ErrInUse.
func TestOpenInUse(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	_, err = Open(dir, Options{Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("got %v, want ErrInUse", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v, want under 2 s", d)
	}
}

// Ensure that migrations run once and the schema version is recorded.
func TestMigrations(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := db.SchemaVersion()
	key1, _ := db.CSRFKey()
	db.Close()
	if v != uint64(len(migrations)) {
		t.Fatalf("schema version: got %d, want %d", v, len(migrations))
	}
	db, err = Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key2, _ := db.CSRFKey()
	if string(key1) != string(key2) || len(key1) != 32 {
		t.Errorf("CSRF key changed or wrong size across a reopen")
	}
}

// Ensure that emails are unique case-insensitively, that the index follows
// an email change, and that the last active administrator stays.
func TestUsers(t *testing.T) {
	db := openTest(t)
	a := &User{Email: "Ann@Example.org", Role: RoleAdmin}
	if err := db.CreateUser(a, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(&User{Email: "ann@example.ORG"}, 0); !errors.Is(err, ErrEmailTaken) {
		t.Fatalf("duplicate email: got %v, want ErrEmailTaken", err)
	}
	if _, err := db.UpdateUser(a.ID, AuditEvent{}, func(u *User) error { u.Suspended = true; return nil }); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("suspend last admin: got %v, want ErrLastAdmin", err)
	}
	if _, err := db.UpdateUser(a.ID, AuditEvent{}, func(u *User) error { u.Role = RoleDPO; return nil }); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("demote last admin: got %v, want ErrLastAdmin", err)
	}
	if _, err := db.UpdateUser(a.ID, AuditEvent{Action: ActUserUpdated}, func(u *User) error { u.Email = "new@example.org"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByEmail("ann@example.org"); !errors.Is(err, ErrNotFound) {
		t.Errorf("old email still found: %v", err)
	}
	if u, err := db.UserByEmail("NEW@example.org"); err != nil || u.ID != a.ID {
		t.Errorf("new email: got %v %v, want user %d", u, err, a.ID)
	}
	events, total, err := db.ListAudit(AuditQuery{UserID: a.ID})
	if err != nil || total != 2 || events[0].Action != ActUserUpdated {
		t.Errorf("audit: got %d events (%v), want user_updated then user_created", total, events)
	}
}

// Ensure that a setup token works once, that a new one voids the old, and
// that an expired one is refused.
func TestSetupTokens(t *testing.T) {
	db := openTest(t)
	old, _ := db.IssueSetupToken()
	tok, _ := db.IssueSetupToken()
	if err := db.CheckSetupToken(old); !errors.Is(err, ErrTokenGone) {
		t.Errorf("voided token: got %v, want ErrTokenGone", err)
	}
	if err := db.CheckSetupToken("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown token: got %v, want ErrNotFound", err)
	}
	if err := db.CreateFirstAdmin(tok, &User{Email: "root@example.org"}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateFirstAdmin(tok, &User{Email: "again@example.org"}); !errors.Is(err, ErrTokenGone) {
		t.Errorf("reused token: got %v, want ErrTokenGone", err)
	}
	late, _ := db.IssueSetupToken()
	now := db.Now().Add(SetupTokenTTL + time.Second)
	db.Now = func() time.Time { return now }
	if err := db.CheckSetupToken(late); !errors.Is(err, ErrTokenGone) {
		t.Errorf("expired token: got %v, want ErrTokenGone", err)
	}
}

// Ensure that sessions are found by hash, touched in one write, and all
// ended for a user but the one kept.
func TestSessions(t *testing.T) {
	db := openTest(t)
	_, s1, _ := db.CreateSession(7)
	_, s2, _ := db.CreateSession(7)
	_, s3, _ := db.CreateSession(8)
	later := db.Now().Add(time.Minute)
	if err := db.TouchSessions(map[[32]byte]time.Time{s1.Hash: later}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Session(s1.Hash)
	if err != nil || !got.LastSeen.Equal(later) {
		t.Fatalf("touch: got %v %v, want last seen %v", got, err, later)
	}
	gone, err := db.DeleteUserSessions(7, s2.Hash)
	if err != nil || len(gone) != 1 || gone[0] != s1.Hash {
		t.Fatalf("delete user sessions: got %v %v, want only s1", gone, err)
	}
	for h, want := range map[[32]byte]bool{s1.Hash: false, s2.Hash: true, s3.Hash: true} {
		if _, err := db.Session(h); (err == nil) != want {
			t.Errorf("session alive: got %v, want %v", err == nil, want)
		}
	}
}

// Ensure that CommitID moves with writes only.
func TestCommitID(t *testing.T) {
	db := openTest(t)
	a, _ := db.CommitID()
	db.User(1)
	b, _ := db.CommitID()
	db.Audit(AuditEvent{Action: ActLogout})
	c, _ := db.CommitID()
	if a != b || c == b {
		t.Errorf("commit ids %d %d %d: want the first two equal and the third different", a, b, c)
	}
}

// testUser creates an account directly in the store.
func testUser(t testing.TB, db *DB, email string, role Role) *User {
	t.Helper()
	u := &User{Email: email, FirstName: "First", LastName: email, Lang: "en", Role: role}
	if err := db.CreateUser(u, 0); err != nil {
		t.Fatal(err)
	}
	return u
}

// Ensure that the guardian index follows links, unlinks and erasure, and
// that listing pages decode only what they show.
func TestGuardianIndexAndPaging(t *testing.T) {
	db := openTest(t)
	g := testUser(t, db, "g@example.org", RoleLearner)
	m1 := &User{Email: "m1@example.org", Role: RoleLearner, GuardianID: g.ID}
	if err := db.CreateUser(m1, 0); err != nil {
		t.Fatal(err)
	}
	m2 := testUser(t, db, "m2@example.org", RoleLearner)
	db.UpdateUser(m2.ID, AuditEvent{}, func(u *User) error { u.GuardianID = g.ID; return nil })
	if got, _ := db.Minors(g.ID); len(got) != 2 {
		t.Fatalf("minors: got %d, want 2", len(got))
	}
	db.UpdateUser(m1.ID, AuditEvent{}, func(u *User) error { u.GuardianID = 0; return nil })
	if got, _ := db.Minors(g.ID); len(got) != 1 || got[0].ID != m2.ID {
		t.Fatalf("after unlink: got %v, want m2 only", got)
	}
	err := db.update(func(tx *bolt.Tx) error { _, err := eraseUser(tx, g.ID); return err })
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := db.User(m2.ID); u.GuardianID != 0 {
		t.Errorf("minor still linked to an erased guardian")
	}
	testUser(t, db, "dpo@example.org", RoleDPO)
	users, total, _ := db.ListUsers(UserQuery{Offset: 1, Limit: 1})
	if total != 3 || len(users) != 1 || users[0].ID != m2.ID {
		t.Errorf("page 2 of 1: got %v of %d, want m2 of 3", users, total)
	}
	users, total, _ = db.ListUsers(UserQuery{Role: RoleDPO})
	if total != 1 || users[0].Email != "dpo@example.org" {
		t.Errorf("role filter: got %v of %d", users, total)
	}
	users, total, _ = db.ListUsers(UserQuery{Search: "M2@"})
	if total != 1 || users[0].ID != m2.ID {
		t.Errorf("search: got %v of %d", users, total)
	}
}

// Ensure that compaction waits for a moment without readers instead of
// queueing every new reader behind it, and gives up when none comes.
func TestCompactDoesNotStallReaders(t *testing.T) {
	db := openTest(t)
	release := make(chan struct{})
	started := make(chan struct{})
	go db.view(func(*bolt.Tx) error { close(started); <-release; return nil }) // a slow download
	<-started
	waiting := make(chan struct{})
	db.compactWaiting = func() { close(waiting) }
	done := make(chan error, 1)
	go func() { done <- db.compactWithin(300 * time.Millisecond) }()
	<-waiting                                               // the compaction is trying for the lock now
	if _, err := db.User(1); !errors.Is(err, ErrNotFound) { // a new reader is not stuck
		t.Fatalf("reader during a waiting compaction: got %v", err)
	}
	if err := <-done; !errors.Is(err, ErrBusy) {
		t.Fatalf("compaction with a reader that never ends: got %v, want ErrBusy", err)
	}
	db.compactWaiting = nil
	close(release)
	if err := db.Compact(); err != nil {
		t.Fatalf("compaction once reads pause: %v", err)
	}
}

// Ensure that the data dir stays locked for the life of the process, so a
// second process cannot slip in while compaction swaps the file.
func TestDataDirLockedDuringCompaction(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Compact(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{Timeout: 100 * time.Millisecond}); !errors.Is(err, ErrInUse) {
		t.Errorf("second open after a compaction: got %v, want ErrInUse", err)
	}
}
