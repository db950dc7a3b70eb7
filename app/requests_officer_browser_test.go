package app

import (
	"testing"

	"accord/store"
)

// Ensure, in a real browser, that the officer finds a person by typing part
// of their name (the live search swaps the results in, no page load),
// chooses them and files an export limited to one course on their behalf.
func TestBrowserOfficerFilesForSomeone(t *testing.T) {
	b := newBrowser(t)
	e := b.env
	ann := e.person(t, "ann@example.org", store.RoleLearner, "Ann", "Durand", "en")
	e.person(t, "bob@example.org", store.RoleLearner, "Bob", "Martin", "en")
	e.user(t, "dpo@example.org", store.RoleDPO)
	co := e.course(t, "ALG", "Algebra", ann)

	b.login("dpo@example.org")
	b.refuseCookies()
	b.visit("/admin/requests")
	b.fill("#f-q", "dura")
	b.waitFor("#f-user-" + itoa(ann.ID))
	if b.has("bob@example.org") {
		t.Errorf("the live search lists Bob for %q", "dura")
	}
	b.click("#f-user-" + itoa(ann.ID))
	b.choose("#f-type", "export")
	b.click("#f-course-" + itoa(co.ID))
	if status := b.submit("#file-for-user form[method=post] button[type=submit]"); status != 200 {
		t.Fatalf("filing: got %d, want 200", status)
	}
	r := lastRequest(t, e)
	if r.UserID != ann.ID || r.Type != store.RequestExport || len(r.Courses) != 1 || r.Courses[0] != co.ID {
		t.Errorf("filed: got %+v, want Ann's export limited to Algebra", r)
	}
	if b.path() != reqPath("/admin/requests", r, "") || !b.has("Algebra") {
		t.Errorf("after filing: got %s, want the request page naming the course", b.path())
	}
}
