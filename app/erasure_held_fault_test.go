package app

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"accord/store"
)

// heldLater is the clock of the review that finds every kept category's
// retention ended (the DPO threads' 1,095 days have passed).
func heldLater() time.Time { return time.Now().AddDate(4, 0, 0) }

// Ensure that the later erasure of protected data finishes whatever point
// a kill (SIGKILL) stops it at: between the first erasure and the
// scheduled one (erase.committed: the first erasure committed, its
// compaction not begun), and between the steps of the scheduled one
// (held.erased: one kept category erased, the other not; compact.copying:
// the compaction after them half written; held.compacted: the file
// compacted, the schedule not yet removed). The person has a running
// course (protected until it ends) and a DPO thread (protected here for
// a period), both holding a marker, as do their names and address. A
// child process runs the real app and store over the data dir up to the
// point; the parent kills it, checks the kill left the marker in the file
// where the restart must remove it, starts the app again and runs the
// jobs and the daily review's later step. Then the schedule is gone, the
// report dates each kept category's erasure, tx.Check passes and the
// marker is in no file of the data dir.
func TestHeldErasureFinishesAfterSIGKILL(t *testing.T) {
	if dir := os.Getenv("ACCORD_HELD_CHILD"); dir != "" {
		heldChild(t, dir, os.Getenv("ACCORD_HELD_FAULT"))
		return
	}
	points := []string{store.FaultErased, store.FaultHeldErased, store.FaultCompactCopy, store.FaultHeldCompacted}
	if testing.Short() {
		points = []string{store.FaultErased, store.FaultHeldErased}
	}
	markerBefore := map[string]bool{store.FaultErased: true, store.FaultHeldErased: true, store.FaultCompactCopy: true}
	for i, point := range points {
		dir := t.TempDir()
		marker := fmt.Sprintf("heldmarker%dq%d", i, time.Now().UnixNano()%1e9)
		id := heldFaultSetup(t, dir, marker, point != store.FaultErased)

		killChildAt(t, "TestHeldErasureFinishesAfterSIGKILL", point, eraseKillCap, "ACCORD_HELD_CHILD="+dir, "ACCORD_HELD_FAULT="+point)
		if holders := markerFiles(t, dir, marker); markerBefore[point] && len(holders) == 0 {
			t.Errorf("%s: after the kill the marker is in no file; the final check could not fail", point)
		}

		db, a := eraseFaultApp(t, dir)
		a.runJobs()
		if co, err := db.CourseByCode("RUN"); err == nil {
			if _, _, err := db.DeleteCourse(co.ID, 0); err != nil {
				t.Fatal(err)
			}
		}
		db.Now = heldLater
		a.eraseHeld()
		if held, err := db.HeldErasures(); err != nil || len(held) != 0 {
			t.Errorf("%s: after the restart the schedule is %+v, %v; want none", point, held, err)
		}
		r, err := db.Request(id)
		if err != nil || r.Status != store.StatusComplete {
			t.Fatalf("%s: after the restart the request is %+v, %v; want complete", point, r, err)
		}
		later := 0
		for _, k := range r.Kept {
			if k.Later {
				later++
				if k.ErasedAt.IsZero() {
					t.Errorf("%s: kept %s has no erasure date in the report", point, k.Category)
				}
			}
		}
		if later != 2 {
			t.Errorf("%s: the report keeps %d categories until later, want 2 (courses, DPO threads): %+v", point, later, r.Kept)
		}
		if err := db.Check(); err != nil {
			t.Errorf("%s: %v", point, err)
		}
		closeFaultApp(t, db, a)
		if got := markerFiles(t, dir, marker); len(got) > 0 {
			t.Errorf("%s: after the restart the marker is still in %v", point, got)
		}
		if got := compactionCopies(t, dir); len(got) > 0 {
			t.Errorf("%s: after the restart the compaction copy is still there: %v", point, got)
		}
	}
}

// heldFaultSetup writes the person (marker in their names, address, a DPO
// thread and a running course's progress), makes the DPO threads a
// protected category, and files their approved deletion. With erased, it
// also carries the erasure out and deletes the course, so that only the
// later step is left. It returns the request's id.
func heldFaultSetup(t *testing.T, dir, marker string, erased bool) uint64 {
	t.Helper()
	db, a := eraseFaultApp(t, dir)
	defer closeFaultApp(t, db, a)
	recs, err := db.Processing()
	if err != nil {
		t.Fatal(err)
	}
	cat := *recs.Category(store.CategoryDPOThreads)
	cat.Protected = true
	cat.ProtectedWhy = map[string]string{"en": "Kept for a legal claim.", "fr": "Conservé pour un litige."}
	if err := db.SaveCategory(cat, false, 0); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if err := db.CreateUser(&store.User{Email: fmt.Sprintf("other%d@example.org", i), FirstName: "Other", LastName: strconv.Itoa(i),
			Role: store.RoleLearner, Lang: "en"}, 0); err != nil {
			t.Fatal(err)
		}
	}
	u := &store.User{Email: marker + "@example.org", FirstName: marker, LastName: marker, Role: store.RoleLearner, Lang: "en"}
	if err := db.CreateUser(u, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateDPOThread(u.ID, "About "+marker, "Keep this, "+marker+"."); err != nil {
		t.Fatal(err)
	}
	co := &store.Course{Code: "RUN", TitleEN: "Running", TitleFR: "En cours"}
	if err := db.CreateCourse(co, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.Enrol(u.ID, co.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.SetProgress(&store.Progress{UserID: u.ID, CourseID: co.ID, ActivityID: "a1", Activity: "Quiz " + marker,
		Status: store.ProgressInProgress, Percent: 10}); err != nil {
		t.Fatal(err)
	}
	r, err := db.CreateRequest(store.NewRequest{UserID: u.ID, Type: store.RequestDelete, FiledBy: store.FiledBySelf, FiledByID: u.ID,
		DueDays: 30, AutoApprove: true})
	if err != nil {
		t.Fatal(err)
	}
	if !erased {
		return r.ID
	}
	a.runJobs()
	if held, err := db.HeldErasures(); err != nil || len(held) != 1 || len(held[0].Categories) != 2 {
		t.Fatalf("after the erasure the schedule is %+v, %v; want one keeping 2 categories", held, err)
	}
	if _, _, err := db.DeleteCourse(co.ID, 0); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// heldChild runs the jobs, then the later step over dir on a review's
// clock when every retention has ended, until the fault point; then it
// says so and waits to be killed.
func heldChild(t *testing.T, dir, point string) {
	db, a := eraseFaultApp(t, dir)
	db.FaultHook = func(p string) {
		if p == point {
			fmt.Println("at " + p)
			os.Stdout.Sync()
			time.Sleep(eraseKillCap) // parked: the parent kills the process now
		}
	}
	a.runJobs()
	db.Now = heldLater
	a.eraseHeld()
	fmt.Println("done without reaching " + point)
}
