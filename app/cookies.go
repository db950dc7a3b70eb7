package app

import (
	"strings"
	"time"

	"accord/app/cookieconsent"
	"accord/store"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"
)

// Cookie consent (issue 4), the HTTP side: the decision "may this browser
// get optional cookies, and must it see the banner?" is the cookie-consent
// service's (package cookieconsent), taken from memory on every page; here
// the request is read, the banner shown and cookies set or deleted.

const (
	consentCookie  = "accord_consent"
	usernameCookie = "accord_username"
	visitorCookie  = "accord_visitor"
	// optionalCookieAge stays under the 13 months the CNIL allows.
	optionalCookieAge = 365 * 24 * time.Hour
	// ctxCookieChoice holds a choice recorded during the request.
	ctxCookieChoice = "cookie_choice"
)

// initCookies builds the cookie-consent service (which seeds the register
// and loads it and every latest choice into memory), the visit counter and
// the validation of cookie names.
func (a *App) initCookies() error {
	svc, err := cookieconsent.New(a.db, cookieconsent.Options{
		LifetimeMonths: func() int { return a.Settings().ConsentLifetimeMonths },
	})
	if err != nil {
		return err
	}
	a.cookies, a.visits = svc, newVisitCounter()
	return a.validate.RegisterValidation("cookiename", func(fl validator.FieldLevel) bool {
		return validCookieName(fl.Field().String())
	})
}

// expireChoices is the hourly sweep of lapsed cookie choices.
func (a *App) expireChoices() {
	if err := a.cookies.Expire(); err != nil {
		a.log.Error("expire cookie choices", "err", err)
	}
}

// browserConsentID is the request's accord_consent id when it is well
// formed (a forged value of another shape is simply no choice).
func browserConsentID(c *fiber.Ctx) string {
	id := c.Cookies(consentCookie)
	if len(id) != 43 || strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return ""
	}
	return id
}

// currentChoice is the valid choice that applies to the request, or nil
// (cookieconsent.Service.Current), or the one made during this request,
// before the browser holds its cookie.
func (a *App) currentChoice(c *fiber.Ctx) *store.CookieConsent {
	if r, ok := c.Locals(ctxCookieChoice).(*store.CookieConsent); ok {
		return r
	}
	var userID uint64
	if u := currentUser(c); u != nil {
		userID = u.ID
	}
	return a.cookies.Current(userID, browserConsentID(c))
}

// consents reports whether the request's browser may get cookies of
// category (strictly necessary ones need no consent).
func (a *App) consents(c *fiber.Ctx, category string) bool {
	cat := store.CookieCategory(category)
	if cat == store.CookieNecessary {
		return true
	}
	r := a.currentChoice(c)
	return r != nil && r.Allows(cat)
}

// rememberedUsername is the accord_username cookie's value, used only while
// preferences are accepted.
func (a *App) rememberedUsername(c *fiber.Ctx) string {
	if !a.consents(c, string(store.CookiePreferences)) {
		return ""
	}
	return strings.Clone(c.Cookies(usernameCookie))
}

// rememberUsername sets accord_username after sign-in when asked and
// preferences are accepted, and deletes it otherwise.
func (a *App) rememberUsername(c *fiber.Ctx, email string, on bool) {
	if on && a.consents(c, string(store.CookiePreferences)) {
		a.setCookie(c, usernameCookie, email, optionalCookieAge)
		return
	}
	if c.Cookies(usernameCookie) != "" {
		a.clearCookie(c, usernameCookie)
	}
}

// enforceCookies deletes, in this response, every register cookie the
// browser holds in a category that choice r (nil: no valid choice) does not
// allow — HttpOnly ones included, which a script-based cookie manager cannot.
func (a *App) enforceCookies(c *fiber.Ctx, r *store.CookieConsent) {
	for _, ck := range a.cookies.Register().Cookies {
		if !ck.Category.Optional() || (r != nil && r.Allows(ck.Category)) {
			continue
		}
		if c.Cookies(ck.Name) != "" {
			a.clearCookie(c, ck.Name)
		}
	}
}

// bannerData is what views/cookies/_banner.html needs beside the Page.
type bannerData struct {
	Next       string
	Categories []store.CookieCategory
	Title      string   // the administrator's, or the shipped one
	Text       []string // paragraphs, the administrator's or the shipped ones
	Changes    []string // what changed since the person's last choice
	// Refused is set when the banner's own form was refused (an htmx
	// answer to it): only then does the banner show the form's error
	// summary. On a full page the summary belongs to the page's form.
	Refused bool
}

// banner is the banner for this request, going back to next.
func (a *App) banner(c *fiber.Ctx, next string) *bannerData {
	tr := a.translator(c)
	return &bannerData{Next: next, Categories: store.OptionalCookieCategories,
		Title: a.cookieText(tr, "banner_title"), Text: paragraphs(a.cookieText(tr, "banner_text")), Changes: a.registerChanges(c)}
}

// cookieChrome runs on every page: without a valid choice it shows the
// banner (but on /cookies, which is the same choice in full) and removes
// optional cookies; with one, it counts the visit when statistics are
// accepted.
func (a *App) cookieChrome(c *fiber.Ctx, p *Page) {
	r := a.currentChoice(c)
	a.enforceCookies(c, r)
	if r == nil {
		if p.Path != "/cookies" {
			p.Chrome.CookieBanner = a.banner(c, a.bannerNext(c))
		}
		return
	}
	if r.Allows(store.CookieStatistics) && c.Method() == fiber.MethodGet && !isHTMX(c) {
		a.countVisit(c)
	}
}

// bannerNext is where a plain banner form goes back to: this page, when it
// is a GET.
func (a *App) bannerNext(c *fiber.Ctx) string {
	if c.Method() != fiber.MethodGet {
		return ""
	}
	return safeNext(string(c.Request().URI().RequestURI()))
}

// cookiesOnSignIn applies the newer of the browser's and the account's
// choice to the account (cookieconsent.Service.SignIn) and deletes the
// cookies the winning choice does not allow.
func (a *App) cookiesOnSignIn(c *fiber.Ctx, u *store.User) error {
	best, err := a.cookies.SignIn(u.ID, browserConsentID(c))
	if err != nil {
		return err
	}
	if best != nil {
		c.Locals(ctxCookieChoice, best)
	}
	a.enforceCookies(c, best)
	return nil
}

// registerRow is one row of views/cookies/_register_table.html.
type registerRow struct {
	Name, Category, Purpose, Duration, Provider string
}

// cookieRegisterRows are the rows of views/cookies/_register_table.html in
// language lang, from the register in memory.
func (a *App) cookieRegisterRows(lang string) any {
	tr, ok := a.tr[lang]
	if !ok {
		tr = a.tr[Langs[0]]
	}
	reg := a.cookies.Register()
	rows := make([]registerRow, 0, len(reg.Cookies))
	for _, ck := range reg.Cookies {
		rows = append(rows, registerRow{Name: ck.Name, Category: tr.T("cookies.category." + string(ck.Category)),
			Purpose: ck.Purpose(tr.Lang), Duration: ck.Duration(tr.Lang), Provider: ck.Provider})
	}
	return rows
}
