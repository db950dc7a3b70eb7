package app

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"accord/store"
)

// course creates a course and enrols users in it, each with one activity's
// progress.
func (e *testEnv) course(t *testing.T, code, title string, users ...*store.User) *store.Course {
	t.Helper()
	co := &store.Course{Code: code, TitleEN: title, TitleFR: title + " (fr)"}
	if err := e.db.CreateCourse(co, 0); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if err := e.db.Enrol(u.ID, co.ID, 0); err != nil {
			t.Fatal(err)
		}
		if err := e.db.SetProgress(&store.Progress{UserID: u.ID, CourseID: co.ID, ActivityID: code + "-1", Activity: "Quiz " + code,
			Status: store.ProgressCompleted, Percent: 100}); err != nil {
			t.Fatal(err)
		}
	}
	return co
}

// Ensure that the officer finds the person to file for by part of a name
// or an email (htmx: the results alone; without JavaScript: the queue
// with them), suspended accounts included and marked, and files through
// the chosen radio (the CONTRACT's `user` field); a missing or unknown
// person is 422 in the officer's language with the form kept; learners
// get 403.
func TestPeopleSearch(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann.durand@example.org", store.RoleLearner)
	sue := e.user(t, "sue@example.org", store.RoleLearner)
	if _, err := e.db.UpdateUser(sue.ID, store.AuditEvent{}, func(u *store.User) error {
		u.FirstName, u.LastName, u.Suspended = "Suzanne", "Durand", true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.user(t, "bob@example.org", store.RoleLearner)
	e.user(t, "dpo@example.org", store.RoleDPO)
	o := e.client(t)
	o.login("dpo@example.org")
	page := o.get("/admin/requests").want(t, http.StatusOK)
	if !page.has(`hx-get="/admin/requests/people"`) || !page.has(`id="people"`) {
		t.Fatalf("the filing form has no live people search")
	}
	frag := o.get("/admin/requests/people?q=DURAND", "HX-Request", "true").want(t, http.StatusOK)
	if frag.has("<html") || !strings.HasPrefix(strings.TrimSpace(frag.Body), `<div id="people"`) {
		t.Fatalf("htmx search: want the results fragment alone, got\n%s", frag.Body)
	}
	if !frag.has(`value="ann.durand@example.org"`) || !frag.has(`value="sue@example.org"`) || frag.has("bob@example.org") {
		t.Errorf("search by last name: want Ann and Suzanne (not Bob), got\n%s", frag.Body)
	}
	if !frag.has("Suspended") {
		t.Errorf("the suspended account is not marked")
	}
	full := o.get("/admin/requests/people?q=ann.du").want(t, http.StatusOK)
	if !full.has("<html") || !full.has(`value="ann.durand@example.org"`) || full.has(`value="sue@example.org"`) {
		t.Errorf("search without JavaScript: want the whole page with Ann only")
	}
	if none := o.get("/admin/requests/people?q=zzz", "HX-Request", "true"); !none.has(`id="people-none"`) {
		t.Errorf("no match: want the no-match message")
	}
	if fr := o.get("/admin/requests/people?q=zzz&lang=fr", "HX-Request", "true"); !fr.has("Aucun compte") {
		t.Errorf("no match in French: got\n%s", fr.Body)
	}
	o.get("/admin/requests?lang=en")

	bad := o.post("/admin/requests", url.Values{"type": {"export"}, "comments": {"by phone"}}).want(t, http.StatusUnprocessableEntity)
	if !bad.has(`id="f-user-err"`) || !bad.has("by phone") {
		t.Errorf("no person chosen: want the error at the people list and the form as typed")
	}
	o.post("/admin/requests", url.Values{"user": {"ghost@example.org"}, "type": {"export"}}).want(t, http.StatusUnprocessableEntity)
	res := o.post("/admin/requests", url.Values{"user": {"ann.durand@example.org"}, "type": {"other"}}, "HX-Request", "true").want(t, http.StatusOK)
	if res.Header.Get("HX-Redirect") == "" {
		t.Errorf("htmx filing: want HX-Redirect")
	}
	if r := lastRequest(t, e); r.UserID != ann.ID || r.FiledBy != store.FiledByStaff {
		t.Errorf("filed: got %+v, want Ann's, by staff", r)
	}
	// A refusal keeps the chosen person checked.
	again := o.post("/admin/requests", url.Values{"user": {"ann.durand@example.org"}, "type": {"other"}}).want(t, http.StatusUnprocessableEntity)
	if !again.has(`value="ann.durand@example.org" checked`) {
		t.Errorf("422: the chosen person is no longer checked")
	}

	for i := 0; i < peopleShown+2; i++ {
		e.user(t, "many"+itoa(uint64(i))+"@example.org", store.RoleLearner)
	}
	if many := o.get("/admin/requests/people?q=many", "HX-Request", "true"); strings.Count(many.Body, `name="user"`) != peopleShown || !many.has(itoa(peopleShown+2)+" accounts match") {
		t.Errorf("many matches: want %d radios and the count", peopleShown)
	}
	l := e.client(t)
	l.login(ann.Email)
	l.get("/admin/requests/people?q=a").want(t, http.StatusForbidden)
}

// Ensure that an export limited to some courses holds only the person's
// enrolments and progress in them, nothing else, and says so in
// index.html (and on the request pages); that courses are refused on
// other types, unknown ones and, for a learner, courses they never
// followed (422, nothing filed); that staff download it (audited) once
// ready, not before, and get 410 after it expired.
func TestLimitedExport(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	bob := e.user(t, "bob@example.org", store.RoleLearner)
	officer := e.user(t, "dpo@example.org", store.RoleDPO)
	algebra := e.course(t, "ALG", "Algebra", ann, bob)
	botany := e.course(t, "BOT", "Botany", ann)
	chess := e.course(t, "CHS", "Chess", bob)

	o := e.client(t)
	o.login(officer.Email)
	o.get("/admin/requests")
	for _, bad := range []url.Values{
		{"user": {ann.Email}, "type": {"other"}, "course": {itoa(algebra.ID)}},
		{"user": {ann.Email}, "type": {"export"}, "course": {"999"}},
		{"user": {ann.Email}, "type": {"export"}, "course": {"x"}},
	} {
		o.post("/admin/requests", bad).want(t, http.StatusUnprocessableEntity)
	}
	if _, n, _ := e.db.ListRequests(store.RequestQuery{}); n != 0 {
		t.Fatalf("refused forms filed %d requests", n)
	}
	if fr := o.post("/admin/requests?lang=fr", url.Values{"user": {ann.Email}, "type": {"delete"}, "course": {itoa(algebra.ID)}}); !fr.has("Seul un export") {
		t.Errorf("courses on a deletion: no French message")
	}
	o.get("/admin/requests?lang=en")
	o.post("/admin/requests", url.Values{"user": {ann.Email}, "type": {"export"}, "course": {itoa(algebra.ID)}}).want(t, http.StatusSeeOther)
	r := lastRequest(t, e)
	if len(r.Courses) != 1 || r.Courses[0] != algebra.ID {
		t.Fatalf("courses: got %v, want [%d]", r.Courses, algebra.ID)
	}
	o.get(reqPath("/admin/requests", r, "/download")).want(t, http.StatusNotFound) // not approved yet
	if page := o.get(reqPath("/admin/requests", r, "")); !page.has(`id="request-courses"`) || !page.has("Algebra") {
		t.Errorf("the request page does not say which courses")
	}
	o.post(reqPath("/admin/requests", r, "/approve"), url.Values{}).want(t, http.StatusSeeOther)
	e.settle()
	if page := o.get(reqPath("/admin/requests", r, "")); !page.has(reqPath("/admin/requests", r, "/download")) {
		t.Errorf("the ready export has no download link on the officer's page")
	}
	res := o.get(reqPath("/admin/requests", r, "/download")).want(t, http.StatusOK)
	files := unzip(t, res.Body)
	for name := range files {
		if strings.HasPrefix(name, "data/") && name != "data/enrolments.json" && name != "data/progress.json" {
			t.Errorf("a limited export holds %s", name)
		}
	}
	for _, kind := range []string{"enrolments", "progress"} {
		var recs []struct {
			UserID   uint64 `json:"user_id"`
			CourseID uint64 `json:"course_id"`
		}
		if err := json.Unmarshal([]byte(files["data/"+kind+".json"]), &recs); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if len(recs) != 1 || recs[0].CourseID != algebra.ID || recs[0].UserID != ann.ID {
			t.Errorf("%s: got %+v, want Ann's one record in Algebra", kind, recs)
		}
	}
	index := files["index.html"]
	if !strings.Contains(index, `id="limited"`) || !strings.Contains(index, "Algebra") || strings.Contains(index, "Botany") || strings.Contains(index, "Chess") {
		t.Errorf("index.html does not say the export holds Algebra only")
	}
	if ev, _, _ := e.db.ListAudit(store.AuditQuery{UserID: officer.ID, Action: store.ActExportDownloaded}); len(ev) != 1 || ev[0].SubjectID != ann.ID {
		t.Errorf("the officer's download is not audited: %+v", ev)
	}
	e.advance(time.Duration(e.app.Settings().ExportExpiryDays+1) * 24 * time.Hour)
	o.login(officer.Email) // the session idled out meanwhile
	o.get(reqPath("/admin/requests", r, "/download")).want(t, http.StatusGone)

	// The learner chooses among her own courses.
	c := e.client(t)
	c.login(ann.Email)
	form := c.get("/profile/requests").want(t, http.StatusOK)
	if !form.has(`value="`+itoa(botany.ID)+`"`) || form.has(`value="`+itoa(chess.ID)+`"`) {
		t.Errorf("the learner's form: want her courses only")
	}
	c.post("/profile/requests", url.Values{"type": {"export"}, "course": {itoa(chess.ID)}}).want(t, http.StatusUnprocessableEntity)
	mine := fileRequest(t, e, c, url.Values{"type": {"export"}, "course": {itoa(botany.ID)}})
	if len(mine.Courses) != 1 || mine.Courses[0] != botany.ID {
		t.Errorf("the learner's limited export: got courses %v", mine.Courses)
	}
	if page := c.get(reqPath("/profile/requests", mine, "?lang=fr")); !page.has("Botany (fr)") || !page.has("Limitée aux cours") {
		t.Errorf("the learner's request page does not name the course in French")
	}
}

// Ensure that a rejected request is filed again as a new one, by the
// officer or by the person, linked both ways and audited; that it can be
// done once, only on a rejected request (422 otherwise, translated), and
// that another person's request is 404 to a learner.
func TestResubmit(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	e.user(t, "bob@example.org", store.RoleLearner)
	e.user(t, "dpo@example.org", store.RoleDPO)
	c := e.client(t)
	c.login(ann.Email)
	first := fileRequest(t, e, c, url.Values{"type": {"export"}, "comments": {"all of it"}})

	o := e.client(t)
	o.login("dpo@example.org")
	o.post(reqPath("/admin/requests", first, "/resubmit"), nil).want(t, http.StatusUnprocessableEntity) // not rejected
	if page := o.get(reqPath("/admin/requests", first, "")); page.has(`id="resubmit"`) {
		t.Errorf("an awaiting request offers a resubmission")
	}
	o.post(reqPath("/admin/requests", first, "/reject"), url.Values{"note": {"identity unclear"}}).want(t, http.StatusSeeOther)
	if page := o.get(reqPath("/admin/requests", first, "")); !page.has(`action="` + reqPath("/admin/requests", first, "/resubmit") + `"`) {
		t.Fatalf("the rejected request offers no resubmission")
	}
	res := o.post(reqPath("/admin/requests", first, "/resubmit"), nil).want(t, http.StatusSeeOther)
	second := lastRequest(t, e)
	if res.Header.Get("Location") != reqPath("/admin/requests", second, "") {
		t.Errorf("resubmit: got Location %q, want the new request", res.Header.Get("Location"))
	}
	if second.ID == first.ID || second.ResubmitOf != first.ID || second.Comments != "all of it" || second.Type != store.RequestExport ||
		second.UserID != ann.ID || second.FiledBy != store.FiledByStaff || second.Status != store.StatusAwaitingApproval {
		t.Errorf("the new request: got %+v", second)
	}
	if old, _ := e.db.Request(first.ID); old.ResubmittedAs != second.ID || old.Status != store.StatusRejected {
		t.Errorf("the old request: got %+v, want rejected, resubmitted as %d", old, second.ID)
	}
	if page := o.get(reqPath("/admin/requests", second, "")); !page.has(`id="resubmit-of"`) || !page.has(`href="`+reqPath("/admin/requests", first, "")+`"`) {
		t.Errorf("the new request does not link to the old one")
	}
	if page := o.get(reqPath("/admin/requests", first, "")); !page.has(`id="resubmitted-as"`) || page.has(`id="resubmit"`) {
		t.Errorf("the old request does not link to the new one, or still offers to resubmit")
	}
	if fr := o.post(reqPath("/admin/requests", first, "/resubmit?lang=fr"), nil).want(t, http.StatusUnprocessableEntity); !fr.has("ne peut pas être déposée") {
		t.Errorf("a second resubmission: no French message")
	}
	if ev, _, _ := e.db.ListAudit(store.AuditQuery{Action: store.ActRequestFiled}); len(ev) != 2 || !strings.Contains(ev[0].Detail, "resubmits request "+itoa(first.ID)) {
		t.Errorf("audit: got %+v, want the new filing naming the old request", ev)
	}

	// The person resubmits her own rejected request; Bob cannot touch it.
	o.post(reqPath("/admin/requests", second, "/reject"), url.Values{}).want(t, http.StatusSeeOther)
	b := e.client(t)
	b.login("bob@example.org")
	b.post(reqPath("/profile/requests", second, "/resubmit"), nil).want(t, http.StatusNotFound)
	if page := c.get(reqPath("/profile/requests", second, "")); !page.has(`action="` + reqPath("/profile/requests", second, "/resubmit") + `"`) {
		t.Fatalf("the learner's rejected request offers no resubmission")
	}
	c.post(reqPath("/profile/requests", second, "/resubmit"), nil).want(t, http.StatusSeeOther)
	third := lastRequest(t, e)
	if third.ResubmitOf != second.ID || third.FiledBy != store.FiledBySelf || third.FiledByID != ann.ID {
		t.Errorf("the learner's resubmission: got %+v", third)
	}
	c.post(reqPath("/profile/requests", second, "/resubmit"), nil).want(t, http.StatusUnprocessableEntity)
}
