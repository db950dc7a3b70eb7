package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"accord/store"
)

// onBehalfSetup is an administrator who agreed to everything, Ann with
// everything pending (the three seeded policies and an optional
// newsletter), and Bob who agreed to everything but the newsletter.
func onBehalfSetup(t *testing.T) (e *testEnv, admin, ann, bob *store.User, news *store.PolicyVersion) {
	t.Helper()
	e = newEnv(t)
	admin = e.newcomer(t, "root@example.org", store.RoleAdmin)
	ann = e.newcomer(t, "ann@example.org", store.RoleLearner)
	bob = e.newcomer(t, "bob@example.org", store.RoleLearner)
	e.agreeAll(t, admin)
	e.agreeAll(t, bob)
	news = &store.PolicyVersion{Revision: "1", Type: store.TypeOther, Audience: store.AudienceAll, Style: store.StyleConsentPage, Optional: true,
		Texts: map[string]store.PolicyText{"en": {Name: "Newsletter", Summary: "News", Content: "We send news."}, "fr": {Name: "Lettre", Summary: "Nouvelles", Content: "Nous envoyons des nouvelles."}}}
	if err := e.db.CreatePolicy(news, admin.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.db.ActivateVersion(news.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	e.agreeAll(t, admin)
	return e, admin, ann, bob, news
}

func row(u *store.User, versionID uint64) string { return fmt.Sprintf("%d:%d", u.ID, versionID) }

// Ensure that the first step only shows what would be recorded and what
// skipped (nothing recorded, in English and French), and that the
// confirmed step records each row for its own version, by the staff
// member with the remark, and says what was recorded and what skipped.
func TestOnBehalfConfirmAndRecord(t *testing.T) {
	e, admin, ann, bob, news := onBehalfSetup(t)
	privacy := seeded(t, e, "privacy").Active()
	site := seeded(t, e, "site").Active()
	staff := e.client(t)
	staff.login("root@example.org")
	form := url.Values{"row": {row(ann, privacy.ID), row(ann, news.ID), row(bob, site.ID)}, "answer": {"accept"}, "note": {"Paper form of 2 May"},
		"back": {"/admin/agreements?status=pending"}}
	staff.get("/admin/agreements")
	res := staff.post("/admin/agreements/answer", form).want(t, http.StatusOK)
	for _, want := range []string{"To be recorded (2)", "Skipped, nothing recorded (1)", "already answered", `name="confirm" value="1"`, "Record these answers (2)"} {
		if !res.has(want) {
			t.Errorf("confirmation: no %q", want)
		}
	}
	if got := e.app.consent.Status(ann.ID, privacy.ID); got != "" {
		t.Fatalf("confirmation step: got %q recorded, want nothing yet", got)
	}
	fr := staff.post("/admin/agreements/answer?lang=fr", form).want(t, http.StatusOK)
	if !fr.has("À enregistrer (2)") || !fr.has("déjà répondu") {
		t.Errorf("confirmation in French: want the French headings and reasons")
	}

	form.Set("confirm", "1")
	res = staff.post("/admin/agreements/answer", form).want(t, http.StatusSeeOther)
	if got := res.Header.Get("Location"); got != "/admin/agreements?status=pending" {
		t.Errorf("got back to %q, want the report as filtered", got)
	}
	for _, v := range []*store.PolicyVersion{privacy, news} {
		if got := e.app.consent.Status(ann.ID, v.ID); got != store.Accepted {
			t.Errorf("version %d: got %q, want accepted", v.ID, got)
		}
	}
	if got := e.app.consent.Status(ann.ID, site.ID); got != "" {
		t.Errorf("a version not ticked: got %q, want nothing", got)
	}
	events, _ := e.db.UserAcceptances(ann.ID)
	if len(events) != 2 || events[0].ActorKind != store.ActorStaff || events[0].ActorID != admin.ID || events[0].Note != "Paper form of 2 May" || events[0].Where != store.WhereReport {
		t.Fatalf("got events %+v, want two by the administrator with the remark", events)
	}
	page := staff.get("/admin/agreements?status=pending").want(t, http.StatusOK)
	want := "Accepted on their behalf (2): Test ann (ann@example.org) — Privacy policy 1.0; Test ann (ann@example.org) — Newsletter 1. " +
		"Skipped, nothing recorded (1): Test bob (bob@example.org) — Site policy 1.0: already answered."
	if !page.has(want) {
		t.Errorf("result message: want %q", want)
	}
}

// Ensure that bad input records nothing: a row not pending for its person
// (skipped and reported), a row that cannot be read, a missing remark, an
// answer a policy does not allow (decline or withdraw a compulsory one).
func TestOnBehalfBadInput(t *testing.T) {
	e, _, ann, bob, news := onBehalfSetup(t)
	site := seeded(t, e, "site").Active()
	staff := e.client(t)
	staff.login("root@example.org")
	before, _ := e.db.UserAcceptances(bob.ID)
	staff.post("/admin/agreements/answer", url.Values{"row": {row(bob, site.ID)}, "answer": {"accept"}, "note": {"x"}, "confirm": {"1"}}).want(t, http.StatusSeeOther)
	if res := staff.get("/admin/agreements"); !res.has("Nothing recorded. Skipped (1): Test bob (bob@example.org) — Site policy 1.0: already answered.") {
		t.Errorf("a row not pending: want it reported as skipped")
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"a row that cannot be read", url.Values{"row": {"ann"}, "answer": {"accept"}, "note": {"x"}, "confirm": {"1"}}, "could not be read"},
		{"no row", url.Values{"answer": {"accept"}, "note": {"x"}, "confirm": {"1"}}, "Tick at least one row"},
		{"no remark", url.Values{"row": {row(ann, site.ID)}, "answer": {"accept"}, "confirm": {"1"}}, "This field is required."},
		{"an unknown answer", url.Values{"row": {row(ann, site.ID)}, "answer": {"maybe"}, "note": {"x"}, "confirm": {"1"}}, "Choose one of the values offered."},
	} {
		res := staff.post("/admin/agreements/answer", tc.form).want(t, http.StatusUnprocessableEntity)
		if !res.has(tc.want) {
			t.Errorf("%s: 422 without %q", tc.name, tc.want)
		}
	}
	res := staff.post("/admin/agreements/answer", url.Values{"row": {row(ann, site.ID), row(ann, news.ID)}, "answer": {"withdraw"}, "note": {"x"}}).want(t, http.StatusOK)
	if !res.has("compulsory: it cannot be declined or withdrawn") || !res.has("not accepted: nothing to withdraw") || res.has(`name="confirm"`) {
		t.Errorf("withdraw a compulsory and a never-answered version: want both skipped and no confirm button")
	}
	staff.post("/admin/agreements/answer", url.Values{"row": {row(ann, site.ID)}, "answer": {"decline"}, "note": {"x"}, "confirm": {"1"}}).want(t, http.StatusSeeOther)
	if events, _ := e.db.UserAcceptances(ann.ID); len(events) != 0 {
		t.Errorf("ann: got %d events, want none", len(events))
	}
	if events, _ := e.db.UserAcceptances(bob.ID); len(events) != len(before) {
		t.Errorf("bob: got %d events, want %d", len(events), len(before))
	}
}

// Ensure that the report and its CSV name the staff member beside "on
// their behalf", and that the report can be narrowed to one person.
func TestOnBehalfNamesStaff(t *testing.T) {
	e, _, ann, _, news := onBehalfSetup(t)
	staff := e.client(t)
	staff.login("root@example.org")
	staff.post("/admin/agreements/answer", url.Values{"row": {row(ann, news.ID)}, "answer": {"decline"}, "note": {"Phone call"}, "confirm": {"1"}}).want(t, http.StatusSeeOther)
	if got := e.app.consent.Status(ann.ID, news.ID); got != store.Declined {
		t.Fatalf("declined on her behalf: got %q", got)
	}
	for lang, want := range map[string]string{"en": "Staff, on their behalf: Test root (root@example.org) — Phone call", "fr": "L’équipe, en son nom\u00a0: Test root (root@example.org) — Phone call"} {
		page := staff.get(fmt.Sprintf("/admin/agreements?user=%d&lang=%s", ann.ID, lang)).want(t, http.StatusOK)
		if !page.has(want) {
			t.Errorf("%s report: want %q", lang, want)
		}
		if page.has("bob@example.org") {
			t.Errorf("%s report for one person: Bob is listed", lang)
		}
	}
	csv := staff.get(fmt.Sprintf("/admin/agreements.csv?version=%d", news.ID)).want(t, http.StatusOK)
	lines := strings.Split(strings.TrimPrefix(csv.Body, "\ufeff"), "\n")
	if !strings.Contains(lines[0], "actor_kind,actor_id,actor_name,actor_email,note") {
		t.Errorf("csv header: got %q, want the staff member's name and email beside the actor", lines[0])
	}
	if !strings.Contains(csv.Body, ",declined,") || !strings.Contains(csv.Body, ",staff,") || !strings.Contains(csv.Body, "Test root,root@example.org,Phone call,report") {
		t.Errorf("csv: want Ann's row naming the staff member\n%s", csv.Body)
	}
}

// Ensure that a privacy officer reads a user's page without any control
// (their POSTs refused), while an administrator gets the controls and the
// per-version answers, and both get the link to the person's agreements.
func TestUserPageForOfficer(t *testing.T) {
	e, _, ann, _, news := onBehalfSetup(t)
	dpo := e.newcomer(t, "dpo@example.org", store.RoleDPO)
	e.agreeAll(t, dpo)
	path := fmt.Sprintf("/admin/users/%d", ann.ID)
	oc := e.client(t)
	oc.login("dpo@example.org")
	for _, lang := range []string{"en", "fr"} {
		page := oc.get(path+"?lang="+lang).want(t, http.StatusOK)
		if strings.Contains(page.Body, `method="post" action="/admin/users/`) || page.has(`id="on-behalf"`) || page.has(`name="row"`) {
			t.Errorf("%s: the officer's page has controls", lang)
		}
		if !page.has(`id="read-only"`) || !page.has(fmt.Sprintf(`href="/admin/agreements?user=%d"`, ann.ID)) || !page.has("Newsletter") && !page.has("Lettre") {
			t.Errorf("%s: want the read-only notice, the agreements and their link", lang)
		}
	}
	for _, action := range []string{"role", "suspend", "reactivate", "password", "guardian"} {
		oc.post(path+"/"+action, url.Values{"role": {"admin"}, "password": {"a new long password"}}).want(t, http.StatusForbidden)
	}
	if u, _ := e.db.User(ann.ID); u.Role != store.RoleLearner || u.Suspended {
		t.Errorf("after the officer's POSTs: got role %s suspended %v, want unchanged", u.Role, u.Suspended)
	}
	ac := e.client(t)
	ac.login("root@example.org")
	page := ac.get(path).want(t, http.StatusOK)
	for _, want := range []string{`action="/admin/users/` + fmt.Sprint(ann.ID) + `/role"`, `id="on-behalf"`, fmt.Sprintf(`value="%s"`, row(ann, news.ID)), `name="back" value="` + path + `"`} {
		if !page.has(want) {
			t.Errorf("administrator: no %q", want)
		}
	}
	ac.post("/admin/agreements/answer", url.Values{"row": {row(ann, news.ID)}, "answer": {"accept"}, "note": {"Signed form"}, "back": {path}, "confirm": {"1"}}).want(t, http.StatusSeeOther)
	if page := ac.get(path); !page.has("Accepted on their behalf (1)") || !page.has("Staff, on their behalf: Test root (root@example.org) — Signed form") {
		t.Errorf("user page after an answer on behalf: want the message and the staff member named")
	}
}
