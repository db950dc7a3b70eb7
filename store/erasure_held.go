package store

import (
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Protected data past an erasure (issue 11.4). The records of processing
// mark a data category protected, with why (a purpose marked protected
// only says that some of its categories are). An erasure keeps what the
// protection covers
// until its retention ends, says so in the request's erasure report, and
// erases it then:
//
//   - courses (rule "course"): the enrolments in a running course and
//     their progress stay until no enrolment of the account runs any more
//     (it ended, or the course was deleted, which destroys its data);
//   - a category with a period (rule "days", e.g. DPO threads kept for a
//     legal obligation): its records stay for that period after the
//     erasure at most (the daily purge removes each one earlier, when its
//     own period ends);
//   - a protected category whose buckets make their records anonymous at
//     the erasure (data requests, the audit log) keeps only those
//     anonymous records, for good; the report says so and why;
//   - a category kept "as long as the account" ends with the account: its
//     protection does not outlast the erasure.
//
// Nothing that names the person is kept for the later step: the schedule
// (erasures_held) holds the request's number, the erased account's number
// (which the kept records still carry) and the categories still kept. So
// the person is told once, in the erasure's last mail (app), what is kept,
// why and until when; there is no address left to write to when it goes.
//
// The later erasure is durable: the schedule is written in the erasure's
// own transaction; the daily review (EraseHeld) erases each due category
// in its own transaction, then compacts the file, then deletes the
// schedule. A crash between any two of these resumes at the next review.

var bErasuresHeld = []byte("erasures_held")

func init() {
	registerBuckets(BucketInfo{Name: string(bErasuresHeld), Class: NotPersonal,
		Holds: "erasures waiting for protected data to reach the end of its retention: request number, the erased account's number, the categories kept (no name, no address)"})
}

// Fault points of the later erasure of protected data (DB.FaultHook).
const (
	FaultHeldErased    = "held.erased"    // one kept category erased; others may follow
	FaultHeldCompacted = "held.compacted" // everything erased and the file compacted; the schedule not yet removed
)

// ActHeldErased is audited when kept protected data reach the end of
// their retention and are erased.
const ActHeldErased Action = "held_data_erased"

// Kept is what an erasure keeps of one protected category, why and until
// when; the names and reasons are the records' (English and French) at
// the erasure, so the report reads the same later.
type Kept struct {
	Category string            `json:"category"`
	Name     map[string]string `json:"name"`
	Why      map[string]string `json:"why"`
	// Rule is the category's: RetainCourse (until no enrolment runs),
	// RetainDays (until Until at most), or another one for records kept
	// anonymous for good.
	Rule  RetentionRule `json:"rule"`
	Until time.Time     `json:"until,omitzero"`
	// Later: the records stay as they are and are erased when the
	// retention ends; otherwise only an anonymous record is kept.
	Later    bool      `json:"later,omitempty"`
	ErasedAt time.Time `json:"erased_at,omitzero"`
}

// HeldErasure is an erasure's later step: the protected categories it
// kept, to erase when their retention ends.
type HeldErasure struct {
	RequestID  uint64    `json:"request_id"`
	UserID     uint64    `json:"user_id"` // the erased account's number, which the kept records carry
	ErasedAt   time.Time `json:"erased_at"`
	Categories []string  `json:"categories"` // still kept
	// Compact: every category erased; the file's compaction is next.
	Compact bool `json:"compact,omitempty"`
}

// keptTx is what erasing userID now keeps, category by category in the
// records' order, and the buckets whose records stay until later.
func keptTx(tx *bolt.Tx, userID uint64, now time.Time) (kept []Kept, later map[string]bool, err error) {
	r, err := processingTx(tx)
	if err != nil {
		return nil, nil, err
	}
	later = map[string]bool{}
	for _, c := range r.Categories {
		if !c.Protected {
			continue
		}
		k := Kept{Category: c.Key, Name: c.Name, Why: c.ProtectedWhy, Rule: c.Rule}
		buckets := categoryBuckets(c.Key)
		anonymous := slices.ContainsFunc(buckets, func(in BucketInfo) bool { return in.Anonymous })
		switch {
		case anonymous: // kept as anonymous records by the erasure itself
		case len(buckets) > 0 && c.Rule == RetainCourse:
			_, running, err := lastEnrolmentEnd(tx, userID)
			if err != nil {
				return nil, nil, err
			}
			k.Later = running
		case len(buckets) > 0 && c.Rule == RetainDays && c.Days > 0:
			has, err := holdsRecords(tx, buckets, userID)
			if err != nil {
				return nil, nil, err
			}
			k.Later, k.Until = has, now.AddDate(0, 0, c.Days)
		}
		if !anonymous && !k.Later {
			continue // nothing to keep: it ends with the account
		}
		for _, in := range buckets {
			later[in.Name] = k.Later
		}
		kept = append(kept, k)
	}
	return kept, later, nil
}

// categoryBuckets are the personal buckets whose records belong to
// category key (BucketInfo.Category).
func categoryBuckets(key string) (out []BucketInfo) {
	for _, in := range Inventory() {
		if in.Class == Personal && in.Category == key {
			out = append(out, in)
		}
	}
	return out
}

// holdsRecords reports whether any of buckets has a record of userID.
func holdsRecords(tx *bolt.Tx, buckets []BucketInfo, userID uint64) (bool, error) {
	errFound := errors.New("found")
	for _, in := range buckets {
		err := in.Records(tx, userID, func(any) error { return errFound })
		if errors.Is(err, errFound) {
			return true, nil
		} else if err != nil {
			return false, err
		}
	}
	return false, nil
}

// ErasureKeeps is what erasing userID now would keep (the confirmation
// pages and the last mail show it; EraseUser decides again in its
// transaction and refuses with ErrStale if that changed).
func (db *DB) ErasureKeeps(userID uint64) (kept []Kept, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		if _, err := userTx(tx, userID); err != nil {
			return err
		}
		kept, _, err = keptTx(tx, userID, db.now())
		return err
	})
	return kept, err
}

// sameKept reports whether two plans keep the same categories the same way.
func sameKept(a, b []Kept) bool {
	return slices.EqualFunc(a, b, func(x, y Kept) bool { return x.Category == y.Category && x.Later == y.Later })
}

// holdTx writes the schedule of the later erasure of what kept keeps
// until later (nothing when it keeps nothing until later).
func holdTx(tx *bolt.Tx, requestID, userID uint64, now time.Time, kept []Kept) error {
	h := HeldErasure{RequestID: requestID, UserID: userID, ErasedAt: now}
	for _, k := range kept {
		if k.Later {
			h.Categories = append(h.Categories, k.Category)
		}
	}
	if len(h.Categories) == 0 {
		return nil
	}
	return putJSON(tx.Bucket(bErasuresHeld), itob(requestID), &h)
}

// HeldErasures lists the erasures still keeping protected data, oldest
// request first.
func (db *DB) HeldErasures() (out []HeldErasure, err error) {
	err = db.view(func(tx *bolt.Tx) (err error) {
		out, err = allJSON[HeldErasure](tx.Bucket(bErasuresHeld))
		return err
	})
	return out, err
}

// heldDueTx reports whether kept category cat of h, whose request is r,
// has reached the end of its retention.
func heldDueTx(tx *bolt.Tx, h *HeldErasure, r *DataRequest, cat string, now time.Time) (bool, error) {
	for _, k := range r.Kept {
		if k.Category != cat {
			continue
		}
		if k.Rule == RetainCourse {
			_, running, err := lastEnrolmentEnd(tx, h.UserID)
			return !running, err
		}
		return !now.Before(k.Until), nil
	}
	return true, nil // the report lost it: nothing says to keep it
}

// EraseHeld runs the later step of request id's erasure: each kept
// category whose retention has ended is erased in its own transaction
// (its report line dated, one audit event); once none is kept, the file
// is compacted and the schedule removed. It reports whether the schedule
// is finished (false: something is still kept, or the compaction must be
// tried again). Each step is idempotent, so a crash anywhere resumes at
// the next call.
func (db *DB) EraseHeld(id uint64) (done bool, err error) {
	for {
		var h HeldErasure
		var erased bool
		err := db.update(func(tx *bolt.Tx) error {
			erased = false
			if err := getJSON(tx.Bucket(bErasuresHeld), itob(id), &h); err != nil {
				return err
			}
			if len(h.Categories) == 0 {
				return nil
			}
			r, err := requestTx(tx, h.RequestID)
			if err != nil {
				return err
			}
			now := db.now()
			for _, cat := range h.Categories {
				due, err := heldDueTx(tx, &h, r, cat, now)
				if err != nil {
					return err
				}
				if due {
					erased = true
					return db.eraseHeldTx(tx, &h, r, cat, now)
				}
			}
			return nil
		})
		if errors.Is(err, ErrNotFound) {
			return true, nil
		} else if err != nil {
			return false, err
		}
		if erased {
			db.fault(FaultHeldErased)
			continue
		}
		if !h.Compact {
			return false, nil
		}
		if err := db.Compact(); err != nil {
			return false, err
		}
		db.fault(FaultHeldCompacted)
		return true, db.update(func(tx *bolt.Tx) error {
			return tx.Bucket(bErasuresHeld).Delete(itob(id))
		})
	}
}

// eraseHeldTx erases kept category cat of h, whose request is r: its
// buckets' records of the erased account, r's report line dated, the
// schedule updated.
func (db *DB) eraseHeldTx(tx *bolt.Tx, h *HeldErasure, r *DataRequest, cat string, now time.Time) error {
	for _, in := range categoryBuckets(cat) {
		if _, err := in.Erase(tx, h.UserID); err != nil {
			return fmt.Errorf("store: erase kept %s: %w", in.Name, err)
		}
	}
	for i := range r.Kept {
		if r.Kept[i].Category == cat {
			r.Kept[i].ErasedAt = now
		}
	}
	if err := putRequest(tx, r, r.Status); err != nil {
		return err
	}
	h.Categories = slices.DeleteFunc(h.Categories, func(c string) bool { return c == cat })
	h.Compact = len(h.Categories) == 0
	if err := putJSON(tx.Bucket(bErasuresHeld), itob(h.RequestID), h); err != nil {
		return err
	}
	return db.auditTx(tx, &AuditEvent{Action: ActHeldErased, Detail: fmt.Sprintf("request %d: %s", h.RequestID, cat)})
}
