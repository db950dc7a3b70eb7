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
