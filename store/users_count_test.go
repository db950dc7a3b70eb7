package store

import (
	"fmt"
	"testing"
)

// Ensure that the user count kept in memory follows the accounts: counted
// at Open, raised by a creation, lowered by an erasure, untouched by a
// refused creation.
func TestCountUsersFollowsWrites(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	count := func(want int) {
		t.Helper()
		if n, err := db.CountUsers(); err != nil || n != want {
			t.Fatalf("got %d, %v; want %d", n, err, want)
		}
	}
	var ids []uint64
	for i := range 3 {
		u := &User{Email: fmt.Sprintf("u%d@example.org", i), Role: RoleLearner, Lang: "en"}
		if err := db.CreateUser(u, 0); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	if err := db.CreateUser(&User{Email: "u0@example.org", Role: RoleLearner}, 0); err == nil {
		t.Fatal("a taken address was accepted")
	}
	count(3)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(dir, Options{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count(3)
	r, err := db.CreateRequest(NewRequest{UserID: ids[1], Type: RequestDelete, FiledBy: FiledBySelf, FiledByID: ids[1], DueDays: 30, AutoApprove: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ChangeRequest(Change{ID: r.ID, To: StatusProcessing}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EraseUser(Erasure{RequestID: r.ID}); err != nil {
		t.Fatal(err)
	}
	count(2)
}
