package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ExportUser walks the data inventory in ONE read transaction, so the
// export is one consistent snapshot: for every Personal bucket, in name
// order, it calls start, then emit with each record about userID. The user
// must exist (ErrNotFound otherwise). Callers must not do slow I/O in the
// callbacks: the transaction stays open meanwhile (STYLE.md, bbolt traps).
func (db *DB) ExportUser(userID uint64, start func(BucketInfo) error, emit func(v any) error) error {
	return db.view(func(tx *bolt.Tx) error {
		if _, err := userTx(tx, userID); err != nil {
			return err
		}
		for _, in := range Inventory() {
			if in.Class != Personal {
				continue
			}
			if err := start(in); err != nil {
				return err
			}
			if err := in.Records(tx, userID, emit); err != nil {
				return fmt.Errorf("store: export %s: %w", in.Name, err)
			}
		}
		return nil
	})
}

// Erased is the outcome of an erasure.
type Erased struct {
	Request *DataRequest // the anonymous record, complete, with its report
	Email   string       // captured before the account went, for a last message
	Lang    string
}

// Erasure is an approved deletion to carry out, with what it tells.
type Erasure struct {
	RequestID uint64
	// Email is the person's address the notices were rendered for (the last
	// mail goes there); the account holding another one → ErrStale.
	Email string
	// Notices are written after the erasure in the same transaction, so
	// they outlive it: the guardian who filed, the last mail (GDPR art. 19).
	Notices []Notice
}

// EraseUser carries out the approved (processing) delete request in ONE
// write transaction: ongoing requests of the user are cancelled, every
// Personal bucket erases (or makes anonymous) what it holds about the user,
// the request becomes an anonymous, complete record with the erasure
// report, and the notices are written. The last active administrator
// cannot be erased (ErrLastAdmin). Erased bytes stay in the file until
// Compact.
func (db *DB) EraseUser(e Erasure) (*Erased, error) {
	var out *Erased
	err := db.update(func(tx *bolt.Tx) error {
		r, err := requestTx(tx, e.RequestID)
		if err != nil {
			return err
		}
		if r.Type != RequestDelete || r.Status != StatusProcessing {
			return fmt.Errorf("%w (erase request %d in %s)", ErrBadTransition, r.ID, r.Status)
		}
		u, err := userTx(tx, r.UserID)
		if err != nil {
			return err
		}
		if e.Email != "" && NormEmail(u.Email) != NormEmail(e.Email) {
			return fmt.Errorf("%w (the address changed)", ErrStale)
		}
		if err := lastAdminCheck(tx, u); err != nil {
			return err
		}
		var others []*DataRequest
		if err := eachUserRequest(tx, u.ID, func(o *DataRequest) error {
			if o.ID != r.ID && o.Status.Cancellable() {
				others = append(others, o)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, o := range others {
			if err := db.transitionTx(tx, o, StatusCancelled, 0, ""); err != nil {
				return err
			}
		}
		var report []ErasureLine
		for _, in := range Inventory() {
			if in.Class != Personal {
				continue
			}
			kept, err := in.Erase(tx, u.ID)
			if err != nil {
				return fmt.Errorf("store: erase %s: %w", in.Name, err)
			}
			report = append(report, ErasureLine{Bucket: in.Name, Holds: in.Holds, Kept: kept})
		}
		db.forgetUser(tx, u.ID)
		if r, err = requestTx(tx, e.RequestID); err != nil {
			return err
		}
		r.Erasure = report
		if err := db.transitionTx(tx, r, StatusComplete, 0, ""); err != nil {
			return err
		}
		out = &Erased{Request: r, Email: u.Email, Lang: u.Lang}
		if err := db.auditTx(tx, &AuditEvent{Action: ActUserErased, Detail: fmt.Sprintf("request %d", r.ID)}); err != nil {
			return err
		}
		return db.addNoticesTx(tx, e.Notices)
	})
	return out, err
}

// Compact rewrites the database into a fresh file and swaps it in, so that
// freed pages (erased personal data) leave the disk: bbolt reuses freed
// pages but never clears them. It holds the store's lock alone meanwhile,
// so every transaction waits for it.
func (db *DB) Compact() error { return db.compactWithin(compactWait) }

func (db *DB) compactWithin(wait time.Duration) error {
	if !db.lockAlone(wait) {
		return ErrBusy
	}
	defer db.mu.Unlock()
	path := db.bolt.Path()
	tmp := path + ".compact"
	_ = os.Remove(tmp)
	opts := *db.opts
	dst, err := bolt.Open(tmp, 0o600, &opts)
	if err != nil {
		return fmt.Errorf("store: compact: open copy: %w", err)
	}
	if err := bolt.Compact(dst, db.bolt, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("store: compact: copy: %w", err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("store: compact: sync copy: %w", err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: compact: close copy: %w", err)
	}
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("store: compact: close: %w", err)
	}
	renameErr := os.Rename(tmp, path)
	if renameErr == nil {
		renameErr = syncDir(filepath.Dir(path))
	}
	// Reopen whatever is at path (the old file if the rename failed).
	b, err := bolt.Open(path, 0o600, db.opts)
	if err != nil {
		return fmt.Errorf("store: compact: reopen: %w", err)
	}
	db.bolt = b
	if renameErr != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: compact: swap: %w", renameErr)
	}
	return nil
}

// ErrBusy is returned by Compact when reads never paused long enough.
var ErrBusy = errors.New("store: compaction skipped, the database stayed busy")

// compactWait bounds how long Compact waits for a moment without readers.
const compactWait = 30 * time.Second

// lockAlone takes db.mu for writing only at a moment when no transaction
// holds it, trying until wait has passed. A plain Lock would queue every
// new reader behind it: one long read (a slow CSV download) would then
// stall the whole site.
func (db *DB) lockAlone(wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for waited := false; !db.mu.TryLock(); waited = true {
		if !waited && db.compactWaiting != nil {
			db.compactWaiting()
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// CheckErasable reports why userID cannot be erased now (ErrLastAdmin,
// ErrNotFound), or nil.
func (db *DB) CheckErasable(userID uint64) error {
	return db.view(func(tx *bolt.Tx) error {
		u, err := userTx(tx, userID)
		if err != nil {
			return err
		}
		return lastAdminCheck(tx, u)
	})
}
