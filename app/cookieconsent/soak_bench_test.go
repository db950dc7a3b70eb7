package cookieconsent

import (
	"runtime"
	"testing"
	"time"

	"accord/store"
)

// BenchmarkNewVisitorsSoak records b.N choices of new visitors (each a new
// browser) and reports the heap in use afterwards and the browsers held:
// with the cache bounded, the heap stays flat as b.N grows past
// DefaultMaxBrowsers (compare -benchtime=50000x and 200000x).
func BenchmarkNewVisitorsSoak(b *testing.B) {
	db, err := store.Open(b.TempDir(), store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := t0
	db.Now = func() time.Time { return now }
	svc, err := New(db, Options{LifetimeMonths: func() int { return 6 }})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Second)
		if _, err := svc.Record(Choice{Method: store.MethodAcceptAll, Decisions: acceptAll, Lang: "en"}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	_, n := svc.Cached()
	b.ReportMetric(float64(m.HeapInuse)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(n), "browsers")
}
