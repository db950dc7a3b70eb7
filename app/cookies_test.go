package app

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"accord/locales"
	"accord/store"
	"accord/views"

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
		r := e.app.cookies.Latest(0, id)
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
	reg := e.app.cookies.Register()
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
	if r := e.app.cookies.Latest(0, c.cookies[consentCookie]); r == nil || r.State != store.ConsentRefused {
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
	reg := e.app.cookies.Register()
	id := reg.Find(usernameCookie).ID
	ck, _ := e.db.Cookie(id)
	ck.PurposeEN = strings.TrimSuffix(ck.PurposeEN, ".") + " !" // punctuation only
	if raised, err := e.app.cookies.UpdateCookie(id, *ck, true, admin.ID); err != nil || raised {
		t.Fatalf("minor fix: got raised=%v err=%v", raised, err)
	}
	if c.get("/").has(`id="cookie-banner"`) {
		t.Errorf("asked again after a minor fix")
	}
	if _, err := e.app.cookies.AddCookie(&store.Cookie{Name: "accord_new", Category: store.CookiePreferences, PurposeEN: "x", PurposeFR: "x", DurationEN: "1 day", DurationFR: "1 jour", Provider: "Accord"}, admin.ID); err != nil {
		t.Fatal(err)
	}
	res := c.get("/")
	if !res.has(`id="cookie-banner"`) {
		t.Errorf("not asked again after a new revision")
	}
}

// Ensure that on sign-in the newer of the browser's and the account's
// choice applies to the account, both ways, and that the cookies the
// winning choice refuses are deleted.
func TestCookieSignInMerge(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)

	// The account refused on one browser; later, as a visitor on another,
	// Ann accepts all: signing in carries the newer acceptance over.
	a := e.client(t)
	a.login("ann@example.org")
	a.post("/cookies", url.Values{"choice": {"refuse_all"}}).want(t, http.StatusSeeOther)
	e.advance(time.Hour)
	b := e.client(t)
	b.get("/")
	b.post("/cookies", url.Values{"choice": {"accept_all"}}).want(t, http.StatusSeeOther)
	e.advance(time.Hour)
	b.login("ann@example.org")
	r := e.app.cookies.Latest(ann.ID, "")
	if r == nil || !r.Allows(store.CookieStatistics) || r.DerivedFrom == "" {
		t.Fatalf("after sign-in: got account record %+v, want the browser's acceptance", r)
	}
	if res := a.get("/"); res.has(`id="cookie-banner"`) {
		t.Errorf("the account's choice does not follow to the first browser")
	}

	// Now the account chooses again, newer than what a third browser holds:
	// signing in there applies the account's refusal and deletes its cookies.
	c := e.client(t)
	c.get("/")
	c.post("/cookies", url.Values{"choice": {"accept_all"}}).want(t, http.StatusSeeOther)
	c.get("/")
	if _, ok := c.cookies[visitorCookie]; !ok {
		t.Fatalf("accepted statistics: no accord_visitor")
	}
	e.advance(time.Hour)
	a.post("/cookies", url.Values{"choice": {"refuse_all"}}).want(t, http.StatusSeeOther)
	e.advance(time.Hour)
	c.get("/login")
	res := c.post("/login", url.Values{"email": {"ann@example.org"}, "password": {testPassword}, "remember_username": {"on"}}).want(t, http.StatusSeeOther)
	if _, deleted := setCookieNames(res); !contains(deleted, visitorCookie) {
		t.Errorf("sign-in under the account's refusal: accord_visitor not deleted")
	}
	if _, ok := c.cookies[usernameCookie]; ok {
		t.Errorf("accord_username set under the account's refusal")
	}
	if r := e.app.cookies.Latest(ann.ID, ""); r.State != store.ConsentWithdrawn {
		t.Errorf("got state %s, want withdrawn", r.State)
	}
}

// Ensure that accord_username needs the preferences consent: refused, the
// login form explains why; accepted, the username is remembered across a
// sign-out; withdrawn, the cookie is deleted in the same response.
func TestCookieRememberUsername(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	for _, lang := range []string{"en", "fr"} {
		c := e.client(t)
		c.get("/?lang=" + lang)
		c.post("/cookies", url.Values{"choice": {"refuse_all"}}).want(t, http.StatusSeeOther)
		page := c.get("/login").want(t, http.StatusOK)
		if !page.has(`id="remember-help"`) || !page.has(`href="/cookies"`) {
			t.Errorf("%s: refused: the login form does not explain why remembering is off", lang)
		}
		c.post("/login", url.Values{"email": {"ann@example.org"}, "password": {testPassword}, "remember_username": {"on"}}).want(t, http.StatusSeeOther)
		c.land()
		if _, ok := c.cookies[usernameCookie]; ok {
			t.Errorf("%s: refused preferences, yet accord_username is set", lang)
		}
		c.post("/logout", nil)

		c.get("/cookies")
		c.post("/cookies", url.Values{"choice": {"custom"}, "category": {"preferences"}}).want(t, http.StatusSeeOther)
		c.get("/login")
		c.post("/login", url.Values{"email": {"ann@example.org"}, "password": {testPassword}, "remember_username": {"on"}}).want(t, http.StatusSeeOther)
		c.land()
		if c.cookies[usernameCookie] != "ann@example.org" {
			t.Errorf("%s: accepted preferences: got accord_username %q", lang, c.cookies[usernameCookie])
		}
		c.post("/logout", nil)
		if page := c.get("/login"); !page.has(`value="ann@example.org"`) || page.has(`id="remember-help"`) {
			t.Errorf("%s: the login page does not show the remembered username", lang)
		}
		c.get("/cookies")
		res := c.post("/cookies", url.Values{"choice": {"refuse_all"}}).want(t, http.StatusSeeOther)
		if _, deleted := setCookieNames(res); !contains(deleted, usernameCookie) {
			t.Errorf("%s: withdrawing preferences did not delete accord_username", lang)
		}
		if r := e.app.cookies.Latest(0, c.cookies[consentCookie]); r.State != store.ConsentWithdrawn {
			t.Errorf("%s: got state %s, want withdrawn", lang, r.State)
		}
		if page := c.get("/login"); page.has(`value="ann@example.org"`) {
			t.Errorf("%s: the username is still shown after withdrawal", lang)
		}
	}
}

// Ensure that visits are counted only with the statistics consent, as
// daily totals flushed from memory, and purged after 25 months.
func TestCookieVisits(t *testing.T) {
	e := newEnv(t)
	one, two, refuser := e.client(t), e.client(t), e.client(t)
	for _, c := range []*client{one, two} {
		c.get("/")
		c.post("/cookies", url.Values{"choice": {"custom"}, "category": {"statistics"}}).want(t, http.StatusSeeOther)
	}
	refuser.get("/")
	refuser.post("/cookies", url.Values{"choice": {"refuse_all"}}).want(t, http.StatusSeeOther)
	for i := 0; i < 3; i++ {
		one.get("/")
		refuser.get("/")
	}
	two.get("/login")
	two.get("/cookies", "HX-Request", "true") // a fragment is not a page view
	if _, ok := refuser.cookies[visitorCookie]; ok {
		t.Errorf("refused statistics, yet accord_visitor is set")
	}
	e.app.flushVisits()
	one.get("/") // after a flush, the same visitor is not counted twice
	e.app.flushVisits()
	day := e.clock().UTC().Format(time.DateOnly)
	got, err := e.db.Visits(day, day)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Views != 5 || got[0].Visitors != 2 {
		t.Errorf("got %+v, want 5 views by 2 visitors on %s", got, day)
	}
	e.advance(26 * 31 * 24 * time.Hour)
	e.app.purgeVisits()
	if got, _ := e.db.Visits(day, day); len(got) != 0 {
		t.Errorf("after 26 months: got %+v, want nothing", got)
	}
}

// Ensure that administrators edit the register with the revision rules,
// that built-in cookies keep their name and category, and that staff see
// the statistics and a dashboard tile.
func TestCookieAdmin(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	e.user(t, "dpo@example.org", store.RoleDPO)
	e.user(t, "ann@example.org", store.RoleLearner)
	learner := e.client(t)
	learner.login("ann@example.org")
	learner.get("/admin/cookies").want(t, http.StatusForbidden)
	learner.get("/admin/cookies/stats").want(t, http.StatusForbidden)

	dpo := e.client(t)
	dpo.login("dpo@example.org")
	dpo.get("/admin/cookies").want(t, http.StatusForbidden)
	dpo.post("/cookies", url.Values{"choice": {"accept_all"}}).want(t, http.StatusSeeOther)
	if res := dpo.get("/admin/cookies/stats").want(t, http.StatusOK); !res.has("2026-W48") {
		t.Errorf("stats: this week's choice is missing")
	}
	if res := dpo.get("/admin").want(t, http.StatusOK); !res.has(`href="/admin/cookies/stats"`) {
		t.Errorf("dashboard: no cookie tile")
	}

	admin := e.client(t)
	admin.login("admin@example.org")
	for _, lang := range []string{"en", "fr"} {
		admin.get("/admin/cookies?lang="+lang).want(t, http.StatusOK)
	}
	admin.get("/admin/cookies?lang=en")
	rev := e.app.cookies.Register().Revision
	bad := url.Values{"name": {"bad name"}, "category": {"preferences"}, "purpose_en": {"p"}, "purpose_fr": {"p"}, "duration_en": {"d"}, "duration_fr": {"d"}, "provider": {"x"}}
	admin.post("/admin/cookies", bad).want(t, http.StatusUnprocessableEntity)
	good := url.Values{"name": {"embed_pref"}, "category": {"preferences"}, "purpose_en": {"Remembers the video player's volume."}, "purpose_fr": {"Retient le volume du lecteur vidéo."}, "duration_en": {"6 months"}, "duration_fr": {"6 mois"}, "provider": {"Accord"}}
	admin.post("/admin/cookies", good).want(t, http.StatusSeeOther)
	admin.post("/admin/cookies", good).want(t, http.StatusUnprocessableEntity) // the name is taken
	reg := e.app.cookies.Register()
	if reg.Revision != rev+1 || reg.Find("embed_pref") == nil {
		t.Fatalf("add: got revision %d, want %d with embed_pref", reg.Revision, rev+1)
	}
	id := reg.Find("embed_pref").ID
	path := "/admin/cookies/" + strconv.FormatUint(id, 10)
	admin.get(path).want(t, http.StatusOK)
	good.Set("purpose_en", "Remembers the video player’s volume!")
	good.Set("minor", "on")
	admin.post(path, good).want(t, http.StatusSeeOther)
	if got := e.app.cookies.Register().Revision; got != rev+1 {
		t.Errorf("minor fix: got revision %d, want %d", got, rev+1)
	}
	good.Set("category", "statistics") // a category change is never minor
	admin.post(path, good).want(t, http.StatusUnprocessableEntity)
	good.Del("minor")
	admin.post(path, good).want(t, http.StatusSeeOther)
	if got := e.app.cookies.Register().Revision; got != rev+2 {
		t.Errorf("category change: got revision %d, want %d", got, rev+2)
	}
	admin.post(path+"/delete", nil).want(t, http.StatusSeeOther)
	if e.app.cookies.Register().Find("embed_pref") != nil {
		t.Errorf("delete: embed_pref still in the register")
	}
	sess := e.app.cookies.Register().Find(sessionCookie)
	spath := "/admin/cookies/" + strconv.FormatUint(sess.ID, 10)
	admin.get(spath)
	admin.post(spath+"/delete", nil).want(t, http.StatusUnprocessableEntity)
	moved := cookieValues(sess).Values
	moved["category"] = []string{"statistics"}
	admin.post(spath, moved).want(t, http.StatusUnprocessableEntity)
	if e.app.cookies.Register().Find(sessionCookie).Category != store.CookieNecessary {
		t.Errorf("a built-in cookie changed category")
	}
}

// Ensure that a lapsed choice is recorded once as expired, shows in the
// user's history and asks again; and that the lifetime setting refuses
// more than 13 months.
func TestCookieExpiry(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	c := e.client(t)
	c.login("ann@example.org")
	c.post("/cookies", url.Values{"choice": {"accept_all"}}).want(t, http.StatusSeeOther)
	if err := e.app.cookies.Expire(); err != nil {
		t.Fatal(err)
	}
	if h, _ := e.db.CookieConsentHistory(ann.ID); len(h) != 1 {
		t.Fatalf("before the lifetime: got %d records, want 1", len(h))
	}
	e.advance(7 * 31 * 24 * time.Hour)
	if err := e.app.cookies.Expire(); err != nil {
		t.Fatal(err)
	}
	if err := e.app.cookies.Expire(); err != nil {
		t.Fatal(err)
	}
	h, _ := e.db.CookieConsentHistory(ann.ID)
	if len(h) != 2 || h[0].State != store.ConsentExpired || h[0].DerivedFrom != h[1].ID {
		t.Fatalf("after the lifetime: got %+v, want one expired record on top", h)
	}
	c.login("ann@example.org") // the session ran out too
	res := c.get("/cookies?lang=fr").want(t, http.StatusOK)
	if !res.has("expiré") || !res.has("Vous n’avez pas encore fait de choix") {
		t.Errorf("the history does not show the expiry, or a choice still holds")
	}
	if !c.get("/").has(`id="cookie-banner"`) {
		t.Errorf("not asked again after expiry")
	}

	admin := e.client(t)
	admin.login("admin@example.org")
	form := settingsValues(e.app.Settings()).Values
	form["dpo_email"] = []string{"dpo@example.org"}
	form["consent_lifetime_months"] = []string{"14"}
	admin.get("/admin/settings")
	admin.post("/admin/settings", form).want(t, http.StatusUnprocessableEntity)
	form["consent_lifetime_months"] = []string{"13"}
	admin.post("/admin/settings", form).want(t, http.StatusSeeOther)
	if e.app.Settings().ConsentLifetimeMonths != 13 {
		t.Errorf("lifetime not saved")
	}
}

var (
	localeKeyRe = regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)
	codeKeyRe   = regexp.MustCompile(`"(cookies\.[a-z0-9_.]+)"`)
)

// Ensure that the cookie locale files have the same keys, and that every key
// the cookie templates and code use exists in both languages.
func TestCookieLocaleKeys(t *testing.T) {
	e := newEnv(t)
	load := func(name string) map[string]any {
		data, err := fs.ReadFile(locales.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	en, fr := load("en.cookies.json"), load("fr.cookies.json")
	for k := range en {
		if _, ok := fr[k]; !ok {
			t.Errorf("%s: missing in French", k)
		}
	}
	for k := range fr {
		if _, ok := en[k]; !ok {
			t.Errorf("%s: missing in English", k)
		}
	}
	keys := map[string]bool{"cookies.title": true, "cookies.saved": true, "cookies.unknown_category": true}
	for _, cat := range store.CookieCategories {
		keys["cookies.category."+string(cat)], keys["cookies.category."+string(cat)+".help"] = true, true
		keys["cookies.changes.added."+string(cat)] = true
		for _, asp := range changeAspect {
			keys["cookies.changes."+asp+"."+string(cat)] = true
		}
	}
	for _, lang := range Langs {
		for _, k := range []string{"lang", "reset", "reset_confirm", "shipped", "reset_done"} {
			keys["cookies.texts."+k+"."+lang] = true
		}
	}
	for _, n := range cookieTextNames {
		keys["cookies.texts.field."+n.Name], keys[n.Default] = true, true
	}
	for _, m := range store.ConsentMethods {
		keys["cookies.method."+string(m)] = true
	}
	for _, s := range []store.ConsentState{store.ConsentGiven, store.ConsentRefused, store.ConsentWithdrawn, store.ConsentExpired} {
		keys["cookies.state."+string(s)] = true
	}
	for _, a := range []store.Action{store.ActCookieAdded, store.ActCookieUpdated, store.ActCookieDeleted, store.ActCookieTextsChanged, store.ActCookieTextsReset} {
		keys["audit.action."+string(a)] = true
	}
	files, _ := fs.Glob(views.FS, "cookies/*.html")
	for _, f := range files {
		data, _ := fs.ReadFile(views.FS, f)
		for _, m := range localeKeyRe.FindAllStringSubmatch(string(data), -1) {
			keys[m[1]] = true
		}
	}
	code, _ := filepath.Glob("cookies*.go")
	for _, f := range code {
		data, _ := os.ReadFile(f)
		for _, m := range codeKeyRe.FindAllStringSubmatch(string(data), -1) {
			if !strings.HasSuffix(m[1], ".") && !strings.HasSuffix(f, "_test.go") {
				keys[m[1]] = true
			}
		}
	}
	for k := range keys {
		for _, lang := range Langs {
			if got := e.app.tr[lang].T(k); got == k {
				t.Errorf("%s: no %s translation", k, lang)
			}
		}
	}
}

// Ensure that the demo adds cookie choices and visits once.
func TestCookieDemo(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 2; i++ {
		if err := e.app.Demo(io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	e.db.EachCookieConsent(func(*store.CookieConsent) error { n++; return nil })
	if n != 5 {
		t.Errorf("got %d demo choices, want 5", n)
	}
	weeks, _ := e.app.choicesPerWeek(12)
	if len(weeks) == 0 {
		t.Errorf("no week of choices in the staff's statistics")
	}
}

// Ensure that one address cannot append choices without bound: 429 with
// Retry-After, nothing recorded.
func TestCookieChoiceRateLimit(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.get("/")
	for i := 0; i < choicesPerIPPerHour; i++ {
		c.post("/cookies", url.Values{"choice": {"refuse_all"}}).want(t, http.StatusSeeOther)
	}
	before, _ := e.db.CommittedTxID()
	res := c.post("/cookies", url.Values{"choice": {"accept_all"}}, "HX-Request", "true", "HX-Target", "cookie-prefs").want(t, http.StatusTooManyRequests)
	if res.Header.Get("Retry-After") == "" || !res.has(`id="cookie-prefs"`) {
		t.Errorf("429 without Retry-After or the form")
	}
	if after, _ := e.db.CommittedTxID(); after != before {
		t.Errorf("a refused choice was recorded")
	}
}

// Ensure that a banner choice made with htmx on the login page reloads it
// (HX-Refresh) when it turns preferences on or off, so "Remember my
// username" is not left disabled (or enabled) against the choice, and that
// other pages and unchanged choices are answered in place.
func TestCookieBannerOnLoginRefreshes(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.get("/login")
	for _, tc := range []struct {
		choice, category, from string
		refresh                bool
	}{
		{"custom", "statistics", "/login", false}, // preferences still off
		{"custom", "preferences", "/login?next=%2Fprofile", true},
		{"accept_all", "", "/login", false}, // preferences still on
		{"refuse_all", "", "/", false},      // another page: in place
		{"accept_all", "", "/Login/", true},
		{"close", "", "/login", true},
	} {
		form := url.Values{"choice": {tc.choice}}
		if tc.category != "" {
			form.Set("category", tc.category)
		}
		res := c.post("/cookies", form, "HX-Request", "true", "HX-Target", "cookie-banner", "HX-Current-URL", "http://example.org"+tc.from).want(t, http.StatusOK)
		if got := res.Header.Get("HX-Refresh") == "true"; got != tc.refresh {
			t.Errorf("%s %s from %s: got HX-Refresh %v, want %v", tc.choice, tc.category, tc.from, got, tc.refresh)
		}
	}
}
