package app

import (
	"io"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// The wiring of Accord, in one place: which parts exist, in which order they
// start, and who is told what. Features expose plain methods; nothing here is
// registered from a feature's own init, so reading this file tells every
// place a page, a sign-in, an erasure or a tick reaches.

// wire builds the parts over the store, in dependency order: mail and the
// notification counts first (every feature notifies), then the features,
// each seeding its default data and loading its memory.
func (a *App) wire() error {
	for _, init := range []func() error{
		a.initMetrics,  // request counts and latencies, the store's figures
		a.initMail,     // outbox sender, unread notification counts
		a.initPolicies, // default policies, snapshot and answer index
		a.initCookies,  // cookie register and latest choices
		a.initRequests, // resume interrupted request jobs
		a.initAPI,      // live API tokens
		a.initHooks,    // the webhook sender
	} {
		if err := init(); err != nil {
			return err
		}
	}
	return nil
}

// dashboardTiles are the staff dashboard's tile makers, in display order.
func (a *App) dashboardTiles() []func(*fiber.Ctx) ([]dashCard, error) {
	return []func(*fiber.Ctx) ([]dashCard, error){
		a.dpoContactTile,
		a.policyTiles,
		a.cookiesDashboard,
		a.dpoCard,
		a.requestsTile,
		a.coursesCards,
	}
}

// afterSignIn runs after every sign-in (login and signup): the browser's
// cookie choice and the account's are merged.
func (a *App) afterSignIn(c *fiber.Ctx, u *store.User) error {
	return a.cookiesOnSignIn(c, u)
}

// forgetErased drops an erased user from every in-memory copy: policy
// answers, cookie choices, notification counts.
func (a *App) forgetErased(userID uint64) {
	a.consent.Forget(userID)
	a.cookies.Forget(userID)
	if err := a.reloadNoticeCounts(); err != nil {
		a.log.Error("reload notification counts", "err", err)
	}
}

// featureJobs is the features' periodic work (Start adds the sessions').
func (a *App) featureJobs() []job {
	jobs := []job{
		{every: 5 * time.Minute, run: a.flushVisits},
		{every: refusalInterval, run: a.flushBackupRefusals},
		{every: 24 * time.Hour, run: a.purgeVisits},
		{every: time.Hour, run: a.expireChoices},
		{every: 5 * time.Second, run: a.runJobs},
		{every: time.Minute, run: a.expireExports},
		{every: time.Minute, run: a.dailyRetention()},
		{every: time.Minute, run: a.announcePolicies},
		{every: time.Hour, run: a.remindPolicies},
		{every: 30 * time.Second, run: a.flushTokenUses},
		{every: webhookTick, run: a.deliverWebhooks},
		{every: time.Hour, run: a.pruneWebhookDeliveries},
		{every: time.Hour, run: a.pruneImports},
	}
	if a.mailOn() {
		jobs = append(jobs, job{every: 5 * time.Second, run: a.deliverMail})
	}
	return jobs
}

// demoSteps are `accord demo`'s steps after the demo accounts exist.
func (a *App) demoSteps() []func(io.Writer) error {
	return []func(io.Writer) error{a.demoPolicies, a.demoCookies, a.demoDPO, a.demoRequests, a.demoCourses, a.demoPlatform, a.demoOverdue}
}
