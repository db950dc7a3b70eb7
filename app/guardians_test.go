package app

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"accord/store"
)

// minorSignup is the sign-up form of a minor born in 2015 who names the
// guardian at guardianEmail (none when empty).
func minorSignup(email, guardianEmail, guardianName string) url.Values {
	return url.Values{"first_name": {"Lou"}, "last_name": {"Petit"}, "email": {email}, "password": {testPassword},
		"birth_date": {"2015-03-01"}, "guardian_email": {guardianEmail}, "guardian_name": {guardianName}}
}

var inviteLink = regexp.MustCompile(`/guardian/invitation\?token=([A-Za-z0-9_-]+)`)

// inviteToken is the token of the newest invitation mailed to address.
func (e *testEnv) inviteToken(t testing.TB, address string) string {
	t.Helper()
	ms := e.outbox(t)
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].To == address {
			if m := inviteLink.FindStringSubmatch(ms[i].Body); m != nil {
				return m[1]
			}
		}
	}
	t.Fatalf("no invitation mailed to %s in %+v", address, ms)
	return ""
}

// mailsTo counts the mails queued to address.
func (e *testEnv) mailsTo(t testing.TB, address string) int {
	t.Helper()
	n := 0
	for _, m := range e.outbox(t) {
		if m.To == address {
			n++
		}
	}
	return n
}

// Ensure that a minor's sign-up asks for a guardian (422 showing the field,
// also without JavaScript), refuses their own address, and otherwise
// creates the account waiting for the guardian, with the invitation mailed
// in the same write; that the minor is held at the waiting page, which
// names the guardian as typed, and answers nothing themselves.
func TestMinorSignupNamesGuardian(t *testing.T) {
	e := newMailEnv(t, freeAddr(t))
	for _, tc := range []struct{ name, lang, guardian, want string }{
		{"no guardian", "en", "", "enter their email address"},
		{"no guardian, French", "fr", "", "saisissez son adresse e-mail"},
		{"their own address", "en", "lou@example.org", "nobody can be their own guardian"},
		{"their own address in capitals", "fr", "LOU@example.org", "personne ne peut être son propre représentant légal"},
		{"a bad address", "en", "jane@", "valid email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.client(t)
			c.get("/signup?lang=" + tc.lang)
			res := c.post("/signup", minorSignup("lou@example.org", tc.guardian, "Jane Doe")).want(t, http.StatusUnprocessableEntity)
			if !res.has(tc.want) {
				t.Errorf("got no %q in the page", tc.want)
			}
			if !res.has(`id="guardian-fields"`) || regexp.MustCompile(`id="guardian-fields"[^>]*hidden`).MatchString(res.Body) {
				t.Errorf("the 422 does not show the guardian's fields")
			}
		})
	}
	if _, err := e.db.UserByEmail("lou@example.org"); err == nil {
		t.Fatal("a refused sign-up created an account")
	}
	if res := e.client(t).get("/signup"); !regexp.MustCompile(`id="guardian-fields"[^>]*hidden`).MatchString(res.Body) {
		t.Errorf("the blank sign-up form shows the guardian's fields")
	}

	c := e.client(t)
	c.get("/signup")
	res := c.post("/signup", minorSignup("lou@example.org", "jane@example.org", "Jane Doe")).want(t, http.StatusSeeOther)
	if got := res.Header.Get("Location"); got != "/consent" {
		t.Errorf("after sign-up: got %q, want /consent", got)
	}
	m, err := e.db.UserByEmail("lou@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if !m.AwaitsGuardian || m.GuardianID != 0 || m.BirthDate != "2015-03-01" {
		t.Errorf("minor: got %+v, want waiting for a guardian, with the birth date", m)
	}
	if evs, _ := e.db.UserAcceptances(m.ID); len(evs) != 0 {
		t.Errorf("a minor's sign-up recorded agreements: %+v", evs)
	}
	if inv, err := e.db.GuardianInviteOf(m.ID); err != nil || inv.Email != "jane@example.org" || inv.Name != "Jane Doe" {
		t.Errorf("invitation: got %+v, %v", inv, err)
	}
	e.inviteToken(t, "jane@example.org")
	for _, path := range []string{"/", "/profile", "/profile/policies", "/notifications"} {
		if res := c.get(path); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/consent") {
			t.Errorf("GET %s by the waiting minor: got %d %q, want 303 to /consent", path, res.Status, res.Header.Get("Location"))
		}
	}
	res = c.get("/consent").want(t, http.StatusOK)
	if !res.has("Your guardian, Jane Doe &lt;jane@example.org&gt;, has been asked to agree to your policies") || res.has(`id="consent-form"`) {
		t.Errorf("the waiting page does not name the guardian:\n%s", res.Body)
	}
	c.post("/consent", acceptAll(e.activeIDs())).want(t, http.StatusForbidden)
	res = c.get("/consent?lang=fr")
	if !res.has("Votre représentant légal, Jane Doe &lt;jane@example.org&gt;, a été invité à accepter vos politiques") {
		t.Errorf("the French waiting page does not name the guardian")
	}
}

// Ensure that the minor is answered the same whether the guardian's
// address has an account or not (no enumeration), and that an account
// with the address is also told in the app, in its own language.
func TestMinorSignupNoEnumeration(t *testing.T) {
	e := newMailEnv(t, freeAddr(t))
	g := e.person(t, "jane@example.org", store.RoleLearner, "Jane", "Doe", "fr")
	answers := map[string]*response{}
	for _, tc := range []struct{ minor, guardian string }{{"lou@example.org", "jane@example.org"}, {"max@example.org", "nobody@example.org"}} {
		c := e.client(t)
		c.get("/signup")
		res := c.post("/signup", minorSignup(tc.minor, tc.guardian, "")).want(t, http.StatusSeeOther)
		page := c.get("/consent").want(t, http.StatusOK)
		page.Body = strings.ReplaceAll(page.Body, tc.guardian, "G")
		answers[tc.guardian] = page
		if res.Header.Get("Location") != "/consent" {
			t.Errorf("%s: got %q", tc.guardian, res.Header.Get("Location"))
		}
	}
	a, b := answers["jane@example.org"], answers["nobody@example.org"]
	strip := regexp.MustCompile(`content="[^"]*"|value="[^"]*"`)
	if strip.ReplaceAllString(a.Body, "") != strip.ReplaceAllString(b.Body, "") {
		t.Errorf("the waiting pages differ with and without an account at the guardian's address")
	}
	ns := e.notices(t, g)
	if len(ns) != 1 || ns[0].Subject != "guardians.invite.notice.subject" || ns[0].Link != guardianInvitePath {
		t.Errorf("the account at the address: got %+v, want one invitation notice", ns)
	}
	for _, m := range e.outbox(t) {
		if m.To == "jane@example.org" && !strings.Contains(m.Subject, "vous demande d’être son représentant légal") {
			t.Errorf("the invitation to a French account is not in French: %q", m.Subject)
		}
		if m.To == "nobody@example.org" && !strings.Contains(m.Subject, "asks you to be their guardian") {
			t.Errorf("the invitation to an address without account is not in the minor's language: %q", m.Subject)
		}
	}
}

// Ensure that a guardian without an account creates one from the mailed
// link, is linked and agrees for the minor, who then gets in; and that the
// link is spent.
func TestGuardianCreatesAccountFromInvitation(t *testing.T) {
	e := newMailEnv(t, freeAddr(t))
	mc := e.client(t)
	mc.get("/signup")
	mc.post("/signup", minorSignup("lou@example.org", "jane@example.org", "Jane Doe")).want(t, http.StatusSeeOther)
	m, _ := e.db.UserByEmail("lou@example.org")
	token := e.inviteToken(t, "jane@example.org")

	gc := e.client(t)
	res := gc.get(guardianInvitePath+"?token="+token+"&lang=fr").want(t, http.StatusOK)
	if !res.has(`id="guardian-account"`) || !res.has("Lou Petit") {
		t.Fatalf("the invitation page has no account form naming the minor:\n%s", res.Body)
	}
	form := url.Values{"token": {token}, "first_name": {"Jane"}, "last_name": {"Doe"}, "password": {"short"}}
	gc.post(guardianInvitePath+"/account", form).want(t, http.StatusUnprocessableEntity)
	form.Set("password", testPassword)
	res = gc.post(guardianInvitePath+"/account", form).want(t, http.StatusSeeOther)
	if got, want := res.Header.Get("Location"), minorPoliciesPath(m.ID); got != want {
		t.Errorf("after creating the account: got %q, want %q", got, want)
	}
	g, err := e.db.UserByEmail("jane@example.org")
	if err != nil || g.Lang != "fr" {
		t.Fatalf("guardian's account: %+v, %v", g, err)
	}
	if m, _ = e.db.User(m.ID); m.GuardianID != g.ID || m.AwaitsGuardian {
		t.Errorf("minor after the guardian accepted: %+v", m)
	}
	e.client(t).get(guardianInvitePath+"?token="+token).want(t, http.StatusGone)
	e.client(t).post(guardianInvitePath+"/account", form).want(t, http.StatusGone)

	if res := mc.get("/consent"); !res.has("Jane Doe &lt;jane@example.org&gt;, must give it for you") {
		t.Errorf("the minor's page does not name the linked guardian")
	}
	e.agreeAll(t, g) // the guardian's own answers at the gate
	res = gc.get(minorPoliciesPath(m.ID)).want(t, http.StatusOK)
	if !res.has("vous répondez à ses politiques") {
		t.Errorf("the guardian's page does not speak of the minor's policies in the third person")
	}
	for _, id := range e.activeIDs() {
		gc.post(minorPoliciesPath(m.ID)+"/"+itoa(id)+"/accept", nil).want(t, http.StatusSeeOther)
	}
	mc.get("/profile").want(t, http.StatusOK)
	if res := mc.get("/profile/policies"); !res.has("Jane Doe &lt;jane@example.org&gt;, gives or withdraws these agreements for you") {
		t.Errorf("the minor's agreements do not name the guardian")
	}
	if ns := e.notices(t, m); len(ns) != 1 || ns[0].Subject != "guardians.linked.notice.subject" {
		t.Errorf("the minor was not told in the app that the guardian accepted: %+v", ns)
	}
}

// Ensure that a guardian with an account links it by signing in, from the
// mailed link or from the notice in the app, and that nobody else can:
// another account with the link, or the minor themselves.
func TestGuardianWithAccountLinks(t *testing.T) {
	e := newMailEnv(t, freeAddr(t))
	g := e.person(t, "jane@example.org", store.RoleLearner, "Jane", "Doe", "en")
	e.person(t, "other@example.org", store.RoleLearner, "Otto", "Other", "en")
	mc := e.client(t)
	mc.get("/signup")
	mc.post("/signup", minorSignup("lou@example.org", "jane@example.org", "")).want(t, http.StatusSeeOther)
	m, _ := e.db.UserByEmail("lou@example.org")
	token := e.inviteToken(t, "jane@example.org")

	visitor := e.client(t)
	if res := visitor.get(guardianInvitePath + "?token=" + token); !res.has(`id="invitation-sign-in"`) || res.has(`id="guardian-account"`) {
		t.Errorf("a visitor with the link of an address that has an account: want the sign-in link only")
	}
	visitor.get(guardianInvitePath).want(t, http.StatusGone)
	visitor.post(guardianInvitePath, url.Values{"token": {token}}).want(t, http.StatusGone)

	oc := e.client(t)
	oc.login("other@example.org")
	if res := oc.get(guardianInvitePath + "?token=" + token); !res.has(`id="other-account"`) {
		t.Errorf("another account with the link is not told that it is for another address")
	}
	oc.post(guardianInvitePath, url.Values{"token": {token}}).want(t, http.StatusForbidden)
	oc.post(guardianInvitePath, url.Values{"minor": {itoa(m.ID)}}).want(t, http.StatusForbidden)
	mc.post(guardianInvitePath, url.Values{"token": {token}}).want(t, http.StatusForbidden)
	if m, _ = e.db.User(m.ID); m.GuardianID != 0 {
		t.Fatalf("someone else was linked: %+v", m)
	}

	gc := e.client(t)
	gc.login("jane@example.org")
	res := gc.get(guardianInvitePath).want(t, http.StatusOK) // the notice's link
	if !res.has(`name="minor" value="`+itoa(m.ID)+`"`) || !res.has("Become the guardian of Lou Petit") {
		t.Fatalf("the signed-in guardian does not see the invitation:\n%s", res.Body)
	}
	res = gc.post(guardianInvitePath, url.Values{"minor": {itoa(m.ID)}}).want(t, http.StatusSeeOther)
	if res.Header.Get("Location") != minorPoliciesPath(m.ID) {
		t.Errorf("after linking: got %q", res.Header.Get("Location"))
	}
	if m, _ = e.db.User(m.ID); m.GuardianID != g.ID || m.AwaitsGuardian {
		t.Errorf("minor: %+v", m)
	}
	gc.get(guardianInvitePath+"?token="+token).want(t, http.StatusGone)
	if res := gc.get(guardianInvitePath); !res.has(`id="no-invitation"`) {
		t.Errorf("a spent invitation is still listed")
	}
	gc.get(minorPoliciesPath(m.ID)).want(t, http.StatusOK)
}

// Ensure that the waiting minor can send the invitation again and correct
// the address, each time voiding the earlier link, that invitations expire
// (and are sent again), that staff correct an address too, and that the
// minor cannot send too many.
func TestGuardianInvitationResendChangeExpire(t *testing.T) {
	e := newMailEnv(t, freeAddr(t))
	mc := e.client(t)
	mc.get("/signup")
	mc.post("/signup", minorSignup("lou@example.org", "jane@exemple.org", "Jane Doe")).want(t, http.StatusSeeOther)
	m, _ := e.db.UserByEmail("lou@example.org")
	first := e.inviteToken(t, "jane@exemple.org")

	mc.get("/consent")
	mc.post("/profile/guardian/resend", nil).want(t, http.StatusSeeOther)
	second := e.inviteToken(t, "jane@exemple.org")
	if first == second || e.mailsTo(t, "jane@exemple.org") != 2 {
		t.Errorf("re-sent: want a second mail with a new link")
	}
	e.client(t).get(guardianInvitePath+"?token="+first).want(t, http.StatusGone)
	e.client(t).get(guardianInvitePath+"?token="+second).want(t, http.StatusOK)

	mc.post("/profile/guardian", url.Values{"guardian_email": {"lou@example.org"}}).want(t, http.StatusUnprocessableEntity)
	res := mc.post("/profile/guardian", url.Values{"guardian_email": {"jane@"}}).want(t, http.StatusUnprocessableEntity)
	if !res.has(`value="jane@"`) {
		t.Errorf("the 422 lost what was typed")
	}
	mc.post("/profile/guardian", url.Values{"guardian_email": {"jane@example.org"}, "guardian_name": {"Jane Doe"}}).want(t, http.StatusSeeOther)
	third := e.inviteToken(t, "jane@example.org")
	e.client(t).get(guardianInvitePath+"?token="+second).want(t, http.StatusGone)
	if res := mc.get("/consent"); !res.has("Jane Doe &lt;jane@example.org&gt;") {
		t.Errorf("the waiting page does not name the corrected address")
	}

	e.advance(store.GuardianInviteTTL + time.Minute)
	e.client(t).get(guardianInvitePath+"?token="+third).want(t, http.StatusGone)
	mc = e.client(t) // the session expired meanwhile
	mc.login("lou@example.org")
	if res := mc.get("/consent"); !res.has("has expired") {
		t.Errorf("the waiting page does not say the invitation expired")
	}

	admin := e.user(t, "root@example.org", store.RoleAdmin)
	ac := e.client(t)
	ac.login(admin.Email)
	if res := ac.get("/admin/users/" + itoa(m.ID)); !res.has(`action="/admin/users/` + itoa(m.ID) + `/invitation"`) {
		t.Errorf("the user's page has no form to correct the invitation")
	}
	ac.post("/admin/users/"+itoa(m.ID)+"/invitation", url.Values{"guardian_email": {"lou@example.org"}}).want(t, http.StatusUnprocessableEntity)
	ac.post("/admin/users/"+itoa(m.ID)+"/invitation", url.Values{"guardian_email": {"parent@example.org"}}).want(t, http.StatusSeeOther)
	fourth := e.inviteToken(t, "parent@example.org")
	e.client(t).get(guardianInvitePath+"?token="+fourth).want(t, http.StatusOK)
	ac.post("/admin/users/"+itoa(admin.ID)+"/invitation", url.Values{"guardian_email": {"parent@example.org"}}).want(t, http.StatusUnprocessableEntity)

	mc.get("/consent")
	for range invitesPerHour {
		mc.post("/profile/guardian/resend", nil).want(t, http.StatusSeeOther)
	}
	mc.post("/profile/guardian/resend", nil).want(t, http.StatusTooManyRequests)

	learner := e.user(t, "adult@example.org", store.RoleLearner)
	lc := e.client(t)
	lc.login(learner.Email)
	lc.post("/profile/guardian/resend", nil).want(t, http.StatusNotFound)
}

// Ensure that a minor's guardian, not the minor, is told in their own
// language when a major version of a policy is activated, and reminded,
// once each; and that a minor still waiting for the guardian they named
// is told nothing (the invitation does).
func TestGuardianToldOfPolicyChange(t *testing.T) {
	e := newMailEnv(t, freeAddr(t))
	admin := e.user(t, "root@example.org", store.RoleAdmin)
	g := e.person(t, "jane@example.org", store.RoleLearner, "Jane", "Doe", "fr")
	m := e.user(t, "lou@example.org", store.RoleLearner)
	guardianOf(t, e, g, m, "2015-03-01")
	waiting := e.client(t)
	waiting.get("/signup")
	waiting.post("/signup", minorSignup("max@example.org", "nobody@example.org", "")).want(t, http.StatusSeeOther)
	w, _ := e.db.UserByEmail("max@example.org")
	before := len(e.outbox(t))

	draft := e.newMajorDraft(t, admin.ID)
	if err := e.db.ActivateVersionAnnounced(draft.ID, admin.ID, true); err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	e.app.announcePolicies()
	e.app.announcePolicies()
	ns := e.notices(t, g)
	if len(ns) != 2 {
		t.Fatalf("guardian: got %d notices, want their own and their minor's: %+v", len(ns), ns)
	}
	var minors []store.Notification
	for _, n := range ns {
		if n.Subject == "guardians.notice.changed.subject" {
			minors = append(minors, n)
		}
	}
	if len(minors) != 1 || minors[0].Link != minorPoliciesPath(m.ID) || minors[0].AboutID != m.ID {
		t.Errorf("guardian: got %+v, want one notice about the minor linking to their policies", minors)
	}
	if ns := e.notices(t, m); len(ns) != 0 {
		t.Errorf("the minor was told, not only the guardian: %+v", ns)
	}
	if ns := e.notices(t, w); len(ns) != 0 {
		t.Errorf("the waiting minor was told: %+v", ns)
	}
	french := 0
	for _, ml := range e.outbox(t)[before:] {
		if ml.To == "jane@example.org" && strings.Contains(ml.Subject, m.Name()) && strings.Contains(ml.Subject, "vous attend") && strings.Contains(ml.Body, "Les journaux sont désormais gardés 30 jours.") {
			french++
		}
		if ml.To == "nobody@example.org" || ml.To == "max@example.org" {
			t.Errorf("mail about the waiting minor: %+v", ml)
		}
	}
	if french != 1 {
		t.Errorf("guardian's mails: got %d in French about the minor, want 1", french)
	}

	set := e.app.Settings()
	set.PolicyReminderDays = 3
	if err := e.db.SaveSettings(set, 0); err != nil {
		t.Fatal(err)
	}
	e.app.reloadSettings()
	e.agreeAll(t, g)
	e.advance(4 * 24 * time.Hour)
	e.app.remindPolicies()
	e.app.remindPolicies()
	reminded := 0
	for _, n := range e.notices(t, g) {
		if n.Subject == "guardians.notice.reminder.subject" && n.AboutID == m.ID {
			reminded++
		}
	}
	if reminded != 1 {
		t.Errorf("guardian: got %d reminders about the minor, want 1", reminded)
	}
}

// Ensure that staff linking a guardian to a waiting minor ends the wait
// for an invitation (its link no longer works), tells the guardian in
// their language that the minor waits for them, and never links a minor
// to themselves.
func TestStaffLinksWaitingMinor(t *testing.T) {
	e := newMailEnv(t, freeAddr(t))
	admin := e.user(t, "root@example.org", store.RoleAdmin)
	g := e.person(t, "jane@example.org", store.RoleLearner, "Jane", "Doe", "fr")
	mc := e.client(t)
	mc.get("/signup")
	mc.post("/signup", minorSignup("lou@example.org", "parent@example.org", "")).want(t, http.StatusSeeOther)
	m, _ := e.db.UserByEmail("lou@example.org")
	token := e.inviteToken(t, "parent@example.org")

	ac := e.client(t)
	ac.login(admin.Email)
	ac.get("/admin/users/" + itoa(m.ID))
	ac.post("/admin/users/"+itoa(m.ID)+"/guardian", url.Values{"guardian": {"lou@example.org"}}).want(t, http.StatusUnprocessableEntity)
	ac.post("/admin/users/"+itoa(m.ID)+"/guardian", url.Values{"guardian": {"jane@example.org"}}).want(t, http.StatusSeeOther)
	if m, _ = e.db.User(m.ID); m.GuardianID != g.ID || m.AwaitsGuardian {
		t.Errorf("minor after staff linked: %+v", m)
	}
	e.client(t).get(guardianInvitePath+"?token="+token).want(t, http.StatusGone)
	ns := e.notices(t, g)
	if len(ns) != 1 || ns[0].Subject != "guardians.waiting_for_you.subject" || ns[0].Link != minorPoliciesPath(m.ID) {
		t.Errorf("guardian: got %+v, want one notice that the minor waits", ns)
	}
	found := false
	for _, ml := range e.outbox(t) {
		found = found || (ml.To == "jane@example.org" && strings.Contains(ml.Subject, "vous attend"))
	}
	if !found {
		t.Errorf("no mail in French to the guardian")
	}
	if res := mc.get("/consent"); !res.has("Jane Doe &lt;jane@example.org&gt;") || res.has(`id="guardian-invite"`) {
		t.Errorf("the minor's page does not name the linked guardian, or still offers the invitation")
	}
	mc.post("/profile/guardian/resend", nil).want(t, http.StatusNotFound)
}
