package app

import (
	"bytes"
	"strconv"

	"accord/store"
)

// profileData is what views/profile/* show beside the page.
type profileData struct {
	Password           *Form // the password form
	Minors             []store.User
	PendingEmail       *store.EmailChange
	EmailNeedsPassword bool
}

// The profile page (views/profile/index.html with _form and _password),
// written in Go for render (views_fast.go); TestProfileMatchesTemplate
// keeps it equal to the templates.
var (
	profileFormFields = []field{
		{Name: "first_name", Label: "field.first_name", Auto: "given-name", Required: true},
		{Name: "last_name", Label: "field.last_name", Auto: "family-name", Required: true},
		{Name: "email", Type: "email", Label: "field.email", Auto: "email", Required: true, Hint: "profile.email.hint"},
	}
	profileCurrentPassword = field{Name: "current_password", Type: "password", Label: "field.current_password", Auto: "current-password", Hint: "profile.email.password_hint"}
)

func profileFast(p *Page) bool {
	d, ok := p.Data.(*profileData)
	return ok && d.Password != nil
}

func writeProfilePage(b *bytes.Buffer, p *Page) {
	d, t := p.Data.(*profileData), p.Translator
	writeFrameTop(b, p)
	ws(b, "\n<h1>", t.text("profile.title"), "</h1>\n<div class=\"grid\">\n<section class=\"card\" aria-labelledby=\"dp-heading\">\n  <h2 id=\"dp-heading\">", t.text("profile.data_protection"), "</h2>\n  <ul>\n    <li><a href=\"/profile/policies\">", t.text("profile.link.policies"), "</a></li>\n    <li><a href=\"/cookies\">", t.text("profile.link.cookies"), "</a></li>\n    <li><a href=\"/profile/dpo\">", t.text("profile.link.dpo"), "</a></li>\n    <li><a href=\"/profile/requests\">", t.text("profile.link.requests"), "</a></li>\n  </ul>\n  ")
	if len(d.Minors) > 0 {
		ws(b, "\n  <h3>", t.text("profile.minors"), "</h3>\n  <ul>")
		for i := range d.Minors {
			m := &d.Minors[i]
			b.WriteString("<li>")
			writeEsc(b, m.Name())
			b.WriteString(" — <a href=\"/profile/minors/")
			b.WriteString(strconv.FormatUint(m.ID, 10))
			ws(b, "/policies\">", t.text("profile.minors.policies"), "</a></li>")
		}
		b.WriteString("</ul>\n  ")
	}
	b.WriteString("\n</section>\n</div>\n")
	writeProfileForm(b, p, d)
	b.WriteByte('\n')
	writeProfilePassword(b, p, d.Password)
	b.WriteByte('\n')
	writeFrameBottom(b, p)
	b.WriteByte('\n')
}

// writeProfileForm is profile/_form.
func writeProfileForm(b *bytes.Buffer, p *Page, d *profileData) {
	t, f := p.Translator, p.Form
	ws(b, "<section id=\"profile-form\" class=\"card\">\n<h2>", t.text("profile.details"), "</h2>\n<form class=\"stack\" method=\"post\" action=\"/profile\" hx-post=\"/profile\" hx-target=\"#profile-form\" hx-swap=\"outerHTML\" novalidate>\n  ")
	writeFormError(b, p)
	b.WriteString("\n  ")
	writeCSRF(b, p)
	for _, fl := range profileFormFields {
		b.WriteString("\n  ")
		writeField(b, p, fl)
	}
	b.WriteString("\n  ")
	if e := d.PendingEmail; e != nil {
		b.WriteString("<p class=\"hint\" id=\"pending-email\">")
		writeAround(b, t, "profile.email.waiting", "Email", e.Email)
		b.WriteString("</p>")
	}
	b.WriteString("\n  ")
	if d.EmailNeedsPassword {
		writeField(b, p, profileCurrentPassword)
	}
	langErr, lang := f.Err("lang"), f.Get("lang")
	ws(b, "\n  <div class=\"field\">\n    <label for=\"f-lang\">", t.text("field.lang"), "</label>\n    <select id=\"f-lang\" name=\"lang\"")
	if langErr != "" {
		b.WriteString(" aria-invalid=\"true\" aria-describedby=\"f-lang-err\"")
	}
	b.WriteString(">\n      <option value=\"en\" lang=\"en\"")
	if lang == "en" {
		b.WriteString(" selected")
	}
	b.WriteString(">English</option>\n      <option value=\"fr\" lang=\"fr\"")
	if lang == "fr" {
		b.WriteString(" selected")
	}
	b.WriteString(">Français</option>\n    </select>\n    ")
	if langErr != "" {
		b.WriteString("<p class=\"error\" id=\"f-lang-err\">")
		writeEsc(b, langErr)
		b.WriteString("</p>")
	}
	ws(b, "\n  </div>\n  <div class=\"actions\"><button class=\"btn primary\" type=\"submit\">", t.text("action.save"), "</button></div>\n</form>\n</section>\n")
}

// writeProfilePassword is profile/_password, with its form pw.
func writeProfilePassword(b *bytes.Buffer, p *Page, pw *Form) {
	t := p.Translator
	ws(b, "<section id=\"password-form\" class=\"card\">\n<h2>", t.text("profile.password.title"), "</h2>\n\n<form class=\"stack\" method=\"post\" action=\"/profile/password\" hx-post=\"/profile/password\" hx-target=\"#password-form\" hx-swap=\"outerHTML\" novalidate>\n  ")
	if pw.Error != "" {
		b.WriteString("<p class=\"flash error\" role=\"alert\" data-autofocus tabindex=\"-1\">")
		writeEsc(b, pw.Error)
		b.WriteString("</p>")
	}
	b.WriteString("\n  ")
	writeCSRF(b, p)
	cur, pwErr := pw.Err("current_password"), pw.Err("password")
	ws(b, "\n  <div class=\"field\">\n    <label for=\"f-current_password\">", t.text("field.current_password"), "</label>\n    <input id=\"f-current_password\" name=\"current_password\" type=\"password\" autocomplete=\"current-password\" required")
	if cur != "" {
		b.WriteString(" aria-invalid=\"true\" aria-describedby=\"f-current_password-err\"")
	}
	b.WriteString(">\n    ")
	if cur != "" {
		b.WriteString("<p class=\"error\" id=\"f-current_password-err\">")
		writeEsc(b, cur)
		b.WriteString("</p>")
	}
	ws(b, "\n  </div>\n  <div class=\"field\">\n    <label for=\"f-password\">", t.text("field.new_password"), "</label>\n    <p class=\"hint\" id=\"f-password-hint\">", t.text("field.password.hint"), "</p>\n    <input id=\"f-password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required aria-describedby=\"")
	if pwErr != "" {
		b.WriteString("f-password-err\" aria-invalid=\"true\">\n    <p class=\"error\" id=\"f-password-err\">")
		writeEsc(b, pwErr)
		b.WriteString("</p>")
	} else {
		b.WriteString("f-password-hint\">\n    ")
	}
	ws(b, "\n  </div>\n  <div class=\"actions\"><button class=\"btn\" type=\"submit\">", t.text("profile.password.submit"), "</button></div>\n</form>\n\n</section>\n")
}
