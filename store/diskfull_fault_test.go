package store

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"accord/internal/smalldisk"
)

// Ensure that on a full disk a write fails with ErrCannotSave (and the
// ENOSPC under it) and keeps nothing, that reads go on working, that
// every write acknowledged before is on file, and that writes work again
// once space is freed. The disk is a real 16 MiB tmpfs filled to the last
// byte (root only; skipped elsewhere).
func TestFullDisk(t *testing.T) {
	dir := smalldisk.Mount(t, 16<<20)
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	note := strings.Repeat("x", 3000) // each account takes most of a page
	add := func(i int) error {
		return db.CreateUser(&User{Email: fmt.Sprintf("u%d@example.org", i), FirstName: note}, 0)
	}
	for i := range 20 {
		if err := add(i); err != nil {
			t.Fatal(err)
		}
	}
	free := smalldisk.Fill(t, dir)

	// bbolt first reuses the pages it has freed; a write fails once the
	// file must grow.
	var refused error
	saved := 20
	for ; saved < 2000 && refused == nil; saved++ {
		refused = add(saved)
	}
	saved--
	if refused == nil {
		t.Fatal("2000 accounts were saved on a full disk; want a refusal")
	}
	if !errors.Is(refused, ErrCannotSave) || !errors.Is(refused, syscall.ENOSPC) {
		t.Fatalf("got %v, want ErrCannotSave over ENOSPC", refused)
	}
	t.Logf("%d accounts saved, then the disk was full", saved)
	// The same write fails the same way, and a refusal of the rules is
	// still itself, not a save failure.
	if err := add(saved); !errors.Is(err, ErrCannotSave) {
		t.Errorf("the same write again: got %v, want ErrCannotSave", err)
	}
	if err := db.CreateUser(&User{Email: "u0@example.org"}, 0); !errors.Is(err, ErrEmailTaken) || errors.Is(err, ErrCannotSave) {
		t.Errorf("a duplicate email: got %v, want ErrEmailTaken only", err)
	}
	if _, err := db.UserByEmail(fmt.Sprintf("u%d@example.org", saved)); !errors.Is(err, ErrNotFound) {
		t.Errorf("the refused account: got %v, want ErrNotFound", err)
	}
	for i := range saved {
		if _, err := db.UserByEmail(fmt.Sprintf("u%d@example.org", i)); err != nil {
			t.Fatalf("account %d, acknowledged before the disk filled: %v", i, err)
		}
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}

	free()
	if err := add(saved); err != nil {
		t.Fatalf("after freeing space: got %v, want the account saved", err)
	}
	db.Close()
	if db, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByEmail(fmt.Sprintf("u%d@example.org", saved)); err != nil {
		t.Errorf("after a reopen: %v", err)
	}
}
