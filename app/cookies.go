package app

import (
	"strings"
	"sync"
	"time"

	"accord/store"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"
)

// Cookie consent (issue 4). The decision "may this browser get optional
// cookies, and must it see the banner?" is taken on every page from memory:
// the register and each subject's latest choice are loaded at start and kept
// up to date by the handlers that change them, so a page view neither reads
// nor writes the database for it.

const (
	consentCookie  = "accord_consent"
	usernameCookie = "accord_username"
	visitorCookie  = "accord_visitor"
	// optionalCookieAge stays under the 13 months the CNIL allows.
	optionalCookieAge = 365 * 24 * time.Hour
	// keepExpired is how long an expired choice stays in memory (a browser
	// coming back within it keeps its accord_consent id).
	keepExpired = 30 * 24 * time.Hour
	// ctxCookieChoice holds a choice recorded during the request.
	ctxCookieChoice = "cookie_choice"
)

// cookieState is the in-memory side of the cookie feature.
type cookieState struct {
	mu       sync.RWMutex
	register store.CookieRegister
	latest   map[string]*store.CookieConsent // subject (store.ConsentSubject) → latest record
	visits   *visitCounter
}

func (a *App) ck() *cookieState { return a.cookies }

// initCookies seeds the register and loads it and every latest choice into
// memory.
func (a *App) initCookies() error {
	s := &cookieState{latest: map[string]*store.CookieConsent{}, visits: newVisitCounter()}
	a.cookies = s
	if err := a.db.SeedCookies(); err != nil {
		return err
	}
	if err := a.reloadRegister(); err != nil {
		return err
	}
	now := a.db.Now()
	err := a.db.LatestCookieConsents(func(subject string, r *store.CookieConsent) {
		if r.State != store.ConsentExpired || now.Sub(r.Time) < keepExpired {
			s.latest[subject] = r
		}
	})
	if err != nil {
		return err
	}
	err = a.validate.RegisterValidation("cookiename", func(fl validator.FieldLevel) bool {
		return validCookieName(fl.Field().String())
	})
	if err != nil {
		return err
	}
	return nil
}

// reloadRegister reads the register into memory (at start and after an
// administrator changes it).
func (a *App) reloadRegister() error {
	reg, err := a.db.CookieRegister()
	if err != nil {
		return err
	}
	s := a.ck()
	s.mu.Lock()
	s.register = reg
	s.mu.Unlock()
	return nil
}

// register is the register in memory (a shallow copy: treat as read-only).
func (a *App) register() store.CookieRegister {
	s := a.ck()
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.register
}

// remember puts r in the cache as the latest record of its account and of
// its browser.
func (a *App) remember(r *store.CookieConsent) {
	s := a.ck()
	s.mu.Lock()
	if r.UserID != 0 {
		s.latest[string(store.ConsentSubject(r.UserID, ""))] = r
	}
	if r.ConsentID != "" {
		s.latest[string(store.ConsentSubject(0, r.ConsentID))] = r
	}
	s.mu.Unlock()
}

// forgetChoices drops an erased user's choices from the cache, the
// account's and those of browsers it signed in with.
func (a *App) forgetChoices(userID uint64) {
	s := a.ck()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, r := range s.latest {
		if r.UserID == userID {
			delete(s.latest, k)
		}
	}
}

func (a *App) latestOf(userID uint64, consentID string) *store.CookieConsent {
	s := a.ck()
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.latest[string(store.ConsentSubject(userID, consentID))]
}

// validChoice reports whether r still holds: not expired (by its own date
// and by today's lifetime setting, should it have been shortened) and made
// on the register's current revision. A refusal lasts exactly as long as a
// consent (CNIL: no asking again sooner).
func (a *App) validChoice(r *store.CookieConsent) bool {
	if r == nil || r.State == store.ConsentExpired {
		return false
	}
	return r.RegisterRevision == a.register().Revision && a.db.Now().Before(a.choiceEnds(r))
}

// choiceEnds is when choice r stops holding: its valid-until, or sooner if
// the lifetime setting was shortened since.
func (a *App) choiceEnds(r *store.CookieConsent) time.Time {
	end := r.Time.AddDate(0, a.Settings().ConsentLifetimeMonths, 0)
	if r.ValidUntil.Before(end) {
		return r.ValidUntil
	}
	return end
}

// expireChoices records, as proof, that choices whose lifetime ran out
// have expired (ISO/IEC TS 27560 state "expired"), and forgets in memory
// those expired long ago.
func (a *App) expireChoices() {
	now := a.db.Now()
	s := a.ck()
	var olds, news []*store.CookieConsent
	done := map[string]bool{}
	s.mu.Lock()
	for k, r := range s.latest {
		if r.State == store.ConsentExpired {
			if now.Sub(r.Time) > keepExpired {
				delete(s.latest, k)
			}
			continue
		}
		if now.Before(a.choiceEnds(r)) || done[r.ID] {
			continue
		}
		done[r.ID] = true
		e := *r
		e.State, e.Time, e.ValidUntil, e.DerivedFrom = store.ConsentExpired, now.UTC(), now.UTC(), r.ID
		olds, news = append(olds, r), append(news, &e)
	}
	s.mu.Unlock()
	if len(news) == 0 {
		return
	}
	if err := a.db.RecordCookieConsents(news); err != nil {
		a.log.Error("expire cookie choices", "err", err)
		return
	}
	s.mu.Lock()
	for i, e := range news {
		for _, k := range []string{string(store.ConsentSubject(e.UserID, "")), string(store.ConsentSubject(0, e.ConsentID))} {
			if s.latest[k] == olds[i] { // not replaced by a newer choice meanwhile
				s.latest[k] = e
			}
		}
	}
	s.mu.Unlock()
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

// currentChoice is the valid choice that applies to the request, or nil:
// the newer of the account's and the browser's, the browser's on a tie (a
// browser's choice made by another account never applies to this one).
func (a *App) currentChoice(c *fiber.Ctx) *store.CookieConsent {
	if r, ok := c.Locals(ctxCookieChoice).(*store.CookieConsent); ok {
		return r // made in this request, before the browser has its cookie
	}
	var best *store.CookieConsent
	u := currentUser(c)
	if u != nil {
		if r := a.latestOf(u.ID, ""); a.validChoice(r) {
			best = r
		}
	}
	if id := browserConsentID(c); id != "" {
		r := a.latestOf(0, id)
		if a.validChoice(r) && (u == nil || r.UserID == 0 || r.UserID == u.ID) && (best == nil || !r.Time.Before(best.Time)) {
			best = r
		}
	}
	return best
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
	for _, ck := range a.register().Cookies {
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
			p.Chrome["CookieBanner"] = &bannerData{Next: a.bannerNext(c), Categories: store.OptionalCookieCategories}
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
// choice to the account (recording a copy when the browser's wins), so the
// choice follows the person from one browser to another, and deletes the
// cookies the winning choice does not allow.
func (a *App) cookiesOnSignIn(c *fiber.Ctx, u *store.User) error {
	best := a.currentChoice(c)
	if best != nil && best.UserID == 0 { // the browser's choice won
		cp := *best
		cp.UserID, cp.DerivedFrom = u.ID, best.ID
		cp.Decisions = map[store.CookieCategory]bool{}
		for k, v := range best.Decisions {
			cp.Decisions[k] = v
		}
		if err := a.db.RecordCookieConsent(&cp); err != nil {
			return err
		}
		a.remember(&cp)
		c.Locals(ctxCookieChoice, &cp)
		best = &cp
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
	reg := a.register()
	rows := make([]registerRow, 0, len(reg.Cookies))
	for _, ck := range reg.Cookies {
		rows = append(rows, registerRow{Name: ck.Name, Category: tr.T("cookies.category." + string(ck.Category)),
			Purpose: ck.Purpose(tr.Lang), Duration: ck.Duration(tr.Lang), Provider: ck.Provider})
	}
	return rows
}
