package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// scanUsers is the plain definition of a search: decode every account and
// keep those whose email or name contains the needle.
func scanUsers(t testing.TB, db *DB, needle string, role Role) []uint64 {
	t.Helper()
	var ids []uint64
	if err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bUsers).ForEach(func(_, v []byte) error {
			var u User
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			if (role == "" || u.Role == role) && strings.Contains(strings.ToLower(u.Email+" "+u.FirstName+" "+u.LastName), needle) {
				ids = append(ids, u.ID)
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

func searchIDs(t *testing.T, db *DB, q UserQuery) ([]uint64, int) {
	t.Helper()
	users, total, err := db.ListUsers(q)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	return ids, total
}

// Ensure that the search index answers as a scan of every account would,
// through creations before and after it is built, renames, email and role
// changes, a password reset, a rolled-back update and an erasure.
func TestUserSearchIndexMatchesScan(t *testing.T) {
	db := openTest(t)
	mk := func(email, first, last string, role Role) *User {
		u := &User{Email: email, FirstName: first, LastName: last, Role: role, Lang: "en"}
		if err := db.CreateUser(u, 0); err != nil {
			t.Fatal(err)
		}
		return u
	}
	for i := range 20 {
		mk(fmt.Sprintf("learner%02d@example.org", i), "Ada", fmt.Sprintf("Lovelace%d", i), RoleLearner)
	}
	admin := mk("boss@example.org", "Grace", "Hopper", RoleAdmin)
	check := func(step string) {
		t.Helper()
		for _, c := range []struct {
			needle string
			role   Role
		}{{"ada", ""}, {"lovelace1", ""}, {"example", RoleAdmin}, {"zed", ""}, {"hopper", ""}, {"renamed", RoleLearner}, {"new-", ""}} {
			want := scanUsers(t, db, c.needle, c.role)
			got, total := searchIDs(t, db, UserQuery{Search: strings.ToUpper(c.needle), Role: c.role})
			if !slices.Equal(got, want) || total != len(want) {
				t.Errorf("%s: search %q role %q: got %v (total %d), want %v", step, c.needle, c.role, got, total, want)
			}
		}
	}
	check("built on first search")
	late := mk("zed@example.org", "Zed", "Late", RoleLearner)
	check("created after the build")
	if _, err := db.UpdateUser(3, AuditEvent{}, func(u *User) error { u.FirstName = "Renamed"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateUser(late.ID, AuditEvent{}, func(u *User) error { u.Email = "new-zed@example.org"; u.Role = RoleDPO; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateUser(admin.ID, AuditEvent{}, func(u *User) error { u.LastName = "Rolledback"; return ErrLastAdmin }); err == nil {
		t.Fatal("the aborted update succeeded")
	}
	check("after updates")
	if _, out, err := db.UpsertLearner(Learner{Email: "learner07@example.org", FirstName: "Platformed", LastName: "Lovelace7", Lang: "en"}, "test"); err != nil || out != OutcomeUpdated {
		t.Fatalf("platform rename: got %q, %v", out, err)
	}
	if got, total := searchIDs(t, db, UserQuery{Search: "platformed"}); total != 1 || !slices.Equal(got, scanUsers(t, db, "platformed", "")) {
		t.Errorf("a rename by the platform is not searchable: got %v (total %d)", got, total)
	}
	if _, total := searchIDs(t, db, UserQuery{Search: "rolledback"}); total != 0 {
		t.Errorf("a rolled-back rename is searchable (%d)", total)
	}
	page, total := searchIDs(t, db, UserQuery{Search: "ada", Offset: 5, Limit: 4})
	if all := scanUsers(t, db, "ada", ""); !slices.Equal(page, all[5:9]) || total != len(all) {
		t.Errorf("page 2 of 4: got %v of %d, want %v of %d", page, total, all[5:9], len(all))
	}
	r, err := db.CreateRequest(NewRequest{UserID: 4, Type: RequestDelete, FiledBy: FiledBySelf, FiledByID: 4, DueDays: 30, AutoApprove: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ChangeRequest(Change{ID: r.ID, To: StatusProcessing}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EraseUser(Erasure{RequestID: r.ID}); err != nil {
		t.Fatal(err)
	}
	check("after an erasure")
}

// BenchmarkUserSearch is a search of the users page over 100,000 accounts:
// through the index, beside the decode of every account it replaced.
func BenchmarkUserSearch(b *testing.B) {
	db := openFile(b, Options{NoSync: true})
	const n = 100_000
	for start := 0; start < n; start += 5000 {
		if err := db.update(func(tx *bolt.Tx) error {
			for i := start; i < start+5000; i++ {
				u := &User{Email: fmt.Sprintf("learner%06d@example.org", i), FirstName: "Ada", LastName: fmt.Sprintf("Lovelace%d", i), Role: RoleLearner, Lang: "en"}
				if err := db.createUser(tx, u); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	q := UserQuery{Search: "lovelace4242", Limit: 50}
	b.Run("index", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, total, err := db.ListUsers(q); err != nil || total != 11 {
				b.Fatalf("got %d, %v", total, err)
			}
		}
	})
	b.Run("decode-every-account", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if ids := scanUsers(b, db, "lovelace4242", ""); len(ids) != 11 {
				b.Fatalf("got %d", len(ids))
			}
		}
	})
}
