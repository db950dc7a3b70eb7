package app

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"accord/store"
)

// BenchmarkImportProgress100k uploads 100,000 progress rows (1,000
// learners × 100 activities, the rows of BenchmarkAPIProgress100k) as one
// CSV through the whole Fiber stack in process, and waits for the job to
// apply them all (issue 11: < 10 s). Each round changes the percentages,
// so every row is written.
func BenchmarkImportProgress100k(b *testing.B) {
	e, _ := benchAPI(b, 1000)
	e.user(b, "admin@example.org", store.RoleAdmin)
	c := e.client(b)
	c.login("admin@example.org")
	round := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		round++
		var sb strings.Builder
		sb.WriteString("email,course,activity_id,status,percent,score\n")
		for a := range 100 {
			for l := range 1000 {
				fmt.Fprintf(&sb, "l%d@example.org,BENCH,act-%03d,completed,%d,%d\n", l, a, 100-round%2, l%20)
			}
		}
		c.get("/admin/courses/import")
		b.StartTimer()
		res := c.upload("/admin/courses/import", map[string]string{"kind": "progress"}, "progress.csv", []byte(sb.String()))
		if res.Status != http.StatusSeeOther {
			b.Fatalf("got %d, want 303\n%s", res.Status, res.Body)
		}
		e.app.jobs.Wait()
		b.StopTimer()
		list, err := e.db.RecentImports(1)
		if err != nil || len(list) != 1 || list[0].State != store.ImportDone || list[0].Created+list[0].Updated != 100_000 {
			b.Fatalf("got imports %+v, %v; want the last done with 100,000 rows written", list, err)
		}
		b.StartTimer()
	}
}
