package app

import (
	"bytes"
	"errors"
	"html/template"
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
	var f field
	f.Name, _ = d["Name"].(string)
	f.Label, _ = d["Label"].(string)
	if p == nil || f.Name == "" || f.Label == "" {
		return "", errors.New("partials/field: P, Name and Label are required")
	}
	f.Type, _ = d["Type"].(string)
	f.Auto, _ = d["Auto"].(string)
	f.Hint, _ = d["Hint"].(string)
	f.Required, _ = d["Required"].(bool)
	return htmlOf(func(b *bytes.Buffer) { writeField(b, p, f) }), nil
}

// field is what partials/field is given: Label and Hint are locale keys
// without placeholders.
type field struct {
	Name, Label, Hint, Type, Auto string
	Required                      bool
}

// writeField writes field f of p's form, as partials/field does.
func writeField(b *bytes.Buffer, p *Page, f field) {
	errText := p.Form.Err(f.Name)
	b.WriteString("\n<div class=\"field\">\n  <label for=\"f-")
	writeEsc(b, f.Name)
	b.WriteString("\">")
	b.WriteString(p.text(f.Label))
	b.WriteString("</label>\n  ")
	if f.Hint != "" {
		b.WriteString("<p class=\"hint\" id=\"f-")
		writeEsc(b, f.Name)
		b.WriteString("-hint\">")
		b.WriteString(p.text(f.Hint))
		b.WriteString("</p>")
	}
	b.WriteString("\n  <input id=\"f-")
	writeEsc(b, f.Name)
	b.WriteString("\" name=\"")
	writeEsc(b, f.Name)
	b.WriteString("\" type=\"")
	typ := f.Type
	if typ == "" {
		typ = "text"
	}
	writeEsc(b, typ)
	b.WriteString("\"")
	if typ != "password" {
		b.WriteString(" value=\"")
		writeEsc(b, p.Form.Get(f.Name))
		b.WriteString("\"")
	}
	if f.Auto != "" {
		b.WriteString(" autocomplete=\"")
		writeEsc(b, f.Auto)
		b.WriteString("\"")
	}
	if f.Required {
		b.WriteString(" required")
	}
	switch {
	case errText != "":
		b.WriteString(" aria-invalid=\"true\" aria-describedby=\"f-")
		writeEsc(b, f.Name)
		b.WriteString("-err\"")
	case f.Hint != "":
		b.WriteString(" aria-describedby=\"f-")
		writeEsc(b, f.Name)
		b.WriteString("-hint\"")
	}
	b.WriteString(">\n  ")
	if errText != "" {
		b.WriteString("<p class=\"error\" id=\"f-")
		writeEsc(b, f.Name)
		b.WriteString("-err\">")
		writeEsc(b, errText)
		b.WriteString("</p>")
	}
	b.WriteString("\n</div>\n")
}
