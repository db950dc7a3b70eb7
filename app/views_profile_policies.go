package app

import (
	"bytes"
	"strconv"

	"accord/store"
)

// The agreements page (views/policies/agreements.html with _agreements),
// written in Go for render (views_fast.go); TestAgreementsMatchesTemplate
// keeps it equal to the templates, which still render the htmx fragment.

func writeAgreementsPage(b *bytes.Buffer, p *Page) {
	d, t := p.Data.(*agreementsData), p.Translator
	writeFrameTop(b, p)
	b.WriteString("\n<h1>")
	writeEsc(b, p.Title)
	b.WriteString("</h1>\n<p>")
	if d.Self {
		b.WriteString(t.text("agreements.mine.intro"))
	} else {
		writeAround(b, t, "agreements.minor.intro", "Name", d.Subject.Name())
	}
	b.WriteString("</p>\n")
	writeAgreements(b, p, d)
	ws(b, "\n<section class=\"card\" id=\"agreements-help\">\n  <h2>", t.text("agreements.help.title"), "</h2>\n  <p>", t.text("agreements.help.text"),
		"</p>\n  <p><a href=\"/profile/dpo\">", t.text("policies.dpo.contact"), "</a> · <a href=\"/profile/requests\">", t.text("agreements.help.delete"), "</a></p>\n</section>\n")
	writeFrameBottom(b, p)
	b.WriteByte('\n')
}

// writeAgreements is policies/_agreements.
func writeAgreements(b *bytes.Buffer, p *Page, d *agreementsData) {
	t := p.Translator
	b.WriteString("<div id=\"agreements\">\n")
	if d.Card == 0 {
		writeFormError(b, p)
	}
	b.WriteByte('\n')
	base := attrURL(d.Base)
	for i := range d.Rows {
		r := &d.Rows[i]
		v := r.View.V
		id := strconv.FormatUint(v.ID, 10)
		ws(b, "\n<section class=\"card\" id=\"agreement-", id, "\" tabindex=\"-1\" aria-labelledby=\"ag-", id, "\">\n  <h2 id=\"ag-", id, "\"")
		if r.View.Fallback {
			b.WriteString(" lang=\"")
			writeEsc(b, r.View.Lang)
			b.WriteString("\"")
		}
		b.WriteString("><a href=\"/policies/")
		b.WriteString(strconv.FormatUint(v.PolicyID, 10))
		b.WriteString("\">")
		writeEsc(b, r.View.Text.Name)
		b.WriteString("</a></h2>\n  ")
		if d.Card == v.ID {
			if d.Done != "" {
				b.WriteString("<p class=\"flash ok\" role=\"status\" tabindex=\"-1\" data-autofocus>")
				writeEsc(b, d.Done)
				b.WriteString("</p>")
			} else {
				writeFormError(b, p)
			}
		}
		b.WriteString("\n  <p class=\"muted\">")
		writeAround(b, t, "policies.version_line", "Revision", v.Revision)
		b.WriteString(" · ")
		if v.Optional {
			b.WriteString(t.text("policies.optional"))
		} else {
			b.WriteString(t.text("policies.compulsory"))
		}
		b.WriteString("</p>\n  <p><span class=\"badge ")
		switch r.Status {
		case "accepted":
			b.WriteString("ok")
		case "pending":
			b.WriteString("warn")
		default:
			b.WriteString("muted")
		}
		ws(b, "\">", t.text(statusKey(r.Status)), "</span>\n  ")
		if e := r.Last; e != nil {
			revision := ""
			if r.Answered.V != nil {
				revision = r.Answered.V.Revision
			}
			writeMsg(b, t.msg(lastKey(e.Status), "Date", "Revision"), t.DateTime(e.Time), revision)
			ws(b, " · <a class=\"receipt-link\" href=\"/profile/policies/receipts/", strconv.FormatUint(e.ID, 10), "\">", t.text("receipt.link"), "</a>")
		}
		b.WriteString("</p>\n  ")
		if r.ActorName != "" {
			b.WriteString("<p>")
			writeAround(b, t, "agreements.on_behalf", "Name", r.ActorName)
			if note := r.Last.Note; note != "" {
				b.WriteString(" — ")
				writeAround(b, t, "agreements.remark", "Note", note)
			}
			b.WriteString("</p>")
		}
		b.WriteString("\n  ")
		if h := r.Answered.HTML; h != "" {
			ws(b, "<details><summary>", t.text("agreements.text_answered"), "</summary><div class=\"policy-text\">", string(h), "</div></details>")
		}
		b.WriteString("\n  ")
		if !d.CanAnswer {
			b.WriteString("<p class=\"hint\">")
			if g := d.Guardian; g != nil {
				writeMsg(b, t.msg("guardians.answers_named", "Name", "Email"), g.Name, g.Email)
			} else {
				b.WriteString(t.text("agreements.guardian_answers"))
			}
			b.WriteString("</p>")
		} else {
			b.WriteString("\n  <div class=\"actions\">\n    ")
			if r.Status != "accepted" {
				writeAnswerForm(b, p, base, id, "accept", "btn primary", t.text("agreements.accept"))
			}
			b.WriteString("\n    ")
			if v.Optional {
				if r.Status == "accepted" {
					writeAnswerForm(b, p, base, id, "decline", "btn", t.text("agreements.withdraw"))
				} else if r.Status == "pending" {
					writeAnswerForm(b, p, base, id, "decline", "btn", t.text("agreements.decline"))
				}
			} else if r.Status == "accepted" {
				ws(b, "\n    <p class=\"hint\">", t.text("agreements.cannot_decline"), "</p>\n    ")
			}
			b.WriteString("\n  </div>\n  ")
		}
		b.WriteString("\n</section>\n")
	}
	if len(d.Rows) == 0 {
		ws(b, "\n<p>", t.text("policies.none"), "</p>\n")
	}
	b.WriteString("\n</div>\n")
}

// writeAnswerForm is one answer button of a card, with its blank lines.
func writeAnswerForm(b *bytes.Buffer, p *Page, base, id, answer, class, label string) {
	ws(b, "\n    <form method=\"post\" action=\"", base, "/", id, "/", answer, "\" hx-post=\"", base, "/", id, "/", answer, "\" hx-target=\"#agreements\" hx-swap=\"outerHTML\">")
	writeCSRF(b, p)
	ws(b, "<button class=\"", class, "\" type=\"submit\">", label, "</button></form>\n    ")
}

// statusKey is agreements.status.<status>, without building it.
func statusKey(status string) string {
	switch status {
	case "accepted":
		return "agreements.status.accepted"
	case "declined":
		return "agreements.status.declined"
	case "withdrawn":
		return "agreements.status.withdrawn"
	case "pending":
		return "agreements.status.pending"
	}
	return "agreements.status." + status
}

// lastKey is agreements.last.<status>, without building it.
func lastKey(status store.AcceptStatus) string {
	switch status {
	case store.Accepted:
		return "agreements.last.accepted"
	case store.Declined:
		return "agreements.last.declined"
	case store.Withdrawn:
		return "agreements.last.withdrawn"
	}
	return "agreements.last." + string(status)
}
