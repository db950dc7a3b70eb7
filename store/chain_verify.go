package store

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ChainCount is what verify counted of one kind.
type ChainCount struct {
	Entries    uint64 // every entry of the kind, tombstones included
	Tombstones uint64 // entries whose record was erased
}

// ChainReport is the outcome of a verification that held.
type ChainReport struct {
	Entries uint64
	Counts  map[ChainKind]ChainCount
	Head    ChainEntry // Seq 0: an empty chain
	// HeadFound is set when VerifyOptions.Head was given and is the hash
	// of one of the entries.
	HeadFound uint64
}

// VerifyOptions tune a verification.
type VerifyOptions struct {
	// Head, when set, is a head hash kept elsewhere (an older backup's
	// name): it must be the hash of one of the entries, or the history
	// up to it was rewritten.
	Head string
}

// ChainError names the first entry that does not hold.
type ChainError struct {
	Seq    uint64
	Kind   ChainKind // 0 when unknown (a missing entry)
	Ref    uint64
	Reason string
}

func (e *ChainError) Error() string {
	if e.Seq == 0 {
		return "chain: " + e.Reason
	}
	if e.Kind == 0 {
		return fmt.Sprintf("chain entry %d %s", e.Seq, e.Reason)
	}
	return fmt.Sprintf("chain entry %d (%s %d) %s", e.Seq, e.Kind, e.Ref, e.Reason)
}

// ErrChainBroken is matched (errors.Is) by every *ChainError.
var ErrChainBroken = errors.New("store: the hash chain does not hold")

// Is makes a *ChainError match ErrChainBroken.
func (e *ChainError) Is(target error) bool { return target == ErrChainBroken }

// VerifyChain checks the whole chain of the open database in one read.
func (db *DB) VerifyChain(opt VerifyOptions) (rep *ChainReport, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		rep, err = verifyChainTx(tx, opt)
		return err
	})
	return rep, err
}

// VerifyFile checks the chain of a database file (a data dir's accord.db
// while no server holds it, or a backup), opened read-only: nothing of the
// file changes.
func VerifyFile(path string, opt VerifyOptions) (*ChainReport, error) {
	var rep *ChainReport
	err := withFile(path, func(tx *bolt.Tx) error {
		var err error
		rep, err = verifyChainTx(tx, opt)
		return err
	})
	return rep, err
}

// withFile runs fn in a read transaction of the database file at path,
// opened read-only (ErrInUse while a server holds it).
func withFile(path string, fn func(tx *bolt.Tx) error) error {
	if err := checkFile(path); err != nil {
		return err
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		if strings.Contains(err.Error(), "timeout") {
			return fmt.Errorf("%w (%s)", ErrInUse, path)
		}
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	defer b.Close()
	return b.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bChain) == nil {
			return &ChainError{Seq: 1, Reason: "is missing: the file has no chain (made by an older Accord? open it once with this one)"}
		}
		return fn(tx)
	})
}

func verifyChainTx(tx *bolt.Tx, opt VerifyOptions) (*ChainReport, error) {
	rep := &ChainReport{Counts: map[ChainKind]ChainCount{}}
	var want [32]byte
	if opt.Head != "" {
		h, err := hex.DecodeString(opt.Head)
		if err != nil || len(h) != 32 {
			return nil, fmt.Errorf("store: %q is not a head hash (64 hex digits)", opt.Head)
		}
		copy(want[:], h)
	}
	buckets := map[ChainKind]*bolt.Bucket{}
	present := map[ChainKind]uint64{} // records still in their bucket
	for _, k := range ChainKinds {
		buckets[k] = tx.Bucket(k.bucket())
	}
	tombs := map[uint64][]uint64{} // declaring entry → tombstoned entries
	checks := newContentChecks()
	defer checks.stop()
	var prev ChainEntry
	c := tx.Bucket(bChain).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		e, err := decodeChainEntry(k, v)
		if err != nil {
			return nil, checks.fail(&ChainError{Seq: prev.Seq + 1, Reason: "cannot be read: " + err.Error()})
		}
		if e.Seq != prev.Seq+1 {
			return nil, checks.fail(&ChainError{Seq: prev.Seq + 1, Reason: fmt.Sprintf("is missing: the entry after %d is %d (an entry was removed)", prev.Seq, e.Seq)})
		}
		if e.Prev != prev.Hash {
			return nil, checks.fail(&ChainError{Seq: e.Seq, Kind: e.Kind, Ref: e.Ref, Reason: fmt.Sprintf("does not follow entry %d: its previous hash differs (an entry was removed, inserted or moved)", prev.Seq)})
		}
		if entryHash(e.Seq, e.Kind, e.Ref, &e.Prev, &e.Content) != e.Hash {
			return nil, checks.fail(&ChainError{Seq: e.Seq, Kind: e.Kind, Ref: e.Ref, Reason: "does not match its own hash (the entry was edited)"})
		}
		b := buckets[e.Kind]
		if b == nil {
			return nil, checks.fail(&ChainError{Seq: e.Seq, Kind: e.Kind, Ref: e.Ref, Reason: "is of no known kind"})
		}
		raw := b.Get(itob(e.Ref))
		cnt := rep.Counts[e.Kind]
		cnt.Entries++
		if e.TombstoneBy != 0 {
			cnt.Tombstones++
			if e.TombstoneBy <= e.Seq {
				return nil, checks.fail(&ChainError{Seq: e.Seq, Kind: e.Kind, Ref: e.Ref, Reason: fmt.Sprintf("has a tombstone declared by entry %d, which is not later", e.TombstoneBy)})
			}
			tombs[e.TombstoneBy] = append(tombs[e.TombstoneBy], e.Seq)
			if raw != nil {
				present[e.Kind]++
			}
		} else {
			if raw == nil {
				return nil, checks.fail(&ChainError{Seq: e.Seq, Kind: e.Kind, Ref: e.Ref, Reason: "has lost its record (deleted without a tombstone)"})
			}
			present[e.Kind]++
			checks.add(e, raw)
		}
		rep.Counts[e.Kind] = cnt
		if opt.Head != "" && e.Hash == want {
			rep.HeadFound = e.Seq
		}
		rep.Entries++
		prev = e
	}
	rep.Head = prev
	decls, err := checks.wait()
	if err != nil {
		return nil, err
	}
	for decl, seqs := range tombs {
		d, ok := decls[decl]
		if !ok {
			return nil, &ChainError{Seq: seqs[0], Reason: fmt.Sprintf("has a tombstone pointing at entry %d, which declares no tombstones", decl)}
		}
		if !strings.HasPrefix(d, tombstoneDetail(seqs)) {
			return nil, &ChainError{Seq: decl, Kind: ChainAudit, Reason: fmt.Sprintf("declares tombstones other than the %d entries pointing at it (a tombstone was added or removed)", len(seqs))}
		}
	}
	for decl := range decls {
		if _, ok := tombs[decl]; !ok {
			return nil, &ChainError{Seq: decl, Kind: ChainAudit, Reason: "declares tombstones that no entry carries (a tombstone was removed)"}
		}
	}
	for _, kind := range ChainKinds {
		if n := uint64(buckets[kind].Stats().KeyN); n != present[kind] {
			return nil, unchained(tx, kind, buckets[kind])
		}
	}
	if opt.Head != "" && rep.HeadFound == 0 {
		return nil, &ChainError{Seq: rep.Head.Seq, Reason: fmt.Sprintf("is the head, and no entry has the hash %s: the history up to it was rewritten or cut", opt.Head)}
	}
	return rep, nil
}

// checkContent compares a live record with the hash it was chained with,
// and keeps the declarations of tombstones it meets.
func checkContent(e *ChainEntry, raw []byte, decls map[uint64]string) error {
	fail := func(why string) error { return &ChainError{Seq: e.Seq, Kind: e.Kind, Ref: e.Ref, Reason: why} }
	var canonical []byte
	switch e.Kind {
	case ChainAudit:
		var a AuditEvent
		if err := json.Unmarshal(raw, &a); err != nil {
			return fail("has a record that cannot be read: " + err.Error())
		}
		if a.Action == ActChainTombstoned {
			decls[e.Seq] = a.Detail
		}
		canonical = CanonicalAudit(&a)
	default:
		var err error
		if canonical, err = canonicalOf(e.Kind, raw); err != nil {
			return fail("has a record that cannot be read: " + err.Error())
		}
	}
	if h := contentHash(canonical); !bytes.Equal(h[:], e.Content[:]) {
		return fail("does not match its record (the record was edited)")
	}
	return nil
}

// unchained names the first record of kind that no live entry holds.
func unchained(tx *bolt.Tx, kind ChainKind, b *bolt.Bucket) error {
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) != 8 {
			return &ChainError{Kind: kind, Reason: fmt.Sprintf("a %s record with a key of %d bytes is in no chain entry (added outside the chain)", kind, len(k))}
		}
		e, err := chainEntryOf(tx, kind, btoi(k))
		if err != nil || e.Kind != kind || e.Ref != btoi(k) {
			return &ChainError{Kind: kind, Ref: btoi(k), Reason: fmt.Sprintf("%s record %d is in no chain entry (added outside the chain)", kind, btoi(k))}
		}
	}
	return &ChainError{Kind: kind, Reason: fmt.Sprintf("the %s records outnumber their chain entries (a record was added outside the chain)", kind)}
}
