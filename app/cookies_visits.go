package app

import (
	"hash/maphash"
	"sync"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// First-party visit statistics, only with the statistics consent: page
// views and unique visitors per day (UTC), counted in memory and flushed as
// daily totals, so that no page view writes the database and no per-visit
// log exists. Visitors seen before a restart may be counted again after it
// on the same day (the set of today's visitors lives in memory only).

// visitsKeptMonths bounds how long daily totals are kept.
const visitsKeptMonths = 25

// visitCounter gathers one day's counts.
type visitCounter struct {
	mu      sync.Mutex
	seed    maphash.Seed
	day     string
	views   int                 // not yet flushed
	seen    map[uint64]struct{} // hashes of today's visitor ids
	flushed int                 // len(seen) at the last flush
	pending []store.DailyVisits // earlier days not yet flushed
}

func newVisitCounter() *visitCounter {
	return &visitCounter{seed: maphash.MakeSeed(), seen: map[uint64]struct{}{}}
}

// hit counts one page view on day by visitor id.
func (vc *visitCounter) hit(day, id string) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if day != vc.day {
		if d := vc.delta(); d.Views+d.Visitors > 0 {
			vc.pending = append(vc.pending, d)
		}
		vc.day, vc.views, vc.flushed = day, 0, 0
		vc.seen = map[uint64]struct{}{}
	}
	vc.views++
	vc.seen[maphash.String(vc.seed, id)] = struct{}{}
}

func (vc *visitCounter) delta() store.DailyVisits {
	return store.DailyVisits{Day: vc.day, Views: vc.views, Visitors: len(vc.seen) - vc.flushed}
}

// take hands over what was counted since the last call.
func (vc *visitCounter) take() []store.DailyVisits {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	out := vc.pending
	if d := vc.delta(); d.Views+d.Visitors > 0 {
		out = append(out, d)
	}
	vc.pending, vc.views, vc.flushed = nil, 0, len(vc.seen)
	return out
}

// giveBack keeps counts a failed flush could not write, for the next one.
func (vc *visitCounter) giveBack(ds []store.DailyVisits) {
	vc.mu.Lock()
	vc.pending = append(ds, vc.pending...)
	vc.mu.Unlock()
}

// countVisit counts this page view, giving the browser its random
// accord_visitor id the first time.
func (a *App) countVisit(c *fiber.Ctx) {
	id := c.Cookies(visitorCookie)
	if len(id) != 43 {
		id, _ = store.NewToken()
		a.setCookie(c, visitorCookie, id, optionalCookieAge)
	}
	a.visits.hit(a.db.Now().UTC().Format(time.DateOnly), id)
}

// flushVisits adds the counts gathered in memory to the daily totals.
func (a *App) flushVisits() {
	vc := a.visits
	ds := vc.take()
	if err := a.db.AddVisits(ds); err != nil {
		a.log.Error("flush visits", "err", err)
		vc.giveBack(ds)
	}
}

// purgeVisits deletes daily totals older than visitsKeptMonths, and the
// choices of browsers without an account that ended as long ago.
func (a *App) purgeVisits() {
	cut := a.db.Now().UTC().AddDate(0, -visitsKeptMonths, 0)
	if n, err := a.db.PurgeVisits(cut.Format(time.DateOnly)); err != nil {
		a.log.Error("purge visits", "err", err)
	} else if n > 0 {
		a.log.Info("old visit statistics removed", "days", n)
	}
	if n, err := a.db.PurgeVisitorConsents(cut); err != nil {
		a.log.Error("purge visitor cookie choices", "err", err)
	} else if n > 0 {
		a.log.Info("old cookie choices of visitors removed", "records", n)
	}
}

// pendingVisits are the counts not yet flushed, for the staff's view.
func (a *App) pendingVisits() []store.DailyVisits {
	vc := a.visits
	vc.mu.Lock()
	defer vc.mu.Unlock()
	out := append([]store.DailyVisits(nil), vc.pending...)
	if d := vc.delta(); d.Views+d.Visitors > 0 {
		out = append(out, d)
	}
	return out
}
