//go:build !unix

package store

import (
	"os"
	"time"
)

// lockDir is a no-op where flock does not exist: bbolt's own file lock is
// the only guard there (with a gap while compaction swaps the file).
func lockDir(path string, timeout time.Duration) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
}
