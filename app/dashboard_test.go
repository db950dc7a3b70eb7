package app

import (
	"encoding/xml"
	"regexp"
	"strings"
	"testing"
	"time"

	"accord/store"
)

// Ensure that /admin shows the officer what needs action now (a request
// overdue with its days late, one waiting with its days left, an unread
// DPO thread, an empty DPO contact), the four charts as SVG images with a
// title, a description and a table linking to the filtered lists, in
// English and French; that it links to no page the viewer's role cannot
// open; and that showing it writes nothing.
func TestDashboard(t *testing.T) {
	e := newEnv(t)
	e.oldRequest(t, "late@example.org") // due 1 day ago
	ann := e.person(t, "ann@example.org", store.RoleLearner, "Ann", "Archer", "en")
	e.advance(-20 * 24 * time.Hour)
	r, err := e.db.CreateRequest(store.NewRequest{UserID: ann.ID, Type: store.RequestExport, FiledBy: store.FiledBySelf, FiledByID: ann.ID, DueDays: 30})
	e.advance(20 * 24 * time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	th, err := e.db.CreateDPOThread(ann.ID, "Where are my marks?", "Hello")
	if err != nil {
		t.Fatal(err)
	}
	s := e.app.Settings()
	s.DPOName, s.DPOEmail = "", ""
	if err := e.db.SaveSettings(s, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.app.reloadSettings(); err != nil {
		t.Fatal(err)
	}
	e.user(t, "dpo@example.org", store.RoleDPO)
	e.user(t, "admin@example.org", store.RoleAdmin)
	dpo := e.client(t)
	dpo.login("dpo@example.org")
	before, _ := e.db.CommitID()
	res := dpo.get("/admin").want(t, 200)
	if after, _ := e.db.CommitID(); after != before {
		t.Errorf("GET /admin wrote to the database (commit %d → %d)", before, after)
	}
	for _, want := range []string{
		"1 request overdue", "1 day late", `href="/admin/requests?overdue=1"`,
		"1 request waiting", "due in 10 days", `href="/admin/requests/` + itoa(r.ID) + `"`, "Copy (export) no. " + itoa(r.ID) + " for Ann Archer",
		"1 unread message to the Data Protection Officer", `href="/admin/dpo/` + itoa(th.ID) + `"`, "“Where are my marks?” from Ann Archer",
		"The Data Protection Officer&#39;s contact is empty", "Ask an administrator",
		"Agreement per active version", "Ongoing requests by due date", "Cookie choices per week", "Visitors per day",
		`href="/admin/requests?status=awaiting_approval&amp;overdue=1"`, `href="/admin/agreements?version=`,
	} {
		if !res.has(want) {
			t.Errorf("DPO's dashboard lacks %q", want)
		}
	}
	for _, svg := range regexp.MustCompile(`(?s)<svg xmlns.*?</svg>`).FindAllString(res.Body, -1) {
		if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
			t.Errorf("chart is not well-formed SVG: %v\n%s", err, svg)
		}
		if !strings.Contains(svg, `role="img"`) || !strings.Contains(svg, "<title id=") || !strings.Contains(svg, "<desc id=") {
			t.Errorf("chart without its text alternative:\n%s", svg)
		}
	}
	if n := strings.Count(res.Body, `<svg xmlns="http://www.w3.org/2000/svg" class="chart"`); n != 2 {
		t.Errorf("charts drawn: got %d, want 2 (agreements and requests; no cookie choice or visit yet)", n)
	}
	// No link the privacy officer cannot follow.
	for _, m := range regexp.MustCompile(`href="(/admin[^"]*)"`).FindAllStringSubmatch(res.Body, -1) {
		path := strings.ReplaceAll(m[1], "&amp;", "&")
		if code := dpo.get(path).Status; code != 200 {
			t.Errorf("the dashboard links %s, which answers %d to a privacy officer", path, code)
		}
	}
	admin := e.client(t)
	admin.login("admin@example.org")
	if res := admin.get("/admin").want(t, 200); !res.has(`<a href="/admin/settings">Publish a name`) {
		t.Errorf("the administrator is not sent to the settings for the empty DPO contact")
	}
	res = dpo.get("/admin?lang=fr").want(t, 200)
	for _, want := range []string{"À traiter maintenant", "1 demande en retard", "1 jour de retard", "à traiter sous 10 jours",
		"«\u00a0Where are my marks?\u00a0» de Ann Archer", "Acceptation par version active", "Demandes en cours par échéance"} {
		if !res.has(want) {
			t.Errorf("French dashboard lacks %q", want)
		}
	}
}

// Ensure that the officer's thread page marks the thread read by a POST
// sent once it loaded (htmx), not by the GET itself.
func TestDashboardThreadReadOnOpen(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	th, err := e.db.CreateDPOThread(ann.ID, "Marks", "Hello")
	if err != nil {
		t.Fatal(err)
	}
	e.user(t, "dpo@example.org", store.RoleDPO)
	c := e.client(t)
	c.login("dpo@example.org")
	before, _ := e.db.CommitID()
	res := c.get(adminDPOPath(th.ID)).want(t, 200)
	if after, _ := e.db.CommitID(); after != before {
		t.Errorf("GET of the thread wrote to the database")
	}
	post := `hx-post="` + adminDPOPath(th.ID) + `/read" hx-trigger="load"`
	if !res.has(post) {
		t.Fatalf("the thread page sends no read mark once loaded (%s)", post)
	}
	c.post(adminDPOPath(th.ID)+"/read", nil, "HX-Request", "true").want(t, 200)
	if e.dpoThread(t, th.ID).Unread {
		t.Errorf("the thread is still unread after the page's POST")
	}
	if res := c.get(adminDPOPath(th.ID)).want(t, 200); res.has(`hx-trigger="load"`) {
		t.Errorf("a read thread marks itself read again")
	}
}

// Ensure that a started day counts as one, both ways.
func TestDaysBetween(t *testing.T) {
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		to   time.Time
		want int
	}{{at, 0}, {at.Add(-time.Hour), 0}, {at.Add(2 * time.Hour), 1}, {at.Add(24 * time.Hour), 1}, {at.Add(25 * time.Hour), 2}, {at.Add(10 * 24 * time.Hour), 10}} {
		if got := daysBetween(at, tc.to); got != tc.want {
			t.Errorf("daysBetween(%v, %v): got %d, want %d", at, tc.to, got, tc.want)
		}
	}
}
