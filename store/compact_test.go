package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Ensure that Open removes a compaction copy a crash left beside the file,
// and opens the database itself untouched.
func TestOpenRemovesLeftoverCompaction(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	u := testUser(t, db, "kept@example.org", RoleLearner)
	db.Close()
	leftover := filepath.Join(dir, "accord.db"+compactSuffix)
	if err := os.WriteFile(leftover, bytes.Repeat([]byte("half a copy "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the leftover copy after Open: got %v, want it removed", err)
	}
	if _, err := db.User(u.ID); err != nil {
		t.Errorf("the account after Open: %v", err)
	}
}

// Ensure that the copy holds every bucket, key, value and sequence of the
// file, nested buckets included, when it commits many times on the way
// (a bound of 100 bytes per transaction).
func TestCompactCopyIsWhole(t *testing.T) {
	db := openFile(t, Options{NoSync: true})
	for i := range 50 {
		testUser(t, db, fmt.Sprintf("u%d@example.org", i), RoleLearner)
	}
	if err := db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("zz_nested_test"))
		if err != nil {
			return err
		}
		sub, err := b.CreateBucketIfNotExists([]byte("inner"))
		if err != nil {
			return err
		}
		if err := sub.SetSequence(42); err != nil {
			return err
		}
		for i := range 30 {
			if err := sub.Put(fmt.Appendf(nil, "k%02d", i), bytes.Repeat([]byte{'v'}, 40)); err != nil {
				return err
			}
		}
		return b.Put([]byte("after"), []byte("inner"))
	}); err != nil {
		t.Fatal(err)
	}
	dst, err := bolt.Open(filepath.Join(t.TempDir(), "copy.db"), 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := db.copyInto(dst, 100); err != nil {
		t.Fatal(err)
	}
	dump := func(b *bolt.DB) string {
		var out strings.Builder
		var walk func(prefix string, bk *bolt.Bucket)
		walk = func(prefix string, bk *bolt.Bucket) {
			fmt.Fprintf(&out, "%s seq=%d\n", prefix, bk.Sequence())
			bk.ForEach(func(k, v []byte) error {
				if v == nil {
					walk(prefix+"/"+string(k), bk.Bucket(k))
				} else {
					fmt.Fprintf(&out, "%s %x=%x\n", prefix, k, v)
				}
				return nil
			})
		}
		b.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
				walk(string(name), bk)
				return nil
			})
		})
		return out.String()
	}
	want, got := dump(db.bolt), dump(dst)
	if got != want || !strings.Contains(want, "zz_nested_test/inner seq=42") {
		t.Errorf("the copy differs from the file (%d and %d bytes of dump)", len(got), len(want))
	}
}

// Ensure that a job in its compaction step is never given up, however
// often the compaction fails, while a job at its start is, after
// maxAttempts.
func TestCompactionStepNeverGivesUp(t *testing.T) {
	db, _ := openClockTest(t)
	u := testUser(t, db, "gone@example.org", RoleLearner)
	r, err := db.CreateRequest(NewRequest{UserID: u.ID, Type: RequestDelete, DueDays: 30, AutoApprove: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.FinishErasure(r.ID); !errors.Is(err, ErrBadTransition) {
		t.Errorf("finish an erasure that did not happen: got %v, want ErrBadTransition", err)
	}
	if _, err := db.ChangeRequest(Change{ID: r.ID, To: StatusProcessing}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EraseUser(Erasure{RequestID: r.ID}); err != nil {
		t.Fatal(err)
	}
	busy := errors.New("the database stayed busy")
	for range 10 {
		j, err := db.ClaimJob()
		if err != nil {
			t.Fatalf("claim the compaction job: %v", err)
		}
		if err := db.FinishJob(j.ID, busy, 0, 3); err != nil {
			t.Fatal(err)
		}
	}
	if jobs, _ := db.Jobs(); len(jobs) != 1 || jobs[0].State != JobPending || jobs[0].Attempts != 10 {
		t.Errorf("after 10 failed compactions: got %+v, want the job pending still", jobs)
	}
}

// Ensure, in words, who may approve the erasure of whom: an administrator
// any account; a privacy officer and the system (auto-approval) only a
// learner's; a learner nobody's.
func TestMayApproveErasure(t *testing.T) {
	for _, tc := range []struct {
		approver, subject Role
		may               bool
	}{
		{RoleAdmin, RoleLearner, true},
		{RoleAdmin, RoleDPO, true},
		{RoleAdmin, RoleAdmin, true},
		{RoleDPO, RoleLearner, true},
		{RoleDPO, RoleDPO, false},
		{RoleDPO, RoleAdmin, false},
		{"", RoleLearner, true},
		{"", RoleDPO, false},
		{"", RoleAdmin, false},
		{RoleLearner, RoleLearner, false},
		{RoleLearner, RoleAdmin, false},
	} {
		if got := MayApproveErasure(tc.approver, tc.subject); got != tc.may {
			t.Errorf("%q approves the erasure of a %s: got %v, want %v", tc.approver, tc.subject, got, tc.may)
		}
	}
}

// Ensure that only an active administrator who is the only one is the
// last active administrator.
func TestLastActiveAdmin(t *testing.T) {
	for _, tc := range []struct {
		name   string
		u      User
		admins int
		last   bool
	}{
		{"the only active administrator", User{Role: RoleAdmin}, 1, true},
		{"one of two active administrators", User{Role: RoleAdmin}, 2, false},
		{"a suspended administrator beside the active one", User{Role: RoleAdmin, Suspended: true}, 1, false},
		{"a privacy officer on a site with one administrator", User{Role: RoleDPO}, 1, false},
		{"a learner on a site without administrators", User{Role: RoleLearner}, 0, false},
	} {
		if got := LastActiveAdmin(&tc.u, tc.admins); got != tc.last {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.last)
		}
	}
}

// Ensure that the store itself refuses a privacy officer's approval of a
// staff account's erasure and a staff account's auto-approved deletion,
// writing nothing, and takes an administrator's.
func TestStaffErasureNeedsAnAdministrator(t *testing.T) {
	db, _ := openClockTest(t)
	admin := testUser(t, db, "boss@example.org", RoleAdmin)
	testUser(t, db, "boss2@example.org", RoleAdmin)
	officer := testUser(t, db, "dpo@example.org", RoleDPO)
	other := testUser(t, db, "dpo2@example.org", RoleDPO)
	if _, err := db.CreateRequest(NewRequest{UserID: other.ID, Type: RequestDelete, DueDays: 30, AutoApprove: true}); !errors.Is(err, ErrStaffErasure) {
		t.Errorf("auto-approved deletion of a privacy officer: got %v, want ErrStaffErasure", err)
	}
	r, err := db.CreateRequest(NewRequest{UserID: other.ID, Type: RequestDelete, DueDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := db.CommitID()
	if _, err := db.ChangeRequest(Change{ID: r.ID, To: StatusApproved, ActorID: officer.ID}); !errors.Is(err, ErrStaffErasure) {
		t.Errorf("a privacy officer approves a privacy officer's erasure: got %v, want ErrStaffErasure", err)
	}
	if err := db.CheckErasureApproval(r.ID, officer.ID); !errors.Is(err, ErrStaffErasure) {
		t.Errorf("check: got %v, want ErrStaffErasure", err)
	}
	if after, _ := db.CommitID(); after != before {
		t.Errorf("a refused approval committed")
	}
	if _, err := db.ChangeRequest(Change{ID: r.ID, To: StatusApproved, ActorID: admin.ID}); err != nil {
		t.Errorf("an administrator approves it: %v", err)
	}
}
