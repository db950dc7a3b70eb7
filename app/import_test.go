package app

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"accord/store"

	"golang.org/x/text/encoding/charmap"
)

// upload posts a multipart form with fields and one file (field "file"),
// with the CSRF token of the last page seen, like a browser.
func (c *client) upload(path string, fields map[string]string, name string, content []byte, hdr ...string) *response {
	c.t.Helper()
	if c.csrf == "" {
		c.get("/")
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("_csrf", c.csrf); err != nil {
		c.t.Fatal(err)
	}
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			c.t.Fatal(err)
		}
	}
	if name != "" {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			c.t.Fatal(err)
		}
		if _, err := fw.Write(content); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		c.t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return c.do(req)
}

// importEnv is an administrator signed in, learners a@, b@ and c@ and
// courses SEC101 and GDPR1.
func importEnv(t *testing.T) (*testEnv, *client) {
	t.Helper()
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	for _, l := range []string{"a", "b", "c"} {
		e.user(t, l+"@example.org", store.RoleLearner)
	}
	for _, code := range []string{"SEC101", "GDPR1"} {
		if err := e.db.CreateCourse(&store.Course{Code: code, TitleEN: code, TitleFR: code}, 0); err != nil {
			t.Fatal(err)
		}
	}
	c := e.client(t)
	c.login("admin@example.org")
	return e, c
}

// importFile uploads content as kind, waits for the job the upload
// started and returns the import.
func importFile(t *testing.T, e *testEnv, c *client, kind, content string) *store.Import {
	t.Helper()
	c.get("/admin/courses/import").want(t, http.StatusOK)
	res := c.upload("/admin/courses/import", map[string]string{"kind": kind}, kind+".csv", []byte(content)).want(t, http.StatusSeeOther)
	e.app.jobs.Wait() // the runner the upload kicked
	var id uint64
	if _, err := fmt.Sscanf(res.Header.Get("Location"), "/admin/courses/import/%d", &id); err != nil {
		t.Fatalf("got Location %q, want an import's page", res.Header.Get("Location"))
	}
	im, err := e.db.FindImport(id)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func wantCounts(t *testing.T, im *store.Import, total, created, updated, unchanged, failed int) {
	t.Helper()
	got := [...]int{im.Total, im.Done(), im.Created, im.Updated, im.Unchanged, im.Failed}
	want := [...]int{total, total, created, updated, unchanged, failed}
	if got != want || im.State != store.ImportDone {
		t.Errorf("got total, done, created, updated, unchanged, failed %v in state %s; want %v, done", got, im.State, want)
	}
}

// Ensure that a CSV of enrolments then one of progress, as French Excel
// writes them (byte-order mark, semicolons, CRLF, decimal commas,
// Windows-1252 accents), are applied row by row: good rows stored through
// the API's path, refused rows reported with their line and reason in the
// reader's language, and that sending them again changes nothing.
func TestImportAppliesGoodRowsAndReportsBadOnes(t *testing.T) {
	e, c := importEnv(t)
	enrol := "\ufeffEmail;Course;Ended\r\n" +
		"a@example.org;SEC101;\r\n" +
		"b@example.org;sec101;non\r\n" +
		"nobody@example.org;SEC101;\r\n" + // line 4: no account
		"c@example.org;NOPE;\r\n" + // line 5: no course
		"c@example.org;GDPR1;peut-être\r\n" + // line 6: not a yes or no
		";;\r\n" // blank: skipped
	im := importFile(t, e, c, "enrolments", enrol)
	wantCounts(t, im, 5, 2, 0, 0, 3)

	cp1252, err := charmap.Windows1252.NewEncoder().String("email;course;activity_id;activity;status;percent;score\r\n" +
		"a@example.org;SEC101;quiz-1;Quiz élémentaire;completed;100;12,5\r\n" +
		"a@example.org;SEC101;quiz-2;;In_Progress;40 %;\r\n" +
		"b@example.org;SEC101;quiz-1;Quiz élémentaire;done;100;\r\n" + // line 4: status
		"b@example.org;SEC101;quiz-2;;completed;101;\r\n" + // line 5: percent
		"c@example.org;SEC101;quiz-1;;completed;100;\r\n" + // line 6: not enrolled
		"b@example.org;SEC101;quiz-3;;completed;;-1\r\n" + // line 7: negative score
		"b@example.org;SEC101;\"quiz\"4\";;completed;;\r\n" + // line 8: bare quote
		"b@example.org;SEC101;quiz-5;completed\r\n") // line 9: too few cells
	if err != nil {
		t.Fatal(err)
	}
	im = importFile(t, e, c, "progress", cp1252)
	wantCounts(t, im, 8, 2, 0, 0, 6)
	a, err := e.db.UserByEmail("a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	mine, err := e.db.UserCourses(a.ID)
	if err != nil || len(mine) != 1 || len(mine[0].Progress) != 2 {
		t.Fatalf("got a@'s courses %+v, %v; want SEC101 with 2 activities", mine, err)
	}
	if p := mine[0].Progress[0]; p.Activity != "Quiz élémentaire" || p.Score == nil || *p.Score != 12.5 || p.Status != store.ProgressCompleted {
		t.Errorf("got quiz-1 %+v; want Quiz élémentaire, completed, score 12.5", p)
	}
	if p := mine[0].Progress[1]; p.Activity != "quiz-2" || p.Percent != 40 || p.Status != store.ProgressInProgress || p.Score != nil {
		t.Errorf("got quiz-2 %+v; want named by its id, in progress, 40 %%, no score", p)
	}

	page := c.get(importPath(im.ID)).want(t, http.StatusOK)
	for _, want := range []string{"Import finished", "Write one of: not_started in_progress completed.", "100 at most", "not enrolled in this course",
		"at least 0", "not valid CSV", "does not have 7 cells", "<td>4</td>", "<td>9</td>", `href="/admin/courses/import/` + fmt.Sprint(im.ID) + `/errors.csv"`} {
		if !page.has(want) {
			t.Errorf("the import's page lacks %q", want)
		}
	}
	if page.has("hx-trigger") {
		t.Errorf("the page of a finished import still polls")
	}
	fr := c.get(importPath(im.ID)+"?lang=fr").want(t, http.StatusOK)
	for _, want := range []string{"Import terminé", "Écrivez l’une de ces valeurs\u00a0: not_started in_progress completed", "n’est pas inscrit"} {
		if !fr.has(want) {
			t.Errorf("the French page lacks %q", want)
		}
	}

	// Again, both files: every row as it was.
	again := importFile(t, e, c, "enrolments", enrol)
	wantCounts(t, again, 5, 0, 0, 2, 3)
	again = importFile(t, e, c, "progress", cp1252)
	wantCounts(t, again, 8, 0, 0, 2, 6)
	if n, err := e.db.CountProgress(a.ID); err != nil || n != 2 {
		t.Errorf("got %d progress records for a@ after the second upload (%v), want 2", n, err)
	}
	jobs, err := e.db.Jobs()
	if err != nil || len(jobs) != 4 {
		t.Fatalf("got jobs %+v, %v; want 4", jobs, err)
	}
	for _, j := range jobs {
		if j.Kind != store.JobImport || j.State != store.JobDone {
			t.Errorf("got job %+v, want an import's, done", j)
		}
	}
	events, _, err := e.db.ListAudit(store.AuditQuery{Action: store.ActImportFinished, Limit: 10})
	if err != nil || len(events) != 4 {
		t.Errorf("got %d import_finished events (%v), want 4", len(events), err)
	}
}

// Ensure that the error report is a CSV of every refused row — line,
// column, reason in the reader's language, then the cells as uploaded,
// each neutralised against formulas — and that its download is audited.
func TestImportErrorReportCSV(t *testing.T) {
	e, c := importEnv(t)
	im := importFile(t, e, c, "enrolments", "email,course\n=1+2,SEC101\nnobody@example.org,@SUM(1)\nb@example.org,\"x\"y\n")
	wantCounts(t, im, 3, 0, 0, 0, 3)
	res := c.get(importPath(im.ID)+"/errors.csv?lang=fr").want(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("got Content-Type %q, want text/csv", ct)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Ligne", "Colonne", "Raison", "email", "course"},
		{"2", "email", "Saisissez une adresse e-mail valide, comme nom@exemple.fr.", "'=1+2", "SEC101"},
		{"3", "", "Aucun compte n’a cette adresse e-mail.", "nobody@example.org", "'@SUM(1)"},
		{"4", "", "Cette ligne n’est pas du CSV valide (vérifiez ses guillemets).", "b@example.org", ""},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("got the report\n%q\nwant\n%q", rows, want)
	}
	events, _, err := e.db.ListAudit(store.AuditQuery{Action: store.ActImportReportDownloaded, Limit: 10})
	if err != nil || len(events) != 1 {
		t.Errorf("got %d report downloads audited (%v), want 1", len(events), err)
	}
}

// Ensure that a file that is not a CSV of the kind is refused whole with a
// translated 422 and the form, in English and French, and nothing is
// stored.
func TestImportRefusesGarbledFiles(t *testing.T) {
	e, c := importEnv(t)
	big := append([]byte("email,course\n"), bytes.Repeat([]byte("a@example.org,SEC101\n"), importMaxBytes/21+1)...)
	cases := []struct {
		name, kind string
		content    []byte
		en, fr     string
	}{
		{"no file", "enrolments", nil, "Choose a CSV file", "Choisissez un fichier CSV"},
		{"no kind", "", []byte("email,course\na@example.org,SEC101\n"), "Choose one of the values", "Choisissez une des valeurs"},
		{"empty", "enrolments", []byte(" \r\n"), "This file is empty", "Ce fichier est vide"},
		{"header only", "progress", []byte("email,course,activity_id,status\r\n"), "a header but no rows", "un en-tête mais aucune ligne"},
		{"wrong header", "progress", []byte("email,course\na@example.org,SEC101\n"), "lacks these columns: activity_id, status", "Il manque ces colonnes à l’en-tête\u00a0: activity_id, status"},
		{"unknown column", "enrolments", []byte("email;course;grade\na@example.org;SEC101;A\n"), "unknown column “grade”", "colonne inconnue «\u00a0grade\u00a0»"},
		{"twice", "enrolments", []byte("email,course,Email\n"), "the column “email” twice", "deux fois la colonne"},
		{"xlsx", "enrolments", []byte("PK\x03\x04\x14\x00\x06\x00"), "spreadsheet workbook", "classeur de tableur"},
		{"utf-16", "enrolments", []byte("\xff\xfee\x00m\x00"), "UTF-16", "UTF-16"},
		{"binary", "enrolments", []byte("email,course\n\x00\x01\x02"), "not a CSV text file", "n’est pas un fichier texte CSV"},
		{"unclosed quote in the header", "enrolments", []byte("\"email,course\n"), "not a CSV text file", "n’est pas un fichier texte CSV"},
		{"too large", "enrolments", big, "too large: 16 MB at most", "trop gros\u00a0: 16\u00a0Mo au plus"},
	}
	for _, tc := range cases {
		for _, lang := range []string{"en", "fr"} {
			c.get("/admin/courses/import?lang="+lang).want(t, http.StatusOK)
			name := ""
			if tc.content != nil {
				name = "file.csv"
			}
			res := c.upload("/admin/courses/import", map[string]string{"kind": tc.kind}, name, tc.content)
			want := map[string]string{"en": tc.en, "fr": tc.fr}[lang]
			if res.Status != http.StatusUnprocessableEntity || !res.has(want) || !res.has(`id="import-form"`) {
				t.Errorf("%s, %s: got %d, want 422 with the form and %q", tc.name, lang, res.Status, want)
			}
		}
	}
	if list, err := e.db.RecentImports(10); err != nil || len(list) != 0 {
		t.Errorf("got imports %+v, %v; want none", list, err)
	}
}

// Ensure that an import's page follows its progress: while rows are left
// its fragment (htmx) shows rows done of the total and the errors so far,
// and polls; once done it stops polling. The runner is held back (the app
// is stopping), and the test applies batches itself.
func TestImportProgressFragment(t *testing.T) {
	e, c := importEnv(t)
	close(e.app.stop) // kickJobs starts nothing
	var b strings.Builder
	b.WriteString("email,course\n")
	for i := range 5 {
		fmt.Fprintf(&b, "a@example.org,SEC101\nghost%d@example.org,SEC101\n", i)
	}
	c.get("/admin/courses/import").want(t, http.StatusOK)
	res := c.upload("/admin/courses/import", map[string]string{"kind": "enrolments"}, "e.csv", []byte(b.String()), "HX-Request", "true").want(t, http.StatusOK)
	path := res.Header.Get("HX-Redirect")
	var id uint64
	if _, err := fmt.Sscanf(path, "/admin/courses/import/%d", &id); err != nil {
		t.Fatalf("got HX-Redirect %q, want an import's page", path)
	}
	frag := c.get(path, "HX-Request", "true").want(t, http.StatusOK)
	if frag.has("<html") || !frag.has(`id="import-status"`) || !frag.has(`hx-trigger="every 1s"`) || !frag.has("0 of 10 rows done") {
		t.Fatalf("got the fragment before any batch\n%s\nwant the polling progress at 0 of 10", frag.Body)
	}
	if _, err := e.db.ApplyImportBatch(id, 4, "test"); err != nil {
		t.Fatal(err)
	}
	frag = c.get(path+"?lang=fr", "HX-Request", "true").want(t, http.StatusOK)
	if !frag.has("4 lignes traitées sur 10") || !frag.has(`<dd id="import-refused">2</dd>`) || !frag.has(`value="4"`) {
		t.Errorf("got the French fragment after one batch of 4\n%s\nwant 4 of 10, 2 refused", frag.Body)
	}
	if _, err := e.db.ApplyImportBatch(id, 100, "test"); err != nil {
		t.Fatal(err)
	}
	frag = c.get(path+"?lang=en", "HX-Request", "true").want(t, http.StatusOK)
	if frag.has("hx-trigger") || !frag.has("Import finished") || !frag.has("10 of 10 rows done") || !frag.has(`<dd id="import-refused">5</dd>`) {
		t.Errorf("got the fragment once done\n%s\nwant 10 of 10, 5 refused, no polling", frag.Body)
	}
	page := c.get(path).want(t, http.StatusOK)
	if !page.has("<html") || !page.has("Import of e.csv") {
		t.Errorf("the full page lacks its frame or heading")
	}
}

// Ensure that a learner is refused the import's routes and that unknown
// imports are 404.
func TestImportAccess(t *testing.T) {
	e, c := importEnv(t)
	learner := e.client(t)
	learner.login("a@example.org")
	learner.get("/admin/courses/import").want(t, http.StatusForbidden)
	c.get("/admin/courses/import/99").want(t, http.StatusNotFound)
	c.get("/admin/courses/import/99/errors.csv").want(t, http.StatusNotFound)
}
