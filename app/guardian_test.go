package app

import (
	"net/http"
	"net/url"
	"testing"

	"accord/store"
)

// guardianOf links m to guardian g with birth date birth, and turns on
// automatic approval of exports so that tests reach the download quickly.
func guardianOf(t *testing.T, e *testEnv, g, m *store.User, birth string) {
	t.Helper()
	if _, err := e.db.UpdateUser(m.ID, store.AuditEvent{}, func(u *store.User) error { u.GuardianID, u.BirthDate = g.ID, birth; return nil }); err != nil {
		t.Fatal(err)
	}
	set := e.app.Settings()
	set.AutoApproveExport = true
	e.db.SaveSettings(set, 0)
	e.app.reloadSettings()
}

// Ensure that a guardian link to someone past the age of digital consent
// gives no right: no request for them, no agreement page (GDPR art. 8).
func TestGuardianOfAdult(t *testing.T) {
	e := newEnv(t)
	g := e.user(t, "guardian@example.org", store.RoleLearner)
	m := e.user(t, "adult@example.org", store.RoleLearner)
	guardianOf(t, e, g, m, "1990-01-01")
	c := e.client(t)
	c.login("guardian@example.org")
	c.get("/profile/requests")
	c.post("/profile/requests", url.Values{"type": {"export"}, "user": {"adult@example.org"}}).want(t, http.StatusUnprocessableEntity)
	c.get("/profile/minors/"+itoa(m.ID)+"/policies").want(t, http.StatusNotFound)
	if res := c.get("/profile"); res.has("/profile/minors/" + itoa(m.ID)) {
		t.Errorf("the profile still lists an adult as a minor in one's care")
	}
}

// Ensure that a guardian who is unlinked can no longer download the export
// they filed for the minor.
func TestUnlinkedGuardianDownloads(t *testing.T) {
	e := newEnv(t)
	g := e.user(t, "guardian@example.org", store.RoleLearner)
	m := e.user(t, "minor@example.org", store.RoleLearner)
	guardianOf(t, e, g, m, "2015-01-01")
	c := e.client(t)
	c.login("guardian@example.org")
	r := fileRequest(t, e, c, url.Values{"type": {"export"}, "user": {"minor@example.org"}})
	e.settle()
	c.get(reqPath("/profile/requests", r, "/download")).want(t, http.StatusOK)
	e.db.UpdateUser(m.ID, store.AuditEvent{}, func(u *store.User) error { u.GuardianID = 0; return nil })
	c.get(reqPath("/profile/requests", r, "/download")).want(t, http.StatusNotFound)
}

// Ensure that a minor cannot overrule their guardian's answers from their
// own profile: they see the agreements, the guardian answers.
func TestMinorCannotAnswer(t *testing.T) {
	e := newEnv(t)
	admin := e.newcomer(t, "root@example.org", store.RoleAdmin)
	g := e.user(t, "guardian@example.org", store.RoleLearner)
	m := e.user(t, "minor@example.org", store.RoleLearner)
	guardianOf(t, e, g, m, "2015-01-01")
	opt := &store.PolicyVersion{Revision: "1", Type: store.TypeOther, Audience: store.AudienceAll, Style: store.StyleConsentPage, Optional: true,
		Texts: map[string]store.PolicyText{"en": {Name: "Newsletter", Summary: "News", Content: "News."}, "fr": {Name: "Lettre", Summary: "N", Content: "N."}}}
	if err := e.db.CreatePolicy(opt, admin.ID); err != nil {
		t.Fatal(err)
	}
	e.db.ActivateVersion(opt.ID, admin.ID)
	e.reload(t)
	e.agreeAll(t, g) // the guardian's own answer, so the gate lets them through
	gc := e.client(t)
	gc.login("guardian@example.org")
	gc.get("/profile/minors/" + itoa(m.ID) + "/policies")
	gc.post("/profile/minors/"+itoa(m.ID)+"/policies/"+itoa(opt.ID)+"/decline", nil).want(t, http.StatusSeeOther)
	mc := e.client(t)
	mc.login("minor@example.org")
	if res := mc.get("/profile/policies").want(t, http.StatusOK); !res.has("&lt;guardian@example.org&gt;, gives or withdraws these agreements for you") {
		t.Errorf("the minor's page does not say that their guardian, named, answers")
	}
	mc.post("/profile/policies/"+itoa(opt.ID)+"/accept", nil).want(t, http.StatusForbidden)
	if evs, _ := e.db.UserAcceptances(m.ID); len(evs) == 0 || evs[0].Status == store.Accepted {
		t.Errorf("the guardian's decline was overruled: %+v", evs)
	}
}
