package app

import (
	"strings"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// The banner's and preferences page's texts (issue 12.6): administrators
// may rewrite them per language, and reset a language to the shipped texts.

// cookieTextNames are the texts an administrator may rewrite, each with
// its shipped default (a locale key).
var cookieTextNames = []struct{ Name, Default string }{
	{"banner_title", "cookies.banner.title"},
	{"banner_text", "cookies.banner.text"},
	{"prefs_intro", "cookies.intro"},
}

// cookieText is text name in tr's language: the administrator's, else the
// shipped one.
func (a *App) cookieText(tr *Translator, name string) string {
	if t, ok := a.cookies.Text(tr.Lang, name); ok {
		return t
	}
	for _, n := range cookieTextNames {
		if n.Name == name {
			return tr.T(n.Default)
		}
	}
	return ""
}

// paragraphs splits a text at its blank lines.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

type cookieTextsForm struct {
	BannerTitleEN string `form:"banner_title_en" validate:"required,max=200"`
	BannerTitleFR string `form:"banner_title_fr" validate:"required,max=200"`
	BannerTextEN  string `form:"banner_text_en" validate:"required,max=2000"`
	BannerTextFR  string `form:"banner_text_fr" validate:"required,max=2000"`
	PrefsIntroEN  string `form:"prefs_intro_en" validate:"required,max=2000"`
	PrefsIntroFR  string `form:"prefs_intro_fr" validate:"required,max=2000"`
}

// byLang is the form's texts of language lang, by name.
func (in *cookieTextsForm) byLang(lang string) map[string]string {
	if lang == "fr" {
		return map[string]string{"banner_title": in.BannerTitleFR, "banner_text": in.BannerTextFR, "prefs_intro": in.PrefsIntroFR}
	}
	return map[string]string{"banner_title": in.BannerTitleEN, "banner_text": in.BannerTextEN, "prefs_intro": in.PrefsIntroEN}
}

// getCookieTexts shows the banner's and preferences page's texts in both
// languages, to rewrite or reset.
func (a *App) getCookieTexts(c *fiber.Ctx) error {
	f := &Form{Values: map[string][]string{}}
	for _, lang := range Langs {
		for _, n := range cookieTextNames {
			f.Values[n.Name+"_"+lang] = []string{a.cookieText(a.tr[lang], n.Name)}
		}
	}
	return a.showCookieTexts(c, f)
}

func (a *App) showCookieTexts(c *fiber.Ctx, f *Form) error {
	p := a.page(c, "cookies.texts.title")
	p.Form = f
	custom := map[string]bool{}
	for _, lang := range Langs {
		for _, n := range cookieTextNames {
			if _, ok := a.cookies.Text(lang, n.Name); ok {
				custom[lang] = true
			}
		}
	}
	p.Data = map[string]any{"Langs": Langs, "Names": cookieTextNames, "Custom": custom}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "cookies/admin_texts", "", p)
}

// postCookieTexts saves the texts; one equal to the shipped text is kept
// as the default (it then follows the shipped wording).
func (a *App) postCookieTexts(c *fiber.Ctx) error {
	var in cookieTextsForm
	f := a.bind(c, &in)
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showCookieTexts(c, f)
	}
	for _, lang := range Langs {
		texts := in.byLang(lang)
		for _, n := range cookieTextNames {
			if texts[n.Name] == a.tr[lang].T(n.Default) {
				texts[n.Name] = ""
			}
		}
		if err := a.cookies.SaveTexts(lang, texts, currentUser(c).ID); err != nil {
			return err
		}
	}
	a.flash(c, "ok", "cookies.texts.saved")
	return a.redirect(c, "/admin/cookies/texts")
}

type cookieTextsResetForm struct {
	Lang string `form:"lang" validate:"required,oneof=en fr"`
}

// postCookieTextsReset puts one language's texts back to the shipped ones.
func (a *App) postCookieTextsReset(c *fiber.Ctx) error {
	var in cookieTextsResetForm
	if f := a.bind(c, &in); f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showCookieTexts(c, f)
	}
	if err := a.cookies.ResetTexts(in.Lang, currentUser(c).ID); err != nil {
		return err
	}
	a.flash(c, "ok", "cookies.texts.reset_done."+in.Lang)
	return a.redirect(c, "/admin/cookies/texts")
}

// Audited actions of the texts, named here for the locale test.
var _ = []store.Action{store.ActCookieTextsChanged, store.ActCookieTextsReset}
