package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wholeCopy writes a database with one account and returns an exact copy
// of it (BackupFile: no slack at the end, so every byte is in use).
func wholeCopy(t *testing.T) []byte {
	t.Helper()
	db := openFile(t, Options{NoSync: true})
	if err := db.CreateUser(&User{Email: "ann@example.org"}, 0); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if _, err := db.BackupFile(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Ensure that Open refuses an existing accord.db that is empty, truncated,
// not a database or not a file, with ErrDamaged and a reason, and leaves
// it as it was; only a missing file is a new database.
func TestOpenRefusesDamagedFile(t *testing.T) {
	whole := wholeCopy(t)
	garbage := bytes.Repeat([]byte("not a database "), 4000)
	for _, c := range []struct {
		name, reason string
		data         []byte // nil: accord.db is a directory
	}{
		{"empty", "is empty (0 bytes)", []byte{}},
		{"truncated at half", "is truncated", whole[:len(whole)/2]},
		{"cut after the first meta page", "is truncated", whole[:100]},
		{"cut inside the first meta page", "not an Accord database", whole[:40]},
		{"garbage", "not an Accord database", garbage},
		{"a directory", "is not a regular file", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "accord.db")
			if c.data == nil {
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(path, c.data, 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := Open(dir, Options{})
			if err == nil {
				db.Close()
				t.Fatal("got a database, want ErrDamaged")
			}
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), c.reason) {
				t.Errorf("got %v, want ErrDamaged saying %q", err, c.reason)
			}
			if c.data != nil {
				after, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(after, c.data) {
					t.Errorf("the file changed: got %d bytes, want the %d it had", len(after), len(c.data))
				}
			}
			// Removing the file starts a new database, in a dir left unlocked.
			if err := os.RemoveAll(path); err != nil {
				t.Fatal(err)
			}
			db, err = Open(dir, Options{NoSync: true, Timeout: 100 * time.Millisecond})
			if err != nil {
				t.Fatalf("after removing the file: got %v, want a new database", err)
			}
			db.Close()
		})
	}
}

// Ensure that the check refuses only what bbolt cannot open: a whole copy
// opens, a file with slack after its pages opens, and a file whose first
// meta page is torn opens on the second, as bbolt does.
func TestOpenAcceptsWholeFile(t *testing.T) {
	whole := wholeCopy(t)
	torn := bytes.Clone(whole)
	torn[20] ^= 0xff // inside the first meta page: its checksum no longer holds
	for name, data := range map[string][]byte{
		"exact copy":             whole,
		"slack at the end":       append(bytes.Clone(whole), make([]byte, 1<<16)...),
		"first meta page broken": torn,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "accord.db"), data, 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := Open(dir, Options{NoSync: true})
			if err != nil {
				t.Fatalf("got %v, want the database open", err)
			}
			defer db.Close()
			if _, err := db.UserByEmail("ann@example.org"); err != nil {
				t.Errorf("the account: got %v, want it found", err)
			}
			if err := db.Check(); err != nil {
				t.Error(err)
			}
		})
	}
}
