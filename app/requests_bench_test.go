package app

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"runtime"
	"testing"

	"accord/store"
)

// BenchmarkExport builds the export ZIP of a heavy user (issue 5): 10,000
// course progress rows and 1,000 audit events about them.
func BenchmarkExport(b *testing.B) {
	e := newEnv(b)
	u := &store.User{Email: "heavy@example.org", FirstName: "Heavy", LastName: "User", Lang: "en", Role: store.RoleLearner}
	if err := e.db.CreateUser(u, 0); err != nil {
		b.Fatal(err)
	}
	course := &store.Course{Code: "BENCH-1", TitleEN: "Bench", TitleFR: "Banc"}
	if err := e.db.CreateCourse(course, 0); err != nil {
		b.Fatal(err)
	}
	if err := e.db.Enrol(u.ID, course.ID, 0); err != nil {
		b.Fatal(err)
	}
	if err := e.db.AddProgressRows(u.ID, course.ID, 10000); err != nil {
		b.Fatal(err)
	}
	for i := 1; i < 1000; i++ { // with "user_created", 1,000 events
		if err := e.db.Audit(store.AuditEvent{Action: store.ActUserUpdated, ActorID: u.ID, SubjectID: u.ID, Detail: fmt.Sprintf("change %d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	tr := e.app.tr["en"]
	var size, index int
	var peak uint64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		var zip bytes.Buffer
		if err := e.app.writeExport(&zip, u.ID, nil, tr); err != nil {
			b.Fatal(err)
		}
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		size = zip.Len()
		if i == 0 {
			index = indexSize(b, zip.Bytes())
		}
		if d := after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc); d > peak {
			peak = d
		}
	}
	b.ReportMetric(float64(size)/(1<<20), "MB-zip")
	b.ReportMetric(float64(index)/(1<<10), "kB-index.html")
	b.ReportMetric(float64(peak)/(1<<20), "MB-heap-growth")
}

// BenchmarkAdminRequestList renders the officer's queue (a page of 50)
// over 10,000 requests, through the whole HTTP stack.
func BenchmarkAdminRequestList(b *testing.B) {
	e := newEnv(b)
	e.user(b, "dpo@example.org", store.RoleDPO)
	for i := 0; i < 10000; i++ {
		u := &store.User{Email: fmt.Sprintf("u%d@example.org", i), FirstName: "User", LastName: fmt.Sprint(i), Lang: "en", Role: store.RoleLearner}
		if err := e.db.CreateUser(u, 0); err != nil {
			b.Fatal(err)
		}
		if _, err := e.db.CreateRequest(store.NewRequest{UserID: u.ID, Type: store.RequestTypes[i%3], DueDays: i % 60}); err != nil {
			b.Fatal(err)
		}
	}
	e.advance(31 * 24 * 60 * 60 * 1e9)
	c := e.client(b)
	c.login("dpo@example.org")
	for _, path := range []string{"/admin/requests", "/admin/requests?overdue=1", "/admin/requests?status=awaiting_approval&type=export&page=20"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if res := c.get(path); res.Status != http.StatusOK {
					b.Fatalf("got %d", res.Status)
				}
			}
		})
	}
}

// indexSize is the size of index.html in the export ZIP data.
func indexSize(b *testing.B, data []byte) int {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == "index.html" {
			return int(f.UncompressedSize64)
		}
	}
	b.Fatal("no index.html in the export")
	return 0
}
