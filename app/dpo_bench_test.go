package app

import (
	"fmt"
	"net/http"
	"testing"

	"accord/store"
)

// BenchmarkDPOInbox measures the officer's inbox page over 10,000 threads
// from 100 users (the first page, then a status filter).
func BenchmarkDPOInbox(b *testing.B) {
	e := newEnv(b)
	e.user(b, "dpo@example.org", store.RoleDPO)
	var users []*store.User
	for i := 0; i < 100; i++ {
		users = append(users, e.user(b, fmt.Sprintf("u%d@example.org", i), store.RoleLearner))
	}
	for i := 0; i < 10000; i++ {
		t, err := e.db.CreateDPOThread(users[i%100].ID, fmt.Sprintf("Subject %d", i), "A question about my personal data, a few lines long.")
		if err != nil {
			b.Fatal(err)
		}
		if i%3 == 0 {
			if _, err := e.db.ReplyDPO(t.ID, 1, true, "An answer."); err != nil {
				b.Fatal(err)
			}
		}
	}
	c := e.client(b)
	c.login("dpo@example.org")
	for _, q := range []string{"", "?status=answered&page=20"} {
		b.Run("q="+q, func(b *testing.B) {
			for b.Loop() {
				c.get("/admin/dpo"+q).want(b, http.StatusOK)
			}
		})
	}
}
