package store

import (
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Ensure that an account's enrolment clock follows one rule, read the same
// for one account (lastEnrolmentEnd: the flagged page, erasures) and for
// all in step (enrolmentEndIn: the daily sweep): the latest end of its
// enrolments, counting the end recorded for enrolments whose course was
// deleted; a running enrolment holds the clock.
func TestEnrolmentClock(t *testing.T) {
	db, now := openClockTest(t)
	start := *now
	at := func(h int) time.Time { return start.Add(time.Duration(h) * time.Hour) }
	step := func(h int) { *now = at(h) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// enrolled is u enrolled in two new courses, named after code.
	enrolled := func(u *User, code string) (a, b *Course) {
		a, b = testCourse(t, db, code+"A"+u.Email[:2]), testCourse(t, db, code+"B"+u.Email[:2])
		must(db.Enrol(u.ID, a.ID, 0))
		must(db.Enrol(u.ID, b.ID, 0))
		return a, b
	}
	cases := []struct {
		name   string
		setup  func(u *User)
		end    time.Time
		active bool
	}{
		{"never enrolled: no end, not active", func(*User) {}, time.Time{}, false},
		{"enrolled and running: active, no end", func(u *User) {
			must(db.Enrol(u.ID, testCourse(t, db, "RUN"+u.Email[:2]).ID, 0))
		}, time.Time{}, true},
		{"one enrolment ended: its end", func(u *User) {
			c := testCourse(t, db, "ONE"+u.Email[:2])
			must(db.Enrol(u.ID, c.ID, 0))
			step(1)
			must(db.Unenrol(u.ID, c.ID, 0))
		}, at(1), false},
		{"two ended: the later end, whichever course", func(u *User) {
			a, b := enrolled(u, "TW")
			step(2)
			must(db.Unenrol(u.ID, b.ID, 0))
			step(3)
			must(db.Unenrol(u.ID, a.ID, 0))
		}, at(3), false},
		{"the course of the last end deleted: the recorded end", func(u *User) {
			a, b := enrolled(u, "DE")
			step(4)
			must(db.Unenrol(u.ID, a.ID, 0))
			step(5)
			must(db.Unenrol(u.ID, b.ID, 0))
			_, _, err := db.DeleteCourse(b.ID, 0)
			must(err)
		}, at(5), false},
		{"one ended, one running: active, the end kept", func(u *User) {
			a, _ := enrolled(u, "MX")
			step(6)
			must(db.Unenrol(u.ID, a.ID, 0))
		}, at(6), true},
	}
	users := make([]*User, len(cases))
	for i, tc := range cases {
		users[i] = testUser(t, db, fmt.Sprintf("%02d@example.org", i), RoleLearner)
		tc.setup(users[i])
	}
	must(db.view(func(tx *bolt.Tx) error {
		enrolments, ends := newStepper(tx.Bucket(bEnrolments)), newStepper(tx.Bucket(bEnrolmentEnds))
		for i, tc := range cases {
			one, oneActive, err := lastEnrolmentEnd(tx, users[i].ID)
			must(err)
			all, allActive, err := enrolmentEndIn(enrolments, ends, itob(users[i].ID))
			must(err)
			if !one.Equal(tc.end) || oneActive != tc.active {
				t.Errorf("%s, one account: got %v %v, want %v %v", tc.name, one, oneActive, tc.end, tc.active)
			}
			if !all.Equal(tc.end) || allActive != tc.active {
				t.Errorf("%s, in step: got %v %v, want %v %v", tc.name, all, allActive, tc.end, tc.active)
			}
		}
		return nil
	}))
}
