package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Compaction rewrites the database into a fresh file and swaps it in, so
// that freed pages (erased personal data) leave the disk: bbolt reuses
// freed pages but never clears them. The copy is written beside the file
// (accord.db.compact); a copy left by a crash is removed at the next Open
// (removeLeftover), and the erasure that wanted it runs it again (its job
// is in the compaction step, jobs.go).

// compactSuffix names the copy being written beside the database.
const compactSuffix = ".compact"

// The named points of an erasure where a fault test kills the process
// (DB.FaultHook), in the order they are reached.
const (
	FaultErased        = "erase.committed" // the erasure committed; the compaction not begun
	FaultCompactCopy   = "compact.copying" // the copy is half written
	FaultCompactCopied = "compact.copied"  // the copy is whole, not yet synced
	FaultCompactSynced = "compact.synced"  // the copy synced; the old file still in place
	FaultCompactMoved  = "compact.renamed" // the copy renamed over the file; its directory not yet synced
	FaultSwapped       = "compact.swapped" // the new file open; the request not yet complete
)

// FaultPoints lists the named fault points in order.
var FaultPoints = []string{FaultErased, FaultCompactCopy, FaultCompactCopied, FaultCompactSynced, FaultCompactMoved, FaultSwapped}

// fault calls the test hook at a named point.
func (db *DB) fault(point string) {
	if db.FaultHook != nil {
		db.FaultHook(point)
	}
}

// Compact rewrites the file and swaps the copy in (see above). It holds
// the store's lock alone meanwhile, so every transaction waits for it.
func (db *DB) Compact() error { return db.compactWithin(compactWait) }

func (db *DB) compactWithin(wait time.Duration) error {
	if !db.lockAlone(wait) {
		return ErrBusy
	}
	defer db.mu.Unlock()
	path := db.bolt.Path()
	tmp := path + compactSuffix
	_ = os.Remove(tmp)
	opts := *db.opts
	dst, err := bolt.Open(tmp, 0o600, &opts)
	if err != nil {
		return fmt.Errorf("store: compact: open copy: %w", err)
	}
	// The copy's commits skip fsync: it counts only once synced whole below.
	dst.NoSync = true
	if err := db.copyInto(dst, compactTxSize); err != nil {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("store: compact: copy: %w", err)
	}
	db.fault(FaultCompactCopied)
	if err := dst.Sync(); err != nil {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("store: compact: sync copy: %w", err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: compact: close copy: %w", err)
	}
	db.fault(FaultCompactSynced)
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("store: compact: close: %w", err)
	}
	renameErr := os.Rename(tmp, path)
	if renameErr == nil {
		db.fault(FaultCompactMoved)
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

// compactTxSize bounds the bytes one transaction of the copy holds.
const compactTxSize = 64 << 20

// copyInto copies every bucket of the database, with its sequence, into
// dst from one read transaction, committing dst after each top-level
// bucket and whenever maxSize bytes are pending. Pages are filled whole.
func (db *DB) copyInto(dst *bolt.DB, maxSize int) error {
	return db.bolt.View(func(src *bolt.Tx) error {
		c := &copier{dst: dst, max: maxSize}
		defer func() {
			if c.tx != nil {
				c.tx.Rollback()
			}
		}()
		if err := c.begin(); err != nil {
			return err
		}
		var names [][]byte
		if err := src.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, name)
			return nil
		}); err != nil {
			return err
		}
		for i, name := range names {
			b := src.Bucket(name)
			nb, err := c.tx.CreateBucket(name)
			if err != nil {
				return err
			}
			if err := nb.SetSequence(b.Sequence()); err != nil {
				return err
			}
			if err := c.copy(b, [][]byte{name}); err != nil {
				return err
			}
			if err := c.commit(); err != nil {
				return err
			}
			if i == len(names)/2 {
				db.fault(FaultCompactCopy)
			}
		}
		return nil
	})
}

// copier writes a copy in transactions of bounded size; a bucket is found
// again by its path after each commit.
type copier struct {
	dst  *bolt.DB
	tx   *bolt.Tx
	size int
	max  int
}

func (c *copier) begin() (err error) {
	c.tx, err = c.dst.Begin(true)
	c.size = 0
	return err
}

func (c *copier) commit() error {
	err := c.tx.Commit()
	c.tx = nil
	if err != nil {
		return err
	}
	return c.begin()
}

func (c *copier) bucket(path [][]byte) *bolt.Bucket {
	b := c.tx.Bucket(path[0])
	for _, k := range path[1:] {
		b = b.Bucket(k)
	}
	b.FillPercent = 1.0
	return b
}

// copy copies the content of src into the bucket at path, nested buckets
// included.
func (c *copier) copy(src *bolt.Bucket, path [][]byte) error {
	to := c.bucket(path)
	return src.ForEach(func(k, v []byte) error {
		if c.size += len(k) + len(v); c.size > c.max {
			if err := c.commit(); err != nil {
				return err
			}
			to = c.bucket(path)
		}
		if v != nil {
			return to.Put(k, v)
		}
		sub := src.Bucket(k)
		nb, err := to.CreateBucket(k)
		if err != nil {
			return err
		}
		if err := nb.SetSequence(sub.Sequence()); err != nil {
			return err
		}
		if err := c.copy(sub, append(path[:len(path):len(path)], k)); err != nil {
			return err
		}
		to = c.bucket(path) // the nested copy may have committed
		return nil
	})
}

// removeLeftover removes a compaction copy a crash left beside the file at
// path (the copy never counts: the swap is a rename of a synced copy).
func removeLeftover(path string) error {
	err := os.Remove(path + compactSuffix)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: remove the leftover compaction copy: %w", err)
	}
	return syncDir(filepath.Dir(path))
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
