package app

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"accord/store"
)

// reportEnv is an App with 100k learners, each having answered the three
// seeded policies (a tenth of them one pending), and a signed-in DPO.
func reportEnv(b *testing.B) (e *testEnv, c *client, users int) {
	e = newEnv(b)
	dpo := e.newcomer(b, "dpo@example.org", store.RoleDPO)
	e.agreeAll(b, dpo)
	ids := e.activeIDs()
	var answers []store.Answer
	flush := func() {
		if _, err := e.app.consent.Record(answers); err != nil {
			b.Fatal(err)
		}
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
	c = e.client(b)
	c.login("dpo@example.org")
	return e, c, n
}

// BenchmarkAgreementsReport is the report over 100k users × 3 policies:
// one page of 50 (through HTTP, as a browser gets it), and the whole CSV
// written to nowhere (memory per op shows whether it stays flat).
func BenchmarkAgreementsReport(b *testing.B) {
	e, c, users := reportEnv(b)
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
		defer peakHeap(b)()
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
			if err != nil || rows < 3*users {
				b.Fatalf("got %d rows, err %v", rows, err)
			}
			cw.flush()
		}
	})
	// The CSV as a browser downloads it: GET /admin/agreements.csv over a
	// socket, through the whole stack (spooled, then sent), read to the end.
	b.Run("csv-http", func(b *testing.B) {
		url := benchServe(b, e) + "/admin/agreements.csv"
		b.ReportAllocs()
		defer peakHeap(b)()
		for range b.N {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Cookie", sessionCookie+"="+c.cookies[sessionCookie])
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			lines, err := countLines(res.Body)
			res.Body.Close()
			if err != nil || res.StatusCode != http.StatusOK || lines < 3*users {
				b.Fatalf("got %d, %d lines, err %v", res.StatusCode, lines, err)
			}
		}
	})
}

// peakHeap samples the live heap until the returned func is called, which
// reports its peak above the heap at the start (flat memory stays low).
func peakHeap(b *testing.B) func() {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
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
	return func() {
		close(stop)
		<-sampled
		b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MB")
	}
}

func countLines(r io.Reader) (int, error) {
	buf := make([]byte, 64<<10)
	n := 0
	for {
		k, err := r.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
