package app

import (
	"bytes"
	"html"
	"html/template"
	"strings"

	"accord/store"
)

// The page frame (partials/top and partials/bottom: the head, the header
// with navigation, language switch and sign-out, the flash, the footer) is
// written in Go, not as templates: it is on every page, and as templates
// it was some forty actions per view, each a reflective call or a go-i18n
// lookup (BENCHMARKS.md, issue 13). Its texts are looked up once per
// language (frameTexts); only what belongs to the request is written per
// view, HTML-escaped. The cookie banner, between the head and the header,
// stays a template. TestFrameMatchesTemplate keeps the frame equal to the
// templates it replaced, for every kind of visitor and hostile values.

// frameTexts are the frame's translations in one language, looked up once.
// The two messages with a name are split around it.
type frameTexts struct {
	skip, navLabel, home, policies, profile, notifications, admin string
	login, signup, language, logout                               string
	footPolicies, footCookies, footDPO                            string
	signedIn, dpo                                                 [2]string                          // before and after the name
	categories                                                    map[store.CookieCategory][2]string // the banner's: name, help
}

func newFrameTexts(t *Translator) *frameTexts {
	e := func(key string) string { return html.EscapeString(t.T(key)) }
	split := func(key string) [2]string {
		before, after, _ := strings.Cut(t.T(key, "Name", sentinel(0)), sentinel(0))
		return [2]string{html.EscapeString(before), html.EscapeString(after)}
	}
	cats := map[store.CookieCategory][2]string{}
	for _, c := range store.CookieCategories {
		cats[c] = [2]string{e("cookies.category." + string(c)), e("cookies.category." + string(c) + ".help")}
	}
	return &frameTexts{categories: cats,
		skip: e("nav.skip"), navLabel: e("nav.label"), home: e("nav.home"), policies: e("nav.policies"),
		profile: e("nav.profile"), notifications: e("nav.notifications"), admin: e("nav.admin"),
		login: e("nav.login"), signup: e("nav.signup"), language: e("nav.language"), logout: e("nav.logout"),
		footPolicies: e("footer.policies"), footCookies: e("footer.cookies"), footDPO: e("footer.contact_dpo"),
		signedIn: split("nav.signed_in_as"), dpo: split("footer.dpo"),
	}
}

// frameHead is the document up to <body>.
func frameHead(p *Page) template.HTML {
	return htmlOf(func(b *bytes.Buffer) { writeFrameHead(b, p) })
}

func writeFrameHead(b *bytes.Buffer, p *Page) {
	b.WriteString("<!doctype html>\n<html lang=\"")
	b.WriteString(html.EscapeString(p.Lang))
	b.WriteString("\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"csrf-token\" content=\"")
	b.WriteString(html.EscapeString(p.CSRF))
	b.WriteString("\">\n<meta name=\"htmx-config\" content='")
	b.WriteString(htmxConfig)
	b.WriteString("'>\n<title>")
	b.WriteString(html.EscapeString(p.Title))
	b.WriteString(" · ")
	b.WriteString(html.EscapeString(p.Site.SiteName))
	b.WriteString("</title>\n<link rel=\"stylesheet\" href=\"")
	b.WriteString(attrURL(p.Asset("css/accord.css")))
	b.WriteString("\">\n<link rel=\"icon\" href=\"")
	b.WriteString(attrURL(p.Asset("icons/favicon.svg")))
	b.WriteString("\" type=\"image/svg+xml\">\n<script src=\"")
	b.WriteString(attrURL(p.Asset("vendor/htmx-2.0.11.min.js")))
	b.WriteString("\" defer></script>\n<script src=\"")
	b.WriteString(attrURL(p.Asset("js/accord.js")))
	b.WriteString("\" defer></script>\n</head>\n<body>\n\n")
}

// htmxConfig is htmx's configuration, in a single-quoted attribute: no
// error answer is swapped in except a form's 403, 422 and 429.
const htmxConfig = `{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyRestoreAsHxRequest":false,"responseHandling":[{"code":"204","swap":false},{"code":"^4(03|22|29)$","swap":true},{"code":"[23]..","swap":true},{"code":"[45]..","swap":false,"error":true}]}`

// frameHeader is the skip link, the header and the opening of <main> with
// the flash message.
func frameHeader(p *Page) template.HTML {
	return htmlOf(func(b *bytes.Buffer) { writeFrameHeader(b, p) })
}

func writeFrameHeader(b *bytes.Buffer, p *Page) {
	x := p.frame
	ws(b, "\n<a class=\"skip-link\" href=\"#main\">", x.skip, "</a>\n<header class=\"site-header\">\n  <a class=\"brand\" href=\"/\">")
	b.WriteString(html.EscapeString(p.Site.SiteName))
	ws(b, "</a>\n  <nav class=\"main-nav\" aria-label=\"", x.navLabel, "\">\n    <ul>\n      <li><a href=\"/\" ")
	current(b, p.Path == "/")
	ws(b, ">", x.home, "</a></li>\n      <li><a href=\"/policies\" ")
	current(b, p.Current("/policies"))
	ws(b, ">", x.policies, "</a></li>\n      ")
	if p.User != nil {
		b.WriteString("\n      <li><a href=\"/profile\" ")
		current(b, p.Current("/profile"))
		ws(b, ">", x.profile, "</a></li>\n      <li><a href=\"/notifications\" ")
		current(b, p.Current("/notifications"))
		ws(b, ">", x.notifications, "<span id=\"notice-count\">")
		if n := p.Chrome.Notifications; n != 0 {
			b.WriteString(" <span class=\"badge warn\">")
			b.WriteString(html.EscapeString(p.N("nav.notifications.unread", n)))
			b.WriteString("</span>")
		}
		b.WriteString("</span></a></li>\n      ")
		if p.Staff() {
			b.WriteString("<li><a href=\"/admin\" ")
			current(b, p.Current("/admin"))
			ws(b, ">", x.admin, "</a></li>")
		}
		b.WriteString("\n      ")
	} else {
		b.WriteString("\n      <li><a href=\"/login\" ")
		current(b, p.Current("/login"))
		ws(b, ">", x.login, "</a></li>\n      ")
		if p.Site.SignupOpen {
			b.WriteString("<li><a href=\"/signup\" ")
			current(b, p.Current("/signup"))
			ws(b, ">", x.signup, "</a></li>")
		}
		b.WriteString("\n      ")
	}
	ws(b, "\n    </ul>\n  </nav>\n  <p class=\"lang-switch\">\n    <span class=\"sr-only\">", x.language, "</span>\n    <a href=\"")
	writeLangURL(b, p, "en")
	b.WriteString("\" lang=\"en\" hreflang=\"en\" ")
	if p.Lang == "en" {
		b.WriteString("aria-current=\"true\"")
	}
	b.WriteString(">English</a>\n    <a href=\"")
	writeLangURL(b, p, "fr")
	b.WriteString("\" lang=\"fr\" hreflang=\"fr\" ")
	if p.Lang == "fr" {
		b.WriteString("aria-current=\"true\"")
	}
	b.WriteString(">Français</a>\n  </p>\n  ")
	if p.User != nil {
		ws(b, "\n  <div class=\"user-state\">\n    <span>", x.signedIn[0])
		b.WriteString(html.EscapeString(p.User.Name()))
		ws(b, x.signedIn[1], "</span>\n    <form method=\"post\" action=\"/logout\">\n      <input type=\"hidden\" name=\"_csrf\" value=\"")
		b.WriteString(html.EscapeString(p.CSRF))
		ws(b, "\">\n      <button class=\"link\" type=\"submit\">", x.logout, "</button>\n    </form>\n  </div>\n  ")
	}
	b.WriteString("\n</header>\n<main id=\"main\" class=\"container\" tabindex=\"-1\">\n")
	if f := p.Flash; f != nil {
		b.WriteString("<p class=\"flash ")
		b.WriteString(html.EscapeString(f.Kind))
		b.WriteString("\" role=\"status\">")
		b.WriteString(html.EscapeString(p.FlashText()))
		b.WriteString("</p>")
	}
	b.WriteString("\n")
}

// frameBottom closes <main> and writes the footer.
func frameBottom(p *Page) template.HTML {
	return htmlOf(func(b *bytes.Buffer) { writeFrameBottom(b, p) })
}

func writeFrameBottom(b *bytes.Buffer, p *Page) {
	x := p.frame
	ws(b, "</main>\n<footer class=\"site-footer\">\n  <ul>\n    <li><a href=\"/policies\">", x.footPolicies, "</a></li>\n    <li><a href=\"/cookies\">", x.footCookies, "</a></li>\n    <li><a href=\"")
	// Visitors have no /profile/dpo: theirs is the public contact page.
	if p.User != nil {
		b.WriteString("/profile/dpo")
	} else {
		b.WriteString("/contact")
	}
	ws(b, "\">", x.footDPO, "</a></li>\n  </ul>\n  ")
	if email := p.Site.DPOEmail; email != "" {
		ws(b, "<p class=\"dpo-contact\">", x.dpo[0])
		b.WriteString(html.EscapeString(p.Site.DPOName))
		ws(b, x.dpo[1], " <a href=\"mailto:")
		b.WriteString(attrURL(email))
		b.WriteString("\">")
		b.WriteString(html.EscapeString(email))
		b.WriteString("</a></p>")
	}
	b.WriteString("\n</footer>\n</body>\n</html>\n")
}

func current(b *bytes.Buffer, on bool) {
	if on {
		b.WriteString("aria-current=\"page\"")
	}
}

// writeLangURL writes p.LangURL(l) as attrURL does, without building it
// when the page has no query.
func writeLangURL(b *bytes.Buffer, p *Page, l string) {
	if len(p.Query) != 0 || strings.HasPrefix(p.Path, "//") {
		b.WriteString(attrURL(p.LangURL(l)))
		return
	}
	ws(b, attrURL(p.Path), "?lang=", l)
}
