package app

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"accord/locales"
	"accord/store"
)

// Ensure that only administrators reach the course pages: a learner and a
// privacy officer get 403, a visitor is sent to sign in.
func TestCoursesRoles(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	e.user(t, "dee@example.org", store.RoleDPO)
	e.user(t, "adm@example.org", store.RoleAdmin)
	for _, tc := range []struct {
		who  string
		want int
	}{{"ann@example.org", 403}, {"dee@example.org", 403}, {"adm@example.org", 200}} {
		c := e.client(t)
		c.login(tc.who)
		if res := c.get("/admin/courses"); res.Status != tc.want {
			t.Errorf("%s GET /admin/courses: got %d, want %d", tc.who, res.Status, tc.want)
		}
		if res := c.post("/admin/courses", url.Values{"code": {"X"}, "title_en": {"X"}, "title_fr": {"X"}}); tc.want == 403 && res.Status != 403 {
			t.Errorf("%s POST /admin/courses: got %d, want 403", tc.who, res.Status)
		}
	}
	if res := e.client(t).get("/admin/courses"); res.Status != http.StatusSeeOther {
		t.Errorf("visitor: got %d, want 303", res.Status)
	}
	list, _ := e.db.ListCourses()
	if len(list) != 1 {
		t.Errorf("courses: got %d, want 1 (the administrator's)", len(list))
	}
}

// Ensure that an administrator creates a course, enrols and unenrols a
// learner, and deletes the course with its data, in English and French,
// with 422 and the typed values on bad input.
func TestCoursesAdmin(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	e.user(t, "adm@example.org", store.RoleAdmin)
	c := e.client(t)
	c.login("adm@example.org")

	res := c.post("/admin/courses", url.Values{"code": {"GO-1"}, "title_en": {""}, "title_fr": {"Go"}}).want(t, 422)
	if !res.has("This field is required.") || !res.has(`value="GO-1"`) {
		t.Errorf("422 must show the message and what was typed")
	}
	res = c.post("/admin/courses?lang=fr", url.Values{"code": {"GO-1"}, "title_en": {""}, "title_fr": {"Go"}}).want(t, 422)
	if !res.has("Ce champ est obligatoire") {
		t.Errorf("French 422 must be in French")
	}
	res = c.post("/admin/courses", url.Values{"code": {"GO-1"}, "title_en": {"Go basics"}, "title_fr": {"Les bases de Go"}}).want(t, 303)
	co, err := e.db.CourseByCode("GO-1")
	if err != nil {
		t.Fatal(err)
	}
	path := res.Header.Get("Location")
	c.post("/admin/courses", url.Values{"code": {"go-1"}, "title_en": {"x"}, "title_fr": {"x"}}).want(t, 422)

	c.get(path).want(t, 200)
	res = c.post(path+"/enrol", url.Values{"email": {"nobody@example.org"}}).want(t, 422)
	if !res.has("No account has this email address.") {
		t.Errorf("unknown email: message missing")
	}
	c.post(path+"/enrol", url.Values{"email": {"ann@example.org"}}).want(t, 303)
	c.post(path+"/enrol", url.Values{"email": {"ann@example.org"}}, "HX-Request", "true").want(t, 422)
	if err := e.db.SetProgress(&store.Progress{UserID: ann.ID, CourseID: co.ID, ActivityID: "a1", Activity: "Quiz", Status: store.ProgressCompleted, Percent: 100}); err != nil {
		t.Fatal(err)
	}
	res = c.get("/admin/courses?lang=fr").want(t, 200)
	if !res.has("Les bases de Go") || !res.has("Formations") {
		t.Errorf("French list must show the French title")
	}
	c.get("/admin/courses?lang=en")
	res = c.get(path).want(t, 200)
	if !res.has("ann@example.org") {
		t.Errorf("course page must list the enrolled learner")
	}

	// The learner sees it on My courses.
	lc := e.client(t)
	lc.login("ann@example.org")
	res = lc.get("/profile/courses").want(t, 200)
	if !res.has("Go basics") || !res.has("Activities completed: 1 of 1") {
		t.Errorf("my courses: got\n%s", res.Body)
	}
	lc.get("/profile/courses?lang=fr").want(t, 200)
	if !lc.get("/profile/courses?lang=fr").has("Activités terminées\u00a0: 1 sur 1") {
		t.Errorf("my courses in French: progress summary missing")
	}

	c.post(path+"/unenrol", url.Values{"user": {"nobody@example.org"}}).want(t, 404)
	c.post(path+"/unenrol", url.Values{"user": {"ann@example.org"}}, "HX-Request", "true").want(t, 200)
	c.post(path+"/delete", nil).want(t, 422)
	if _, err := e.db.Course(co.ID); err != nil {
		t.Fatalf("course gone without confirmation: %v", err)
	}
	res = c.post(path+"/delete", url.Values{"confirm": {"on"}}).want(t, 303)
	if got := res.Header.Get("Location"); got != "/admin/courses" {
		t.Errorf("after delete: got %s, want /admin/courses", got)
	}
	if n, _ := e.db.CountProgress(ann.ID); n != 0 {
		t.Errorf("progress after course deletion: got %d, want 0", n)
	}
	if res := c.get("/admin/courses?lang=en"); !res.has("The course GO-1 is deleted. Enrolments destroyed: 1; progress records destroyed: 1.") {
		t.Errorf("flash missing:\n%s", res.Body)
	}
	c.get(path).want(t, 404)
}

// Ensure that the retention review flags a learner with no enrolment for
// the configured period, shows them to staff with an erasure form
// and a dashboard tile, and forgets them once enrolled again.
func TestRetentionPage(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	e.user(t, "dee@example.org", store.RoleDPO)
	e.app.sweepRetention()
	if n, _ := e.db.CountRetentionFlags(); n != 0 {
		t.Fatalf("new account flagged: got %d, want 0", n)
	}
	e.advance(366 * 24 * time.Hour)
	e.app.sweepRetention()
	c := e.client(t)
	c.login("dee@example.org")
	res := c.get("/admin/courses/retention").want(t, 200)
	if !res.has("ann@example.org") || !res.has(`action="/admin/courses/retention/erase"`) || !res.has(`name="user" value="ann@example.org"`) {
		t.Errorf("retention page must list ann with an erasure form:\n%s", res.Body)
	}
	if !c.get("/admin/courses/retention?lang=fr").has("1 compte signalé pour suppression") {
		t.Errorf("French count missing")
	}
	if !c.get("/admin?lang=en").has("1 account flagged for deletion") {
		t.Errorf("dashboard tile missing")
	}
	co := &store.Course{Code: "C", TitleEN: "C", TitleFR: "C"}
	if err := e.db.CreateCourse(co, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Enrol(ann.ID, co.ID, 0); err != nil {
		t.Fatal(err)
	}
	if c.get("/admin/courses/retention").has("ann@example.org") {
		t.Errorf("enrolled learner still flagged")
	}
	lc := e.client(t)
	lc.login("ann@example.org")
	lc.get("/admin/courses/retention").want(t, 403)
}

// Ensure that the audit log is for staff only, filters by action and user,
// pages by 50, translates action names, and that its CSV download is
// formula-safe and audited once.
func TestAuditPages(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	e.user(t, "dee@example.org", store.RoleDPO)
	adm := e.user(t, "adm@example.org", store.RoleAdmin)
	for i := 0; i < 60; i++ {
		if err := e.db.Audit(store.AuditEvent{Action: store.ActSettingsChanged, ActorID: adm.ID, Detail: "=HYPERLINK(\"http://evil\")"}); err != nil {
			t.Fatal(err)
		}
	}
	lc := e.client(t)
	lc.login("ann@example.org")
	lc.get("/admin/audit").want(t, 403)
	lc.get("/admin/audit.csv").want(t, 403)

	c := e.client(t)
	c.login("dee@example.org")
	res := c.get("/admin/audit").want(t, 200)
	if got := strings.Count(res.Body, "<tr><td>"); got != 50 {
		t.Errorf("rows on page 1: got %d, want 50", got)
	}
	res = c.get("/admin/audit?action=settings_changed&page=2").want(t, 200)
	if got := strings.Count(res.Body, "<tr><td>"); got != 10 {
		t.Errorf("rows on page 2: got %d, want 10", got)
	}
	res = c.get("/admin/audit?action=settings_changed&lang=fr", "HX-Request", "true").want(t, 200)
	if !res.has("60 événements") || !res.has("Réglages modifiés") {
		t.Errorf("French fragment: got\n%s", res.Body)
	}
	if res.has("<html") || !res.has(`id="audit-table"`) {
		t.Errorf("htmx answer must be the table fragment")
	}
	res = c.get("/admin/audit?user=ann@example.org&lang=en").want(t, 200)
	if !res.has("Account created") || res.has("adm@example.org</td><td>—") {
		t.Errorf("user filter: got\n%s", res.Body)
	}
	if !c.get("/admin/audit?user=nobody@example.org").has("No account has this email address.") {
		t.Errorf("unknown user filter: message missing")
	}

	before, _, _ := e.db.ListAudit(store.AuditQuery{Action: store.ActAuditExported})
	res = c.get("/admin/audit.csv?action=settings_changed").want(t, 200)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("content type: got %s", ct)
	}
	if !strings.HasPrefix(res.Body, "\ufeff") || strings.Count(res.Body, "\n") != 61 {
		t.Errorf("csv: got %d lines, want 61 with a BOM", strings.Count(res.Body, "\n"))
	}
	if strings.Contains(res.Body, ",\"=HYPERLINK") || !strings.Contains(res.Body, "'=HYPERLINK") {
		t.Errorf("csv cell not neutralised:\n%s", res.Body[:300])
	}
	after, _, _ := e.db.ListAudit(store.AuditQuery{Action: store.ActAuditExported})
	if len(after)-len(before) != 1 {
		t.Errorf("audit_exported events: got %d new, want 1", len(after)-len(before))
	}
}

// Ensure that `accord demo` adds courses, enrolments and progress once:
// running it again adds nothing.
func TestDemoCoursesIdempotent(t *testing.T) {
	e := newEnv(t)
	count := func() (courses, progress int) {
		list, _ := e.db.ListCourses()
		for _, email := range []string{"alice@demo.test", "bob@demo.test", "minor@demo.test"} {
			u, err := e.db.UserByEmail(email)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := e.db.CountProgress(u.ID)
			progress += n
		}
		return len(list), progress
	}
	var out bytes.Buffer
	if err := e.app.Demo(&out); err != nil {
		t.Fatal(err)
	}
	c1, p1 := count()
	if c1 != 3 || p1 == 0 {
		t.Fatalf("after demo: got %d courses, %d progress, want 3 and some", c1, p1)
	}
	events, _, _ := e.db.ListAudit(store.AuditQuery{})
	if err := e.app.Demo(&out); err != nil {
		t.Fatal(err)
	}
	c2, p2 := count()
	again, _, _ := e.db.ListAudit(store.AuditQuery{})
	if c2 != c1 || p2 != p1 || len(again) != len(events) {
		t.Errorf("second demo: got %d courses, %d progress, %d events; want %d, %d, %d", c2, p2, len(again), c1, p1, len(events))
	}
}

// Ensure that the courses locale files have the same keys in English and
// French, and every audited action of this feature has a name.
func TestCoursesLocales(t *testing.T) {
	keys := func(name string) map[string]bool {
		data, err := fs.ReadFile(locales.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for k := range m {
			out[k] = true
		}
		return out
	}
	en, fr := keys("en.courses.json"), keys("fr.courses.json")
	for k := range en {
		if !fr[k] {
			t.Errorf("fr.courses.json: missing %s", k)
		}
	}
	for k := range fr {
		if !en[k] {
			t.Errorf("en.courses.json: missing %s", k)
		}
	}
	for _, a := range []store.Action{store.ActCourseCreated, store.ActCourseDeleted, store.ActEnrolled, store.ActUnenrolled, store.ActRetentionFlagged, store.ActRetentionCleared, store.ActAuditExported} {
		if !en["audit.action."+string(a)] {
			t.Errorf("no name for action %s", a)
		}
	}
}
