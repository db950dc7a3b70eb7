package store

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// chainFixture fills a store with every chained kind: two learners'
// answers, cookie choices (an account's and a visitor's) and the audit
// events these write.
func chainFixture(t testing.TB) (*DB, *User, *User) {
	t.Helper()
	db := openFile(t, Options{NoSync: true})
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { now = now.Add(time.Second); return now }
	opt := optionalPolicy(t, db)
	ann, bob := testUser(t, db, "ann@example.org", RoleLearner), testUser(t, db, "bob@example.org", RoleLearner)
	for _, an := range [][]Answer{
		{{UserID: ann.ID, VersionID: opt.ID, Accept: true, Lang: "en", TextHash: "h1"}},
		{{UserID: bob.ID, VersionID: opt.ID, Accept: true, Lang: "fr", TextHash: "h2", Note: "a \"quoted\"\nnote"}},
		{{UserID: ann.ID, VersionID: opt.ID, Accept: false, Lang: "en", TextHash: "h1"}},
	} {
		if _, err := db.RecordAnswers(an); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []*CookieConsent{
		{UserID: ann.ID, ConsentID: "b1", State: ConsentGiven, Method: MethodCustom, Decisions: map[CookieCategory]bool{"statistics": true, "preferences": false}},
		{ConsentID: "b2", State: ConsentRefused, Method: MethodRefuseAll, ValidUntil: now.AddDate(0, 6, 0)},
	} {
		if err := db.RecordCookieConsent(r); err != nil {
			t.Fatal(err)
		}
	}
	return db, ann, bob
}

// rawUpdate changes the file behind the store's back, as someone with the
// file would.
func rawUpdate(t *testing.T, db *DB, fn func(tx *bolt.Tx) error) {
	t.Helper()
	if err := db.bolt.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func chainOf(t *testing.T, db *DB, kind ChainKind, n int) ChainEntry {
	t.Helper()
	var out ChainEntry
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bChain).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			e, err := decodeChainEntry(k, v)
			if err != nil {
				return err
			}
			if e.Kind == kind {
				if n == 0 {
					out = e
					return nil
				}
				n--
			}
		}
		return ErrNotFound
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func eraseForTest(t *testing.T, db *DB, u *User) {
	t.Helper()
	r, err := db.CreateRequest(NewRequest{UserID: u.ID, Type: RequestDelete, FiledBy: FiledBySelf, FiledByID: u.ID, DueDays: 30, AutoApprove: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ChangeRequest(Change{ID: r.ID, To: StatusProcessing}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EraseUser(Erasure{RequestID: r.ID}); err != nil {
		t.Fatal(err)
	}
}

// Ensure that the chain holds every event in the order written, and that
// each kind of tampering is named at the first entry that does not hold.
func TestChainVerify(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, db *DB) (seq uint64, opt VerifyOptions)
		want   string // "" = holds
	}{
		{"untouched", func(t *testing.T, db *DB) (uint64, VerifyOptions) { return 0, VerifyOptions{} }, ""},
		{"record byte changed", func(t *testing.T, db *DB) (uint64, VerifyOptions) {
			e := chainOf(t, db, ChainPolicyAnswer, 1)
			rawUpdate(t, db, func(tx *bolt.Tx) error {
				b := tx.Bucket(bAcceptances)
				v := bytes.Replace(b.Get(itob(e.Ref)), []byte(`"lang":"fr"`), []byte(`"lang":"en"`), 1)
				return b.Put(itob(e.Ref), v)
			})
			return e.Seq, VerifyOptions{}
		}, "the record was edited"},
		{"cookie decision flipped", func(t *testing.T, db *DB) (uint64, VerifyOptions) {
			e := chainOf(t, db, ChainCookieConsent, 0)
			rawUpdate(t, db, func(tx *bolt.Tx) error {
				b := tx.Bucket(bCookieConsents)
				v := bytes.Replace(b.Get(itob(e.Ref)), []byte(`"preferences":false`), []byte(`"preferences":true`), 1)
				return b.Put(itob(e.Ref), v)
			})
			return e.Seq, VerifyOptions{}
		}, "the record was edited"},
		{"entry byte changed", func(t *testing.T, db *DB) (uint64, VerifyOptions) {
			e := chainOf(t, db, ChainAudit, 2)
			rawUpdate(t, db, func(tx *bolt.Tx) error {
				v := bytes.Clone(tx.Bucket(bChain).Get(itob(e.Seq)))
				v[offContent] ^= 1
				return tx.Bucket(bChain).Put(itob(e.Seq), v)
			})
			return e.Seq, VerifyOptions{}
		}, "does not match its own hash"},
		{"entry removed", func(t *testing.T, db *DB) (uint64, VerifyOptions) {
			rawUpdate(t, db, func(tx *bolt.Tx) error { return tx.Bucket(bChain).Delete(itob(4)) })
			return 4, VerifyOptions{}
		}, "is missing"},
		{"entries reordered", func(t *testing.T, db *DB) (uint64, VerifyOptions) {
			rawUpdate(t, db, func(tx *bolt.Tx) error {
				b := tx.Bucket(bChain)
				a, c := bytes.Clone(b.Get(itob(3))), bytes.Clone(b.Get(itob(4)))
				if err := b.Put(itob(3), c); err != nil {
					return err
				}
				return b.Put(itob(4), a)
			})
			return 3, VerifyOptions{}
		}, "does not follow entry 2"},
		{"renumbered after a removal", func(t *testing.T, db *DB) (uint64, VerifyOptions) {
			rawUpdate(t, db, func(tx *bolt.Tx) error {
				b := tx.Bucket(bChain)
				last, _ := b.Cursor().Last()
				for n := uint64(4); n < btoi(last); n++ {
					if err := b.Put(itob(n), bytes.Clone(b.Get(itob(n+1)))); err != nil {
						return err
					}
				}
				return b.Delete(last)
			})
			return 4, VerifyOptions{}
		}, "does not follow entry 3"},
		{"record deleted", func(t *testing.T, db *DB) (uint64, VerifyOptions) {
			e := chainOf(t, db, ChainPolicyAnswer, 0)
			rawUpdate(t, db, func(tx *bolt.Tx) error { return tx.Bucket(bAcceptances).Delete(itob(e.Ref)) })
			return e.Seq, VerifyOptions{}
		}, "has lost its record"},
		{"record added outside", func(t *testing.T, db *DB) (uint64, VerifyOptions) {
			rawUpdate(t, db, func(tx *bolt.Tx) error {
				return putJSON(tx.Bucket(bAcceptances), itob(999), &Acceptance{ID: 999, UserID: 1, Status: Accepted})
			})
			return 0, VerifyOptions{}
		}, "policy_answer record 999 is in no chain entry"},
		{"history cut at the head", func(t *testing.T, db *DB) (uint64, VerifyOptions) {
			head, _ := db.ChainHead()
			rawUpdate(t, db, func(tx *bolt.Tx) error {
				if err := tx.Bucket(head.Kind.bucket()).Delete(itob(head.Ref)); err != nil {
					return err
				}
				return tx.Bucket(bChain).Delete(itob(head.Seq))
			})
			return head.Seq - 1, VerifyOptions{Head: head.HashHex()}
		}, "the history up to it was rewritten or cut"},
		{"a kept head", func(t *testing.T, db *DB) (uint64, VerifyOptions) {
			head, _ := db.ChainHead()
			if err := db.Audit(AuditEvent{Action: ActLogout}); err != nil {
				t.Fatal(err)
			}
			return 0, VerifyOptions{Head: head.HashHex()}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _, _ := chainFixture(t)
			seq, opt := tc.tamper(t, db)
			rep, err := db.VerifyChain(opt)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("got %v, want the chain to hold", err)
				}
				if rep.Counts[ChainPolicyAnswer].Entries != 3 || rep.Counts[ChainCookieConsent].Entries != 2 || rep.Counts[ChainAudit].Entries < 6 {
					t.Errorf("got counts %v, want 3 answers, 2 cookie choices, ≥ 6 audit events", rep.Counts)
				}
				if rep.Entries == 0 || rep.Head.Seq != rep.Entries {
					t.Errorf("got head %d of %d entries", rep.Head.Seq, rep.Entries)
				}
				return
			}
			var ce *ChainError
			if !errors.As(err, &ce) || !errors.Is(err, ErrChainBroken) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a chain error saying %q", err, tc.want)
			}
			if ce.Seq != seq {
				t.Errorf("got entry %d named, want %d (%v)", ce.Seq, seq, err)
			}
		})
	}
}

// Ensure that an erasure tombstones exactly the entries whose record it
// removed or changed, that the chain still holds afterwards, and that a
// tombstone added by hand to hide an edit is caught.
func TestChainTombstones(t *testing.T) {
	db, ann, bob := chainFixture(t)
	bobAnswer := chainOf(t, db, ChainPolicyAnswer, 1)
	eraseForTest(t, db, ann)
	rep, err := db.VerifyChain(VerifyOptions{})
	if err != nil {
		t.Fatalf("after erasure: %v", err)
	}
	if c := rep.Counts[ChainPolicyAnswer]; c.Entries != 3 || c.Tombstones != 2 {
		t.Errorf("answers: got %+v, want 3 entries, 2 tombstones (ann's)", c)
	}
	if c := rep.Counts[ChainCookieConsent]; c.Entries != 2 || c.Tombstones != 1 {
		t.Errorf("cookie choices: got %+v, want 1 tombstone (the account's; the visitor's stays)", c)
	}
	if c := rep.Counts[ChainAudit]; c.Tombstones == 0 {
		t.Errorf("audit: got %+v, want ann's events tombstoned", c)
	}
	var left int
	db.view(func(tx *bolt.Tx) error {
		left = len(prefixKeys(tx.Bucket(bChainByUser), itob(ann.ID)))
		return nil
	})
	if left != 0 {
		t.Errorf("chain_by_user keeps %d entries of the erased account", left)
	}
	// Bob's answer kept its proof.
	if e := chainOf(t, db, ChainPolicyAnswer, 1); e.TombstoneBy != 0 || e.Seq != bobAnswer.Seq {
		t.Errorf("bob's answer: got %+v, want no tombstone", e)
	}
	// A second erasure (bob's) adds a second declaration; both hold.
	eraseForTest(t, db, bob)
	if _, err := db.VerifyChain(VerifyOptions{}); err != nil {
		t.Fatalf("after the second erasure: %v", err)
	}
	// Someone tombstones the visitor's cookie choice to edit it unseen.
	vis := chainOf(t, db, ChainCookieConsent, 1)
	var decl uint64
	rawUpdate(t, db, func(tx *bolt.Tx) error {
		e, _ := chainEntryOf(tx, ChainPolicyAnswer, chainOf(t, db, ChainPolicyAnswer, 0).Ref)
		decl = e.TombstoneBy
		vis.TombstoneBy = decl
		if err := tx.Bucket(bChain).Put(itob(vis.Seq), vis.encode()); err != nil {
			return err
		}
		return tx.Bucket(bCookieConsents).Delete(itob(vis.Ref))
	})
	_, err = db.VerifyChain(VerifyOptions{})
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Seq != decl || !strings.Contains(err.Error(), "a tombstone was added or removed") {
		t.Errorf("hidden edit: got %v, want entry %d named for its declaration", err, decl)
	}
}

// Ensure that purging visitors' old cookie choices tombstones them and the
// chain holds.
func TestChainPurgeVisitors(t *testing.T) {
	db, _, _ := chainFixture(t)
	n, err := db.PurgeVisitorConsents(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || n != 1 {
		t.Fatalf("purge: got %d, %v, want 1", n, err)
	}
	rep, err := db.VerifyChain(VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Counts[ChainCookieConsent]; c.Tombstones != 1 {
		t.Errorf("got %+v, want the visitor's record tombstoned", c)
	}
}

// Ensure that the migration chains a database that had no chain, once,
// oldest event first, and that the result verifies.
func TestMigrateChain(t *testing.T) {
	db, _, _ := chainFixture(t)
	before, err := db.VerifyChain(VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rawUpdate(t, db, func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bChain, bChainRefs, bChainByUser} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		return migrateChain(tx)
	})
	after, err := db.VerifyChain(VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.Entries != before.Entries {
		t.Errorf("got %d entries, want %d", after.Entries, before.Entries)
	}
	// Live writing chains the events in the order written, the migration
	// rebuilds that order from their times: the same chain.
	if after.Head.Hash != before.Head.Hash {
		t.Errorf("migrated head differs from the live one")
	}
	rawUpdate(t, db, migrateChain)
	if again, _ := db.VerifyChain(VerifyOptions{}); again.Entries != before.Entries {
		t.Errorf("a second run chained again: %d entries", again.Entries)
	}
}

// Ensure that the canonical encoding is JSON with sorted keys and every
// field, whatever the record's stored form.
func TestCanonicalEncoding(t *testing.T) {
	at := time.Date(2026, 12, 3, 17, 2, 18, 500000000, time.FixedZone("CET", 3600))
	got := string(CanonicalAcceptance(&Acceptance{ID: 7, UserID: 3, Time: at, Note: "a\"b\\c\n\x01é<"}))
	want := `{"actor_id":0,"actor_kind":"","id":7,"lang":"","note":"a\"b\\c\n\u0001é<","policy_id":0,"status":"",` +
		`"text_hash":"","time":"2026-12-03T16:02:18.5Z","user_id":3,"version_id":0,"where":""}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	got = string(CanonicalCookieConsent(&CookieConsent{Decisions: map[CookieCategory]bool{"statistics": true, "preferences": false}}))
	if !strings.Contains(got, `"decisions":{"preferences":false,"statistics":true}`) {
		t.Errorf("decisions: got %s", got)
	}
}
