package app

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"accord/store"
)

// Ensure that the setup link creates the first administrator once, and that
// used, unknown and voided tokens answer 410 and /setup 404 afterwards.
func TestSetupLink(t *testing.T) {
	e := newEnv(t)
	fresh := e.app.Settings() // a new site names no DPO yet
	fresh.DPOName, fresh.DPOEmail = "", ""
	e.db.SaveSettings(fresh, 0)
	e.app.reloadSettings()
	if e.client(t).get("/").has("dpo-contact") {
		t.Errorf("an empty DPO contact is published")
	}
	old, _ := e.app.IssueSetupLink()
	link, err := e.app.IssueSetupLink()
	if err != nil || !strings.HasPrefix(link, "http://localhost:8080/setup?token=") {
		t.Fatalf("setup link: got %q %v", link, err)
	}
	token := strings.TrimPrefix(link, "http://localhost:8080/setup?token=")
	oldToken := strings.TrimPrefix(old, "http://localhost:8080/setup?token=")
	c := e.client(t)
	c.get("/setup?token="+oldToken).want(t, http.StatusGone)
	c.get("/setup?token=nope").want(t, http.StatusGone)
	c.get("/setup?token="+token).want(t, http.StatusOK)
	form := url.Values{"token": {token}, "first_name": {"Root"}, "last_name": {"Admin"}, "email": {"root@example.org"}, "password": {"short"}}
	c.post("/setup", form).want(t, http.StatusUnprocessableEntity)
	form.Set("password", testPassword)
	res := c.post("/setup", form).want(t, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/admin" {
		t.Errorf("after setup: got Location %q, want /admin", loc)
	}
	c.get("/admin").want(t, http.StatusOK)
	// Until one is named, the first administrator is the published DPO
	// contact (issue 12.2), as after `accord user add --role admin`.
	if s := e.app.Settings(); s.DPOEmail != "root@example.org" || s.DPOName != "Root Admin" {
		t.Errorf("DPO contact after setup: got %q %q, want the first administrator", s.DPOName, s.DPOEmail)
	}
	if res := e.client(t).get("/policies"); !res.has("root@example.org") {
		t.Errorf("after setup the footer must publish the DPO contact")
	}
	c.get("/setup?token="+token).want(t, http.StatusGone)
	c.post("/setup", form).want(t, http.StatusGone)
	c.get("/setup?token=nope").want(t, http.StatusNotFound)
	if link, _ := e.app.IssueSetupLink(); link != "" {
		t.Errorf("setup link issued while an administrator exists: %q", link)
	}
}

// Ensure that sign-up validates in the user's language, refuses minors and
// duplicates, and signs the new learner in.
func TestSignup(t *testing.T) {
	e := newEnv(t)
	e.user(t, "taken@example.org", store.RoleLearner)
	good := url.Values{"first_name": {"Zoé"}, "last_name": {"Roux"}, "email": {"zoe@example.org"}, "password": {testPassword}, "birth_date": {"2000-02-29"}}
	for _, id := range e.activeIDs() { // the compulsory policies, ticked
		good.Set("v"+itoa(id), "accept")
	}
	cases := []struct {
		name, lang, field, value, want string
	}{
		{"missing name", "en", "first_name", "", "This field is required."},
		{"bad email", "fr", "email", "zoe@", "Saisissez une adresse e-mail valide"},
		{"short password", "en", "password", "123456789", "at least 10"},
		{"password is email", "fr", "password", "zoe@example.org", "ne doit pas être votre adresse e-mail"},
		{"minor", "fr", "birth_date", "2014-01-01", "Avant 15 ans"},
		{"future birth", "en", "birth_date", "2030-01-01", "real date of birth"},
		{"bad date", "en", "birth_date", "01/02/2000", "YYYY-MM-DD"},
		{"too long", "en", "last_name", strings.Repeat("x", 101), "too long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.client(t)
			c.get("/signup?lang=" + tc.lang)
			form := url.Values{}
			for k, v := range good {
				form[k] = v
			}
			form.Set(tc.field, tc.value)
			res := c.post("/signup", form).want(t, http.StatusUnprocessableEntity)
			if !res.has(tc.want) {
				t.Errorf("got no %q in the page", tc.want)
			}
			if tc.field != "password" && !res.has(`value="`+strings.ReplaceAll(form.Get("first_name"), "é", "é")) {
				t.Errorf("the form lost what was typed")
			}
		})
	}
	if _, err := e.db.UserByEmail("zoe@example.org"); err == nil {
		t.Fatal("a refused sign-up created an account")
	}
	c := e.client(t)
	c.get("/signup")
	c.post("/signup", good).want(t, http.StatusSeeOther)
	res := c.get("/profile").want(t, http.StatusOK)
	if !res.has("zoe@example.org") {
		t.Errorf("new learner is not signed in")
	}
}

// Ensure that closed sign-up is 404.
func TestSignupClosed(t *testing.T) {
	e := newEnv(t)
	s := e.app.Settings()
	s.SignupOpen = false
	e.db.SaveSettings(s, 0)
	e.app.reloadSettings()
	c := e.client(t)
	c.get("/signup").want(t, http.StatusNotFound)
	c.post("/signup", url.Values{"email": {"x@example.org"}}).want(t, http.StatusNotFound)
}

// Ensure that every POST route refuses a missing token with 403 before any
// other check, and changes nothing.
func TestCSRFOnEveryPost(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	c := e.client(t)
	c.login("admin@example.org")
	before, _ := e.db.CommitID()
	for _, r := range e.app.web.GetRoutes(true) {
		if r.Method != http.MethodPost || strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		path := strings.NewReplacer(":id<int>", "1", ":id", "1").Replace(r.Path)
		for _, tok := range []string{"", "forged"} {
			res := c.post(path, url.Values{"_csrf": {tok}, "email": {"x@example.org"}})
			if res.Status != http.StatusForbidden {
				t.Errorf("POST %s with token %q: got %d, want 403", path, tok, res.Status)
			}
		}
	}
	if after, _ := e.db.CommitID(); after != before {
		t.Errorf("refused POSTs wrote to the database")
	}
}

// Ensure that the language follows ?lang > cookie > profile >
// Accept-Language > site default, and that an unknown value is ignored.
func TestLanguageNegotiation(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	lang := func(res *response) string {
		if strings.Contains(res.Body, `<html lang="fr">`) {
			return "fr"
		}
		return "en"
	}
	if got := lang(c.get("/login", "Accept-Language", "fr-CA,fr;q=0.9,en;q=0.5")); got != "fr" {
		t.Errorf("Accept-Language fr: got %s", got)
	}
	if got := lang(c.get("/login?lang=xx", "Accept-Language", "de")); got != "en" {
		t.Errorf("unknown lang and German browser: got %s, want the site default en", got)
	}
	res := c.get("/login?lang=fr").want(t, http.StatusOK)
	if lang(res) != "fr" || c.cookies[langCookie] != "fr" || !res.has("Connexion") {
		t.Errorf("?lang=fr: got %s, cookie %q", lang(res), c.cookies[langCookie])
	}
	if got := lang(c.get("/login", "Accept-Language", "en")); got != "fr" {
		t.Errorf("cookie fr beats Accept-Language en: got %s", got)
	}
	e.user(t, "ann@example.org", store.RoleLearner) // profile language en
	fresh := e.client(t)
	fresh.login("ann@example.org")
	if got := lang(fresh.get("/profile", "Accept-Language", "fr")); got != "en" {
		t.Errorf("profile en beats Accept-Language fr: got %s", got)
	}
}

// Ensure that saving the profile's language also sets the cookie, and that
// dates are written the French way.
func TestProfileLanguage(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	c := e.client(t)
	c.login("ann@example.org")
	c.get("/profile")
	c.post("/profile", url.Values{"first_name": {"Ann"}, "last_name": {"Lee"}, "email": {"ann@example.org"}, "lang": {"fr"}}).want(t, http.StatusSeeOther)
	if c.cookies[langCookie] != "fr" {
		t.Errorf("accord_lang: got %q, want fr", c.cookies[langCookie])
	}
	res := c.get("/profile")
	if !res.has(`<html lang="fr">`) || !res.has("Votre profil est enregistré.") {
		t.Errorf("profile not in French after saving fr")
	}
	c.post("/profile", url.Values{"first_name": {""}, "last_name": {"Lee"}, "email": {"ann@example.org"}, "lang": {"fr"}}, "HX-Request", "true").want(t, http.StatusUnprocessableEntity)
	if got := e.app.tr["fr"].Date(time.Date(2026, 11, 1, 12, 0, 0, 0, time.Local)); got != "1er novembre 2026" {
		t.Errorf("French date: got %q", got)
	}
	if got := e.app.tr["en"].Date(time.Date(2026, 11, 28, 12, 0, 0, 0, time.Local)); got != "28 November 2026" {
		t.Errorf("English date: got %q", got)
	}
}

// Ensure that htmx form posts get the fragment on 422 and HX-Redirect on
// success, never a 3xx.
func TestHTMXForms(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	c := e.client(t)
	c.get("/login")
	res := c.post("/login", url.Values{"email": {"ann@example.org"}, "password": {"wrong-password"}}, "HX-Request", "true").want(t, http.StatusUnprocessableEntity)
	if res.has("<html") || !res.has(`id="login-form"`) {
		t.Errorf("htmx 422 must be the form fragment alone")
	}
	res = c.post("/login", url.Values{"email": {"ann@example.org"}, "password": {testPassword}, "next": {"/profile"}}, "HX-Request", "true").want(t, http.StatusOK)
	if res.Header.Get("HX-Redirect") != "/profile" {
		t.Errorf("HX-Redirect: got %q, want /profile", res.Header.Get("HX-Redirect"))
	}
	res = c.get("/admin", "HX-Request", "true")
	if res.Status != http.StatusForbidden {
		t.Errorf("learner on /admin: got %d, want 403", res.Status)
	}
	signedOut := e.client(t)
	res = signedOut.get("/profile", "HX-Request", "true").want(t, http.StatusOK)
	if res.Header.Get("HX-Redirect") != "/login?next=%2Fprofile" {
		t.Errorf("htmx signed out: got HX-Redirect %q", res.Header.Get("HX-Redirect"))
	}
}

// Ensure that next is followed only when it is a safe local path.
func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/profile":             "/profile",
		"/admin/users?page=2":  "/admin/users?page=2",
		"":                     "",
		"//evil.example":       "",
		"/\\evil.example":      "",
		"https://evil.example": "",
		"javascript:alert(1)":  "",
		"/login":               "",
		"/logout":              "",
		"/consent?next=/x":     "",
		"/a\nb":                "",
		"/a\\b":                "",
		"/Login":               "",
		"/consent/":            "",
		"/LOGOUT/":             "",
		"profile":              "",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q): got %q, want %q", in, got, want)
		}
	}
}

// Ensure that sign-in is limited per account and answers 429 with
// Retry-After and a translated message, even for the right password.
func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	c := e.client(t)
	c.get("/login?lang=fr")
	for i := 0; i < 5; i++ {
		c.post("/login", url.Values{"email": {"ann@example.org"}, "password": {"wrong-password"}}).want(t, http.StatusUnprocessableEntity)
	}
	res := c.post("/login", url.Values{"email": {"ann@example.org"}, "password": {testPassword}}).want(t, http.StatusTooManyRequests)
	if res.Header.Get("Retry-After") == "" || !res.has("Trop de tentatives") || !res.has(`value="ann@example.org"`) {
		t.Errorf("429 needs Retry-After, a French message and the form as typed")
	}
	e.advance(16 * time.Minute)
	c.post("/login", url.Values{"email": {"ann@example.org"}, "password": {testPassword}}).want(t, http.StatusSeeOther)
}

// Ensure that sign-up is limited per address.
func TestSignupRateLimit(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.get("/signup")
	for i := 0; i < 10; i++ {
		c.post("/signup", url.Values{"email": {"bad"}}).want(t, http.StatusUnprocessableEntity)
	}
	c.post("/signup", url.Values{"email": {"bad"}}).want(t, http.StatusTooManyRequests)
}

// Ensure that plain page views write nothing to the database.
func TestGetWritesNothing(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	c := e.client(t)
	c.login("admin@example.org")
	visitor := e.client(t)
	before, _ := e.db.CommitID()
	for _, path := range []string{"/", "/profile", "/admin", "/admin/users", "/admin/users/1", "/admin/settings", "/login", "/nope"} {
		c.get(path)
		visitor.get(path)
	}
	if after, _ := e.db.CommitID(); after != before {
		t.Errorf("GETs wrote to the database: commit id %d → %d", before, after)
	}
}

// Ensure that an idle session ends after the idle timeout, and that
// last-seen times are flushed in one write by the background job.
func TestSessionIdleTimeout(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	c := e.client(t)
	c.login("ann@example.org")
	e.advance(time.Hour)
	c.get("/profile").want(t, http.StatusOK)
	e.app.flushSessions(false)
	e.app.sessions = newSessionCache() // as after a restart
	e.advance(time.Hour + 30*time.Minute)
	c.get("/profile").want(t, http.StatusOK) // 1.5 h idle: still in
	e.advance(2*time.Hour + time.Minute)
	c.get("/profile").want(t, http.StatusSeeOther)
}

// Ensure that administrators manage users: create with 422 on a duplicate,
// role change ends the user's sessions, and the last administrator stays.
func TestAdminUsers(t *testing.T) {
	e := newEnv(t)
	admin := e.user(t, "admin@example.org", store.RoleAdmin)
	learner := e.user(t, "ann@example.org", store.RoleLearner)
	lc := e.client(t)
	lc.login("ann@example.org")
	lc.get("/admin/users").want(t, http.StatusForbidden)
	dpo := e.user(t, "dpo@example.org", store.RoleDPO)
	dc := e.client(t)
	dc.login(dpo.Email)
	dc.get("/admin").want(t, http.StatusOK)
	dc.get("/admin/users").want(t, http.StatusForbidden)

	c := e.client(t)
	c.login(admin.Email)
	c.get("/admin/users?q=ann").want(t, http.StatusOK)
	c.post("/admin/users", url.Values{"email": {"ANN@example.org"}, "password": {testPassword}, "role": {"learner"}}).want(t, http.StatusUnprocessableEntity)
	c.post("/admin/users", url.Values{"email": {"bo@example.org"}, "password": {testPassword}, "role": {"boss"}}).want(t, http.StatusUnprocessableEntity)
	c.post("/admin/users", url.Values{"email": {"bo@example.org"}, "password": {testPassword}, "role": {"dpo"}, "lang": {"fr"}}).want(t, http.StatusSeeOther)
	if u, err := e.db.UserByEmail("bo@example.org"); err != nil || u.Role != store.RoleDPO || u.Lang != "fr" {
		t.Fatalf("created user: got %+v %v", u, err)
	}
	c.post("/admin/users/"+itoa(learner.ID)+"/role", url.Values{"role": {"dpo"}}).want(t, http.StatusSeeOther)
	lc.get("/profile").want(t, http.StatusSeeOther) // signed out by the role change
	c.post("/admin/users/"+itoa(admin.ID)+"/role", url.Values{"role": {"learner"}}).want(t, http.StatusUnprocessableEntity)
	c.post("/admin/users/"+itoa(admin.ID)+"/suspend", nil).want(t, http.StatusUnprocessableEntity)
	c.post("/admin/users/999/suspend", nil).want(t, http.StatusNotFound)
	c.post("/admin/users/"+itoa(learner.ID)+"/suspend", nil).want(t, http.StatusSeeOther)
	lc.get("/login")
	res := lc.post("/login", url.Values{"email": {"ann@example.org"}, "password": {testPassword}}).want(t, http.StatusUnprocessableEntity)
	if !res.has("The email or the password is wrong") {
		t.Errorf("suspended account must get the generic message")
	}
}

// Ensure that settings are validated (422, nothing saved) and saved.
func TestAdminSettings(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	c := e.client(t)
	c.login("admin@example.org")
	form := settingsValues(e.app.Settings()).Values
	form["consent_lifetime_months"] = []string{"14"}
	c.get("/admin/settings")
	c.post("/admin/settings", url.Values(form)).want(t, http.StatusUnprocessableEntity)
	if e.app.Settings().ConsentLifetimeMonths != 6 {
		t.Fatalf("refused settings were saved")
	}
	form["consent_lifetime_months"] = []string{"13"}
	form["dpo_name"] = []string{"Claire Martin"}
	c.post("/admin/settings", url.Values(form)).want(t, http.StatusSeeOther)
	if s := e.app.Settings(); s.ConsentLifetimeMonths != 13 || s.DPOName != "Claire Martin" {
		t.Errorf("settings not saved: %+v", s)
	}
	if !e.client(t).get("/").has("Claire Martin") {
		t.Errorf("the DPO's name is not in the footer")
	}
}

// Ensure that the live backup is a bbolt file for administrators, and that
// every download and every refused attempt is audited.
func TestBackupAudited(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	e.user(t, "ann@example.org", store.RoleLearner)
	count := func(a store.Action) int {
		_, n, _ := e.db.ListAudit(store.AuditQuery{Action: a})
		return n
	}
	e.client(t).get("/admin/backup").want(t, http.StatusSeeOther)
	lc := e.client(t)
	lc.login("ann@example.org")
	lc.get("/admin/backup").want(t, http.StatusForbidden)
	c := e.client(t)
	c.login("admin@example.org")
	res := c.get("/admin/backup").want(t, http.StatusOK)
	if res.Header.Get("Content-Type") != "application/octet-stream" || len(res.Body) < 4096 {
		t.Errorf("backup: got %s, %d bytes", res.Header.Get("Content-Type"), len(res.Body))
	}
	e.app.flushBackupRefusals() // refusals are written per interval, not per request
	if got := count(store.ActBackupRefused); got != 2 {
		t.Errorf("refused attempts audited: got %d, want 2", got)
	}
	if got := count(store.ActBackupDownloaded); got != 1 {
		t.Errorf("downloads audited: got %d, want 1", got)
	}
}

// Ensure that error pages are translated and never show internals.
func TestErrorPages(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	res := c.get("/no/such/page?lang=fr").want(t, http.StatusNotFound)
	if !res.has("Page introuvable") || !res.has(`<html lang="fr">`) {
		t.Errorf("404 not translated")
	}
	res = c.get("/admin/users/abc").want(t, http.StatusNotFound)
	if res.has("Cannot GET") {
		t.Errorf("404 shows Fiber's text")
	}
}

// Ensure that changing the password checks the current one and signs out
// the other browsers.
func TestPasswordChange(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	c, other := e.client(t), e.client(t)
	c.login("ann@example.org")
	other.login("ann@example.org")
	c.get("/profile")
	c.post("/profile/password", url.Values{"current_password": {"wrong-password"}, "password": {"a new password"}}).want(t, http.StatusUnprocessableEntity)
	c.post("/profile/password", url.Values{"current_password": {testPassword}, "password": {"a new password"}}).want(t, http.StatusSeeOther)
	c.get("/profile").want(t, http.StatusOK)
	other.get("/profile").want(t, http.StatusSeeOther)
}

func itoa(id uint64) string { return strconv.FormatUint(id, 10) }
