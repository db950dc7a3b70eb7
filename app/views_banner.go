package app

import (
	"bytes"
	"html/template"

	"accord/store"
)

// The cookie banner (the first branch of cookies/_banner, shown on every
// page until the browser has a valid choice) written in Go, like the frame
// around it (views_frame.go): as a template it cost some two hundred
// allocations per page. TestBannerMatchesTemplate keeps it equal to the
// template it replaced.

// banner is the template func of cookies/_banner.
func banner(p *Page) template.HTML {
	return htmlOf(func(b *bytes.Buffer) { writeBanner(b, p) })
}

// writeBanner writes p's cookie banner (p.Chrome.CookieBanner, not nil).
func writeBanner(b *bytes.Buffer, p *Page) {
	d, t := p.Chrome.CookieBanner, p.Translator
	b.WriteString("\n<section id=\"cookie-banner\" class=\"cookie-banner\" aria-labelledby=\"cookie-banner-title\">\n  <h2 id=\"cookie-banner-title\">")
	writeEsc(b, d.Title)
	b.WriteString("</h2>\n  ")
	if len(d.Changes) > 0 {
		b.WriteString("\n  <div class=\"cookie-changes\" role=\"note\" aria-labelledby=\"cookie-changes-title\">\n    <p id=\"cookie-changes-title\"><strong>")
		b.WriteString(t.text("cookies.changes.heading"))
		b.WriteString("</strong></p>\n    <ul>")
		for _, c := range d.Changes {
			b.WriteString("<li>")
			writeEsc(b, c)
			b.WriteString("</li>")
		}
		b.WriteString("</ul>\n  </div>\n  ")
	}
	b.WriteString("\n  ")
	for _, para := range d.Text {
		b.WriteString("<p>")
		writeEsc(b, para)
		b.WriteString("</p>")
	}
	ws(b, "\n  <p><a href=\"/cookies\">", t.text("cookies.banner.policy_link"), "</a> · <a href=\"/policies\">", t.text("cookies.banner.policies_link"), "</a></p>\n  <form method=\"post\" action=\"/cookies\" hx-post=\"/cookies\" hx-target=\"#cookie-banner\" hx-swap=\"outerHTML\">\n    ")
	if d.Refused {
		writeFormError(b, p)
	}
	b.WriteString("\n    ")
	writeCSRF(b, p)
	b.WriteString("\n    <input type=\"hidden\" name=\"next\" value=\"")
	writeEsc(b, d.Next)
	ws(b, "\">\n    <div class=\"actions\">\n      <button class=\"btn\" type=\"submit\" name=\"choice\" value=\"accept_all\">", t.text("cookies.accept_all"), "</button>\n      <button class=\"btn\" type=\"submit\" name=\"choice\" value=\"refuse_all\">", t.text("cookies.refuse_all"), "</button>\n    </div>\n    <details>\n      <summary>", t.text("cookies.customise"), "</summary>\n      <fieldset>\n        <legend>", t.text("cookies.banner.categories"), "</legend>\n        ")
	for _, cat := range d.Categories {
		c := string(cat)
		b.WriteString("\n        <div class=\"cookie-category\">\n          <div class=\"checkbox\">\n            <input id=\"banner-cat-")
		writeEsc(b, c)
		b.WriteString("\" type=\"checkbox\" name=\"category\" value=\"")
		writeEsc(b, c)
		b.WriteString("\" aria-describedby=\"banner-cat-")
		writeEsc(b, c)
		b.WriteString("-help\">\n            <label for=\"banner-cat-")
		writeEsc(b, c)
		b.WriteString("\">")
		b.WriteString(t.categoryText(cat, false))
		b.WriteString("</label>\n          </div>\n          <p class=\"hint\" id=\"banner-cat-")
		writeEsc(b, c)
		b.WriteString("-help\">")
		b.WriteString(t.categoryText(cat, true))
		b.WriteString("</p>\n        </div>\n        ")
	}
	ws(b, "\n      </fieldset>\n      <div class=\"actions\">\n        <button class=\"btn\" type=\"submit\" name=\"choice\" value=\"custom\">", t.text("cookies.save"), "</button>\n        <a href=\"/cookies")
	if d.Next != "" {
		b.WriteString("?next=")
		b.WriteString(queryPart(d.Next))
	}
	ws(b, "\">", t.text("cookies.banner.details"), "</a>\n      </div>\n    </details>\n    <p><button class=\"link\" type=\"submit\" name=\"choice\" value=\"close\">", t.text("cookies.close"), "</button></p>\n  </form>\n</section>\n")
}

// writeFormError is partials/form_error: the message about p's whole form,
// or the summary when a field was refused.
func writeFormError(b *bytes.Buffer, p *Page) {
	const open = "<p class=\"flash error\" role=\"alert\" data-autofocus tabindex=\"-1\">"
	switch {
	case p.Form.Error != "":
		b.WriteString(open)
		writeEsc(b, p.Form.Error)
		b.WriteString("</p>")
	case p.Form.Invalid():
		ws(b, open, p.text("validation.summary"), "</p>")
	}
	b.WriteByte('\n')
}

// writeCSRF is partials/csrf.
func writeCSRF(b *bytes.Buffer, p *Page) {
	b.WriteString("<input type=\"hidden\" name=\"_csrf\" value=\"")
	writeEsc(b, p.CSRF)
	b.WriteString("\">\n")
}

// categoryText is cookies.category.<cat> (with help, its .help), escaped,
// looked up once per category.
func (t *Translator) categoryText(cat store.CookieCategory, help bool) string {
	i := 0
	if help {
		i = 1
	}
	if s, ok := t.frame.categories[cat]; ok {
		return s[i]
	}
	key := "cookies.category." + string(cat)
	if help {
		key += ".help"
	}
	return t.text(key)
}
