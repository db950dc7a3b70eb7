//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// lockDir takes an exclusive lock on <dir>/accord.lock for the life of the
// process, waiting up to timeout. bbolt locks the database file too, but
// compaction closes and swaps that file: this lock keeps a second process
// out during the swap.
func lockDir(path string, timeout time.Duration) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, ErrInUse
			}
			return nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
