package store

import (
	"errors"
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Ensure that every status moves as the rules say: a learner's message
// (re)opens, a staff reply answers, only open or answered threads close.
func TestNextDPOStatus(t *testing.T) {
	for _, tc := range []struct {
		from DPOStatus
		ev   DPOEvent
		want DPOStatus
		err  bool
	}{
		{DPOOpen, DPOLearnerWrote, DPOOpen, false},
		{DPOAnswered, DPOLearnerWrote, DPOOpen, false},
		{DPOClosed, DPOLearnerWrote, DPOOpen, false},
		{DPOOpen, DPOStaffReplied, DPOAnswered, false},
		{DPOAnswered, DPOStaffReplied, DPOAnswered, false},
		{DPOClosed, DPOStaffReplied, DPOAnswered, false},
		{DPOOpen, DPOStaffClosed, DPOClosed, false},
		{DPOAnswered, DPOStaffClosed, DPOClosed, false},
		{DPOClosed, DPOStaffClosed, DPOClosed, true},
		{DPOOpen, "nonsense", DPOOpen, true},
	} {
		got, err := NextDPOStatus(tc.from, tc.ev)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("%s + %s: got %s, %v; want %s, error %v", tc.from, tc.ev, got, err, tc.want, tc.err)
		}
	}
}

func dpoTestUser(t *testing.T, db *DB, email string, role Role) *User {
	t.Helper()
	u := &User{Email: email, Role: role, Lang: "en"}
	if err := db.CreateUser(u, 0); err != nil {
		t.Fatal(err)
	}
	return u
}

// Ensure that the export holds a user's threads, messages and
// notifications, and that erasure removes them but keeps (without author)
// what a staff member wrote in someone else's thread.
func TestDPORecordsAndErase(t *testing.T) {
	db := openTest(t)
	ann := dpoTestUser(t, db, "ann@example.org", RoleLearner)
	off := dpoTestUser(t, db, "dpo@example.org", RoleDPO)
	th, err := db.CreateDPOThread(ann.ID, "Subject", "Question")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ReplyDPO(th.ID, off.ID, true, "Answer"); err != nil {
		t.Fatal(err)
	}
	if err := db.AddNotification(&Notification{UserID: ann.ID, Subject: "s", Body: "b"}, &OutMail{UserID: ann.ID, To: ann.Email, Subject: "s", Body: "b"}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddNotification(&Notification{UserID: off.ID, AboutID: ann.ID, Subject: "s", Body: "b"}, &OutMail{To: "dpo@example.org", AboutID: ann.ID}); err != nil {
		t.Fatal(err)
	}
	count := func(user uint64) map[string]int {
		got := map[string]int{}
		err := db.view(func(tx *bolt.Tx) error {
			for _, name := range []string{"dpo_threads", "dpo_messages", "notifications", "outbox"} {
				if err := inventory[name].Records(tx, user, func(any) error { got[name]++; return nil }); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := count(ann.ID); got["dpo_threads"] != 1 || got["dpo_messages"] != 2 || got["notifications"] != 1 || got["outbox"] != 2 {
		t.Errorf("ann's records: got %v, want 1 thread, 2 messages, 1 notification, 2 mails (to and about her)", got)
	}
	if got := count(off.ID); got["dpo_messages"] != 1 || got["dpo_threads"] != 0 || got["notifications"] != 1 {
		t.Errorf("officer's records: got %v, want their 1 message and 1 notification", got)
	}
	err = db.update(func(tx *bolt.Tx) error {
		for _, name := range []string{"dpo_messages", "dpo_threads", "notifications", "outbox"} {
			if _, err := inventory[name].Erase(tx, ann.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := count(ann.ID); len(got) != 0 {
		t.Errorf("after erasure: got %v, want nothing", got)
	}
	if got := count(off.ID); got["notifications"] != 0 || got["dpo_messages"] != 0 {
		t.Errorf("officer after ann's erasure: got %v, want no notification about her and her thread's messages gone", got)
	}
	if _, _, err := db.DPOThread(th.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("erased thread: got %v, want ErrNotFound", err)
	}
	if n, _ := db.DPOUnreadCount(); n != 0 {
		t.Errorf("unread index: got %d, want 0", n)
	}
}

// Ensure that a reset link works once, not after an hour, and that using it
// spends the user's other links.
func TestPasswordReset(t *testing.T) {
	db := openTest(t)
	ann := dpoTestUser(t, db, "ann@example.org", RoleLearner)
	a, _ := db.IssuePasswordReset(ann.ID)
	b, _ := db.IssuePasswordReset(ann.ID)
	if _, err := db.PasswordResetFor("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown token: got %v, want ErrNotFound", err)
	}
	u, err := db.ResetPassword(a, "new-hash")
	if err != nil || u.PasswordHash != "new-hash" {
		t.Fatalf("reset: got %v, %v", u, err)
	}
	for _, tok := range []string{a, b} {
		if _, err := db.ResetPassword(tok, "x"); !errors.Is(err, ErrTokenGone) {
			t.Errorf("spent token: got %v, want ErrTokenGone", err)
		}
	}
	c, _ := db.IssuePasswordReset(ann.ID)
	now := db.Now().Add(PasswordResetTTL)
	db.Now = func() time.Time { return now }
	if _, err := db.PasswordResetFor(c); !errors.Is(err, ErrTokenGone) {
		t.Errorf("expired token: got %v, want ErrTokenGone", err)
	}
}

// Ensure that the inbox filters follow every status change, newest first,
// with totals and pages.
func TestListDPOThreads(t *testing.T) {
	db := openTest(t)
	ann := dpoTestUser(t, db, "ann@example.org", RoleLearner)
	var ids []uint64
	for i := 0; i < 4; i++ {
		th, err := db.CreateDPOThread(ann.ID, "s", "m")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, th.ID)
	}
	db.ReplyDPO(ids[0], 9, true, "answer")
	db.CloseDPOThread(ids[1], 9)
	db.ReplyDPO(ids[1], ann.ID, false, "reopen")
	db.CloseDPOThread(ids[2], 9)
	for _, tc := range []struct {
		q     DPOQuery
		want  []uint64
		total int
	}{
		{DPOQuery{}, []uint64{ids[3], ids[2], ids[1], ids[0]}, 4},
		{DPOQuery{Status: DPOOpen}, []uint64{ids[3], ids[1]}, 2},
		{DPOQuery{Status: DPOAnswered}, []uint64{ids[0]}, 1},
		{DPOQuery{Status: DPOClosed}, []uint64{ids[2]}, 1},
		{DPOQuery{Unread: true}, []uint64{ids[3], ids[1]}, 2},
		{DPOQuery{Unread: true, Status: DPOClosed}, nil, 0},
		{DPOQuery{Offset: 1, Limit: 2}, []uint64{ids[2], ids[1]}, 4},
	} {
		got, total, err := db.ListDPOThreads(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs []uint64
		for _, th := range got {
			gotIDs = append(gotIDs, th.ID)
		}
		if total != tc.total || fmt.Sprint(gotIDs) != fmt.Sprint(tc.want) {
			t.Errorf("%+v: got %v (total %d), want %v (total %d)", tc.q, gotIDs, total, tc.want, tc.total)
		}
	}
}
