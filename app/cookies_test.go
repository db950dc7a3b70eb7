package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"accord/store"

	"github.com/google/uuid"
)

// setCookieNames lists the names of the cookies a response sets or deletes.
func setCookieNames(res *response) (set, deleted []string) {
	for _, ck := range (&http.Response{Header: res.Header}).Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			deleted = append(deleted, ck.Name)
		} else {
			set = append(set, ck.Name)
		}
	}
	return set, deleted
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// bannerFirst reports whether the banner is the first element of <body>.
func bannerFirst(body string) bool {
	_, after, ok := strings.Cut(body, "<body>")
	if !ok {
		return false
	}
	after = strings.TrimSpace(after)
	return strings.HasPrefix(after, `<section id="cookie-banner"`)
}

// Ensure that a first visit shows the banner as the first element of the
// body and sets no optional cookie, for visitors and signed-in users alike.
func TestCookieBannerFirstVisit(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	for _, lang := range []string{"en", "fr"} {
		c := e.client(t)
		res := c.get("/?lang="+lang).want(t, http.StatusOK)
		if !bannerFirst(res.Body) {
			t.Errorf("%s: the banner is not the first element of the body", lang)
		}
		want := map[string]string{"en": "Refuse all", "fr": "Tout refuser"}[lang]
		if !res.has(want) || !res.has(`value="close"`) || !res.has(`href="/policies"`) {
			t.Errorf("%s: the banner lacks %q, close or the policies link", lang, want)
		}
		set, _ := setCookieNames(res)
		for _, name := range set {
			if name == usernameCookie || name == visitorCookie {
				t.Errorf("%s: optional cookie %s set before a choice", lang, name)
			}
		}
	}
	c := e.client(t)
	c.login("ann@example.org")
	if res := c.get("/profile").want(t, http.StatusOK); !bannerFirst(res.Body) {
		t.Errorf("signed in without a choice: no banner")
	}
	if res := c.get("/cookies").want(t, http.StatusOK); res.has(`id="cookie-banner"`) {
		t.Errorf("/cookies shows the banner too")
	}
}

// Ensure that each banner choice records the proof and hides the banner,
// that close counts as a refusal, and that the plain form goes back to next.
func TestCookieBannerChoices(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		choice string
		state  store.ConsentState
		stats  bool
	}{
		{"accept_all", store.ConsentGiven, true},
		{"refuse_all", store.ConsentRefused, false},
		{"close", store.ConsentRefused, false},
	} {
		c := e.client(t)
		c.get("/login")
		res := c.post("/cookies", url.Values{"choice": {tc.choice}, "next": {"/signup"}}).want(t, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != "/signup" {
			t.Errorf("%s: got Location %q, want /signup", tc.choice, loc)
		}
		id := c.cookies[consentCookie]
		r := e.app.latestOf(0, id)
		if r == nil || r.State != tc.state || r.Method != store.ConsentMethod(tc.choice) || r.Allows(store.CookieStatistics) != tc.stats {
			t.Fatalf("%s: got record %+v", tc.choice, r)
		}
		if _, err := uuidParse(r.ID); err != nil {
			t.Errorf("%s: record id %q is not a UUID", tc.choice, r.ID)
		}
		page := c.get("/login").want(t, http.StatusOK)
		if page.has(`id="cookie-banner"`) {
			t.Errorf("%s: banner still shown after a choice", tc.choice)
		}
		if _, ok := c.cookies[visitorCookie]; ok != tc.stats {
			t.Errorf("%s: accord_visitor present %v, want %v", tc.choice, ok, tc.stats)
		}
	}
}

func uuidParse(s string) (uuid.UUID, error) { return uuid.Parse(s) }

// getPaths lists every GET page of the app, from its routing table, with
// sample values for route parameters: new pages are walked automatically.
func getPaths(e *testEnv) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range e.app.web.GetRoutes(true) {
		if r.Method != http.MethodGet || strings.HasPrefix(r.Path, "/static") || strings.ContainsAny(r.Path, "*+") {
			continue
		}
		parts := strings.Split(r.Path, "/")
		for i, p := range parts {
			if strings.HasPrefix(p, ":") {
				parts[i] = "1"
			}
		}
		p := strings.Join(parts, "/")
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	return out
}

// codeCookies are the cookies Accord's code sets, with the category the
// code enforces for each.
var codeCookies = map[string]store.CookieCategory{
	sessionCookie: store.CookieNecessary, csrfCookie: store.CookieNecessary, langCookie: store.CookieNecessary,
	consentCookie: store.CookieNecessary, usernameCookie: store.CookiePreferences, visitorCookie: store.CookieStatistics,
}

// The cookie audit. Ensure that every cookie any GET page sets — as a
// visitor without a choice, as a visitor who accepted all, and as a
// signed-in administrator who accepted all — is in the register, in the
// category the code enforces, and that only accepted categories are set.
func TestCookieAudit(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	reg := e.app.register()
	for name, cat := range codeCookies {
		if ck := reg.Find(name); ck == nil || ck.Category != cat {
			t.Errorf("register: %s got %v, want category %s", name, ck, cat)
		}
	}
	audit := func(who string, c *client, accepted map[store.CookieCategory]bool, res *response, path string) {
		t.Helper()
		set, deleted := setCookieNames(res)
		for _, name := range append(set, deleted...) {
			ck := reg.Find(name)
			if ck == nil {
				t.Errorf("%s %s: cookie %s is not in the register", who, path, name)
				continue
			}
			if want, ok := codeCookies[name]; ok && want != ck.Category {
				t.Errorf("%s %s: cookie %s is %s in the register, the code treats it as %s", who, path, name, ck.Category, want)
			}
		}
		for _, name := range set {
			if ck := reg.Find(name); ck != nil && ck.Category.Optional() && !accepted[ck.Category] {
				t.Errorf("%s %s: %s cookie %s set without consent", who, path, ck.Category, name)
			}
		}
	}
	walk := func(who string, c *client, accepted map[store.CookieCategory]bool) {
		for _, p := range getPaths(e) {
			for _, q := range []string{"", "?lang=fr", "?lang=en"} {
				audit(who, c, accepted, c.get(p+q), p+q)
			}
		}
	}
	none := map[store.CookieCategory]bool{}
	all := map[store.CookieCategory]bool{store.CookiePreferences: true, store.CookieStatistics: true}

	visitor := e.client(t)
	walk("visitor without choice", visitor, none)

	refuser := e.client(t)
	refuser.get("/")
	audit("refuser", refuser, none, refuser.post("/cookies", url.Values{"choice": {"refuse_all"}}), "POST /cookies")
	walk("visitor who refused", refuser, none)

	accepter := e.client(t)
	accepter.get("/")
	audit("accepter", accepter, all, accepter.post("/cookies", url.Values{"choice": {"accept_all"}}), "POST /cookies")
	walk("visitor who accepted", accepter, all)
	if _, ok := accepter.cookies[visitorCookie]; !ok {
		t.Errorf("accepted statistics: no accord_visitor after the walk")
	}

	admin := e.client(t)
	admin.get("/")
	admin.post("/cookies", url.Values{"choice": {"accept_all"}}).want(t, http.StatusSeeOther)
	admin.get("/login")
	res := admin.post("/login", url.Values{"email": {"admin@example.org"}, "password": {testPassword}, "remember_username": {"on"}}).want(t, http.StatusSeeOther)
	audit("admin", admin, all, res, "POST /login")
	if _, ok := admin.cookies[usernameCookie]; !ok {
		t.Errorf("accepted preferences and asked: no accord_username")
	}
	walk("admin who accepted", admin, all)
	audit("admin", admin, all, admin.post("/logout", nil), "POST /logout")
}

// Ensure that a GET page writes nothing to the database — for a visitor
// without a choice, one counted by the statistics, and a signed-in
// administrator — downloads of personal data and backups aside.
func TestCookieGetWritesNothing(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	visitor, counted, admin := e.client(t), e.client(t), e.client(t)
	counted.get("/")
	counted.post("/cookies", url.Values{"choice": {"accept_all"}}).want(t, http.StatusSeeOther)
	admin.get("/")
	admin.post("/cookies", url.Values{"choice": {"accept_all"}}).want(t, http.StatusSeeOther)
	admin.login("admin@example.org")
	for _, c := range []*client{visitor, counted, admin} {
		for _, p := range getPaths(e) {
			if p == "/admin/backup" || strings.HasSuffix(p, ".csv") || strings.HasSuffix(p, "/download") {
				continue
			}
			before, err := e.db.CommittedTxID()
			if err != nil {
				t.Fatal(err)
			}
			c.get(p)
			c.get(p, "HX-Request", "true")
			if after, _ := e.db.CommittedTxID(); after != before {
				t.Errorf("GET %s wrote to the database (tx %d → %d)", p, before, after)
			}
		}
	}
}

// Ensure that with htmx the banner is replaced in place by a focused
// confirmation, and that the preferences page answers its fragment, in
// English and French.
func TestCookieHTMX(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ lang, saved string }{{"en", "Your cookie choice is saved."}, {"fr", "Votre choix de cookies est enregistré."}} {
		c := e.client(t)
		c.get("/?lang=" + tc.lang)
		res := c.post("/cookies", url.Values{"choice": {"refuse_all"}}, "HX-Request", "true", "HX-Target", "cookie-banner").want(t, http.StatusOK)
		if res.has("<html") || !res.has(`id="cookie-banner"`) || !res.has("data-autofocus") || !res.has(tc.saved) || res.has("<section") {
			t.Errorf("%s: banner answer: got %q", tc.lang, res.Body)
		}
		page := c.get("/cookies", "HX-Request", "true").want(t, http.StatusOK)
		if page.has("<html") || !page.has(`id="cookie-prefs"`) {
			t.Errorf("%s: GET /cookies fragment: got %q", tc.lang, page.Body)
		}
		full := c.get("/cookies").want(t, http.StatusOK)
		if !full.has("<html") || !full.has(`id="cookie-prefs"`) || !full.has(`id="cookie-register"`) || !full.has(`<html lang="`+tc.lang+`"`) {
			t.Errorf("%s: GET /cookies page lacks the preferences or the register", tc.lang)
		}
		res = c.post("/cookies", url.Values{"choice": {"custom"}, "category": {"statistics"}}, "HX-Request", "true", "HX-Target", "cookie-prefs").want(t, http.StatusOK)
		if res.has("<html") || !res.has(`id="cookie-prefs"`) || !res.has(tc.saved) || !res.has(`value="statistics" checked`) {
			t.Errorf("%s: preferences answer: got %q", tc.lang, res.Body)
		}
	}
}

// Ensure that an unknown category is refused with 422 and nothing changed,
// page and fragment, while "necessary" is ignored.
func TestCookieUnknownCategory(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.get("/cookies")
	before, _ := e.db.CommittedTxID()
	for _, hdr := range [][]string{nil, {"HX-Request", "true", "HX-Target", "cookie-prefs"}, {"HX-Request", "true", "HX-Target", "cookie-banner"}} {
		res := c.post("/cookies", url.Values{"choice": {"custom"}, "category": {"preferences", "marketing"}}, hdr...).want(t, http.StatusUnprocessableEntity)
		if !res.has("This cookie category does not exist") {
			t.Errorf("%v: no message in %q", hdr, res.Body)
		}
		if _, ok := c.cookies[consentCookie]; ok {
			t.Errorf("%v: a consent cookie was set", hdr)
		}
	}
	c.post("/cookies", url.Values{"choice": {"bogus"}}).want(t, http.StatusUnprocessableEntity)
	if after, _ := e.db.CommittedTxID(); after != before {
		t.Errorf("a refused choice wrote to the database")
	}
	c.post("/cookies", url.Values{"choice": {"custom"}, "category": {"necessary"}}).want(t, http.StatusSeeOther)
	if r := e.app.latestOf(0, c.cookies[consentCookie]); r == nil || r.State != store.ConsentRefused {
		t.Errorf("custom with only necessary: got %+v, want a refusal", r)
	}
}

// Ensure that a forged, unknown or expired accord_consent shows the banner,
// never an error, and that the server never adopts a client-chosen id.
func TestCookieForgedConsent(t *testing.T) {
	e := newEnv(t)
	old := e.client(t)
	old.get("/")
	old.post("/cookies", url.Values{"choice": {"accept_all"}}).want(t, http.StatusSeeOther)
	e.advance(7 * 31 * 24 * time.Hour)
	unknown, _ := store.NewToken()
	for _, v := range []string{"forged", unknown, strings.Repeat("!", 43), old.cookies[consentCookie]} {
		c := e.client(t)
		c.cookies[consentCookie] = v
		res := c.get("/").want(t, http.StatusOK)
		if !bannerFirst(res.Body) {
			t.Errorf("accord_consent=%q: no banner", v)
		}
		c.post("/cookies", url.Values{"choice": {"refuse_all"}}).want(t, http.StatusSeeOther)
		if v == unknown && c.cookies[consentCookie] == unknown {
			t.Errorf("the server adopted a client-chosen consent id")
		}
	}
}

// Ensure that a choice lasts the configured lifetime — a refusal exactly as
// long as a consent — and is asked again after it or when the register's
// revision rises (not after a minor fix).
func TestCookieLifetimeAndRevision(t *testing.T) {
	e := newEnv(t)
	admin := e.user(t, "admin@example.org", store.RoleAdmin)
	for _, choice := range []string{"accept_all", "refuse_all"} {
		c := e.client(t)
		c.get("/")
		c.post("/cookies", url.Values{"choice": {choice}}).want(t, http.StatusSeeOther)
		e.advance(6*30*24*time.Hour - 48*time.Hour) // just under 6 months
		if c.get("/").has(`id="cookie-banner"`) {
			t.Errorf("%s: asked again before the lifetime", choice)
		}
		e.advance(7 * 24 * time.Hour)
		if !c.get("/").has(`id="cookie-banner"`) {
			t.Errorf("%s: not asked again after the lifetime", choice)
		}
	}
	c := e.client(t)
	c.get("/")
	c.post("/cookies", url.Values{"choice": {"accept_all"}}).want(t, http.StatusSeeOther)
	reg := e.app.register()
	id := reg.Find(usernameCookie).ID
	ck, _ := e.db.Cookie(id)
	ck.PurposeEN += " (fixed)"
	if raised, err := e.db.UpdateCookie(id, *ck, true, admin.ID); err != nil || raised {
		t.Fatalf("minor fix: got raised=%v err=%v", raised, err)
	}
	e.app.reloadRegister()
	if c.get("/").has(`id="cookie-banner"`) {
		t.Errorf("asked again after a minor fix")
	}
	if _, err := e.db.AddCookie(&store.Cookie{Name: "accord_new", Category: store.CookiePreferences, PurposeEN: "x", PurposeFR: "x", DurationEN: "1 day", DurationFR: "1 jour", Provider: "Accord"}, admin.ID); err != nil {
		t.Fatal(err)
	}
	e.app.reloadRegister()
	res := c.get("/")
	if !res.has(`id="cookie-banner"`) {
		t.Errorf("not asked again after a new revision")
	}
}
