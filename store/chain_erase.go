package store

import (
	"crypto/sha256"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// ActChainTombstoned is the audit event that declares tombstones: how many
// entries of the chain lost their record and the digest of their numbers.
const ActChainTombstoned Action = "chain_tombstoned"

// chainEraseUser tombstones the chain entries of userID's records that the
// erasure removed or changed (records it left as they were keep their
// proof), and drops the account's index of the chain. It runs in the
// erasure's transaction, after every bucket erased its part.
func (db *DB) chainEraseUser(tx *bolt.Tx, userID uint64) error {
	idx := tx.Bucket(bChainByUser)
	keys := prefixKeys(idx, itob(userID))
	var seqs []uint64
	for _, k := range keys {
		e, err := chainEntryAt(tx, btoi(k[8:]))
		if err != nil {
			return fmt.Errorf("store: chain entry of an erased record: %w", err)
		}
		if e.TombstoneBy == 0 && !recordMatches(tx, &e) {
			seqs = append(seqs, e.Seq)
		}
	}
	if err := deleteKeys(idx, keys); err != nil {
		return err
	}
	return db.tombstoneTx(tx, seqs, "erasure of an account")
}

// tombstoneTx marks the entries seqs as erased and appends the audit event
// that declares them (the tombstones point at its entry, the next one).
func (db *DB) tombstoneTx(tx *bolt.Tx, seqs []uint64, why string) error {
	if len(seqs) == 0 {
		return nil
	}
	slices.Sort(seqs)
	seqs = slices.Compact(seqs)
	head, err := chainHeadTx(tx)
	if err != nil {
		return err
	}
	decl := head.Seq + 1
	b := tx.Bucket(bChain)
	for _, seq := range seqs {
		e, err := chainEntryAt(tx, seq)
		if err != nil {
			return fmt.Errorf("store: tombstone entry %d: %w", seq, err)
		}
		e.TombstoneBy = decl
		if err := b.Put(itob(seq), e.encode()); err != nil {
			return err
		}
	}
	ev := AuditEvent{Action: ActChainTombstoned, Detail: tombstoneDetail(seqs) + "; " + why}
	if err := db.auditTx(tx, &ev); err != nil {
		return err
	}
	if h, err := chainHeadTx(tx); err != nil || h.Seq != decl {
		return fmt.Errorf("store: tombstones declared at entry %d, want %d (%v)", h.Seq, decl, err)
	}
	return nil
}

// tombstoneDetail is the declaration of a set of tombstones (sorted
// entry numbers): their count and the SHA-256 of their BE numbers.
func tombstoneDetail(seqs []uint64) string {
	h := sha256.New()
	for _, s := range seqs {
		h.Write(itob(s))
	}
	return fmt.Sprintf("tombstones=%d sha256=%x", len(seqs), h.Sum(nil))
}
