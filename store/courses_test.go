package store

import (
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func testCourse(t testing.TB, db *DB, code string) *Course {
	t.Helper()
	c := &Course{Code: code, TitleEN: code + " EN", TitleFR: code + " FR"}
	if err := db.CreateCourse(c, 0); err != nil {
		t.Fatal(err)
	}
	return c
}

func keyCount(t testing.TB, db *DB, bucket []byte) int {
	t.Helper()
	n := 0
	if err := db.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucket).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// Ensure that deleting a course destroys its enrolments and progress (both
// buckets and their indexes) and leaves other courses alone, in one audited
// transaction.
func TestDeleteCourseDestroysData(t *testing.T) {
	db, _ := openClockTest(t)
	ann := testUser(t, db, "ann@example.org", RoleLearner)
	bob := testUser(t, db, "bob@example.org", RoleLearner)
	gone, kept := testCourse(t, db, "GONE"), testCourse(t, db, "KEPT")
	for _, u := range []*User{ann, bob} {
		for _, c := range []*Course{gone, kept} {
			if err := db.Enrol(u.ID, c.ID, 0); err != nil {
				t.Fatal(err)
			}
			if err := db.AddProgressRows(u.ID, c.ID, 3); err != nil {
				t.Fatal(err)
			}
		}
	}
	en, pr, err := db.DeleteCourse(gone.ID, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if en != 2 || pr != 6 {
		t.Errorf("destroyed: got %d enrolments, %d progress, want 2, 6", en, pr)
	}
	for _, b := range [][]byte{bEnrolments, bEnrolmentsByCourse} {
		if got := keyCount(t, db, b); got != 2 {
			t.Errorf("%s: got %d keys, want 2", b, got)
		}
	}
	for _, b := range [][]byte{bProgress, bProgressByCourse} {
		if got := keyCount(t, db, b); got != 6 {
			t.Errorf("%s: got %d keys, want 6", b, got)
		}
	}
	if _, err := db.Course(gone.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("course: got %v, want ErrNotFound", err)
	}
	if _, err := db.CourseByCode("gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("course by code: got %v, want ErrNotFound", err)
	}
	mine, err := db.UserCourses(ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 1 || mine[0].Course.ID != kept.ID || len(mine[0].Progress) != 3 || mine[0].Completed != 3 {
		t.Errorf("ann's courses: got %+v, want KEPT with 3 completed activities", mine)
	}
	evs, _, _ := db.ListAudit(AuditQuery{Action: ActCourseDeleted})
	if len(evs) != 1 || evs[0].ActorID != ann.ID {
		t.Errorf("audit: got %+v, want one course_deleted by ann", evs)
	}
	if _, _, err := db.DeleteCourse(gone.ID, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete again: got %v, want ErrNotFound", err)
	}
}

// Ensure that course codes are unique case-insensitively and that enrolling
// twice is refused while the first enrolment is active.
func TestCourseCodeAndEnrol(t *testing.T) {
	db, now := openClockTest(t)
	ann := testUser(t, db, "ann@example.org", RoleLearner)
	c := testCourse(t, db, "GO101")
	if err := db.CreateCourse(&Course{Code: "go101 "}, 0); !errors.Is(err, ErrCodeTaken) {
		t.Errorf("duplicate code: got %v, want ErrCodeTaken", err)
	}
	if err := db.Enrol(ann.ID, c.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.Enrol(ann.ID, c.ID, 0); !errors.Is(err, ErrAlreadyEnrolled) {
		t.Errorf("enrol twice: got %v, want ErrAlreadyEnrolled", err)
	}
	if err := db.Enrol(ann.ID, 999, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown course: got %v, want ErrNotFound", err)
	}
	*now = now.Add(time.Hour)
	if err := db.Unenrol(ann.ID, c.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.Unenrol(ann.ID, c.ID, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("unenrol twice: got %v, want ErrNotFound", err)
	}
	end, active, err := db.LastEnrolmentEnd(ann.ID)
	if err != nil || active || !end.Equal(*now) {
		t.Errorf("last end: got %v %v %v, want %v false nil", end, active, err, *now)
	}
	list, _ := db.ListCourses()
	if len(list) != 1 || list[0].Enrolled != 0 {
		t.Errorf("list: got %+v, want GO101 with 0 active", list)
	}
	if err := db.Enrol(ann.ID, c.ID, 0); err != nil {
		t.Errorf("enrol again: %v", err)
	}
	list, _ = db.ListCourses()
	if list[0].Enrolled != 1 {
		t.Errorf("enrolled: got %d, want 1", list[0].Enrolled)
	}
}

// Ensure that one user's progress is a prefix scan that sees no other
// user's rows, even with neighbouring ids.
func TestProgressPrefixScan(t *testing.T) {
	db, _ := openClockTest(t)
	var users []*User
	for _, e := range []string{"a@x.org", "b@x.org", "c@x.org"} {
		users = append(users, testUser(t, db, e, RoleLearner))
	}
	c := testCourse(t, db, "C")
	for i, u := range users {
		if err := db.Enrol(u.ID, c.ID, 0); err != nil {
			t.Fatal(err)
		}
		if err := db.AddProgressRows(u.ID, c.ID, 10*(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	for i, u := range users {
		if n, err := db.CountProgress(u.ID); err != nil || n != 10*(i+1) {
			t.Errorf("user %d: got %d (%v), want %d", u.ID, n, err, 10*(i+1))
		}
	}
	if err := db.SetProgress(&Progress{UserID: users[0].ID, CourseID: 999, ActivityID: "x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("progress without enrolment: got %v, want ErrNotFound", err)
	}
}

// Ensure that the export holds a user's enrolments and progress, and that
// erasure removes them with their indexes and nothing of another user.
func TestCoursesRecordsErase(t *testing.T) {
	db, _ := openClockTest(t)
	ann := testUser(t, db, "ann@example.org", RoleLearner)
	bob := testUser(t, db, "bob@example.org", RoleLearner)
	c := testCourse(t, db, "C")
	for _, u := range []*User{ann, bob} {
		if err := db.Enrol(u.ID, c.ID, 0); err != nil {
			t.Fatal(err)
		}
		if err := db.AddProgressRows(u.ID, c.ID, 2); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Unenrol(ann.ID, c.ID, 0); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"enrolments": 1, "progress": 2, "enrolment_ends": 1, "retention_flags": 0}
	err := db.update(func(tx *bolt.Tx) error {
		for name, n := range want {
			in := inventory[name]
			got := 0
			if err := in.Records(tx, ann.ID, func(v any) error { got++; return nil }); err != nil {
				return err
			}
			if got != n {
				t.Errorf("%s records: got %d, want %d", name, got, n)
			}
			if _, err := in.Erase(tx, ann.ID); err != nil {
				return err
			}
			got = 0
			if err := in.Records(tx, ann.ID, func(v any) error { got++; return nil }); err != nil {
				return err
			}
			if got != 0 {
				t.Errorf("%s after erase: got %d records, want 0", name, got)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := keyCount(t, db, bEnrolmentsByCourse); got != 1 {
		t.Errorf("enrolments index: got %d, want 1 (bob)", got)
	}
	if got := keyCount(t, db, bProgressByCourse); got != 2 {
		t.Errorf("progress index: got %d, want 2 (bob)", got)
	}
	if n, _ := db.CountProgress(bob.ID); n != 2 {
		t.Errorf("bob's progress: got %d, want 2", n)
	}
}

// Ensure that the retention sweep flags learners with no enrolment for the
// period, counting from the last end or the account's creation, never
// flags staff, and that enrolling again clears the flag.
func TestSweepRetention(t *testing.T) {
	const days = 30
	day := 24 * time.Hour
	tests := []struct {
		name   string
		role   Role
		setup  func(db *DB, u *User, c *Course, now *time.Time)
		after  time.Duration // since the setup
		flag   bool
		reason string
	}{
		{"never enrolled, new", RoleLearner, nil, 29 * day, false, ""},
		{"never enrolled, old", RoleLearner, nil, 30 * day, true, ReasonNeverEnrolled},
		{"staff never enrolled", RoleDPO, nil, 400 * day, false, ""},
		{"guardian of a minor", RoleLearner, func(db *DB, u *User, c *Course, now *time.Time) {
			m := &User{Email: "minor@example.org", Role: RoleLearner, GuardianID: u.ID}
			db.CreateUser(m, 0)
			db.Enrol(m.ID, c.ID, 0)
		}, 400 * day, false, ""},
		{"enrolled", RoleLearner, func(db *DB, u *User, c *Course, now *time.Time) {
			db.Enrol(u.ID, c.ID, 0)
		}, 400 * day, false, ""},
		{"unenrolled recently", RoleLearner, func(db *DB, u *User, c *Course, now *time.Time) {
			db.Enrol(u.ID, c.ID, 0)
			*now = now.Add(100 * day)
			db.Unenrol(u.ID, c.ID, 0)
		}, 29 * day, false, ""},
		{"unenrolled long ago", RoleLearner, func(db *DB, u *User, c *Course, now *time.Time) {
			db.Enrol(u.ID, c.ID, 0)
			*now = now.Add(100 * day)
			db.Unenrol(u.ID, c.ID, 0)
		}, 31 * day, true, ReasonNoEnrolment},
		{"course deleted long ago", RoleLearner, func(db *DB, u *User, c *Course, now *time.Time) {
			db.Enrol(u.ID, c.ID, 0)
			*now = now.Add(100 * day)
			db.DeleteCourse(c.ID, 0)
		}, 31 * day, true, ReasonNoEnrolment},
		{"course deleted recently", RoleLearner, func(db *DB, u *User, c *Course, now *time.Time) {
			db.Enrol(u.ID, c.ID, 0)
			*now = now.Add(100 * day)
			db.DeleteCourse(c.ID, 0)
		}, 10 * day, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, now := openClockTest(t)
			u := testUser(t, db, "u@example.org", tt.role)
			c := testCourse(t, db, "C")
			if tt.setup != nil {
				tt.setup(db, u, c, now)
			}
			*now = now.Add(tt.after)
			res, err := db.SweepRetention(days)
			if err != nil {
				t.Fatal(err)
			}
			flags, _, _ := db.RetentionFlags(RetentionQuery{})
			if got := len(flags) == 1; got != tt.flag || (res.Flagged == 1) != tt.flag {
				t.Fatalf("flagged: got %v (%+v), want %v", got, res, tt.flag)
			}
			if tt.flag && flags[0].Reason != tt.reason {
				t.Errorf("reason: got %q, want %q", flags[0].Reason, tt.reason)
			}
			// A second sweep changes nothing.
			if res, _ := db.SweepRetention(days); res.Flagged != 0 || res.Cleared != 0 {
				t.Errorf("second sweep: got %+v, want no change", res)
			}
		})
	}
}

// Ensure that enrolling clears a flag and that staff lose theirs at the
// next sweep.
func TestRetentionFlagCleared(t *testing.T) {
	db, now := openClockTest(t)
	ann := testUser(t, db, "ann@example.org", RoleLearner)
	bob := testUser(t, db, "bob@example.org", RoleLearner)
	c := testCourse(t, db, "C")
	*now = now.Add(400 * 24 * time.Hour)
	if res, _ := db.SweepRetention(365); res.Flagged != 2 {
		t.Fatalf("flagged: got %+v, want 2", res)
	}
	if err := db.Enrol(ann.ID, c.ID, 0); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountRetentionFlags(); n != 1 {
		t.Errorf("after enrol: got %d flags, want 1", n)
	}
	db.UpdateUser(bob.ID, AuditEvent{}, func(u *User) error { u.Role = RoleDPO; return nil })
	if res, _ := db.SweepRetention(365); res.Cleared != 1 || res.Total != 0 {
		t.Errorf("staff sweep: got %+v, want 1 cleared, 0 left", res)
	}
	if res, _ := db.SweepRetention(0); res != (SweepResult{}) {
		t.Errorf("days 0: got %+v, want nothing", res)
	}
}

// BenchmarkProgressScan measures one user's progress prefix scan among
// other users' rows (the export's access path).
func BenchmarkProgressScan(b *testing.B) {
	db, _ := openClockTest(b)
	c := testCourse(b, db, "C")
	var target *User
	for i := 0; i < 10; i++ {
		u := testUser(b, db, string(rune('a'+i))+"@x.org", RoleLearner)
		if err := db.Enrol(u.ID, c.ID, 0); err != nil {
			b.Fatal(err)
		}
		if err := db.AddProgressRows(u.ID, c.ID, 1000); err != nil {
			b.Fatal(err)
		}
		target = u
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := db.UserCourses(target.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAddProgressRows measures writing 1,000 progress records for one
// user in one transaction (the helper export benchmarks use for data).
func BenchmarkAddProgressRows(b *testing.B) {
	db, _ := openClockTest(b)
	c := testCourse(b, db, "C")
	u := testUser(b, db, "u@x.org", RoleLearner)
	if err := db.Enrol(u.ID, c.ID, 0); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := db.AddProgressRows(u.ID, c.ID, 1000); err != nil {
			b.Fatal(err)
		}
	}
}

// Ensure that an account too young to flag does not stop the review: the
// accounts after it (by id) are still flagged the same day.
func TestSweepGoesPastYoungAccounts(t *testing.T) {
	db, now := openClockTest(t)
	young := testUser(t, db, "young@example.org", RoleLearner)
	*now = now.Add(-400 * 24 * time.Hour)
	old := testUser(t, db, "old@example.org", RoleLearner)
	*now = now.Add(401 * 24 * time.Hour)
	res, err := db.SweepRetention(365)
	if err != nil {
		t.Fatal(err)
	}
	flags, _, err := db.RetentionFlags(RetentionQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Flagged != 1 || len(flags) != 1 || flags[0].UserID != old.ID || young.ID > old.ID {
		t.Errorf("got %+v and flags %+v, want the old account (id %d, after the young one %d) flagged", res, flags, old.ID, young.ID)
	}
}
