package consent

import (
	"fmt"
	"testing"

	"accord/store"
)

// gateService is the service with 10 active policies (the 3 seeded and 7
// more, two of them optional) and answers in memory for 100k users, a
// third of them with something pending.
func gateService(b *testing.B) *Service {
	s, db := openService(b)
	for i := range 7 {
		addPolicy(b, s, db, fmt.Sprint("P", i), i < 2, store.StyleConsentPage)
	}
	vs := s.Snapshot().ForUsers()
	if len(vs) != 10 {
		b.Fatalf("got %d active versions, want 10", len(vs))
	}
	for u := uint64(1); u <= 100_000; u++ {
		for i, v := range vs {
			if u%3 == 0 && i == len(vs)-1 {
				continue // pending: the last one is compulsory and unanswered
			}
			s.answers.set(u, v.ID, accepted)
		}
	}
	return s
}

// BenchmarkGate is the consent gate's check for a signed-in user.
func BenchmarkGate(b *testing.B) {
	s := gateService(b)
	b.ReportAllocs()
	b.ResetTimer()
	pending := 0
	for i := range b.N {
		if s.Pending(uint64(i%100_000) + 1) {
			pending++
		}
	}
	if b.N >= 3 && pending == 0 {
		b.Fatal("no user pending")
	}
}

// BenchmarkGateParallel is the same check from every CPU at once.
func BenchmarkGateParallel(b *testing.B) {
	s := gateService(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		u := uint64(1)
		for pb.Next() {
			s.Pending(u)
			u = u%100_000 + 1
		}
	})
}
