package app

import (
	"fmt"
	"testing"
	"time"

	"accord/store"
)

// BenchmarkRetentionPage renders /admin/courses/retention for a privacy
// officer with 20,000 flagged accounts (issue 11.4's goal: < 50 ms),
// through the whole HTTP stack, after the day's review: the purge's dry
// run, the protected categories, and a page of 50 flagged accounts,
// unfiltered and searched.
func BenchmarkRetentionPage(b *testing.B) {
	e := newEnv(b)
	e.user(b, "dpo@example.org", store.RoleDPO)
	for i := range 20_000 {
		u := &store.User{Email: fmt.Sprintf("u%05d@example.org", i), FirstName: "User", LastName: fmt.Sprint(i), Lang: "en", Role: store.RoleLearner}
		if err := e.db.CreateUser(u, 0); err != nil {
			b.Fatal(err)
		}
	}
	e.advance(400 * 24 * time.Hour)
	// The page as it is after a day's review: the flags, and the purge
	// done (its dry run then counts only what aged since).
	e.app.sweepRetention()
	if n, err := e.db.CountRetentionFlags(); err != nil || n != 20_000 {
		b.Fatalf("flagged %d, %v; want 20,000", n, err)
	}
	c := e.client(b)
	c.login("dpo@example.org")
	for _, path := range []string{"/admin/courses/retention", "/admin/courses/retention?q=u1234&reason=never_enrolled&page=1"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			cpuPerOp(b, func() { c.get(path).want(b, 200) })
		})
	}
}
