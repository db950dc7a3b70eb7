package app

import (
	"bytes"
	"strings"
	"testing"

	"accord/store"
)

// fastViewCase renders p through the template set and through page's fast
// view, and fails t when they differ (+ aside: html/template writes it
// &#43;, the Go views +, the same to a browser).
func fastViewCase(t *testing.T, e *testEnv, page string, p *Page, what string) {
	t.Helper()
	fv := fastViews[page]
	if !fv.ok(p) {
		t.Fatalf("%s: the fast view of %s refuses the page", what, page)
	}
	var want, got bytes.Buffer
	if err := e.app.views.Render(&want, page, p); err != nil {
		t.Fatal(err)
	}
	fv.write(&got, p)
	w, g := strings.ReplaceAll(want.String(), "&#43;", "+"), strings.ReplaceAll(got.String(), "&#43;", "+")
	if g != w {
		i := 0
		for i < len(g) && i < len(w) && g[i] == w[i] {
			i++
		}
		t.Fatalf("%s: differs at byte %d:\n got: …%s\nwant: …%s", what, i, g[max(0, i-200):min(len(g), i+200)], w[max(0, i-200):min(len(w), i+200)])
	}
}

// hostile is a value with every character that needs escaping somewhere.
const hostile = `"><script>alert('x')</script>&+é/?#%`

// fastPage is a Page as a.page makes it, for the fast view tests.
func fastPage(e *testEnv, lang, path string, u *store.User, variant int) *Page {
	p := &Page{Translator: e.app.tr[lang], Title: e.app.tr[lang].T("profile.title"), Path: path, User: u,
		CSRF: "tok&en", Form: &Form{}, assets: e.app.assets, Site: store.Settings{SiteName: "Site " + hostile}}
	if variant%2 == 1 {
		p.Flash = &Flash{Kind: "ok", Key: "profile.saved"}
		p.Site.DPOName, p.Site.DPOEmail = "DPO "+hostile, "dpo@example.org"
		p.Chrome.Notifications = 3
		p.Chrome.CookieBanner = &bannerData{Next: path, Categories: store.OptionalCookieCategories,
			Title: hostile, Text: []string{hostile}, Changes: []string{hostile}}
	}
	return p
}

// Ensure that the Go profile page writes what its templates write: with
// and without minors, a pending address, the password field of an email
// change, refused fields in either form, the banner and a flash, hostile
// values in every field, in both languages.
func TestProfileMatchesTemplate(t *testing.T) {
	e := newEnv(t)
	u := &store.User{ID: 7, Email: "ada@example.org", FirstName: hostile, LastName: "Lovelace", Lang: "fr", Role: store.RoleLearner}
	n := 0
	for _, lang := range Langs {
		for variant := range 6 {
			p := fastPage(e, lang, "/profile", u, variant)
			p.Form = profileValues(u)
			d := &profileData{Password: &Form{}}
			switch variant {
			case 1:
				d.Minors = []store.User{{ID: 12, FirstName: hostile}, {ID: 13, Email: "m@example.org"}}
				d.PendingEmail = &store.EmailChange{Email: "new+" + hostile + "@example.org"}
				d.EmailNeedsPassword = true
			case 2:
				p.Form.fail("first_name", "Bad "+hostile)
				p.Form.fail("email", "Bad email")
				p.Form.fail("lang", "Bad lang "+hostile)
				p.Form.fail("current_password", "Wrong")
				d.EmailNeedsPassword = true
			case 3:
				p.Form.fail("", "Whole form "+hostile)
				d.Password.fail("", "Password form "+hostile)
				d.Password.fail("current_password", "Wrong "+hostile)
				d.Password.fail("password", "Short "+hostile)
			case 4:
				p.Form.Values["lang"] = []string{"en"}
				d.Password.fail("password", "Short")
			case 5:
				p.Form.Values["lang"] = []string{hostile}
			}
			p.Data = d
			fastViewCase(t, e, "profile/index", p, lang+" variant "+string(rune('0'+variant)))
			n++
		}
	}
	t.Logf("%d profile pages compared", n)
}

// Ensure that the Go list of policies writes what its template writes: for
// a visitor and a learner, no policy, a policy shown in another language,
// an optional one, hostile names, with and without the DPO's address, in
// both languages.
func TestPoliciesMatchesTemplate(t *testing.T) {
	e := newEnv(t)
	u := &store.User{ID: 7, Email: "ada@example.org", FirstName: "Ada", Role: store.RoleLearner}
	now := e.now
	rows := func(lang string) []versionView {
		var out []versionView
		for i, typ := range []store.PolicyType{store.PolicyType("site"), store.PolicyType("privacy"), store.PolicyType(hostile)} {
			v := &store.PolicyVersion{PolicyID: uint64(i + 1), Revision: "1." + hostile, Type: typ, Audience: store.Audience("all"), Optional: i == 2, ActivatedAt: now}
			out = append(out, versionView{V: v, Text: store.PolicyText{Name: "Name " + hostile}, Lang: lang, Fallback: i == 1})
		}
		return out
	}
	n := 0
	for _, lang := range Langs {
		for _, user := range []*store.User{nil, u} {
			for variant := range 3 {
				p := fastPage(e, lang, "/policies", user, variant)
				d := &policiesData{}
				if variant != 2 {
					d.Rows = rows(lang)
				}
				p.Data = d
				fastViewCase(t, e, "policies/index", p, lang+" variant "+string(rune('0'+variant)))
				n++
			}
		}
	}
	t.Logf("%d lists compared", n)
}
