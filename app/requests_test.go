package app

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"accord/locales"
	"accord/static"
	"accord/store"
	"accord/views"
)

// fileRequest files a request through the learner's form and returns it.
func fileRequest(t *testing.T, e *testEnv, c *client, form url.Values) *store.DataRequest {
	t.Helper()
	c.get("/profile/requests")
	c.post("/profile/requests", form).want(t, http.StatusSeeOther)
	return lastRequest(t, e)
}

func lastRequest(t *testing.T, e *testEnv) *store.DataRequest {
	t.Helper()
	rs, _, err := e.db.ListRequests(store.RequestQuery{Limit: 1})
	if err != nil || len(rs) == 0 {
		t.Fatalf("no request: %v", err)
	}
	return &rs[0]
}

func reqPath(base string, r *store.DataRequest, rest string) string {
	return base + "/" + strconv.FormatUint(r.ID, 10) + rest
}

// settle waits for the jobs kicked by approvals.
func (e *testEnv) settle() { e.app.jobs.Wait() }

func (e *testEnv) status(t *testing.T, id uint64) store.RequestStatus {
	t.Helper()
	r, err := e.db.Request(id)
	if err != nil {
		t.Fatal(err)
	}
	return r.Status
}

// Ensure that a learner files an export in English and French, that a
// second ongoing one and an unknown type are refused with 422 (page and
// htmx fragment), that the officer's approval makes it downloadable, that
// the ZIP holds every personal bucket, that downloads are audited, that
// others get 404 and that after expiry the download answers 410.
func TestExportRequestFlow(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	e.user(t, "dpo@example.org", store.RoleDPO)
	c := e.client(t)
	c.login("ann@example.org")
	res := c.get("/profile/requests").want(t, http.StatusOK)
	if !res.has("Get a copy of my data") || !res.has("We answer within 30 days.") {
		t.Errorf("EN page lacks the form:\n%s", res.Body)
	}
	if res = c.get("/profile/requests?lang=fr").want(t, http.StatusOK); !res.has("Obtenir une copie de mes données") {
		t.Errorf("FR page lacks the form")
	}
	r := fileRequest(t, e, c, url.Values{"type": {"export"}, "comments": {"all of it"}})
	if r.Status != store.StatusAwaitingApproval || r.UserID != ann.ID || r.FiledBy != store.FiledBySelf {
		t.Fatalf("got %+v", r)
	}
	res = c.post("/profile/requests", url.Values{"type": {"export"}}).want(t, http.StatusUnprocessableEntity)
	if !res.has("Une demande de ce type est déjà en cours") {
		t.Errorf("second export: no French message\n%s", res.Body)
	}
	res = c.post("/profile/requests", url.Values{"type": {"everything"}, "comments": {"typed"}}, "HX-Request", "true").want(t, http.StatusUnprocessableEntity)
	if !strings.HasPrefix(strings.TrimSpace(res.Body), `<section class="card" id="request-form">`) || !res.has("typed") {
		t.Errorf("htmx 422: want the form fragment with what was typed, got\n%s", res.Body)
	}
	c.get("/profile/requests?lang=en")

	staff := e.client(t)
	staff.login("dpo@example.org")
	staff.get(reqPath("/admin/requests", r, "")).want(t, http.StatusOK)
	staff.post(reqPath("/admin/requests", r, "/approve"), url.Values{"note": {"Here you are"}}).want(t, http.StatusSeeOther)
	e.settle()
	if got := e.status(t, r.ID); got != store.StatusDownloadReady {
		t.Fatalf("after approval: got %s, want download_ready", got)
	}
	res = c.get("/profile/requests").want(t, http.StatusOK)
	if !res.has("Here you are") || !res.has(reqPath("/profile/requests", r, "/download")) {
		t.Errorf("the learner sees neither the note nor the download link")
	}
	counts := exportCounts(t, e, ann.ID)
	res = c.get(reqPath("/profile/requests", r, "/download")).want(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "application/zip" {
		t.Errorf("Content-Type: got %q, want application/zip", ct)
	}
	files := unzip(t, res.Body)
	checkExportCovers(t, counts, files)
	if idx := files["index.html"]; !strings.Contains(idx, "Your data at") || !strings.Contains(idx, ann.Name()) ||
		strings.Contains(idx, "http://") || strings.Contains(idx, "https://") {
		t.Errorf("index.html: want the name, English, no external resource:\n%s", idx)
	}
	if strings.Contains(files["data/users.json"], "password_hash\":\"$") {
		t.Errorf("the export holds the password hash")
	}
	if ev, _, _ := e.db.ListAudit(store.AuditQuery{UserID: ann.ID, Action: store.ActExportDownloaded}); len(ev) != 1 {
		t.Errorf("download audit events: got %d, want 1", len(ev))
	}
	other := e.client(t)
	e.user(t, "bob@example.org", store.RoleLearner)
	other.login("bob@example.org")
	other.get(reqPath("/profile/requests", r, "/download")).want(t, http.StatusNotFound)
	other.get(reqPath("/profile/requests", r, "")).want(t, http.StatusNotFound)

	e.advance(8 * 24 * time.Hour)
	c.login("ann@example.org")
	res = c.get(reqPath("/profile/requests", r, "/download?lang=fr")).want(t, http.StatusGone)
	if !res.has("Ce téléchargement a expiré") {
		t.Errorf("410 not translated:\n%s", res.Body)
	}
	e.app.expireExports()
	if got := e.status(t, r.ID); got != store.StatusExpired {
		t.Errorf("after the sweep: got %s, want expired", got)
	}
	c.get(reqPath("/profile/requests", r, "/download")).want(t, http.StatusGone)
}

func unzip(t *testing.T, body string) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(strings.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = string(data)
	}
	return out
}

// checkExportCovers checks, generically over the data inventory, that the
// export holds one JSON file per personal bucket with as many records as
// the bucket gives for the user (buckets added by other features included).
func checkExportCovers(t *testing.T, want map[string]int, files map[string]string) {
	t.Helper()
	for _, in := range store.Inventory() {
		if in.Class != store.Personal {
			continue
		}
		data, ok := files["data/"+in.Name+".json"]
		if !ok {
			t.Errorf("export: no file for personal bucket %s", in.Name)
			continue
		}
		var recs []json.RawMessage
		if err := json.Unmarshal([]byte(data), &recs); err != nil {
			t.Errorf("export %s: not a JSON array: %v", in.Name, err)
		}
		if len(recs) != want[in.Name] {
			t.Errorf("export %s: got %d records, want %d", in.Name, len(recs), want[in.Name])
		}
	}
	for _, name := range []string{"index.html", "README.txt", "data/users.json", "data/audit.json", "data/data_requests.json"} {
		if files[name] == "" {
			t.Errorf("export: %s missing or empty", name)
		}
	}
}

// exportCounts counts each personal bucket's records about userID.
func exportCounts(t *testing.T, e *testEnv, userID uint64) map[string]int {
	t.Helper()
	want := map[string]int{}
	var cur string
	if err := e.db.ExportUser(userID, func(in store.BucketInfo) error { cur = in.Name; want[cur] = 0; return nil },
		func(any) error { want[cur]++; return nil }); err != nil {
		t.Fatal(err)
	}
	return want
}

var pollAttr = regexp.MustCompile(`hx-trigger="every 2s"`)

// Ensure that the status fragment polls while the request is about to move
// and stops once it is settled; page and fragment, EN and FR.
func TestRequestStatusFragment(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	r, err := e.db.CreateRequest(store.NewRequest{UserID: ann.ID, Type: store.RequestExport, DueDays: 30, AutoApprove: true})
	if err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.login("ann@example.org")
	res := c.get(reqPath("/profile/requests", r, ""), "HX-Request", "true").want(t, http.StatusOK)
	if strings.Contains(res.Body, "<html") || !pollAttr.MatchString(res.Body) || !res.has("Approved") {
		t.Errorf("approved fragment: want a polling fragment, got\n%s", res.Body)
	}
	if res = c.get(reqPath("/profile/requests", r, "?lang=fr")).want(t, http.StatusOK); !res.has("<html") || !res.has("Approuvée") {
		t.Errorf("FR page: got\n%s", res.Body)
	}
	e.app.runJobs()
	res = c.get(reqPath("/profile/requests", r, "?lang=en"), "HX-Request", "true").want(t, http.StatusOK)
	if pollAttr.MatchString(res.Body) || !res.has("Ready to download") {
		t.Errorf("ready fragment: want no polling, got\n%s", res.Body)
	}
}

// Ensure that a guardian files for their minor (and only for them), that
// both see the request, and that the guardian may download it.
func TestGuardianRequest(t *testing.T) {
	e := newEnv(t)
	g := e.user(t, "guardian@example.org", store.RoleLearner)
	m := e.user(t, "minor@example.org", store.RoleLearner)
	e.user(t, "stranger@example.org", store.RoleLearner)
	if _, err := e.db.UpdateUser(m.ID, store.AuditEvent{}, func(u *store.User) error { u.GuardianID = g.ID; return nil }); err != nil {
		t.Fatal(err)
	}
	set := e.app.Settings()
	set.AutoApproveExport = true
	if err := e.db.SaveSettings(set, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.app.reloadSettings(); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.login("guardian@example.org")
	res := c.get("/profile/requests").want(t, http.StatusOK)
	if !res.has(`<option value="minor@example.org"`) {
		t.Errorf("the form does not offer the minor")
	}
	c.post("/profile/requests", url.Values{"type": {"export"}, "user": {"stranger@example.org"}}).want(t, http.StatusUnprocessableEntity)
	r := fileRequest(t, e, c, url.Values{"type": {"export"}, "user": {"minor@example.org"}})
	if r.UserID != m.ID || r.FiledBy != store.FiledByGuardian || r.FiledByID != g.ID {
		t.Fatalf("got %+v, want a request about the minor filed by the guardian", r)
	}
	e.settle()
	if got := e.status(t, r.ID); got != store.StatusDownloadReady {
		t.Fatalf("auto-approved export: got %s, want download_ready", got)
	}
	c.get(reqPath("/profile/requests", r, "/download")).want(t, http.StatusOK)
	mc := e.client(t)
	mc.login("minor@example.org")
	if res := mc.get("/profile/requests").want(t, http.StatusOK); !res.has(reqPath("/profile/requests", r, "")) {
		t.Errorf("the minor does not see the request filed for them")
	}
}

// Ensure that staff file on a user's behalf (422 for an unknown user or
// type), that learners cannot reach the queue, and that cancelling works
// only on one's own request and only before processing.
func TestStaffOnBehalfAndCancel(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	e.user(t, "admin@example.org", store.RoleAdmin)
	s := e.client(t)
	s.login("admin@example.org")
	s.get("/admin/requests").want(t, http.StatusOK)
	s.post("/admin/requests", url.Values{"user": {"nobody@example.org"}, "type": {"export"}}).want(t, http.StatusUnprocessableEntity)
	if res := s.post("/admin/requests?lang=fr", url.Values{"user": {"ann@example.org"}, "type": {"bogus"}}).want(t, http.StatusUnprocessableEntity); !res.has("Choisissez") {
		t.Errorf("unknown type: no French message")
	}
	s.post("/admin/requests", url.Values{"user": {"ann@example.org"}, "type": {"other"}, "comments": {"phone call"}}).want(t, http.StatusSeeOther)
	r := lastRequest(t, e)
	if r.UserID != ann.ID || r.FiledBy != store.FiledByStaff {
		t.Fatalf("got %+v", r)
	}
	s.post("/admin/requests", url.Values{"user": {"admin@example.org"}, "type": {"delete"}}).want(t, http.StatusUnprocessableEntity)
	if res := s.get(reqPath("/admin/requests", r, "?lang=fr")).want(t, http.StatusOK); !res.has("Autre") || !res.has("phone call") || !res.has("l’équipe, pour son compte") {
		t.Errorf("FR officer page: got\n%s", res.Body)
	}
	if res := s.get(reqPath("/admin/requests", r, "?lang=en"), "HX-Request", "true").want(t, http.StatusOK); !strings.HasPrefix(strings.TrimSpace(res.Body), `<span id="request-status-`) {
		t.Errorf("officer's status fragment: got\n%s", res.Body)
	}
	s.get("/admin/requests/999").want(t, http.StatusNotFound)

	c := e.client(t)
	c.login("ann@example.org")
	c.get("/admin/requests").want(t, http.StatusForbidden)
	other := fileRequest(t, e, c, url.Values{"type": {"export"}})
	b := e.client(t)
	e.user(t, "bob@example.org", store.RoleLearner)
	b.login("bob@example.org")
	b.post(reqPath("/profile/requests", other, "/cancel"), nil).want(t, http.StatusNotFound)
	c.post(reqPath("/profile/requests", other, "/cancel"), nil).want(t, http.StatusSeeOther)
	if got := e.status(t, other.ID); got != store.StatusCancelled {
		t.Errorf("got %s, want cancelled", got)
	}
	if _, err := e.db.ChangeRequest(store.Change{ID: r.ID, To: store.StatusApproved}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.ChangeRequest(store.Change{ID: r.ID, To: store.StatusProcessing}); err != nil {
		t.Fatal(err)
	}
	c.post(reqPath("/profile/requests", r, "/cancel"), nil).want(t, http.StatusConflict)
}

// Ensure that the officer approves and rejects in bulk (decided ones are
// skipped), that a bad action is 422, that overdue requests stand out and
// filter, and that the dashboard counts them.
func TestBulkAndOverdue(t *testing.T) {
	e := newEnv(t)
	e.user(t, "dpo@example.org", store.RoleDPO)
	var ids []string
	for _, who := range []string{"a", "b", "c"} {
		u := e.user(t, who+"@example.org", store.RoleLearner)
		r, err := e.db.CreateRequest(store.NewRequest{UserID: u.ID, Type: store.RequestOther, DueDays: 30})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strconv.FormatUint(r.ID, 10))
	}
	e.advance(31 * 24 * time.Hour)
	s := e.client(t)
	s.login("dpo@example.org")
	if res := s.get("/admin").want(t, http.StatusOK); !res.has("3 requests awaiting approval.") || !res.has("3 overdue.") {
		t.Errorf("dashboard tile: got\n%s", res.Body)
	}
	res := s.get("/admin/requests?overdue=1").want(t, http.StatusOK)
	if strings.Count(res.Body, `<tr class="overdue">`) != 3 || !res.has(`<span class="badge danger">Overdue</span>`) {
		t.Errorf("overdue rows do not stand out:\n%s", res.Body)
	}
	s.post("/admin/requests/bulk", url.Values{"id": ids[:1], "action": {"explode"}}).want(t, http.StatusUnprocessableEntity)
	s.post("/admin/requests/bulk", url.Values{"id": ids[:2], "action": {"reject"}, "note": {"no"}}).want(t, http.StatusSeeOther)
	s.post("/admin/requests/bulk", url.Values{"id": ids, "action": {"approve"}}).want(t, http.StatusSeeOther)
	if res := s.get("/admin/requests?lang=fr").want(t, http.StatusOK); !res.has("Demandes modifiées\u00a0: 1. Ignorées (déjà décidées ou non autorisées)\u00a0: 2.") {
		t.Errorf("bulk flash: got\n%s", res.Body)
	}
	e.settle()
	for i, want := range []store.RequestStatus{store.StatusRejected, store.StatusRejected, store.StatusComplete} {
		id, _ := strconv.ParseUint(ids[i], 10, 64)
		if got := e.status(t, id); got != want {
			t.Errorf("request %d: got %s, want %s", id, got, want)
		}
	}
	if res := s.get("/admin/requests?overdue=1").want(t, http.StatusOK); strings.Contains(res.Body, `class="overdue"`) {
		t.Errorf("closed requests still overdue")
	}
}

// Ensure that an approved deletion erases the account (it can no longer
// sign in, its session is gone), leaves an anonymous record with a report,
// and compacts the file so the profile's bytes are gone.
func TestErasureFlow(t *testing.T) {
	e := newEnv(t)
	const marker = "Qwertzuiop-Marker"
	u, err := AddUser(e.db, NewUser{Email: "gone@example.org", Password: testPassword, Role: "learner", FirstName: marker, LastName: marker, Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	e.user(t, "dpo@example.org", store.RoleDPO)
	e.agreeAll(t, u)
	c := e.client(t)
	c.login("gone@example.org")
	c.post("/cookies", url.Values{"choice": {"accept_all"}}).want(t, http.StatusSeeOther)
	if e.app.cookies.Latest(u.ID, "") == nil || e.app.consent.Status(u.ID, e.activeIDs()[0]) == "" {
		t.Fatalf("the choices and answers are not in memory before the erasure")
	}
	r := fileRequest(t, e, c, url.Values{"type": {"delete"}, "comments": {marker}})
	s := e.client(t)
	s.login("dpo@example.org")
	s.post(reqPath("/admin/requests", r, "/approve"), url.Values{"confirm": {"on"}}).want(t, http.StatusSeeOther)
	e.settle()
	got, err := e.db.Request(r.ID)
	if err != nil || got.Status != store.StatusComplete || !got.Anonymous || len(got.Erasure) == 0 {
		t.Fatalf("got %+v, %v; want an anonymous complete record with a report", got, err)
	}
	if _, err := e.db.User(u.ID); err == nil {
		t.Errorf("the account still exists")
	}
	if e.app.cookies.Latest(u.ID, "") != nil || e.app.consent.Status(u.ID, e.activeIDs()[0]) != "" {
		t.Errorf("the erased user's cookie choice or policy answers are still in memory")
	}
	c.get("/profile").want(t, http.StatusSeeOther) // the old session no longer works
	c.get("/login")
	c.post("/login", url.Values{"email": {"gone@example.org"}, "password": {testPassword}}).want(t, http.StatusUnprocessableEntity)
	if res := s.get(reqPath("/admin/requests", r, "")).want(t, http.StatusOK); !res.has("Erasure report") || res.has(marker) {
		t.Errorf("officer's view: want the report and no marker")
	}
	data, err := os.ReadFile(e.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(marker)) || bytes.Contains(data, []byte("gone@example.org")) {
		t.Errorf("the erased profile is still in the file's bytes")
	}
}

// Ensure that a job queued before a shutdown runs after a restart: reopen
// the store, build a new App, and the approved export becomes ready.
func TestJobResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	open := func() (*store.DB, *App) {
		db, err := store.Open(dir, store.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(db, Config{Addr: ":0", BaseURL: "http://localhost:8080", Lang: "en",
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Views: views.FS, Static: static.FS, Locales: locales.FS})
		if err != nil {
			t.Fatal(err)
		}
		return db, a
	}
	db, _ := open()
	u := &store.User{Email: "ann@example.org", Role: store.RoleLearner, Lang: "en"}
	if err := db.CreateUser(u, 0); err != nil {
		t.Fatal(err)
	}
	r, err := db.CreateRequest(store.NewRequest{UserID: u.ID, Type: store.RequestExport, DueDays: 30, AutoApprove: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ClaimJob(); err != nil { // the server dies while running it
		t.Fatal(err)
	}
	db.Close()
	db, a := open()
	defer db.Close()
	a.runJobs()
	if got, _ := db.Request(r.ID); got.Status != store.StatusDownloadReady {
		t.Errorf("after restart: got %s, want download_ready", got.Status)
	}
	if jobs, _ := db.Jobs(); len(jobs) != 1 || jobs[0].State != store.JobDone {
		t.Errorf("jobs: got %+v, want one done", jobs)
	}
}

// Ensure that the demo step adds requests once, however often it runs.
func TestDemoRequests(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 2; i++ {
		if err := e.app.Demo(io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	if _, total, _ := e.db.ListRequests(store.RequestQuery{}); total != 3 {
		t.Errorf("got %d demo requests, want 3", total)
	}
}

// Ensure that an erased learner gets a last mail, in their language, sent
// to the address captured before the erasure (the notices queued for the
// account went with it).
func TestErasureLastMail(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1:0")
	e := newMailEnv(t, srv.addr)
	if _, err := AddUser(e.db, NewUser{Email: "gone@example.org", Password: testPassword, Role: "learner", Lang: "fr"}); err != nil {
		t.Fatal(err)
	}
	e.user(t, "dpo@example.org", store.RoleDPO)
	c := e.client(t)
	c.login("gone@example.org")
	r := fileRequest(t, e, c, url.Values{"type": {"delete"}})
	s := e.client(t)
	s.login("dpo@example.org")
	s.post(reqPath("/admin/requests", r, "/approve"), url.Values{"confirm": {"on"}}).want(t, http.StatusSeeOther)
	e.settle()
	e.app.deliverMail()
	found := false
	for _, m := range srv.mails() {
		msg, err := mail.ReadMessage(strings.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if len(m.To) == 1 && m.To[0] == "gone@example.org" && subject == "Votre compte et vos données personnelles sont effacés" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no last mail in French to the erased address among %d mails", len(srv.mails()))
	}
}
