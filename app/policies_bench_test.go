package app

import (
	"fmt"
	"testing"

	"accord/store"
)

// gateEnv is an App with 10 active policies (the 3 seeded and 7 more, two
// of them optional) and answers in memory for 100k users, a third of them
// with something pending.
func gateEnv(b *testing.B) *testEnv {
	e := newEnv(b)
	for i := range 7 {
		v := &store.PolicyVersion{Revision: "1", Type: store.TypeOther, Audience: store.AudienceAll, Style: store.StyleConsentPage, Optional: i < 2,
			Texts: map[string]store.PolicyText{"en": {Name: fmt.Sprint("P", i), Summary: "S", Content: "C"}, "fr": {Name: "P", Summary: "S", Content: "C"}}}
		if err := e.db.CreatePolicy(v, 0); err != nil {
			b.Fatal(err)
		}
		if err := e.db.ActivateVersion(v.ID, 0); err != nil {
			b.Fatal(err)
		}
	}
	if err := e.app.reloadPolicies(); err != nil {
		b.Fatal(err)
	}
	ids := e.activeIDs()
	if len(ids) != 10 {
		b.Fatalf("got %d active versions, want 10", len(ids))
	}
	for u := uint64(1); u <= 100_000; u++ {
		for i, id := range ids {
			if u%3 == 0 && i == len(ids)-1 {
				continue // pending: the last one is compulsory and unanswered
			}
			e.app.pol.answers.set(u, id, ansAccepted)
		}
	}
	return e
}

// BenchmarkGate is the consent gate's check for a signed-in user.
func BenchmarkGate(b *testing.B) {
	e := gateEnv(b)
	b.ReportAllocs()
	b.ResetTimer()
	pending := 0
	for i := range b.N {
		if e.app.hasPending(uint64(i%100_000) + 1) {
			pending++
		}
	}
	if b.N >= 3 && pending == 0 {
		b.Fatal("no user pending")
	}
}

// BenchmarkGateParallel is the same check from every CPU at once.
func BenchmarkGateParallel(b *testing.B) {
	e := gateEnv(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		u := uint64(1)
		for pb.Next() {
			e.app.hasPending(u)
			u = u%100_000 + 1
		}
	})
}
