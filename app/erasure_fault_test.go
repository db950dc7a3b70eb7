package app

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"accord/locales"
	"accord/static"
	"accord/store"
	"accord/views"
)

// eraseKillCap bounds one cycle of the erasure fault test, whatever the
// child does.
const eraseKillCap = 60 * time.Second

// Ensure that an erasure killed (SIGKILL) at any named point of its
// compaction finishes at the next start: a child process runs the real
// app and store over the data dir and stops at the fault point; the
// parent kills it, starts the app again over the same dir and runs the
// jobs. Then the request is complete, its job done, no compaction copy is
// left, and a marker written only into the erased person's records (names,
// address, a message to the DPO, the request's comments) is in no file of
// the data dir. Before the restart, the test checks that the kill did
// leave what the restart must clear: the marker in the file (points
// before the swap) and the half-made copy (points while it is written).
// One fresh data dir per point (3 of the 6 points with -short); each cycle
// takes about 2 s.
func TestErasureFinishesAfterSIGKILL(t *testing.T) {
	if dir := os.Getenv("ACCORD_ERASE_CHILD"); dir != "" {
		eraseChild(t, dir, os.Getenv("ACCORD_ERASE_FAULT"))
		return
	}
	beforeSwap := []string{store.FaultErased, store.FaultCompactCopy, store.FaultCompactCopied, store.FaultCompactSynced}
	copyLeft := []string{store.FaultCompactCopy, store.FaultCompactCopied, store.FaultCompactSynced}
	points := store.FaultPoints
	if testing.Short() {
		points = []string{store.FaultErased, store.FaultCompactCopy, store.FaultCompactMoved}
	}
	for i, point := range points {
		dir := t.TempDir()
		marker := fmt.Sprintf("erasemarker%dq%d", i, time.Now().UnixNano()%1e9)
		id := eraseFaultSetup(t, dir, marker)
		start := time.Now()

		killChildAt(t, "TestErasureFinishesAfterSIGKILL", point, eraseKillCap, "ACCORD_ERASE_CHILD="+dir, "ACCORD_ERASE_FAULT="+point)
		killed := time.Since(start)

		holders, leftovers := markerFiles(t, dir, marker), compactionCopies(t, dir)
		if slices.Contains(beforeSwap, point) && len(holders) == 0 {
			t.Errorf("%s: after the kill the marker is in no file; the final check could not fail", point)
		}
		if slices.Contains(copyLeft, point) && len(leftovers) == 0 {
			t.Errorf("%s: after the kill no compaction copy is left; its removal goes untested", point)
		}

		restart := time.Now()
		db, a := eraseFaultApp(t, dir)
		a.runJobs()
		r, err := db.Request(id)
		if err != nil || r.Status != store.StatusComplete || !r.Anonymous || len(r.Erasure) == 0 {
			t.Errorf("%s: after the restart the request is %+v, %v; want complete, anonymous, with its report", point, r, err)
		}
		jobs, err := db.Jobs()
		if err != nil || len(jobs) != 1 || jobs[0].State != store.JobDone {
			t.Errorf("%s: after the restart the jobs are %+v, %v; want one, done", point, jobs, err)
		}
		if err := db.Check(); err != nil {
			t.Errorf("%s: %v", point, err)
		}
		closeFaultApp(t, db, a)
		t.Logf("%s: killed %v after the child started; marker then in %v, leftover %v; finished %v after the restart",
			point, killed.Round(time.Millisecond), holders, leftovers, time.Since(restart).Round(time.Millisecond))
		if got := markerFiles(t, dir, marker); len(got) > 0 {
			t.Errorf("%s: after the restart the marker is still in %v", point, got)
		}
		if got := compactionCopies(t, dir); len(got) > 0 {
			t.Errorf("%s: after the restart the compaction copy is still there: %v", point, got)
		}
	}
}

// eraseFaultSetup writes the person to erase, with marker in their names,
// address, a message to the DPO and their requests' comments, a few other
// people, and the approved deletion with its queued job; it returns the
// request's id. The database is closed again.
func eraseFaultSetup(t *testing.T, dir, marker string) uint64 {
	t.Helper()
	db, a := eraseFaultApp(t, dir)
	defer closeFaultApp(t, db, a)
	for i := range 20 {
		if err := db.CreateUser(&store.User{Email: fmt.Sprintf("other%d@example.org", i), FirstName: "Other", LastName: strconv.Itoa(i),
			Role: store.RoleLearner, Lang: "en"}, 0); err != nil {
			t.Fatal(err)
		}
	}
	u := &store.User{Email: marker + "@example.org", FirstName: marker, LastName: marker, Role: store.RoleLearner, Lang: "fr"}
	if err := db.CreateUser(u, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateDPOThread(u.ID, "About "+marker, "Please forget "+marker+" entirely."); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateSession(u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateRequest(store.NewRequest{UserID: u.ID, Type: store.RequestExport, Comments: "export " + marker,
		FiledBy: store.FiledBySelf, FiledByID: u.ID, DueDays: 30}); err != nil {
		t.Fatal(err)
	}
	r, err := db.CreateRequest(store.NewRequest{UserID: u.ID, Type: store.RequestDelete, Comments: "erase " + marker,
		FiledBy: store.FiledBySelf, FiledByID: u.ID, DueDays: 30, AutoApprove: true})
	if err != nil {
		t.Fatal(err)
	}
	if holders := markerFiles(t, dir, marker); len(holders) == 0 {
		t.Fatalf("the marker is in no file before the erasure")
	}
	return r.ID
}

// eraseChild runs the jobs over dir until the fault point, then says so
// and waits to be killed.
func eraseChild(t *testing.T, dir, point string) {
	db, a := eraseFaultApp(t, dir)
	db.FaultHook = func(p string) {
		if p == point {
			fmt.Println("at " + p)
			os.Stdout.Sync()
			time.Sleep(eraseKillCap) // parked: the parent kills the process now
		}
	}
	a.runJobs()
	fmt.Println("done without reaching " + point)
}

// eraseFaultApp opens the store as a server does (fsync on) and builds the
// real App over it, mail off, without its tickers: jobs run when the test
// calls runJobs.
func eraseFaultApp(t *testing.T, dir string) (*store.DB, *App) {
	t.Helper()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(db, Config{Addr: ":0", BaseURL: "http://localhost:8080", Lang: "en",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Views: views.FS, Static: static.FS, Locales: locales.FS})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	return db, a
}

func closeFaultApp(t *testing.T, db *store.DB, a *App) {
	t.Helper()
	close(a.stop)
	a.jobs.Wait()
	a.flushMemory()
	if err := db.Close(); err != nil {
		t.Error(err)
	}
}

// markerFiles names the files of dir that hold marker.
func markerFiles(t *testing.T, dir, marker string) (holders []string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(marker)) {
			holders = append(holders, e.Name())
		}
	}
	return holders
}

// compactionCopies names the files of dir other than the database and its
// lock.
func compactionCopies(t *testing.T, dir string) (extra []string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if n := e.Name(); n != "accord.db" && n != "accord.lock" && !strings.HasPrefix(n, ".") {
			extra = append(extra, n)
		}
	}
	return extra
}
