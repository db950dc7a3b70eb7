package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"accord/store"

	"github.com/chromedp/chromedp"
)

// Ensure that an administrator uploads a CSV of progress larger than one
// batch on /admin/courses/import and watches, without reloading, the
// progress bar stand at the first batch while the job is held there, then
// reach the end, with the refused rows listed by line and reason and the
// report offered for download; and that the page reads in French.
func TestBrowserImportProgress(t *testing.T) {
	b := newBrowser(t)
	e := b.env
	e.person(t, "root@example.org", store.RoleAdmin, "Rita", "Root", "en")
	if err := e.db.CreateCourse(&store.Course{Code: "SEC101", TitleEN: "Security", TitleFR: "Sécurité"}, 0); err != nil {
		t.Fatal(err)
	}
	const learners, activities = 60, 100
	var enrol []store.EnrolmentItem
	var csv strings.Builder
	csv.WriteString("email;course;activity_id;activity;status;percent\r\n")
	csv.WriteString("ghost@example.org;SEC101;quiz-1;Quiz;completed;100\r\n") // line 2: no account
	csv.WriteString("l0@example.org;SEC101;quiz-1;Quiz;finished;100\r\n")     // line 3: status
	for i := range learners {
		email := fmt.Sprintf("l%d@example.org", i)
		if _, _, err := e.db.UpsertLearner(store.Learner{Email: email, Lang: "en"}, "test"); err != nil {
			t.Fatal(err)
		}
		enrol = append(enrol, store.EnrolmentItem{Email: email, Course: "SEC101"})
		for j := range activities {
			fmt.Fprintf(&csv, "%s;SEC101;act-%03d;Activity %d;in_progress;%d\r\n", email, j, j, j)
		}
	}
	if _, err := e.db.ApplyEnrolments(enrol, "test"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "progress.csv")
	if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	total := learners*activities + 2

	// The job stops after its first batch until the page has shown it.
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free)
	first := true
	e.db.FaultHook = func(p string) {
		if p == store.FaultImportCommitted && first {
			first = false
			close(held)
			<-release
		}
	}

	b.login("root@example.org")
	b.refuseCookies()
	b.visit("/admin/courses/import")
	b.click("#f-kind-progress")
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{file}))
	if status := b.submit("#import-form button[type=submit]"); status != 200 || !strings.HasPrefix(b.path(), "/admin/courses/import/") {
		t.Fatalf("upload: got %d at %s, want 200 on the import's page", status, b.path())
	}
	select {
	case <-held:
	case <-time.After(actionTimeout):
		t.Fatal("the import's job never committed its first batch")
	}
	// One batch, and the row refused at upload.
	b.waitUntil(fmt.Sprintf(`document.querySelector("#import-progress").value == %d`, importBatch+1))
	if got := b.text("#import-status"); !strings.Contains(got, "5,001 of 6,002 rows done") {
		t.Errorf("held after one batch: got %q, want 5,001 of 6,002 rows done", got)
	}
	if b.attr("#import-status", "hx-trigger") == "" {
		t.Errorf("the running import's status does not poll")
	}
	b.shots("import-running") // reloads the page at phone size
	b.waitFor("#import-status[hx-trigger]")
	eval[bool](b, `(window.notReloaded = true)`)
	free()
	b.waitText("#import-status h2", "Import finished")
	if !eval[bool](b, `window.notReloaded === true`) {
		t.Errorf("the page was reloaded; want htmx swaps")
	}
	if v := eval[int](b, `document.querySelector("#import-progress").value`); v != total {
		t.Errorf("progress bar at the end: got %d, want %d", v, total)
	}
	if got := b.text("#import-refused"); got != "2" {
		t.Errorf("refused: got %q, want 2", got)
	}
	rows := b.text("#import-errors tbody")
	for _, want := range []string{"2", "No account has this email address.", "3", "status", "finished", "Write one of: not_started in_progress completed."} {
		if !strings.Contains(rows, want) {
			t.Errorf("refused rows: got %q, want %q", rows, want)
		}
	}
	if href := b.attr(`#import-status a[download]`, "href"); !strings.HasSuffix(href, "/errors.csv") {
		t.Errorf("report link: got %q", href)
	}
	b.shots("import-done")
	u, err := e.db.UserByEmail("l59@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := e.db.CountProgress(u.ID); err != nil || n != activities {
		t.Errorf("the last learner holds %d activities (%v), want %d", n, err, activities)
	}
	b.visit(b.path() + "?lang=fr")
	if got := b.text("#import-status h2"); got != "Import terminé" {
		t.Errorf("French heading: got %q", got)
	}
}

// Ensure that when an administrator deletes a course (ticking the box and
// accepting the confirmation), the learner's progress in it is gone from
// /profile/courses and from a fresh export, while another course's stays.
func TestBrowserCourseDeletionErasesProgress(t *testing.T) {
	b := newBrowser(t)
	e := b.env
	learner := e.person(t, "ann@example.org", store.RoleLearner, "Ann", "Archer", "en")
	e.person(t, "root@example.org", store.RoleAdmin, "Rita", "Root", "en")
	var gone *store.Course
	for _, code := range []string{"KEEP1", "GONE1"} {
		c := &store.Course{Code: code, TitleEN: "Course " + code, TitleFR: "Formation " + code}
		if err := e.db.CreateCourse(c, 0); err != nil {
			t.Fatal(err)
		}
		gone = c
	}
	if _, err := e.db.ApplyEnrolments([]store.EnrolmentItem{{Email: "ann@example.org", Course: "KEEP1"}, {Email: "ann@example.org", Course: "GONE1"}}, "test"); err != nil {
		t.Fatal(err)
	}
	score := 17.0
	if _, err := e.db.ApplyProgress([]store.ProgressItem{
		{Email: "ann@example.org", Course: "KEEP1", Progress: store.Progress{ActivityID: "k1", Activity: "Kept lesson", Status: store.ProgressCompleted, Percent: 100}},
		{Email: "ann@example.org", Course: "GONE1", Progress: store.Progress{ActivityID: "g1", Activity: "Vanishing lesson", Status: store.ProgressInProgress, Percent: 50, Score: &score}},
	}); err != nil {
		t.Fatal(err)
	}

	b.login("ann@example.org")
	b.refuseCookies()
	b.visit("/profile/courses")
	if !b.has("Vanishing lesson") || !b.has("Kept lesson") {
		t.Fatalf("before the deletion: want both lessons on /profile/courses\n%s", b.text("main"))
	}

	admin := b.other()
	acceptDialogs(admin)
	admin.login("root@example.org")
	admin.refuseCookies()
	admin.visit(fmt.Sprintf("/admin/courses/%d", gone.ID))
	admin.click("#f-confirm")
	if status := admin.submit(`#delete button[type=submit]`); status != 200 || admin.path() != "/admin/courses" {
		t.Fatalf("delete: got %d at %s, want 200 at /admin/courses", status, admin.path())
	}
	if got := admin.text("main table.data"); strings.Contains(got, "GONE1") || !strings.Contains(got, "KEEP1") {
		t.Errorf("the course list: got %q, want KEEP1 only", got)
	}

	b.visit("/profile/courses")
	if b.has("Vanishing lesson") || b.has("GONE1") || !b.has("Kept lesson") {
		t.Errorf("after the deletion: want only KEEP1's lesson on /profile/courses\n%s", b.text("main"))
	}

	// A fresh export, filed by the learner and approved by the administrator.
	b.visit("/profile/requests")
	b.click("#f-type-export")
	if status := b.submit("#request-form button[type=submit]"); status != 200 {
		t.Fatalf("file the export: got %d", status)
	}
	id := e.lastRequest(t, learner.ID)
	admin.visit(fmt.Sprintf("/admin/requests/%d", id))
	admin.submit(fmt.Sprintf(`form[action="/admin/requests/%d/approve"] button.primary`, id))
	status := fmt.Sprintf("#request-status-%d", id)
	b.visit("/profile/requests")
	b.waitText(status, "Ready to download")
	progress := string(b.download(status+" a[download]", "data/progress.json"))
	enrolments := string(b.download(status+" a[download]", "data/enrolments.json"))
	if strings.Contains(progress, "Vanishing lesson") || !strings.Contains(progress, "Kept lesson") {
		t.Errorf("the export's progress: want only KEEP1's lesson\n%s", progress)
	}
	if strings.Contains(enrolments, fmt.Sprintf(`"course_id":%d`, gone.ID)) || strings.Contains(enrolments, "GONE1") {
		t.Errorf("the export's enrolments still name the deleted course\n%s", enrolments)
	}
}
