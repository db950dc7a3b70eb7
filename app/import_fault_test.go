package app

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"accord/store"
)

// importFaultLearners × importFaultActivities progress rows, in batches of
// importBatch, after importFaultBad rows the store refuses.
const (
	importFaultLearners   = 50
	importFaultActivities = 300
	importFaultBad        = 7
)

// Ensure that an import killed (SIGKILL) in its second batch — inside the
// batch's transaction, or just after it committed — finishes at the next
// start with every row applied exactly once: a child process runs the real
// app's jobs over the data dir and stops at the point; the parent kills it,
// checks the kill left rows to apply, starts the app again over the same
// dir and runs the jobs (one point with -short; each takes about 10 s). Then the import is done, every good row was
// created once (none counted twice, none "unchanged" from a second pass),
// every bad row is reported once, and each learner holds exactly their
// activities.
func TestImportFinishesAfterSIGKILL(t *testing.T) {
	if dir := os.Getenv("ACCORD_IMPORT_CHILD"); dir != "" {
		importChild(t, dir, os.Getenv("ACCORD_IMPORT_FAULT"))
		return
	}
	good := importFaultLearners * importFaultActivities
	cases := []struct {
		point  string
		killed int // rows done when the kill came
	}{
		{store.FaultImportBatch, importBatch},         // the second batch rolled back
		{store.FaultImportCommitted, 2 * importBatch}, // the second batch kept
	}
	if testing.Short() {
		cases = cases[:1]
	}
	for _, tc := range cases {
		dir := t.TempDir()
		id := importFaultSetup(t, dir)

		killChildAt(t, "TestImportFinishesAfterSIGKILL", tc.point, eraseKillCap, "ACCORD_IMPORT_CHILD="+dir, "ACCORD_IMPORT_FAULT="+tc.point)

		db, a := eraseFaultApp(t, dir)
		im, err := db.FindImport(id)
		if err != nil || im.State != store.ImportRunning || im.Done() != tc.killed {
			t.Errorf("%s: after the kill the import is %+v, %v; want running with %d rows done", tc.point, im, err, tc.killed)
		}
		a.runJobs()
		im, err = db.FindImport(id)
		if err != nil {
			t.Fatal(err)
		}
		got := [...]int{im.Total, im.Done(), im.Created, im.Updated, im.Unchanged, im.Failed}
		if want := [...]int{good + importFaultBad, good + importFaultBad, good, 0, 0, importFaultBad}; got != want || im.State != store.ImportDone {
			t.Errorf("%s: after the restart got total, done, created, updated, unchanged, failed %v (%s); want %v, done", tc.point, got, im.State, want)
		}
		var lines []int
		if err := db.EachImportError(id, 0, func(e *store.ImportError) error {
			lines = append(lines, e.Line)
			return nil
		}); err != nil || len(lines) != importFaultBad {
			t.Errorf("%s: got %d refused lines, %v; want %d", tc.point, len(lines), err, importFaultBad)
		}
		for i := range importFaultLearners {
			u, err := db.UserByEmail(fmt.Sprintf("l%d@example.org", i))
			if err != nil {
				t.Fatal(err)
			}
			if n, err := db.CountProgress(u.ID); err != nil || n != importFaultActivities {
				t.Fatalf("%s: learner %d holds %d progress records (%v), want %d", tc.point, i, n, err, importFaultActivities)
			}
		}
		jobs, err := db.Jobs()
		if err != nil || len(jobs) != 1 || jobs[0].State != store.JobDone {
			t.Errorf("%s: after the restart the jobs are %+v, %v; want one, done", tc.point, jobs, err)
		}
		if err := db.Check(); err != nil {
			t.Errorf("%s: %v", tc.point, err)
		}
		closeFaultApp(t, db, a)
	}
}

// importFaultSetup writes the learners enrolled in course F1 and stores a
// progress file of them, with its job, as the upload does; it returns the
// import's id. The bad rows come first, so every batch is full of good
// ones (the store refuses them: no such account). The database is closed
// again.
func importFaultSetup(t *testing.T, dir string) uint64 {
	t.Helper()
	db, a := eraseFaultApp(t, dir)
	defer closeFaultApp(t, db, a)
	if err := db.CreateCourse(&store.Course{Code: "F1", TitleEN: "F1", TitleFR: "F1"}, 0); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("email,course,activity_id,status,percent\n")
	for i := range importFaultBad {
		fmt.Fprintf(&b, "ghost%d@example.org,F1,a,completed,100\n", i)
	}
	var enrol []store.EnrolmentItem
	for i := range importFaultLearners {
		email := fmt.Sprintf("l%d@example.org", i)
		if _, _, err := db.UpsertLearner(store.Learner{Email: email, Lang: "en"}, "test"); err != nil {
			t.Fatal(err)
		}
		enrol = append(enrol, store.EnrolmentItem{Email: email, Course: "F1"})
		for j := range importFaultActivities {
			fmt.Fprintf(&b, "%s,F1,act-%03d,in_progress,%d\n", email, j, j%101)
		}
	}
	if _, err := db.ApplyEnrolments(enrol, "test"); err != nil {
		t.Fatal(err)
	}
	parsed, ferr := parseImport(a.api.validate, store.ImportProgress, []byte(b.String()))
	if ferr != nil {
		t.Fatalf("the file is refused: %+v", ferr)
	}
	im := &store.Import{Kind: store.ImportProgress, FileName: "fault.csv", Columns: parsed.Columns}
	if err := db.CreateImport(im, parsed.Rows, parsed.Refused); err != nil {
		t.Fatal(err)
	}
	return im.ID
}

// importChild runs the jobs over dir until the second time the point is
// reached, then says so and waits to be killed.
func importChild(t *testing.T, dir, point string) {
	db, a := eraseFaultApp(t, dir)
	seen := 0
	db.FaultHook = func(p string) {
		if p != point {
			return
		}
		if seen++; seen == 2 {
			fmt.Println("at " + p)
			os.Stdout.Sync()
			time.Sleep(eraseKillCap) // parked: the parent kills the process now
		}
	}
	a.runJobs()
	fmt.Println("done without reaching " + point)
}
