package app

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"accord/store"
)

// Attacks as tests (issue 10, point 19). Each walks the router, so a new
// route is attacked without anyone listing it.

// postRoutes is every state-changing route but the API's (bearer tokens,
// no cookies, no CSRF), with its parameters filled.
func postRoutes(e *testEnv, minorID uint64) []string {
	var out []string
	for _, k := range routeKeys(e) {
		method, path, _ := strings.Cut(k, " ")
		if method != http.MethodGet && !strings.HasPrefix(path, "/api/") {
			out = append(out, concretePath(path, minorID))
		}
	}
	return out
}

// formFieldNames lists every field name the views' forms send: the name
// attributes and the fields of partials/field, with {{$l}} in both
// languages.
func formFieldNames(t *testing.T) []string {
	t.Helper()
	res := []*regexp.Regexp{regexp.MustCompile(`name="([a-z_{}$l]+)"`), regexp.MustCompile(`"Name" "([a-z_]+)"`)}
	seen := map[string]bool{}
	err := filepath.Walk("../views", func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(path, ".html") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, re := range res {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				for _, l := range []string{"en", "fr"} {
					if n := strings.ReplaceAll(m[1], "{{$l}}", l); !strings.Contains(n, "{") && n != "_csrf" {
						seen[n] = true
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"banner_title_en", "banner_title_fr", "banner_text_en", "banner_text_fr", "prefs_intro_en", "prefs_intro_fr", "content", "guardian"} {
		seen[n] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Ensure that every state-changing route refuses a POST without the CSRF
// token, or with a forged one, for a visitor, a learner and an
// administrator alike: 403 and no write at all.
func TestCSRFOnEveryPostEveryRole(t *testing.T) {
	e := newEnv(t)
	roles := newMatrixRoles(t, e)
	routes := postRoutes(e, roles.minor.ID)
	body := url.Values{"first_name": {"Mallory"}, "email": {"mallory@example.org"}, "password": {testPassword}, "message": {"x"}, "choice": {"accept_all"}}
	for _, role := range []string{"visitor", "learner", "admin"} {
		roles.client(t, role) // signed in before counting writes
	}
	before, err := e.db.CommitID()
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"visitor", "learner", "admin"} {
		c := roles.client(t, role)
		for _, path := range routes {
			for _, token := range []string{"", "forged", strings.Repeat("A", 43)} {
				b := url.Values{}
				for k, v := range body {
					b[k] = v
				}
				if token != "" {
					b.Set("_csrf", token)
				}
				if res := c.do(newFormRequest(path, b.Encode())); res.Status != http.StatusForbidden {
					t.Errorf("POST %s as %s with token %q: got %d, want 403", path, role, token, res.Status)
				}
			}
		}
	}
	if after, _ := e.db.CommitID(); after != before {
		t.Errorf("forged POSTs wrote to the database: commit %d → %d", before, after)
	}
	if len(routes) < 50 {
		t.Errorf("only %d state-changing routes found: the walk is broken", len(routes))
	}
}

// Ensure that over-long, control-laden and malformed input on every form
// is answered without a 5xx, as the administrator (every route open) and a
// learner: every known field 5,000 characters long, every field holding
// NUL, CR/LF, bidi and invalid UTF-8, a body that is not valid
// url-encoding, and a multipart body with a broken boundary.
func TestMalformedInputOnEveryForm(t *testing.T) {
	e := newEnv(t)
	roles := newMatrixRoles(t, e)
	fields := formFieldNames(t)
	long, nasty := url.Values{}, url.Values{}
	for _, f := range fields {
		long.Set(f, strings.Repeat("x", 5000))
		nasty.Set(f, "a\x00b\r\nc\u202ed\xff\xfe")
	}
	for _, role := range []string{"learner", "admin"} {
		for _, path := range postRoutes(e, roles.minor.ID) {
			for name, body := range map[string]url.Values{"over-long": long, "control characters": nasty} {
				if path == "/logout" {
					continue
				}
				if res := roles.client(t, role).post(path, body); res.Status >= 500 {
					t.Errorf("POST %s as %s, %s fields: got %d", path, role, name, res.Status)
				}
			}
			c := roles.client(t, role)
			raw := newFormRequest(path, "_csrf="+url.QueryEscape(c.csrf)+"&%zz=%&first_name=%ff%fe&&=&email=%00&id=-1&id=99999999999999999999&page=x")
			if res := c.do(raw); res.Status >= 500 {
				t.Errorf("POST %s as %s, malformed url-encoding: got %d", path, role, res.Status)
			}
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			_ = mw.WriteField("_csrf", c.csrf)
			_ = mw.WriteField("first_name", "x")
			_ = mw.Close()
			req := newFormRequest(path, buf.String())
			req.Header.Set("Content-Type", "multipart/form-data; boundary=not-the-one-used")
			req.Header.Set("X-CSRF-Token", c.csrf)
			for k, v := range c.cookies {
				req.AddCookie(&http.Cookie{Name: k, Value: v})
			}
			// fasthttp may refuse such a body before any handler (an error
			// here, a 400 on a real connection): only a 5xx is a failure.
			if res, err := e.app.web.Test(req, -1); err == nil {
				if res.StatusCode >= 500 {
					t.Errorf("POST %s as %s, broken multipart: got %d", path, role, res.StatusCode)
				}
				res.Body.Close()
			}
		}
	}
	// The forms with a field of each kind answer 422 to over-long input.
	for path, role := range map[string]string{"/profile": "learner", "/profile/dpo": "learner", "/profile/requests": "learner",
		"/admin/users": "admin", "/admin/settings": "admin", "/admin/courses": "admin", "/admin/cookies": "admin"} {
		if res := roles.client(t, role).post(path, long); res.Status != http.StatusUnprocessableEntity {
			t.Errorf("POST %s, over-long fields: got %d, want 422", path, res.Status)
		}
	}
}

// xssPayload is what an attacker types into every text: it must come back
// escaped wherever it is shown.
const xssPayload = `"><script>alert(1)</script><img src=x onerror=alert(1)>`

// Ensure that a script typed into the writable texts never comes back as
// markup on any page, for any role: names, DPO subjects, messages and
// replies, request comments and notes, course titles, the cookie
// register, the site's settings and the policy texts (Markdown included).
func TestStoredXSSNowhere(t *testing.T) {
	e := newEnv(t)
	roles := newMatrixRoles(t, e)
	learner, admin := roles.client(t, "learner"), roles.client(t, "admin")
	ok := func(res *response, what string) {
		t.Helper()
		if res.Status != http.StatusSeeOther && res.Status != http.StatusOK {
			t.Fatalf("%s: got %d, want it saved\n%s", what, res.Status, res.Body)
		}
	}
	learner.get("/profile")
	ok(learner.post("/profile", url.Values{"first_name": {xssPayload}, "last_name": {xssPayload}, "email": {"learner@example.org"}, "lang": {"en"}}), "profile")
	learner.get("/profile/dpo")
	ok(learner.post("/profile/dpo", url.Values{"subject": {xssPayload}, "message": {xssPayload}}), "DPO thread")
	learner.get("/profile/requests")
	ok(learner.post("/profile/requests", url.Values{"type": {"other"}, "comments": {xssPayload}}), "data request")
	admin.get("/admin/courses")
	ok(admin.post("/admin/courses", url.Values{"code": {"XSS1"}, "title_en": {xssPayload}, "title_fr": {xssPayload}}), "course")
	admin.get("/admin/cookies")
	ok(admin.post("/admin/cookies", url.Values{"name": {"xss_cookie"}, "category": {"preferences"}, "purpose_en": {xssPayload}, "purpose_fr": {xssPayload},
		"duration_en": {xssPayload}, "duration_fr": {xssPayload}, "provider": {xssPayload}}), "cookie")
	set := profileSettings(e)
	set.Set("site_name", "Site "+xssPayload[:40])
	set.Set("dpo_name", xssPayload)
	admin.get("/admin/settings")
	ok(admin.post("/admin/settings", set), "settings")
	u, err := e.db.UserByEmail("admin@example.org")
	if err != nil {
		t.Fatal(err)
	}
	md := xssPayload + "\n\n[click](javascript:alert(1)) <a href=\"javascript:alert(1)\" onclick=\"alert(1)\">x</a> <iframe src=\"/\"></iframe>"
	v := &store.PolicyVersion{Revision: "1", Type: store.TypeOther, Audience: store.AudienceAll, Style: store.StyleConsentPage, Optional: true,
		Texts: map[string]store.PolicyText{"en": {Name: xssPayload, Summary: xssPayload, Content: md}, "fr": {Name: xssPayload, Summary: xssPayload, Content: md}}}
	if err := e.db.CreatePolicy(v, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.db.ActivateVersion(v.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	if got := e.mustUser(t, "learner@example.org"); got.FirstName != xssPayload {
		t.Fatalf("the payload was not stored as typed: %q", got.FirstName)
	}
	// Raw markup only: the same text escaped (&lt;script&gt;, &#34;) is what must be there.
	bad := regexp.MustCompile(`(?i)<script>alert|<img src=x|<iframe|href="javascript:|\sonclick="alert`)
	pages := 0
	for _, k := range routeKeys(e) {
		method, path, _ := strings.Cut(k, " ")
		if method != http.MethodGet || strings.HasSuffix(path, ".csv") || strings.Contains(path, "download") || path == "/admin/backup" {
			continue
		}
		for _, p := range []string{concretePath(path, roles.minor.ID), strings.ReplaceAll(concretePath(path, roles.minor.ID), "987654", "1")} {
			for _, role := range roleNames {
				res := roles.client(t, role).get(p)
				if m := bad.FindString(res.Body); m != "" {
					t.Errorf("GET %s as %s: %q in the page", p, role, m)
				}
				pages++
			}
		}
	}
	for _, p := range []string{"/policies/" + itoa(v.PolicyID), "/admin/policies/" + itoa(v.PolicyID), "/admin/users/" + itoa(u.ID)} {
		if m := bad.FindString(admin.get(p).Body); m != "" {
			t.Errorf("GET %s: %q in the page", p, m)
		}
	}
	t.Logf("%d pages checked", pages)
}

// mustUser is the account of email.
func (e *testEnv) mustUser(t *testing.T, email string) *store.User {
	t.Helper()
	u, err := e.db.UserByEmail(email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// profileSettings is the settings form as the page fills it.
func profileSettings(e *testEnv) url.Values {
	f := settingsValues(e.app.Settings())
	out := url.Values{}
	for k, v := range f.Values {
		out[k] = v
	}
	return out
}
