package app

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"accord/store"
)

// Ensure that writing the constant translations and asset URLs into the
// templates at load time changes no page: every page, in EN and FR, for a
// visitor, a learner and an administrator, is the same byte for byte as
// when each text is looked up by its action.
func TestInlinedViewsRenderAsActions(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	e.user(t, "ann@example.org", store.RoleLearner)
	plain, err := newViewSet(e.app.cfg.Views, e.app.tr, e.app.assets, e.app.templateFuncs(), Langs[0], false)
	if err != nil {
		t.Fatal(err)
	}
	inlined := e.app.views.byLang
	pages := map[string][]string{
		"":                  {"/", "/policies", "/policies/1", "/login", "/signup", "/cookies", "/nowhere", "/processing"},
		"ann@example.org":   {"/", "/profile", "/profile/policies", "/profile/dpo", "/profile/requests", "/profile/courses", "/notifications", "/cookies", "/admin"},
		"admin@example.org": {"/admin", "/admin/policies", "/admin/policies/1", "/admin/versions/1/edit", "/admin/users", "/admin/users/1", "/admin/settings", "/admin/cookies", "/admin/cookies/stats", "/admin/requests", "/admin/dpo", "/admin/agreements", "/admin/audit", "/admin/courses", "/admin/courses/retention", "/admin/processing", "/admin/processing/purposes/1", "/admin/processing/purposes/new", "/admin/processing/categories/account", "/admin/processing/categories/new"},
	}
	checked := 0
	for who, paths := range pages {
		c := e.client(t)
		if who != "" {
			c.login(who)
		}
		for _, lang := range Langs {
			for _, path := range paths {
				url := path + "?lang=" + lang
				e.app.views.byLang = inlined
				got := c.get(url)
				e.app.views.byLang = plain.byLang
				want := c.get(url)
				e.app.views.byLang = inlined
				if got.Status != want.Status {
					t.Fatalf("%s as %q: got status %d, want %d", url, who, got.Status, want.Status)
				}
				// html/template writes + as &#43; in attributes; both read the
				// same. Error pages carry the request's own reference.
				g := requestRef.ReplaceAllString(got.Body, "REF")
				w := requestRef.ReplaceAllString(strings.ReplaceAll(want.Body, "&#43;", "+"), "REF")
				if g != w {
					i := 0
					for i < len(g) && i < len(w) && g[i] == w[i] {
						i++
					}
					t.Fatalf("%s as %q differs at byte %d:\ngot  …%s…\nwant …%s…", url, who, i, g[max(0, i-80):min(len(g), i+80)], w[max(0, i-80):min(len(w), i+80)])
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no page compared")
	}
}

var requestRef = regexp.MustCompile(`\b[0-9a-f]{6}-[0-9]+\b`)

// Ensure that a translation with placeholders, a missing key and an
// unknown asset stay actions, and that inlined text is escaped.
func TestInlineConstants(t *testing.T) {
	e := newEnv(t)
	tr := e.app.tr["fr"]
	for _, tc := range []struct{ name, src, want string }{
		{"plain text", `<h1>{{.T "profile.title"}}</h1>`, "<h1>" + html.EscapeString(tr.T("profile.title")) + "</h1>"},
		{"partial's page", `{{.P.T "nav.home"}}`, html.EscapeString(tr.T("nav.home"))},
		{"placeholder becomes an action", `{{.T "nav.signed_in_as" "Name" .User.Name}}`, html.EscapeString(strings.ReplaceAll(tr.T("nav.signed_in_as", "Name", "\x00"), "\x00", "")) + `{{print .User.Name}}`},
		{"call as argument", `{{$.T "policies.effective" "Date" ($.Date .V.ActivatedAt)}}`, strings.Replace(html.EscapeString(tr.T("policies.effective", "Date", "\x00")), "\x00", `{{print ($.Date .V.ActivatedAt)}}`, 1)},
		{"nested call stays", `{{$.T "policies.fallback" "Lang" ($.T (printf "policies.lang.%s" .Lang))}}`, `{{$.T "policies.fallback" "Lang" ($.T (printf "policies.lang.%s" .Lang))}}`},
		{"missing argument stays", `{{.T "nav.signed_in_as"}}`, `{{.T "nav.signed_in_as"}}`},
		{"missing key stays", `{{.T "no.such.key"}}`, `{{.T "no.such.key"}}`},
		{"unknown asset stays", `{{.Asset "nope.css"}}`, `{{.Asset "nope.css"}}`},
		{"known asset", `{{.Asset "css/accord.css"}}`, e.app.assets["css/accord.css"]},
	} {
		if got := inlineConstants(tc.src, tr, e.app.assets); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
