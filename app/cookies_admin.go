package app

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

type cookieForm struct {
	Name       string `form:"name" validate:"required,max=64,cookiename"`
	Category   string `form:"category" validate:"required,oneof=necessary preferences statistics"`
	PurposeEN  string `form:"purpose_en" validate:"required,max=1000"`
	PurposeFR  string `form:"purpose_fr" validate:"required,max=1000"`
	DurationEN string `form:"duration_en" validate:"required,max=200"`
	DurationFR string `form:"duration_fr" validate:"required,max=200"`
	Provider   string `form:"provider" validate:"required,max=200"`
	Minor      string `form:"minor"`
}

func (in *cookieForm) cookie() store.Cookie {
	return store.Cookie{Name: in.Name, Category: store.CookieCategory(in.Category), PurposeEN: in.PurposeEN, PurposeFR: in.PurposeFR,
		DurationEN: in.DurationEN, DurationFR: in.DurationFR, Provider: in.Provider}
}

func cookieValues(ck *store.Cookie) *Form {
	return &Form{Values: map[string][]string{"name": {ck.Name}, "category": {string(ck.Category)},
		"purpose_en": {ck.PurposeEN}, "purpose_fr": {ck.PurposeFR}, "duration_en": {ck.DurationEN},
		"duration_fr": {ck.DurationFR}, "provider": {ck.Provider}}}
}

// validCookieName accepts an RFC 6265 cookie name (token characters).
func validCookieName(s string) bool {
	for _, r := range s {
		if r <= 0x20 || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) {
			return false
		}
	}
	return s != ""
}

// getAdminCookies lists the register with its revision, and the form to add a cookie.
func (a *App) getAdminCookies(c *fiber.Ctx) error {
	return a.showAdminCookies(c, &Form{Values: map[string][]string{"provider": {a.Settings().SiteName}}})
}

func (a *App) showAdminCookies(c *fiber.Ctx, f *Form) error {
	p := a.page(c, "cookies.admin.title")
	p.Form = f
	p.Data = map[string]any{"Register": a.cookies.Register(), "Categories": store.CookieCategories}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "cookies/admin", "", p)
}

// postAdminCookies adds a cookie to the register (always a new revision).
func (a *App) postAdminCookies(c *fiber.Ctx) error {
	var in cookieForm
	f := a.bind(c, &in)
	if !f.Invalid() {
		ck := in.cookie()
		rev, err := a.cookies.AddCookie(&ck, currentUser(c).ID)
		if errors.Is(err, store.ErrCookieNameTaken) {
			f.fail("name", a.translator(c).T("cookies.admin.name_taken"))
		} else if err != nil {
			return err
		} else {
			a.flash(c, "ok", "cookies.admin.added", "Name", strings.Clone(ck.Name), "Revision", rev)
			return a.redirect(c, "/admin/cookies")
		}
	}
	f.Status = fiber.StatusUnprocessableEntity
	return a.showAdminCookies(c, f)
}

// getAdminCookie shows one register entry to edit.
func (a *App) getAdminCookie(c *fiber.Ctx) error {
	ck, err := a.db.Cookie(uint64(mustParamInt(c)))
	if err != nil {
		return err
	}
	return a.showAdminCookie(c, ck, cookieValues(ck))
}

// mustParamInt is the route's :id<int> (the route constraint guarantees
// digits; an overflow reads as 0, which is not found).
func mustParamInt(c *fiber.Ctx) int {
	id, _ := c.ParamsInt("id")
	return id
}

func (a *App) showAdminCookie(c *fiber.Ctx, ck *store.Cookie, f *Form) error {
	p := a.page(c, "cookies.admin.edit_title")
	p.Form = f
	p.Data = map[string]any{"Cookie": ck, "Categories": store.CookieCategories, "Revision": a.cookies.Register().Revision}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "cookies/admin_edit", "", p)
}

// postAdminCookie saves a register entry; the revision rises unless the
// change is a minor fix of wording (store.RaisesRevision); a change called
// minor that is more than that is refused (422).
func (a *App) postAdminCookie(c *fiber.Ctx) error {
	ck, err := a.db.Cookie(uint64(mustParamInt(c)))
	if err != nil {
		return err
	}
	var in cookieForm
	f := a.bind(c, &in)
	if !f.Invalid() {
		raised, err := a.cookies.UpdateCookie(ck.ID, in.cookie(), in.Minor == "on", currentUser(c).ID)
		switch {
		case errors.Is(err, store.ErrCookieNameTaken):
			f.fail("name", a.translator(c).T("cookies.admin.name_taken"))
		case errors.Is(err, store.ErrBuiltInCookie):
			f.fail("", a.translator(c).T("cookies.admin.built_in"))
		case errors.Is(err, store.ErrNotMinor):
			f.fail("minor", a.translator(c).T("cookies.admin.not_minor"))
		case err != nil:
			return err
		default:
			key := "cookies.admin.saved_minor"
			if raised {
				key = "cookies.admin.saved_revision"
			}
			a.flash(c, "ok", key, "Name", strings.Clone(in.Name), "Revision", a.cookies.Register().Revision)
			return a.redirect(c, "/admin/cookies")
		}
	}
	f.Status = fiber.StatusUnprocessableEntity
	return a.showAdminCookie(c, ck, f)
}

// postAdminCookieDelete removes an entry Accord does not set itself.
func (a *App) postAdminCookieDelete(c *fiber.Ctx) error {
	ck, err := a.db.Cookie(uint64(mustParamInt(c)))
	if err != nil {
		return err
	}
	if err := a.cookies.DeleteCookie(ck.ID, currentUser(c).ID); errors.Is(err, store.ErrBuiltInCookie) {
		f := cookieValues(ck)
		f.fail("", a.translator(c).T("cookies.admin.built_in"))
		f.Status = fiber.StatusUnprocessableEntity
		return a.showAdminCookie(c, ck, f)
	} else if err != nil {
		return err
	}
	a.flash(c, "ok", "cookies.admin.deleted", "Name", ck.Name)
	return a.redirect(c, "/admin/cookies")
}

// weekChoices is one row of the staff's table of choices per week.
type weekChoices struct {
	Week  string // ISO week, 2026-W48
	Count map[store.ConsentMethod]int
}

// getCookieStats shows the staff the choices per week by method and the
// visits per day, as tables.
func (a *App) getCookieStats(c *fiber.Ctx) error {
	weeks, err := a.choicesPerWeek(12)
	if err != nil {
		return err
	}
	now := a.db.Now().UTC()
	visits, err := a.db.Visits(now.AddDate(0, 0, -30).Format(time.DateOnly), now.Format(time.DateOnly))
	if err != nil {
		return err
	}
	visits = mergeVisits(visits, a.pendingVisits())
	p := a.page(c, "cookies.stats.title")
	p.Data = map[string]any{"Weeks": weeks, "Methods": store.ConsentMethods, "Visits": visits}
	return a.render(c, fiber.StatusOK, "cookies/admin_stats", "", p)
}

// choicesPerWeek counts the choices people made (not the copies a sign-in
// makes) in the last n ISO weeks, newest first.
func (a *App) choicesPerWeek(n int) ([]weekChoices, error) {
	since := a.db.Now().UTC().AddDate(0, 0, -7*n)
	byWeek := map[string]map[store.ConsentMethod]int{}
	err := a.db.EachCookieConsent(func(r *store.CookieConsent) error {
		if r.DerivedFrom != "" || r.State == store.ConsentExpired || r.Time.Before(since) {
			return nil
		}
		y, w := r.Time.ISOWeek()
		key := fmt.Sprintf("%d-W%02d", y, w)
		if byWeek[key] == nil {
			byWeek[key] = map[store.ConsentMethod]int{}
		}
		byWeek[key][r.Method]++
		return nil
	})
	out := make([]weekChoices, 0, len(byWeek))
	for k, m := range byWeek {
		out = append(out, weekChoices{Week: k, Count: m})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Week > out[j].Week })
	return out, err
}

// mergeVisits adds counts not yet flushed to the stored days, newest first.
func mergeVisits(stored, pending []store.DailyVisits) []store.DailyVisits {
	byDay := map[string]store.DailyVisits{}
	for _, d := range append(stored, pending...) {
		cur := byDay[d.Day]
		cur.Day = d.Day
		cur.Views += d.Views
		cur.Visitors += d.Visitors
		byDay[d.Day] = cur
	}
	out := make([]store.DailyVisits, 0, len(byDay))
	for _, d := range byDay {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day > out[j].Day })
	return out
}

// cookiesDashboard is the staff tile: this week's choices, yesterday's and
// today's visits; administrators land on the register.
func (a *App) cookiesDashboard(c *fiber.Ctx) ([]dashCard, error) {
	tr := a.translator(c)
	weeks, err := a.choicesPerWeek(1)
	if err != nil {
		return nil, err
	}
	choices := 0
	y, w := a.db.Now().UTC().ISOWeek()
	for _, wk := range weeks {
		if wk.Week == fmt.Sprintf("%d-W%02d", y, w) {
			for _, n := range wk.Count {
				choices += n
			}
		}
	}
	cards := []dashCard{{Title: tr.T("cookies.stats.title"), Text: tr.N("cookies.dashboard.choices", choices), Href: "/admin/cookies/stats"}}
	if u := currentUser(c); u != nil && u.Role == store.RoleAdmin {
		cards = append(cards, dashCard{Title: tr.T("cookies.admin.title"),
			Text: tr.T("cookies.dashboard.register", "Count", strconv.Itoa(len(a.cookies.Register().Cookies)), "Revision", a.cookies.Register().Revision), Href: "/admin/cookies"})
	}
	return cards, nil
}
