package app

import (
	"errors"
	"fmt"
	"io"
	"time"

	"accord/store"
)

// errCookieWalkDone ends a walk early.
var errCookieWalkDone = errors.New("stop")

// demoCookies gives `accord demo` a few cookie choices (two demo accounts
// and three visitors) and two weeks of visit totals, once.
func (a *App) demoCookies(out io.Writer) error {
	found := false
	if err := a.db.EachCookieConsent(func(*store.CookieConsent) error { found = true; return errCookieWalkDone }); err != nil && !errors.Is(err, errCookieWalkDone) {
		return err
	}
	now := a.db.Now().UTC()
	if !found {
		lifetime := a.Settings().ConsentLifetimeMonths
		rev := a.cookies.Register().Revision
		choice := func(userID uint64, method store.ConsentMethod, prefs, stats bool, daysAgo int) *store.CookieConsent {
			t := now.AddDate(0, 0, -daysAgo)
			state := store.ConsentRefused
			if prefs || stats {
				state = store.ConsentGiven
			}
			id, _ := store.NewToken()
			r := &store.CookieConsent{UserID: userID, ConsentID: id, Time: t, State: state, Method: method, Lang: "en",
				Decisions:        map[store.CookieCategory]bool{store.CookieNecessary: true, store.CookiePreferences: prefs, store.CookieStatistics: stats},
				RegisterRevision: rev, ValidUntil: t.AddDate(0, lifetime, 0)}
			r.PolicyVersionID, r.PolicyTextHash = a.cookiePolicyRef("en")
			return r
		}
		var rs []*store.CookieConsent
		for _, p := range []struct {
			email        string
			method       store.ConsentMethod
			prefs, stats bool
			daysAgo      int
		}{{"alice@demo.test", store.MethodAcceptAll, true, true, 3}, {"bob@demo.test", store.MethodCustom, true, false, 9}} {
			u, err := a.db.UserByEmail(p.email)
			if err != nil {
				return err
			}
			rs = append(rs, choice(u.ID, p.method, p.prefs, p.stats, p.daysAgo))
		}
		rs = append(rs, choice(0, store.MethodAcceptAll, true, true, 1), choice(0, store.MethodRefuseAll, false, false, 2), choice(0, store.MethodClose, false, false, 8))
		if err := a.cookies.Append(rs); err != nil {
			return err
		}
		fmt.Fprintf(out, "demo cookie choices: %d\n", len(rs))
	}
	from := now.AddDate(0, 0, -14)
	days, err := a.db.Visits(from.Format(time.DateOnly), now.Format(time.DateOnly))
	if err != nil || len(days) > 0 {
		return err
	}
	var add []store.DailyVisits
	for d := 14; d >= 1; d-- {
		add = append(add, store.DailyVisits{Day: now.AddDate(0, 0, -d).Format(time.DateOnly), Views: 40 + 7*(d%5), Visitors: 9 + d%4})
	}
	return a.db.AddVisits(add)
}
