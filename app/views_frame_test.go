package app

import (
	"html/template"
	"net/url"
	"strings"
	"testing"

	"accord/store"
	"accord/views"
)

// frameTopTemplate and frameBottomTemplate are partials/top and
// partials/bottom as they were written as templates, before views_frame.go
// replaced them; the Go frame must write exactly what they wrote.
const frameTopTemplate = `<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="{{.CSRF}}">
<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyRestoreAsHxRequest":false,"responseHandling":[{"code":"204","swap":false},{"code":"^4(03|22|29)$","swap":true},{"code":"[23]..","swap":true},{"code":"[45]..","swap":false,"error":true}]}'>
<title>{{.Title}} · {{.Site.SiteName}}</title>
<link rel="stylesheet" href="{{.Asset "css/accord.css"}}">
<link rel="icon" href="{{.Asset "icons/favicon.svg"}}" type="image/svg+xml">
<script src="{{.Asset "vendor/htmx-2.0.11.min.js"}}" defer></script>
<script src="{{.Asset "js/accord.js"}}" defer></script>
</head>
<body>
{{/* The cookie banner, when shown, is the first element of the body. */}}
{{if .Chrome.CookieBanner}}{{template "cookies/_banner" .}}{{end}}
<a class="skip-link" href="#main">{{.T "nav.skip"}}</a>
<header class="site-header">
  <a class="brand" href="/">{{.Site.SiteName}}</a>
  <nav class="main-nav" aria-label="{{.T "nav.label"}}">
    <ul>
      <li><a href="/" {{if eq .Path "/"}}aria-current="page"{{end}}>{{.T "nav.home"}}</a></li>
      <li><a href="/policies" {{if .Current "/policies"}}aria-current="page"{{end}}>{{.T "nav.policies"}}</a></li>
      {{if .User}}
      <li><a href="/profile" {{if .Current "/profile"}}aria-current="page"{{end}}>{{.T "nav.profile"}}</a></li>
      <li><a href="/notifications" {{if .Current "/notifications"}}aria-current="page"{{end}}>{{.T "nav.notifications"}}<span id="notice-count">{{with .Chrome.Notifications}} <span class="badge warn">{{$.N "nav.notifications.unread" .}}</span>{{end}}</span></a></li>
      {{if .Staff}}<li><a href="/admin" {{if .Current "/admin"}}aria-current="page"{{end}}>{{.T "nav.admin"}}</a></li>{{end}}
      {{else}}
      <li><a href="/login" {{if .Current "/login"}}aria-current="page"{{end}}>{{.T "nav.login"}}</a></li>
      {{if .Site.SignupOpen}}<li><a href="/signup" {{if .Current "/signup"}}aria-current="page"{{end}}>{{.T "nav.signup"}}</a></li>{{end}}
      {{end}}
    </ul>
  </nav>
  <p class="lang-switch">
    <span class="sr-only">{{.T "nav.language"}}</span>
    <a href="{{.LangURL "en"}}" lang="en" hreflang="en" {{if eq .Lang "en"}}aria-current="true"{{end}}>English</a>
    <a href="{{.LangURL "fr"}}" lang="fr" hreflang="fr" {{if eq .Lang "fr"}}aria-current="true"{{end}}>Français</a>
  </p>
  {{if .User}}
  <div class="user-state">
    <span>{{.T "nav.signed_in_as" "Name" .User.Name}}</span>
    <form method="post" action="/logout">
      <input type="hidden" name="_csrf" value="{{.CSRF}}">
      <button class="link" type="submit">{{.T "nav.logout"}}</button>
    </form>
  </div>
  {{end}}
</header>
<main id="main" class="container" tabindex="-1">
{{with .Flash}}<p class="flash {{.Kind}}" role="status">{{$.FlashText}}</p>{{end}}
`

const frameBottomTemplate = `</main>
<footer class="site-footer">
  <ul>
    <li><a href="/policies">{{.T "footer.policies"}}</a></li>
    <li><a href="/cookies">{{.T "footer.cookies"}}</a></li>
    <li><a href="{{if .User}}/profile/dpo{{else}}/contact{{end}}">{{.T "footer.contact_dpo"}}</a></li>
  </ul>
  {{with .Site.DPOEmail}}<p class="dpo-contact">{{$.T "footer.dpo" "Name" $.Site.DPOName}} <a href="mailto:{{.}}">{{.}}</a></p>{{end}}
</footer>
</body>
</html>
`

// Ensure that the Go frame writes what the frame templates wrote, for a
// visitor (signup open and closed), a learner with and without unread
// notifications and a staff member, with and without the cookie banner, a
// flash message and a DPO contact, on several paths and queries, with
// hostile names in every value a person or an administrator can set, in
// both languages.
func TestFrameMatchesTemplate(t *testing.T) {
	e := newEnv(t)
	banner, err := views.FS.ReadFile("cookies/_banner.html")
	if err != nil {
		t.Fatal(err)
	}
	parse := func(top, bottom string) *template.Template {
		t.Helper()
		set := template.New("frame-test").Funcs(e.app.templateFuncs())
		for name, src := range map[string]string{
			"page":                `{{template "partials/top" .}}<p>body</p>{{template "partials/bottom" .}}`,
			"partials/top":        top,
			"partials/bottom":     bottom,
			"cookies/_banner":     string(banner),
			"partials/csrf":       `<input type="hidden" name="_csrf" value="{{.CSRF}}">`,
			"partials/form_error": ``,
		} {
			template.Must(set.New(name).Parse(src))
		}
		return set
	}
	before := parse(frameTopTemplate, frameBottomTemplate)
	topSrc, err := views.FS.ReadFile("partials/top.html")
	if err != nil {
		t.Fatal(err)
	}
	bottomSrc, err := views.FS.ReadFile("partials/bottom.html")
	if err != nil {
		t.Fatal(err)
	}
	after := parse(string(topSrc), string(bottomSrc))

	hostile := `"><script>alert('x')</script>&+é`
	learner := &store.User{ID: 7, Email: "ada@example.org", FirstName: hostile, Role: store.RoleLearner}
	staff := &store.User{ID: 8, Email: "dpo@example.org", FirstName: "Grace", Role: store.RoleDPO}
	n := 0
	for _, lang := range Langs {
		for _, user := range []*store.User{nil, learner, staff} {
			for _, path := range []string{"/", "/policies", "/profile/dpo", "/admin/users", "/login", "/signup", "//evil.example/x", "/café \"quote\""} {
				for _, variant := range []int{0, 1, 2} {
					p := &Page{Translator: e.app.tr[lang], Title: "Title " + hostile, Path: path, User: user,
						CSRF: "tok&en", Form: &Form{}, assets: e.app.assets,
						Site: store.Settings{SiteName: "Site " + hostile, SignupOpen: variant != 1}}
					if variant > 0 {
						p.Query = url.Values{"q": {hostile}, "page": {"2"}}
						p.Flash = &Flash{Kind: "ok", Key: "profile.saved"}
						p.Site.DPOName, p.Site.DPOEmail = "DPO "+hostile, "dpo+x@example.org"
						p.Chrome.Notifications = variant * 1000
					}
					if variant == 2 {
						p.Chrome.CookieBanner = &bannerData{Next: "/x?a=" + hostile, Categories: store.OptionalCookieCategories,
							Title: hostile, Text: []string{hostile}, Changes: []string{hostile}}
					}
					var want, got strings.Builder
					if err := before.ExecuteTemplate(&want, "page", p); err != nil {
						t.Fatal(err)
					}
					if err := after.ExecuteTemplate(&got, "page", p); err != nil {
						t.Fatal(err)
					}
					// html/template writes + as &#43; in text and attributes, the frame as +: the same to a browser.
					if w := strings.ReplaceAll(want.String(), "&#43;", "+"); strings.ReplaceAll(got.String(), "&#43;", "+") != w {
						t.Fatalf("%s, user %v, path %q, variant %d:\n got: %s\nwant: %s", lang, user != nil, path, variant, got.String(), w)
					}
					n++
				}
			}
		}
	}
	t.Logf("%d frames compared", n)
}

// Ensure that the language switch of a page whose path starts with two
// slashes (a 404 for "//host/x") stays on the site.
func TestLangURLStaysOnSite(t *testing.T) {
	for path, want := range map[string]string{
		"//evil.example/x": "/evil.example/x?lang=fr",
		"///evil.example":  "/evil.example?lang=fr",
		"/policies":        "/policies?lang=fr",
	} {
		if got := (&Page{Path: path}).LangURL("fr"); got != want {
			t.Errorf("LangURL on %q: got %q, want %q", path, got, want)
		}
	}
}
