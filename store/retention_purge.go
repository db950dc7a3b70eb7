package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The purge of expired data categories: each built-in category with a
// period (rule "days" in the records of processing) loses what is older
// than its period. A dry run counts what would go, writing nothing; the
// real run deletes it and audits one event per category with the count.

// ActRetentionPurged is audited once per category a purge emptied.
const ActRetentionPurged Action = "retention_purged"

// PurgeLine is what a purge removes (or would remove) of one category.
type PurgeLine struct {
	Category string    // the category's key
	Before   time.Time // what is older than this goes
	Count    int
}

// purgers remove (or count, when dry) the records of a category older
// than cut and say how many.
var purgers = map[string]func(db *DB, tx *bolt.Tx, cut time.Time, dry bool) (int, error){
	CategoryNotifications: purgeNotifications,
	CategoryDPOThreads:    purgeDPOThreads,
	CategoryStatistics:    purgeStatistics,
	CategoryAudit:         purgeAuditDetails,
}

// PurgeExpired removes, for each category with a period, what is older than
// that period (dry: only counts, in a read transaction).
func (db *DB) PurgeExpired(dry bool) (out []PurgeLine, err error) {
	run := db.update
	if dry {
		run = db.view
	}
	err = run(func(tx *bolt.Tx) error {
		out = nil
		r, err := processingTx(tx)
		if err != nil {
			return err
		}
		now := db.now()
		for _, c := range r.Categories {
			purge := purgers[c.Key]
			if purge == nil || c.Rule != RetainDays || c.Days <= 0 {
				continue
			}
			cut := now.AddDate(0, 0, -c.Days)
			n, err := purge(db, tx, cut, dry)
			if err != nil {
				return fmt.Errorf("store: purge %s: %w", c.Key, err)
			}
			out = append(out, PurgeLine{Category: c.Key, Before: cut, Count: n})
			if n > 0 && !dry {
				if err := db.auditTx(tx, &AuditEvent{Action: ActRetentionPurged,
					Detail: fmt.Sprintf("%s: %d older than %s", c.Key, n, cut.Format(time.DateOnly))}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

func purgeNotifications(_ *DB, tx *bolt.Tx, cut time.Time, dry bool) (int, error) {
	var gone []Notification
	err := tx.Bucket(bNotifications).ForEach(func(_, v []byte) error {
		var n Notification
		if err := json.Unmarshal(v, &n); err != nil {
			return err
		}
		if n.CreatedAt.Before(cut) {
			gone = append(gone, n)
		}
		return nil
	})
	if err != nil || dry {
		return len(gone), err
	}
	for _, n := range gone {
		if err := tx.Bucket(bNotifications).Delete(itob(n.ID)); err != nil {
			return 0, err
		}
		if err := tx.Bucket(bNotificationsByUser).Delete(pairKey(n.UserID, itob(n.ID))); err != nil {
			return 0, err
		}
	}
	return len(gone), nil
}

// purgeDPOThreads removes the threads no longer open whose last message is
// older than cut, with their messages. An open thread waits for its answer.
func purgeDPOThreads(_ *DB, tx *bolt.Tx, cut time.Time, dry bool) (int, error) {
	var gone []DPOThread
	err := tx.Bucket(bDPOThreads).ForEach(func(_, v []byte) error {
		var t DPOThread
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		if t.Status != DPOOpen && t.UpdatedAt.Before(cut) {
			gone = append(gone, t)
		}
		return nil
	})
	if err != nil || dry {
		return len(gone), err
	}
	for _, t := range gone {
		if err := deleteKeys(tx.Bucket(bDPOMessages), prefixKeys(tx.Bucket(bDPOMessages), itob(t.ID))); err != nil {
			return 0, err
		}
		for _, del := range []func() error{
			func() error { return tx.Bucket(bDPOThreads).Delete(itob(t.ID)) },
			func() error { return tx.Bucket(bDPOUnread).Delete(itob(t.ID)) },
			func() error { return deleteDPOStatusKeys(tx, t.ID) },
			func() error { return tx.Bucket(bDPOThreadsByUser).Delete(pairKey(t.UserID, itob(t.ID))) },
		} {
			if err := del(); err != nil {
				return 0, err
			}
		}
	}
	return len(gone), nil
}

// purgeStatistics removes the daily totals of days before cut.
func purgeStatistics(_ *DB, tx *bolt.Tx, cut time.Time, dry bool) (int, error) {
	before := cut.UTC().Format(time.DateOnly)
	keys := [][]byte{}
	c := tx.Bucket(bVisitsDaily).Cursor()
	for k, _ := c.First(); k != nil && string(k) < before; k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	if dry {
		return len(keys), nil
	}
	return len(keys), deleteKeys(tx.Bucket(bVisitsDaily), keys)
}

// auditPurgedKey (in processing_records) holds the id of the last audit
// event the purge went past, so a daily run reads only the events since.
var auditPurgedKey = []byte("audit_purged_through")

// purgeAuditDetails empties the detail of audit events older than cut; the
// events stay (accountability). Their chain entries are tombstoned, as an
// erasure does, so the chain still verifies.
func purgeAuditDetails(db *DB, tx *bolt.Tx, cut time.Time, dry bool) (int, error) {
	b := tx.Bucket(bAudit)
	var old []AuditEvent
	c := b.Cursor()
	// Events up to the watermark were purged by an earlier run: start after.
	var through uint64
	if v := tx.Bucket(bProcessing).Get(auditPurgedKey); len(v) == 8 {
		through = btoi(v)
	}
	last := through
	for k, v := c.Seek(itob(through + 1)); k != nil; k, v = c.Next() {
		var e AuditEvent
		if err := json.Unmarshal(v, &e); err != nil {
			return 0, err
		}
		if !e.Time.Before(cut) {
			break // ids grow with time
		}
		last = e.ID
		if e.Detail != "" {
			old = append(old, e)
		}
	}
	if dry {
		return len(old), nil
	}
	if last != through {
		if err := tx.Bucket(bProcessing).Put(auditPurgedKey, itob(last)); err != nil {
			return 0, err
		}
	}
	if len(old) == 0 {
		return 0, nil
	}
	var seqs []uint64
	for i := range old {
		e := &old[i]
		if ce, err := chainEntryOf(tx, ChainAudit, e.ID); err == nil && ce.TombstoneBy == 0 {
			seqs = append(seqs, ce.Seq)
		}
		e.Detail = ""
		if err := putJSON(b, itob(e.ID), e); err != nil {
			return 0, err
		}
	}
	return len(old), db.tombstoneTx(tx, seqs, "retention: audit details past their period")
}
