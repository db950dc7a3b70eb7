package app

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"accord/store"

	"github.com/valyala/fasthttp"
)

// Ensure that the CSRF token counts only from the form body or the header:
// the same valid token in the query string is refused (issue 10.9).
func TestCSRFTokenNotFromQuery(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	c := e.client(t)
	c.login("ann@example.org")
	c.get("/profile")
	token := c.csrf
	before, _ := e.db.CommitID()
	form := url.Values{"first_name": {"Mallory"}, "last_name": {"X"}, "email": {"ann@example.org"}, "lang": {"en"}}
	req := func(path, body string, hdr ...string) *response {
		r := newFormRequest(path, body)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		return c.do(r)
	}
	req("/profile?_csrf="+url.QueryEscape(token), form.Encode()).want(t, http.StatusForbidden)
	if after, _ := e.db.CommitID(); after != before {
		t.Fatalf("a token in the query string changed the profile")
	}
	req("/profile", form.Encode(), "X-CSRF-Token", token).want(t, http.StatusSeeOther)
	form.Set("_csrf", token)
	form.Set("first_name", "Ann")
	req("/profile", form.Encode()).want(t, http.StatusSeeOther)
	if u, _ := e.db.UserByEmail("ann@example.org"); u.FirstName != "Ann" {
		t.Errorf("first name: got %q, want Ann (body token accepted)", u.FirstName)
	}
}

// Ensure that the pages whose URL holds a secret token are never cached
// (issue 10.7).
func TestTokenPagesNoStore(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1:0")
	e := newMailEnv(t, srv.addr)
	link, err := e.app.IssueSetupLink()
	if err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	for _, path := range []string{strings.TrimPrefix(link, "http://localhost:8080"), "/setup?token=unknown", "/password/reset?token=unknown"} {
		res := c.get(path)
		if got := res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("GET %s (%d): Cache-Control %q, want no-store", path, res.Status, got)
		}
	}
	u := e.user(t, "ann@example.org", store.RoleLearner)
	token, err := e.db.IssuePasswordReset(u.ID)
	if err != nil {
		t.Fatal(err)
	}
	res := c.get("/password/reset?token="+url.QueryEscape(token)).want(t, http.StatusOK)
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("reset page: Cache-Control %q, want no-store", got)
	}
}

// Ensure that every list answers a huge, negative or malformed page number
// with a page, never a 500 (issue 10.4).
func TestHugePageNumbers(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	c := e.client(t)
	c.login("admin@example.org")
	lists := []string{"/admin/users", "/admin/audit", "/admin/dpo", "/admin/agreements", "/admin/requests"}
	for _, path := range lists {
		for _, page := range []string{"9223372036854775807", "99999999999999999999", "-9223372036854775808", "0", "abc", "2"} {
			c.get(path+"?page="+page).want(t, http.StatusOK)
		}
	}
	app := newFiberForTest()
	for in, want := range map[string]int{"": 1, "0": 1, "-3": 1, "x": 1, "7": 7, "100000": maxPage,
		"100001": maxPage, "9223372036854775807": maxPage, "99999999999999999999": maxPage} {
		var ctx fasthttp.RequestCtx
		ctx.Request.SetRequestURI("/admin/users?page=" + in)
		fc := app.AcquireCtx(&ctx)
		if got := pageParam(fc); got != want {
			t.Errorf("pageParam(%q): got %d, want %d", in, got, want)
		}
		app.ReleaseCtx(fc)
	}
}

// newFormRequest is a urlencoded POST of body to path.
func newFormRequest(path, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// Ensure that images in policy Markdown load only from /static/, never
// from Accord's own routes, in the real preview and on the real policy page
// (issue 10.8).
func TestPolicyImagesOnlyFromStatic(t *testing.T) {
	e := newEnv(t)
	admin := e.user(t, "admin@example.org", store.RoleAdmin)
	c := e.client(t)
	c.login(admin.Email)
	content := "# Logo\n\n![ok](/static/favicon.svg) ![backup](/admin/backup) ![up](/static/../admin/backup) " +
		"![enc](/static/%2e%2e/admin/backup) ![slash](/static\\..\\admin/backup) ![far](https://evil.example/x.png) " +
		"![proto](//evil.example/x.png) ![q](/static/x.png?/admin/backup) <img src=\"/admin/users\">"
	bad := []string{`src="/admin`, `src="/static/..`, `src="/static/%2e`, `src="/static\`, "evil.example", `src="/static/x.png?`}
	check := func(where string, res *response) {
		t.Helper()
		for _, b := range bad {
			if res.has(b) {
				t.Errorf("%s keeps %q", where, b)
			}
		}
		if !res.has(`src="/static/favicon.svg"`) {
			t.Errorf("%s dropped the image from /static/", where)
		}
	}
	c.get("/admin/policies")
	check("preview", c.post("/admin/preview", url.Values{"content": {content}}, "HX-Request", "true").want(t, http.StatusOK))
	v := &store.PolicyVersion{Revision: "1", Type: store.TypeOther, Audience: store.AudienceAll, Style: store.StyleConsentPage, Optional: true,
		Texts: map[string]store.PolicyText{"en": {Name: "Logos", Summary: "Pictures.", Content: content}, "fr": {Name: "Logos", Summary: "Images.", Content: content}}}
	if err := e.db.CreatePolicy(v, admin.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.db.ActivateVersion(v.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	check("policy page", e.client(t).get("/policies/"+itoa(v.PolicyID)).want(t, http.StatusOK))
}
