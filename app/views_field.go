package app

import (
	"errors"
	"html"
	"html/template"
	"strings"
)

// fieldHTML is partials/field: a labelled input with its hint and error,
// from the partial's dict ("P" the page, "Name", "Label" and "Hint" locale
// keys, "Type", "Auto", "Required"). It is written in Go, not as a template,
// because it is the most used partial (every form, several times) and as a
// template it cost some thirty actions, each a reflective call; here it is
// one. Every value is HTML-escaped; all of them sit in text or in quoted
// attributes. TestFieldHTMLMatchesTemplate keeps it equal to the template
// it replaced.
func fieldHTML(d map[string]any) (template.HTML, error) {
	p, _ := d["P"].(*Page)
	name, _ := d["Name"].(string)
	label, _ := d["Label"].(string)
	if p == nil || name == "" || label == "" {
		return "", errors.New("partials/field: P, Name and Label are required")
	}
	typ, _ := d["Type"].(string)
	auto, _ := d["Auto"].(string)
	hint, _ := d["Hint"].(string)
	required, _ := d["Required"].(bool)
	id := html.EscapeString(name)
	errText := p.Form.Err(name)

	var b strings.Builder
	b.Grow(256)
	b.WriteString("\n<div class=\"field\">\n  <label for=\"f-")
	b.WriteString(id)
	b.WriteString("\">")
	b.WriteString(html.EscapeString(p.T(label)))
	b.WriteString("</label>\n  ")
	if hint != "" {
		b.WriteString("<p class=\"hint\" id=\"f-" + id + "-hint\">")
		b.WriteString(html.EscapeString(p.T(hint)))
		b.WriteString("</p>")
	}
	b.WriteString("\n  <input id=\"f-" + id + "\" name=\"" + id + "\" type=\"")
	if typ == "" {
		typ = "text"
	}
	b.WriteString(html.EscapeString(typ))
	b.WriteString("\"")
	if typ != "password" {
		b.WriteString(" value=\"")
		b.WriteString(html.EscapeString(p.Form.Get(name)))
		b.WriteString("\"")
	}
	if auto != "" {
		b.WriteString(" autocomplete=\"" + html.EscapeString(auto) + "\"")
	}
	if required {
		b.WriteString(" required")
	}
	switch {
	case errText != "":
		b.WriteString(" aria-invalid=\"true\" aria-describedby=\"f-" + id + "-err\"")
	case hint != "":
		b.WriteString(" aria-describedby=\"f-" + id + "-hint\"")
	}
	b.WriteString(">\n  ")
	if errText != "" {
		b.WriteString("<p class=\"error\" id=\"f-" + id + "-err\">")
		b.WriteString(html.EscapeString(errText))
		b.WriteString("</p>")
	}
	b.WriteString("\n</div>\n")
	return template.HTML(b.String()), nil
}
