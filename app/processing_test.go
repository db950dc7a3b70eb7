package app

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"accord/store"
)

// Ensure that a visitor reads the records of processing in either language
// without signing in, with the controller, the DPO, the bases and the
// retention the privacy policy promises, and that the privacy policy's
// page includes their summary.
func TestProcessingPublic(t *testing.T) {
	e := newEnv(t)
	v := e.client(t)
	en := v.get("/processing?lang=en").want(t, http.StatusOK)
	for _, s := range []string{"Records of processing", "Training follow-up", "Performance of a contract (GDPR art. 6(1)(b))",
		"for as long as you are enrolled in any of the online courses", "destroyed when the course is deleted", "Data Protection Officer"} {
		if !strings.Contains(strings.ToLower(en.Body), strings.ToLower(s)) {
			t.Errorf("/processing (en): %q missing", s)
		}
	}
	fr := v.get("/processing?lang=fr").want(t, http.StatusOK)
	if !fr.has(`<html lang="fr"`) || !fr.has("Suivi pédagogique") || !fr.has("Exécution d’un contrat") {
		t.Errorf("/processing (fr): French records missing")
	}
	privacy := policyIDOfType(t, e, store.TypePrivacy)
	pp := v.get("/policies/"+itoa(privacy)+"?lang=en").want(t, http.StatusOK)
	if !pp.has(`id="processing-summary"`) || !pp.has(`href="/processing"`) || !pp.has("Training follow-up") {
		t.Errorf("privacy policy page: no summary of the records of processing")
	}
	site := policyIDOfType(t, e, store.TypeSite)
	if v.get("/policies/" + itoa(site)).has(`id="processing-summary"`) {
		t.Errorf("site policy page: got the records' summary, want it on the privacy policy only")
	}
}

func policyIDOfType(t *testing.T, e *testEnv, typ store.PolicyType) uint64 {
	t.Helper()
	for _, v := range e.app.consent.Snapshot().ForUsers() {
		if v.Type == typ {
			return v.PolicyID
		}
	}
	t.Fatalf("no active %s policy", typ)
	return 0
}

// Ensure that only administrators edit the records: a privacy officer and
// a learner get 403 on the editing pages and their posts, and read the
// public page.
func TestProcessingEditAdminOnly(t *testing.T) {
	e := newEnv(t)
	e.user(t, "dpo@example.org", store.RoleDPO)
	e.user(t, "ann@example.org", store.RoleLearner)
	for _, who := range []string{"dpo@example.org", "ann@example.org"} {
		c := e.client(t)
		c.login(who)
		c.get("/admin/processing").want(t, http.StatusForbidden)
		c.get("/admin/processing/purposes/1").want(t, http.StatusForbidden)
		c.get("/processing")
		c.post("/admin/processing/purposes/1/delete", nil).want(t, http.StatusForbidden)
		c.post("/admin/processing/controller", url.Values{"controller_name": {"X"}, "dpo_name": {"X"}, "dpo_email": {"x@example.org"}}).want(t, http.StatusForbidden)
		c.get("/processing").want(t, http.StatusOK)
	}
	r, err := e.db.Processing()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Purposes) != 6 || r.Controller.Name != "" {
		t.Errorf("records changed by a refused post: %d purposes, controller %q", len(r.Purposes), r.Controller.Name)
	}
}

func purposeValues() url.Values {
	return url.Values{"name_en": {"Newsletter"}, "name_fr": {"Lettre d'information"},
		"description_en": {"Send news of the courses."}, "description_fr": {"Envoyer les nouvelles des formations."},
		"basis": {"a"}, "category": {"account"}, "recipients_en": {"Staff."}, "recipients_fr": {"Le personnel."},
		"retention_en": {"Until you unsubscribe."}, "retention_fr": {"Jusqu'au désabonnement."}}
}

// Ensure that an administrator adds, edits and removes a purpose, that each
// change is audited with the item before and after and shows on the public
// page, and that bad input is refused with translated messages, as typed,
// nothing stored.
func TestProcessingEditPurpose(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	c := e.client(t)
	c.login("admin@example.org")
	c.get("/admin/processing/purposes/new").want(t, http.StatusOK)
	if res := c.post("/admin/processing/purposes", purposeValues()).want(t, http.StatusSeeOther); !strings.HasPrefix(res.Header.Get("Location"), "/admin/processing#purpose-7") {
		t.Errorf("after creation: got Location %q, want /admin/processing#purpose-7", res.Header.Get("Location"))
	}
	if !c.get("/processing?lang=fr").has("Lettre d&#39;information") {
		t.Errorf("the new purpose is not on the public page")
	}
	ed := purposeValues()
	ed.Set("basis", "f")
	ed.Set("name_en", "News")
	c.get("/admin/processing/purposes/7")
	c.post("/admin/processing/purposes/7", ed).want(t, http.StatusSeeOther)
	events, _, err := e.db.ListAudit(store.AuditQuery{Action: store.ActProcessingChanged})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("got %d audit events, want 2 (create, edit)", len(events))
	}
	var ch struct {
		Item          string
		Before, After store.Purpose
	}
	if err := json.Unmarshal([]byte(events[0].Detail), &ch); err != nil {
		t.Fatalf("audit detail %q: %v", events[0].Detail, err)
	}
	if ch.Item != "purpose 7" || ch.Before.Name["en"] != "Newsletter" || ch.After.Name["en"] != "News" || ch.Before.Basis != "a" || ch.After.Basis != "f" {
		t.Errorf("audit of the edit: got %+v, want before Newsletter/a, after News/f", ch)
	}

	for name, tc := range map[string]struct {
		field, value, lang, msg string
	}{
		"no basis (en)":        {"basis", "", "en", "This field is required"},
		"basis g (fr)":         {"basis", "g", "fr", "Choisissez"},
		"unknown category":     {"category", "nothing", "en", "Choose at least one of the data categories listed."},
		"name too long (fr)":   {"name_fr", strings.Repeat("x", 201), "fr", "200"},
		"no retention text":    {"retention_en", "", "en", "This field is required"},
		"control char in name": {"name_en", "News\x00", "en", "cannot hold line breaks"},
	} {
		t.Run(name, func(t *testing.T) {
			bad := purposeValues()
			bad.Set(tc.field, tc.value)
			c.get("/admin/processing/purposes/7?lang=" + tc.lang)
			res := c.post("/admin/processing/purposes/7", bad).want(t, http.StatusUnprocessableEntity)
			if !strings.Contains(strings.ToLower(res.Body), strings.ToLower(tc.msg)) {
				t.Errorf("got no message %q", tc.msg)
			}
			if !res.has("Send news of the courses.") {
				t.Errorf("the form lost what was typed")
			}
		})
	}
	r, _ := e.db.Processing()
	if p := r.Purpose(7); p == nil || p.Name["en"] != "News" || p.Basis != "f" {
		t.Errorf("after refused posts: got %+v, want the saved purpose unchanged", p)
	}
	c.post("/admin/processing/purposes/7/delete", nil).want(t, http.StatusSeeOther)
	if r, _ := e.db.Processing(); r.Purpose(7) != nil {
		t.Errorf("the purpose was not removed")
	}
	c.post("/admin/processing/purposes/99", purposeValues()).want(t, http.StatusNotFound)
}

// Ensure that an administrator edits a data category's period and
// protection (the account's period is the settings' one), adds one and
// cannot remove a built-in or used one.
func TestProcessingEditCategory(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	c := e.client(t)
	c.login("admin@example.org")
	vals := url.Values{"name_en": {"Identity and account"}, "name_fr": {"Identité et compte"},
		"description_en": {"Name, email."}, "description_fr": {"Nom, e-mail."}, "days": {"400"}}
	c.get("/admin/processing/categories/account")
	c.post("/admin/processing/categories/account", vals).want(t, http.StatusSeeOther)
	if got := e.app.Settings().InactiveRetentionDays; got != 400 {
		t.Errorf("settings' period: got %d, want 400", got)
	}
	if !c.get("/processing?lang=en").has("no enrolment for 400 days") {
		t.Errorf("the public page does not show the new period")
	}
	vals.Set("days", "10")
	c.get("/admin/processing/categories/account?lang=fr")
	if res := c.post("/admin/processing/categories/account", vals).want(t, http.StatusUnprocessableEntity); !res.has("de 30 à 3650") {
		t.Errorf("days 10: no French message")
	}
	vals.Set("days", "400")
	vals.Set("protected", "on")
	if res := c.post("/admin/processing/categories/account", vals).want(t, http.StatusUnprocessableEntity); !res.has("dans les deux langues") {
		t.Errorf("protected without a reason: no message")
	}
	nc := url.Values{"key": {"photos"}, "name_en": {"Photos"}, "name_fr": {"Photos"}, "description_en": {"Profile photo."}, "description_fr": {"Photo de profil."}}
	c.post("/admin/processing/categories", nc).want(t, http.StatusSeeOther)
	c.post("/admin/processing/categories", nc).want(t, http.StatusUnprocessableEntity)
	nc.Set("key", "Bad Key")
	c.post("/admin/processing/categories", nc).want(t, http.StatusUnprocessableEntity)
	c.post("/admin/processing/categories/account/delete", nil).want(t, http.StatusUnprocessableEntity)
	c.post("/admin/processing/categories/photos/delete", nil).want(t, http.StatusSeeOther)
	r, _ := e.db.Processing()
	if r.Category("photos") != nil || r.Category(store.CategoryAccount).Rule != store.RetainEnrolled {
		t.Errorf("categories after the edits: %+v", r.Categories)
	}
}

// Ensure that the controller and the DPO are saved, the DPO in the settings
// (the footer's), and that a bad address is refused.
func TestProcessingController(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	c := e.client(t)
	c.login("admin@example.org")
	c.get("/admin/processing").want(t, http.StatusOK)
	vals := url.Values{"controller_name": {"Formations Exemple SAS"}, "controller_address": {"1 rue de la Paix\n75002 Paris"},
		"controller_email": {"contact@example.org"}, "dpo_name": {"Dana Officer"}, "dpo_email": {"dpo@example.org"}}
	c.post("/admin/processing/controller", vals).want(t, http.StatusSeeOther)
	if s := e.app.Settings(); s.DPOName != "Dana Officer" || s.DPOEmail != "dpo@example.org" {
		t.Errorf("settings' DPO: got %q %q", s.DPOName, s.DPOEmail)
	}
	if res := e.client(t).get("/processing"); !res.has("Formations Exemple SAS") || !res.has("dpo@example.org") {
		t.Errorf("public page: controller or DPO missing")
	}
	vals.Set("dpo_email", "not-an-address")
	c.get("/admin/processing")
	if res := c.post("/admin/processing/controller", vals).want(t, http.StatusUnprocessableEntity); !res.has("Formations Exemple SAS") {
		t.Errorf("422 lost what was typed")
	}
}

// Ensure that the CSV of the records holds a row per purpose and category,
// neutralises a cell an administrator wrote as a formula, and writes
// nothing (a visitor's GET).
func TestProcessingCSV(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	c := e.client(t)
	c.login("admin@example.org")
	bad := purposeValues()
	bad.Set("name_en", "=HYPERLINK(\"http://evil\")")
	bad.Set("recipients_en", "\u200b+cmd")
	c.get("/admin/processing/purposes/new")
	c.post("/admin/processing/purposes", bad).want(t, http.StatusSeeOther)
	before := auditCount(t, e)
	res := e.client(t).get("/processing.csv?lang=en").want(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type: got %q", ct)
	}
	if !res.has(`'=HYPERLINK(""http://evil"")`) || !res.has("'\u200b+cmd") {
		t.Errorf("formula cells not neutralised:\n%s", res.Body)
	}
	if strings.Contains(res.Body, "\n=HYPERLINK") || strings.Contains(res.Body, ",=HYPERLINK") {
		t.Errorf("a raw formula cell went out")
	}
	if n := strings.Count(res.Body, "\n"); n < 12 {
		t.Errorf("got %d lines, want a header and a row per purpose and category", n)
	}
	if got := auditCount(t, e); got != before {
		t.Errorf("the public CSV wrote %d audit events, want none", got-before)
	}
}

func auditCount(t *testing.T, e *testEnv) int {
	t.Helper()
	_, n, err := e.db.ListAudit(store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
