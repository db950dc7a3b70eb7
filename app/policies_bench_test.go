package app

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

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

// reportEnv is an App with 100k learners, each having answered the three
// seeded policies (a tenth of them one pending), and a signed-in DPO.
func reportEnv(b *testing.B) (*testEnv, *client) {
	e := newEnv(b)
	dpo := e.newcomer(b, "dpo@example.org", store.RoleDPO)
	e.agreeAll(b, dpo)
	ids := e.activeIDs()
	var answers []store.Answer
	flush := func() {
		events, err := e.db.RecordAnswers(answers)
		if err != nil {
			b.Fatal(err)
		}
		e.app.noteAnswers(events)
		answers = answers[:0]
	}
	n := 100_000
	if s := os.Getenv("REPORT_USERS"); s != "" { // smaller runs for profiles
		n, _ = strconv.Atoi(s)
	}
	for i := range n {
		u := &store.User{Email: fmt.Sprintf("learner%d@example.org", i), FirstName: "Learner", LastName: fmt.Sprint(i), Lang: "en", Role: store.RoleLearner}
		if err := e.db.CreateUser(u, 0); err != nil {
			b.Fatal(err)
		}
		for j, id := range ids {
			if i%10 == 0 && j == 0 {
				continue
			}
			answers = append(answers, store.Answer{UserID: u.ID, VersionID: id, Accept: true, Lang: "en", Where: store.WhereConsent})
		}
		if len(answers) > 3000 {
			flush()
		}
	}
	flush()
	c := e.client(b)
	c.login("dpo@example.org")
	return e, c
}

// BenchmarkAgreementsReport is the report over 100k users × 3 policies:
// one page of 50 (through HTTP, as a browser gets it), and the whole CSV
// written to nowhere (memory per op shows whether it stays flat).
func BenchmarkAgreementsReport(b *testing.B) {
	e, c := reportEnv(b)
	b.Run("page", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			c.get("/admin/agreements?page=100").want(b, 200)
		}
	})
	b.Run("page-pending", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			c.get("/admin/agreements?status=pending").want(b, 200)
		}
	})
	b.Run("csv", func(b *testing.B) {
		b.ReportAllocs()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base, peak := ms.HeapAlloc, ms.HeapAlloc
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() { // the live heap while the CSV is written
			defer close(sampled)
			for {
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapAlloc)
				}
			}
		}()
		defer func() {
			close(stop)
			<-sampled
			b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MB")
		}()
		for range b.N {
			cw := &csvWriter{w: csv.NewWriter(io.Discard)}
			rows := 0
			_, _, err := e.app.scanReport(reportQuery{Page: 1}, "en", false, func(int) bool { return true }, func(r *reportRow) error {
				cells := []string{r.User.Email, r.User.FirstName, r.Status}
				if ev := r.Event; ev != nil {
					cells = append(cells, ev.Time.String(), ev.TextHash, ev.Note)
				}
				rows++
				return cw.row(cells...)
			})
			if err != nil || rows < 3*e.app.pol.answers.count()-3 {
				b.Fatalf("got %d rows, err %v", rows, err)
			}
			cw.flush()
		}
	})
}

func (ix *consentIndex) count() (n int) {
	ix.each(func(uint64, []answer) { n++ })
	return n
}
