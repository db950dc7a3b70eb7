package app

import (
	"net/url"
	"strings"
	"time"

	"accord/app/cookieconsent"
	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// choicesPerIPPerHour bounds the cookie choices one address records (each
// is a stored record); far above what people sharing an address make.
const choicesPerIPPerHour = 120

type cookieChoiceForm struct {
	Choice   string   `form:"choice" validate:"required,oneof=accept_all refuse_all custom close"`
	Category []string `form:"category" validate:"max=10,dive,max=32"`
	Next     string   `form:"next" validate:"max=2048"`
}

// prefsCategory is one switch of the preferences page.
type prefsCategory struct {
	Name    store.CookieCategory
	On      bool
	Cookies []store.Cookie
}

// getCookies shows the preferences: a switch per category with its cookies,
// the current choice and when it will be asked again, the register and, for
// a signed-in user, the history of their choices.
func (a *App) getCookies(c *fiber.Ctx) error {
	f := &Form{Values: map[string][]string{"next": {safeNext(c.Query("next"))}}}
	if r := a.currentChoice(c); r != nil {
		for _, cat := range store.OptionalCookieCategories {
			if r.Allows(cat) {
				f.Values["category"] = append(f.Values["category"], string(cat))
			}
		}
	}
	return a.showCookies(c, f, fiber.StatusOK)
}

func (a *App) showCookies(c *fiber.Ctx, f *Form, status int) error {
	p := a.page(c, "cookies.title")
	p.Form = f
	data, err := a.cookiesData(c, p.Lang)
	if err != nil {
		return err
	}
	p.Data = data
	return a.render(c, status, "cookies/index", "cookies/_prefs", p)
}

func (a *App) cookiesData(c *fiber.Ctx, lang string) (map[string]any, error) {
	reg := a.cookies.Register()
	var cats []prefsCategory
	for _, cat := range store.CookieCategories {
		cats = append(cats, prefsCategory{Name: cat, Cookies: reg.InCategory(cat)})
	}
	choice := a.currentChoice(c)
	data := map[string]any{
		"Categories":     cats,
		"Choice":         choice,
		"CookieRegister": a.cookieRegisterRows(lang),
		"Intro":          paragraphs(a.cookieText(a.translator(c), "prefs_intro")),
	}
	if choice != nil {
		data["AskAgain"] = a.cookies.Ends(choice)
	} else {
		data["Changes"] = a.registerChanges(c)
	}
	if u := currentUser(c); u != nil {
		hist, err := a.db.CookieConsentHistory(u.ID)
		if err != nil {
			return nil, err
		}
		data["History"] = hist
	}
	return data, nil
}

// postCookies records a cookie choice (accept_all, refuse_all, custom with
// its categories, or close — a refusal), deletes the cookies of refused
// categories in the same response, and goes back to next (plain form), or
// answers the banner or preferences fragment (htmx).
func (a *App) postCookies(c *fiber.Ctx) error {
	var in cookieChoiceForm
	f := a.bind(c, &in)
	decisions := map[store.CookieCategory]bool{store.CookieNecessary: true}
	for _, cat := range store.OptionalCookieCategories {
		decisions[cat] = in.Choice == string(store.MethodAcceptAll)
	}
	// Only the package's constants are kept: Fiber's strings point into a
	// buffer the next request reuses.
	for _, v := range in.Category {
		cat := knownCategory(v)
		switch {
		case cat == store.CookieNecessary:
		case cat.Optional():
			decisions[cat] = decisions[cat] || in.Choice == string(store.MethodCustom)
		default:
			f.fail("", a.translator(c).T("cookies.unknown_category"))
		}
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.answerChoice(c, f)
	}
	// Each choice appends a record: bound how fast one address can add them.
	if ok, wait := a.limits.take(time.Hour, limit{"cookies:ip:" + a.clientIP(c), choicesPerIPPerHour}); !ok {
		return a.tooMany(c, f, wait, a.answerChoice)
	}
	couldRemember := a.consents(c, string(store.CookiePreferences))
	r, err := a.recordChoice(c, knownMethod(in.Choice), decisions)
	if err != nil {
		return err
	}
	a.enforceCookies(c, r)
	if isHTMX(c) {
		// The login page's "Remember my username" is on or off with
		// preferences: answered from its banner, it reloads rather than
		// stay stale (the banner is gone after the reload).
		if onLoginPage(c) && couldRemember != r.Allows(store.CookiePreferences) {
			c.Set("HX-Refresh", "true")
		}
		f.Values = map[string][]string{"next": {safeNext(in.Next)}, "category": allowed(r)}
		f.Status = fiber.StatusOK
		return a.answerChoice(c, f)
	}
	a.flash(c, "ok", savedKey(r))
	return a.redirect(c, orDefault(safeNext(in.Next), "/cookies#cookie-prefs"))
}

// savedKey is the message saying what a recorded choice allows and refuses.
func savedKey(r *store.CookieConsent) string {
	if len(store.OptionalCookieCategories) != 2 {
		return "cookies.saved"
	}
	pref, stats := r.Allows(store.CookiePreferences), r.Allows(store.CookieStatistics)
	switch {
	case pref && stats:
		return "cookies.saved.all"
	case !pref && !stats:
		return "cookies.saved.none"
	case pref:
		return "cookies.saved.preferences"
	}
	return "cookies.saved.statistics"
}

// answerChoice re-renders what the form came from: the banner (htmx
// targeting it), else the preferences page or its fragment.
func (a *App) answerChoice(c *fiber.Ctx, f *Form) error {
	status := statusOr(f.Status, fiber.StatusOK)
	if isHTMX(c) && c.Get("HX-Target") == "cookie-banner" {
		p := a.page(c, "cookies.title")
		p.Form = f
		if r := a.currentChoice(c); r == nil { // refused: the banner again, with the message
			p.Chrome.CookieBanner = a.banner(c, f.Get("next"))
			p.Chrome.CookieBanner.Refused = f.Invalid()
		} else {
			p.Data = savedKey(r)
		}
		c.Vary("HX-Request")
		return c.Status(status).Render("cookies/_banner", p)
	}
	if isHTMX(c) && status == fiber.StatusOK {
		p := a.page(c, "cookies.title")
		p.Form = f
		data, err := a.cookiesData(c, p.Lang)
		if err != nil {
			return err
		}
		data["Saved"] = "cookies.saved"
		if r := a.currentChoice(c); r != nil {
			data["Saved"] = savedKey(r)
		}
		p.Data = data
		return a.render(c, status, "cookies/index", "cookies/_prefs", p)
	}
	return a.showCookies(c, f, status)
}

// recordChoice records the request's choice through the cookie-consent
// service (a refusal of everything optional as a withdrawal) and gives the
// browser its accord_consent cookie for the choice's lifetime.
func (a *App) recordChoice(c *fiber.Ctx, method store.ConsentMethod, decisions map[store.CookieCategory]bool) (*store.CookieConsent, error) {
	lang := a.translator(c).Lang
	ch := cookieconsent.Choice{BrowserID: browserConsentID(c), Method: method, Decisions: decisions, Lang: lang}
	ch.PolicyVersionID, ch.PolicyTextHash = a.cookiePolicyRef(lang)
	if u := currentUser(c); u != nil {
		ch.UserID = u.ID
	}
	record := a.cookies.Record
	if method == store.MethodRefuseAll || method == store.MethodClose {
		record = a.cookies.Withdraw
	}
	r, err := record(ch)
	if err != nil {
		return nil, err
	}
	c.Locals(ctxCookieChoice, r)
	a.setCookie(c, consentCookie, r.ConsentID, r.ValidUntil.Sub(r.Time))
	return r, nil
}

// allowed lists the optional categories r accepts (form values).
func allowed(r *store.CookieConsent) []string {
	var out []string
	for _, cat := range store.OptionalCookieCategories {
		if r.Allows(cat) {
			out = append(out, string(cat))
		}
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// knownCategory is the category constant named v, or "".
func knownCategory(v string) store.CookieCategory {
	for _, cat := range store.CookieCategories {
		if string(cat) == v {
			return cat
		}
	}
	return ""
}

// knownMethod is the method constant named v (validated beforehand).
func knownMethod(v string) store.ConsentMethod {
	for _, m := range store.ConsentMethods {
		if string(m) == v {
			return m
		}
	}
	return store.MethodClose
}

// onLoginPage reports whether an htmx request comes from the login page
// (HX-Current-URL; the banner's next is empty there: CONTRACT.md never
// sends anyone back to /login).
func onLoginPage(c *fiber.Ctx) bool {
	u, err := url.Parse(c.Get("HX-Current-URL"))
	return err == nil && strings.ToLower(strings.TrimRight(u.Path, "/")) == "/login"
}
