package app

import (
	"html/template"
	"strings"
	"testing"

	"accord/store"
	"accord/views"
)

// bannerTemplate is the first branch of cookies/_banner as it was written
// as a template, before views_banner.go replaced it.
const bannerTemplate = `{{/* comment */}}
{{if .Chrome.CookieBanner}}{{$b := .Chrome.CookieBanner}}
<section id="cookie-banner" class="cookie-banner" aria-labelledby="cookie-banner-title">
  <h2 id="cookie-banner-title">{{$b.Title}}</h2>
  {{with $b.Changes}}
  <div class="cookie-changes" role="note" aria-labelledby="cookie-changes-title">
    <p id="cookie-changes-title"><strong>{{$.T "cookies.changes.heading"}}</strong></p>
    <ul>{{range .}}<li>{{.}}</li>{{end}}</ul>
  </div>
  {{end}}
  {{range $b.Text}}<p>{{.}}</p>{{end}}
  <p><a href="/cookies">{{.T "cookies.banner.policy_link"}}</a> · <a href="/policies">{{.T "cookies.banner.policies_link"}}</a></p>
  <form method="post" action="/cookies" hx-post="/cookies" hx-target="#cookie-banner" hx-swap="outerHTML">
    {{if $b.Refused}}{{template "partials/form_error" .}}{{end}}
    {{template "partials/csrf" .}}
    <input type="hidden" name="next" value="{{$b.Next}}">
    <div class="actions">
      <button class="btn" type="submit" name="choice" value="accept_all">{{.T "cookies.accept_all"}}</button>
      <button class="btn" type="submit" name="choice" value="refuse_all">{{.T "cookies.refuse_all"}}</button>
    </div>
    <details>
      <summary>{{.T "cookies.customise"}}</summary>
      <fieldset>
        <legend>{{.T "cookies.banner.categories"}}</legend>
        {{range $b.Categories}}
        <div class="cookie-category">
          <div class="checkbox">
            <input id="banner-cat-{{.}}" type="checkbox" name="category" value="{{.}}" aria-describedby="banner-cat-{{.}}-help">
            <label for="banner-cat-{{.}}">{{$.T (printf "cookies.category.%s" .)}}</label>
          </div>
          <p class="hint" id="banner-cat-{{.}}-help">{{$.T (printf "cookies.category.%s.help" .)}}</p>
        </div>
        {{end}}
      </fieldset>
      <div class="actions">
        <button class="btn" type="submit" name="choice" value="custom">{{.T "cookies.save"}}</button>
        <a href="/cookies{{with $b.Next}}?next={{.}}{{end}}">{{.T "cookies.banner.details"}}</a>
      </div>
    </details>
    <p><button class="link" type="submit" name="choice" value="close">{{.T "cookies.close"}}</button></p>
  </form>
</section>
{{end}}
`

// Ensure that the Go banner writes what the banner template wrote: with
// and without changes and paragraphs, with a form error or refused fields,
// with hostile values in everything an administrator or a request can set,
// in both languages.
func TestBannerMatchesTemplate(t *testing.T) {
	e := newEnv(t)
	parse := func(banner string) *template.Template {
		t.Helper()
		set := template.New("banner-test").Funcs(e.app.templateFuncs())
		for _, name := range []string{"partials/form_error", "partials/csrf"} {
			src, err := views.FS.ReadFile(name + ".html")
			if err != nil {
				t.Fatal(err)
			}
			template.Must(set.New(name).Parse(string(src)))
		}
		template.Must(set.New("cookies/_banner").Parse(banner))
		return set
	}
	live, err := views.FS.ReadFile("cookies/_banner.html")
	if err != nil {
		t.Fatal(err)
	}
	before, after := parse(bannerTemplate), parse(string(live))
	hostile := `"><script>alert('x')</script>&+é/?#%`
	n := 0
	for _, lang := range Langs {
		for _, next := range []string{"", "/profile", "/x?a=" + hostile} {
			for variant := range 4 {
				d := &bannerData{Next: next, Categories: store.OptionalCookieCategories, Title: "Title " + hostile, Text: []string{"One " + hostile, "Two"}}
				f := &Form{}
				switch variant {
				case 1:
					d.Changes = []string{hostile, "second"}
					f.Error = "Error " + hostile
					d.Refused = true
				case 2:
					d.Text, d.Categories = nil, nil
					f.Errors = map[string]string{"choice": "bad"}
					d.Refused = variant == 2
				case 3:
					d.Changes = []string{"only"}
					f.Error = "not the banner's"
				}
				p := &Page{Translator: e.app.tr[lang], CSRF: "tok&en" + hostile, Form: f}
				p.Chrome.CookieBanner = d
				var want, got strings.Builder
				if err := before.ExecuteTemplate(&want, "cookies/_banner", p); err != nil {
					t.Fatal(err)
				}
				if err := after.ExecuteTemplate(&got, "cookies/_banner", p); err != nil {
					t.Fatal(err)
				}
				// html/template writes + as &#43; in text and attributes, the banner as +: the same to a browser.
				if w := strings.ReplaceAll(want.String(), "&#43;", "+"); strings.ReplaceAll(got.String(), "&#43;", "+") != w {
					t.Fatalf("%s, next %q, variant %d:\n got: %s\nwant: %s", lang, next, variant, got.String(), w)
				}
				n++
			}
		}
	}
	t.Logf("%d banners compared", n)
}
