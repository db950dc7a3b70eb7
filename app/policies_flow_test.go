package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"accord/store"
)

// Ensure that sign-up shows the compulsory policies, refuses (422) a
// sign-up that did not tick them, and records them with the new account.
func TestSignupPolicies(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	page := c.get("/signup").want(t, http.StatusOK)
	ids := e.activeIDs()
	for _, id := range ids {
		if !page.has(`name="` + vfield(id) + `" value="accept"`) {
			t.Errorf("signup: no checkbox for version %d", id)
		}
	}
	form := url.Values{"first_name": {"Ann"}, "last_name": {"Lee"}, "email": {"ann@example.org"}, "password": {testPassword}, "birth_date": {"1990-01-02"}}
	res := c.post("/signup", form).want(t, http.StatusUnprocessableEntity)
	if !res.has("You need to agree to this policy") {
		t.Errorf("422 without the policy message")
	}
	for k, v := range acceptAll(ids) {
		form[k] = v
	}
	c.post("/signup", form).want(t, http.StatusSeeOther)
	u, err := e.db.UserByEmail("ann@example.org")
	if err != nil {
		t.Fatal(err)
	}
	events, _ := e.db.UserAcceptances(u.ID)
	if len(events) != len(ids) || events[0].Where != store.WhereSignup || events[0].TextHash == "" {
		t.Fatalf("got %d events %+v, want %d from signup with a hash", len(events), events, len(ids))
	}
	c.get("/profile").want(t, http.StatusOK)
}

// Ensure that an optional policy can be accepted, withdrawn and given
// again from the profile, that a compulsory one cannot be declined (422),
// and that the page shows "given on your behalf" for staff acceptances.
func TestProfilePolicies(t *testing.T) {
	e := newEnv(t)
	admin := e.newcomer(t, "root@example.org", store.RoleAdmin)
	ann := e.newcomer(t, "ann@example.org", store.RoleLearner)
	opt := &store.PolicyVersion{Revision: "1", Type: store.TypeOther, Audience: store.AudienceAll, Style: store.StyleConsentPage, Optional: true,
		Texts: map[string]store.PolicyText{"en": {Name: "Newsletter", Summary: "News by mail", Content: "We send news."}, "fr": {Name: "Lettre", Summary: "Nouvelles", Content: "Nous envoyons des nouvelles."}}}
	if err := e.db.CreatePolicy(opt, admin.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.db.ActivateVersion(opt.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	c := e.client(t)
	c.login("ann@example.org")
	page := c.get("/consent").want(t, http.StatusOK)
	if !page.has(`type="radio" name="`+vfield(opt.ID)+`" value="accept">`) || strings.Contains(page.Body, `value="decline" checked`) {
		t.Errorf("optional policy: want radios, none preselected")
	}
	form := acceptAll(e.activeIDs())
	form.Set(vfield(opt.ID), "decline")
	c.post("/consent", form).want(t, http.StatusSeeOther)

	base := "/profile/policies/"
	c.get("/profile/policies").want(t, http.StatusOK)
	c.post(base+strconv.FormatUint(opt.ID, 10)+"/accept", nil).want(t, http.StatusSeeOther)
	c.post(base+strconv.FormatUint(opt.ID, 10)+"/decline", nil, "HX-Request", "true").want(t, http.StatusOK)
	events, _ := e.db.UserAcceptances(ann.ID)
	if events[0].Status != store.Withdrawn || events[1].Status != store.Accepted {
		t.Errorf("got %s after %s, want withdrawn after accepted", events[0].Status, events[1].Status)
	}
	site := e.activeIDs()[0]
	res := c.post(base+strconv.FormatUint(site, 10)+"/decline", nil).want(t, http.StatusUnprocessableEntity)
	if !res.has("A compulsory policy cannot be declined") {
		t.Errorf("422 without its message")
	}
	res = c.post(base+strconv.FormatUint(site, 10)+"/decline", nil, "HX-Request", "true").want(t, http.StatusUnprocessableEntity)
	if res.has("<html") || !res.has(`id="agreements"`) {
		t.Errorf("htmx 422: want the fragment")
	}
	c.post(base+"999/accept", nil).want(t, http.StatusConflict)

	// Staff cannot accept on Ann's behalf after she withdrew (her answer
	// counts: skipped, nothing recorded); once she gave it again, staff
	// withdraw it on her behalf, and she sees who and why.
	staff := e.client(t)
	e.agreeAll(t, admin)
	staff.login("root@example.org")
	staff.get("/admin/agreements").want(t, http.StatusOK)
	before, _ := e.db.UserAcceptances(ann.ID)
	staff.post("/admin/agreements/accept", url.Values{"user": {"ann@example.org"}, "version": {strconv.FormatUint(opt.ID, 10)}}).want(t, http.StatusUnprocessableEntity)
	staff.post("/admin/agreements/accept", url.Values{"user": {"ann@example.org"}, "version": {strconv.FormatUint(opt.ID, 10)}, "note": {"Paper form of 2 May"}}).want(t, http.StatusSeeOther)
	if res := staff.get("/admin/agreements"); !res.has("Nothing recorded. Skipped (1): Test ann (ann@example.org) — Newsletter 1: already answered.") {
		t.Errorf("accept after a withdrawal: want it reported as skipped")
	}
	if events, _ := e.db.UserAcceptances(ann.ID); len(events) != len(before) {
		t.Fatalf("accept after a withdrawal: got %d events, want the %d of Ann's own", len(events), len(before))
	}
	c.post(base+strconv.FormatUint(opt.ID, 10)+"/accept", nil).want(t, http.StatusSeeOther)
	staff.post("/admin/agreements/answer", url.Values{"row": {fmt.Sprintf("%d:%d", ann.ID, opt.ID)}, "answer": {"withdraw"}, "note": {"Paper form of 2 May"}, "confirm": {"1"}}).want(t, http.StatusSeeOther)
	if got := e.app.consent.Status(ann.ID, opt.ID); got != store.Withdrawn {
		t.Fatalf("withdrawn on her behalf: got %q, want withdrawn", got)
	}
	for _, lang := range []string{"en", "fr"} {
		res = c.get("/profile/policies?lang="+lang).want(t, http.StatusOK)
		want := map[string]string{"en": "Given on your behalf by Test root", "fr": "Donné en votre nom par Test root"}[lang]
		if !res.has(want) || !res.has("Paper form of 2 May") {
			t.Errorf("%s: want %q and the remark", lang, want)
		}
	}
}

// Ensure that a guardian answers for their minor (actor guardian), that
// someone else's minor is 404, and that the minor is told to ask their
// guardian instead of a form.
func TestMinorPolicies(t *testing.T) {
	e := newEnv(t)
	g := e.newcomer(t, "guardian@example.org", store.RoleLearner)
	other := e.newcomer(t, "other@example.org", store.RoleLearner)
	m := e.newcomer(t, "minor@example.org", store.RoleLearner)
	e.agreeAll(t, g)
	e.agreeAll(t, other)
	if _, err := e.db.UpdateUser(m.ID, store.AuditEvent{}, func(u *store.User) error {
		u.GuardianID, u.BirthDate = g.ID, "2015-01-01"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	mc := e.client(t)
	mc.login("minor@example.org")
	res := mc.get("/consent").want(t, http.StatusOK)
	if !res.has("must give it for you") || !res.has("&lt;guardian@example.org&gt;") || res.has(`id="consent-form"`) {
		t.Errorf("minor: want the guardian message naming the guardian, not the form")
	}
	mc.post("/consent", acceptAll(e.activeIDs())).want(t, http.StatusForbidden)

	path := "/profile/minors/" + strconv.FormatUint(m.ID, 10) + "/policies"
	oc := e.client(t)
	oc.login("other@example.org")
	oc.get(path).want(t, http.StatusNotFound)
	oc.post(path+"/"+strconv.FormatUint(e.activeIDs()[0], 10)+"/accept", nil).want(t, http.StatusNotFound)

	gc := e.client(t)
	gc.login("guardian@example.org")
	gc.get(path).want(t, http.StatusOK)
	for _, id := range e.activeIDs() {
		gc.post(path+"/"+strconv.FormatUint(id, 10)+"/accept", nil).want(t, http.StatusSeeOther)
	}
	events, _ := e.db.UserAcceptances(m.ID)
	if len(events) != len(e.activeIDs()) || events[0].ActorKind != store.ActorGuardian || events[0].ActorID != g.ID {
		t.Fatalf("got %+v, want guardian events", events)
	}
	mc.get("/profile").want(t, http.StatusOK)
}

// Ensure that an administrator creates a draft, previews it (sanitised),
// cannot activate it incomplete (422), activates it, and that learners are
// then gated again and shown what changed; a minor change keeps agreements.
func TestAdminPolicyFlow(t *testing.T) {
	e := newEnv(t)
	admin := e.newcomer(t, "root@example.org", store.RoleAdmin)
	ann := e.newcomer(t, "ann@example.org", store.RoleLearner)
	e.agreeAll(t, admin)
	e.agreeAll(t, ann)
	c := e.client(t)
	c.login("root@example.org")
	c.get("/admin/policies").want(t, http.StatusOK)
	c.get("/admin/policies?lang=fr").want(t, http.StatusOK)
	c.get("/admin/policies?lang=en").want(t, http.StatusOK)
	c.post("/admin/policies", url.Values{"revision": {""}, "type": {"bogus"}}).want(t, http.StatusUnprocessableEntity)

	// Preview: the same sanitiser as the public page.
	res := c.post("/admin/preview", url.Values{"content": {"# Hi\n<script>alert(1)</script>\n[x](javascript:alert(1)) <img src=x onerror=alert(1)> <b onclick=\"x()\">b</b>"}}, "HX-Request", "true").want(t, http.StatusOK)
	for _, bad := range []string{"<script", "javascript:", "onerror", "onclick"} {
		if strings.Contains(strings.ToLower(res.Body), bad) {
			t.Errorf("preview keeps %q: %s", bad, res.Body)
		}
	}
	if !res.has("<h1") {
		t.Errorf("preview: no heading rendered")
	}

	// A new draft of the site policy, with a changed sentence.
	site := e.app.consent.Snapshot().Entries()[0]
	c.post("/admin/policies/"+strconv.FormatUint(site.ID, 10)+"/versions", nil).want(t, http.StatusSeeOther)
	draft := e.app.consent.Snapshot().Entries()[0].Latest()
	if draft.Status != store.StatusDraft {
		t.Fatalf("got %s, want a draft", draft.Status)
	}
	vid := strconv.FormatUint(draft.ID, 10)
	c.get("/admin/versions/"+vid+"/edit").want(t, http.StatusOK)
	form := versionValues(draft).Values
	vals := url.Values(form)
	vals.Set("revision", "2.0")
	vals.Set("content_en", draft.Texts["en"].Content+"\nA brand new sentence.<script>alert(1)</script>\n")
	vals.Set("content_fr", "")
	c.post("/admin/versions/"+vid, vals).want(t, http.StatusSeeOther)
	res = c.post("/admin/versions/"+vid+"/activate", nil).want(t, http.StatusUnprocessableEntity)
	if !res.has("Full text (French)") {
		t.Errorf("incomplete activation: want the missing field named\n%s", res.Body)
	}
	vals.Set("content_fr", draft.Texts["fr"].Content)
	c.post("/admin/versions/"+vid, vals).want(t, http.StatusSeeOther)
	c.post("/admin/versions/"+vid+"/activate", nil).want(t, http.StatusSeeOther)
	c.post("/admin/versions/"+vid+"/delete", nil).want(t, http.StatusConflict)
	old := site.Active()
	c.post("/admin/versions/"+strconv.FormatUint(old.ID, 10)+"/delete", nil).want(t, http.StatusConflict)
	c.get("/admin/versions/"+strconv.FormatUint(old.ID, 10)+"/diff/"+vid).want(t, http.StatusOK)
	pub := c.get("/policies/"+strconv.FormatUint(site.ID, 10)).want(t, http.StatusOK)
	if pub.has("<script>alert") || !pub.has("A brand new sentence.") {
		t.Errorf("public page: want the new sentence, sanitised")
	}

	// Ann is gated again and sees what changed.
	lc := e.client(t)
	lc.login("ann@example.org")
	lc.get("/profile").want(t, http.StatusSeeOther)
	page := lc.get("/consent").want(t, http.StatusOK)
	if !page.has(`<ins class="diff-block">`) || !page.has("A brand new sentence.") {
		t.Errorf("consent: want what changed since the accepted version")
	}
	lc.post("/consent", url.Values{vfield(draft.ID): {"accept"}}).want(t, http.StatusSeeOther)

	// A minor change keeps agreements; without minor=on it is refused.
	vals.Set("content_en", draft.Texts["en"].Content+"\nA brand new sentence, typo fixed.\n")
	c.post("/admin/versions/"+vid, vals).want(t, http.StatusUnprocessableEntity)
	vals.Set("minor", "on")
	c.post("/admin/versions/"+vid, vals).want(t, http.StatusSeeOther)
	lc.get("/profile").want(t, http.StatusOK)
	v, _ := e.db.PolicyVersion(draft.ID)
	if len(v.Changes) != 1 {
		t.Fatalf("got %d recorded changes, want 1", len(v.Changes))
	}
	if _, err := e.db.PolicyText(v.Changes[0].OldHash); err != nil {
		t.Errorf("old text not on record: %v", err)
	}
	// Reorder and a new policy.
	c.post("/admin/policies/"+strconv.FormatUint(site.ID, 10)+"/move", url.Values{"direction": {"down"}}).want(t, http.StatusSeeOther)
	if e.app.consent.Snapshot().Entries()[1].ID != site.ID {
		t.Errorf("reorder: the site policy did not move down")
	}
	c.post("/admin/policies", url.Values{"revision": {"1"}, "type": {"other"}, "audience": {"all"}, "style": {"own_page"}, "name_en": {"Own"}}).want(t, http.StatusSeeOther)
	// Learners may not administer.
	lc.get("/admin/policies").want(t, http.StatusForbidden)
	_ = admin
}

// Ensure that the agreements report filters and counts, and that its CSV
// carries the same rows with formula-like cells neutralised.
func TestAgreementsReport(t *testing.T) {
	e := newEnv(t)
	dpo := e.newcomer(t, "dpo@example.org", store.RoleDPO)
	e.agreeAll(t, dpo)
	evil := e.newcomer(t, "evil@example.org", store.RoleLearner)
	if _, err := e.db.UpdateUser(evil.ID, store.AuditEvent{}, func(u *store.User) error { u.FirstName = "=HYPERLINK(\"x\")"; return nil }); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.login("dpo@example.org")
	for _, lang := range []string{"en", "fr"} {
		res := c.get("/admin/agreements?lang="+lang).want(t, http.StatusOK)
		if !res.has("evil@example.org") {
			t.Errorf("%s: report misses a pending user", lang)
		}
	}
	res := c.get("/admin/agreements?status=accepted").want(t, http.StatusOK)
	if res.has("evil@example.org") || !res.has("dpo@example.org") {
		t.Errorf("status filter: wrong rows")
	}
	res = c.get("/admin/agreements?q=evil&status=pending").want(t, http.StatusOK)
	if !res.has("evil@example.org") || res.has("<td>dpo@example.org") {
		t.Errorf("search filter: wrong rows")
	}
	csv := c.get("/admin/agreements.csv?status=pending").want(t, http.StatusOK)
	if !strings.HasPrefix(csv.Body, "\ufeff") || !csv.has("'=HYPERLINK") || csv.has(",=HYPERLINK") || !csv.has("pending") {
		t.Errorf("csv: want BOM, neutralised formula, pending rows:\n%s", csv.Body)
	}
	if strings.Count(csv.Body, "\n") != 1+len(e.activeIDs()) {
		t.Errorf("csv: got %d lines, want header + %d", strings.Count(csv.Body, "\n"), len(e.activeIDs()))
	}
	lc := e.client(t)
	e.agreeAll(t, e.newcomer(t, "ann@example.org", store.RoleLearner))
	lc.login("ann@example.org")
	lc.get("/admin/agreements").want(t, http.StatusForbidden)
	lc.get("/admin/agreements.csv").want(t, http.StatusForbidden)
}

// Ensure that an own-page policy comes first, alone, in full, and that the
// consent-page ones follow; every answer is in the audit log.
func TestConsentOwnPage(t *testing.T) {
	e := newEnv(t)
	admin := e.newcomer(t, "root@example.org", store.RoleAdmin)
	e.newcomer(t, "ann@example.org", store.RoleLearner)
	own := &store.PolicyVersion{Revision: "1", Type: store.TypeThirdParty, Audience: store.AudienceAuthenticated, Style: store.StyleOwnPage,
		Texts: map[string]store.PolicyText{"en": {Name: "Partner terms", Summary: "S", Content: "## Partner\n\nOur partner's <em onclick=\"x()\">terms</em>."},
			"fr": {Name: "Conditions du partenaire", Summary: "S", Content: "## Partenaire\n\nConditions."}}}
	if err := e.db.CreatePolicy(own, admin.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.db.ActivateVersion(own.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	c := e.client(t)
	c.login("ann@example.org")
	page := c.get("/consent").want(t, http.StatusOK)
	if !page.has("Partner terms") || !page.has("<h2>Partner</h2>") || page.has("onclick") || page.has("Site policy") {
		t.Errorf("own page: want the partner text alone, sanitised\n%s", page.Body)
	}
	if page.has(`value="decline"`) {
		t.Errorf("own page: a compulsory policy has no decline button")
	}
	res := c.post("/consent", url.Values{vfield(own.ID): {"accept"}}).want(t, http.StatusSeeOther)
	if got := res.Header.Get("Location"); got != "/consent" {
		t.Errorf("after the own page: got %q, want /consent", got)
	}
	page = c.get("/consent?lang=fr").want(t, http.StatusOK)
	if !page.has("Politique du site") || page.has("Conditions du partenaire") {
		t.Errorf("then the consent page, in French")
	}
	events, _, _ := e.db.ListAudit(store.AuditQuery{Action: store.ActPolicyAccepted})
	if len(events) != 1 {
		t.Errorf("got %d audit events, want 1", len(events))
	}
}

// Ensure that a text missing in the reader's language falls back to the
// other one with a visible note, and that staff with pending policies can
// still fix policies but are gated elsewhere.
func TestFallbackAndStaffGate(t *testing.T) {
	e := newEnv(t)
	admin := e.newcomer(t, "root@example.org", store.RoleAdmin)
	v := &store.PolicyVersion{Revision: "0.1", Type: store.TypeOther, Audience: store.AudienceAll, Style: store.StyleConsentPage,
		Texts: map[string]store.PolicyText{"en": {Name: "Draft", Summary: "S", Content: "Only in English."}}}
	if err := e.db.CreatePolicy(v, admin.ID); err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	c := e.client(t)
	c.login("root@example.org")
	c.get("/profile").want(t, http.StatusSeeOther)
	c.get("/admin/policies").want(t, http.StatusOK)
	path := "/policies/" + strconv.FormatUint(v.PolicyID, 10) + "?version=" + strconv.FormatUint(v.ID, 10)
	res := c.get(path+"&lang=fr").want(t, http.StatusOK)
	if !res.has("Only in English.") || !res.has("le voici en anglais") {
		t.Errorf("fallback: want the English text and the French note")
	}
	visitor := e.client(t)
	visitor.get(path).want(t, http.StatusNotFound) // drafts are for administrators
	frag := c.get("/consent", "HX-Request", "true").want(t, http.StatusOK)
	if frag.has("<html") || !frag.has(`id="consent-form"`) {
		t.Errorf("consent fragment: got a whole page or no form")
	}
}
