package store

import (
	"fmt"
	"io"
	"os"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the database to w from one read
// transaction and returns its size.
func (db *DB) Backup(w io.Writer) (n int64, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: backup: %w", err)
	}
	return n, nil
}

// BackupHead is Backup that also gives the chain's head in the copy (the
// same read transaction), to send with it.
func (db *DB) BackupHead(w io.Writer) (n int64, head ChainEntry, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		if head, err = chainHeadTx(tx); err != nil {
			return err
		}
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, head, fmt.Errorf("store: backup: %w", err)
	}
	return n, head, nil
}

// BackupFile writes a consistent copy of the database to path (0600).
func (db *DB) BackupFile(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	n, err := db.Backup(f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("store: backup: %w", cerr)
	}
	return n, err
}
