package app

import (
	"bytes"
	"strconv"
)

// policiesData is what views/policies/index.html lists.
type policiesData struct {
	Rows []versionView
}

// The public list of policies (views/policies/index.html) written in Go
// for render (views_fast.go); TestPoliciesMatchesTemplate keeps it equal
// to the template.

func writePoliciesPage(b *bytes.Buffer, p *Page) {
	d, t := p.Data.(*policiesData), p.Translator
	writeFrameTop(b, p)
	ws(b, "\n<h1>", t.text("policies.title"), "</h1>\n<p>", t.text("policies.intro"),
		"</p>\n<div class=\"table-wrap\">\n<table class=\"data\" id=\"policies\">\n  <caption class=\"sr-only\">", t.text("policies.caption"),
		"</caption>\n  <thead><tr><th scope=\"col\">", t.text("policies.col.name"), "</th><th scope=\"col\">", t.text("policies.col.type"),
		"</th><th scope=\"col\">", t.text("policies.col.audience"), "</th><th scope=\"col\">", t.text("policies.col.version"),
		"</th><th scope=\"col\">", t.text("policies.col.date"), "</th></tr></thead>\n  <tbody>\n  ")
	for i := range d.Rows {
		r := &d.Rows[i]
		b.WriteString("\n    <tr>\n      <td><a href=\"/policies/")
		b.WriteString(strconv.FormatUint(r.V.PolicyID, 10))
		b.WriteString("\"")
		if r.Fallback {
			b.WriteString(" lang=\"")
			writeEsc(b, r.Lang)
			b.WriteString("\"")
		}
		b.WriteString(">")
		writeEsc(b, r.Text.Name)
		b.WriteString("</a>")
		if r.V.Optional {
			ws(b, " <span class=\"badge muted\">", t.text("policies.optional"), "</span>")
		}
		ws(b, "</td>\n      <td>", t.text("policies.type."+string(r.V.Type)), "</td>\n      <td>", t.text("policies.audience."+string(r.V.Audience)), "</td>\n      <td>")
		writeEsc(b, r.V.Revision)
		b.WriteString("</td>\n      <td>")
		writeEsc(b, t.Date(r.V.ActivatedAt))
		b.WriteString("</td>\n    </tr>\n  ")
	}
	if len(d.Rows) == 0 {
		ws(b, "\n    <tr><td colspan=\"5\">", t.text("policies.none"), "</td></tr>\n  ")
	}
	ws(b, "\n  </tbody>\n</table>\n</div>\n<section class=\"card\" id=\"dpo\">\n  <h2>", t.text("policies.dpo.title"), "</h2>\n  ")
	if email := p.Site.DPOEmail; email != "" {
		b.WriteString("<p>")
		writeAround(b, t, "policies.dpo.text", "Name", p.Site.DPOName)
		ws(b, " <a href=\"mailto:", attrURL(email), "\">")
		writeEsc(b, email)
		b.WriteString("</a></p>")
	}
	b.WriteString("\n  ")
	if p.User != nil {
		ws(b, "<p><a href=\"/profile/dpo\">", t.text("policies.dpo.contact"), "</a> · <a href=\"/profile/requests\">", t.text("policies.dpo.requests"), "</a></p>\n  ")
	} else {
		ws(b, "<p><a href=\"/contact\">", t.text("contact.link"), "</a></p>")
	}
	b.WriteString("\n</section>\n")
	writeFrameBottom(b, p)
	b.WriteByte('\n')
}
