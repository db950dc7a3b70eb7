package app

import (
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// The retention review keeps the privacy policy's promise ("for as long as
// you are enrolled in any of the online courses"): once a day it flags the
// accounts with no enrolment for the account category's period and purges
// the categories past their period (records of processing). Staff see what
// the next purge removes before it runs, and erase flagged accounts through
// the same path as an approved deletion request.

// retentionPerPage is the flagged accounts' page size.
const retentionPerPage = 50

// dailyRetention is the retention review's job: it runs about a minute
// after start, then once a day (the ticker checks each minute whether a day
// has passed since the last run).
func (a *App) dailyRetention() func() {
	var last atomic.Int64
	return func() {
		if now := time.Now(); now.Sub(time.Unix(0, last.Load())) >= 24*time.Hour {
			last.Store(now.UnixNano())
			a.sweepRetention()
		}
	}
}

// sweepRetention flags the accounts with no enrolment left for the
// account's period, purges the expired categories (audited) and erases
// the protected data erasures kept once their retention has ended.
func (a *App) sweepRetention() {
	defer a.eraseHeld()
	res, err := a.db.SweepRetention(a.Settings().InactiveRetentionDays)
	if err != nil {
		a.log.Error("retention review", "err", err)
		return
	}
	a.log.Info("retention review", "flagged", res.Flagged, "cleared", res.Cleared, "total", res.Total)
	purged, err := a.db.PurgeExpired(false)
	if err != nil {
		a.log.Error("retention purge", "err", err)
		return
	}
	for _, l := range purged {
		if l.Count > 0 {
			a.log.Info("retention purge", "category", l.Category, "removed", l.Count)
		}
	}
}

// retentionFilter is the flagged page's query: ?q=&reason=&page=.
func retentionFilter(c *fiber.Ctx) (store.RetentionQuery, int) {
	page := max(c.QueryInt("page", 1), 1)
	reason := c.Query("reason")
	if reason != store.ReasonNoEnrolment && reason != store.ReasonNeverEnrolled {
		reason = ""
	}
	q := strings.TrimSpace(c.Query("q"))
	if len(q) > 200 {
		q = q[:200]
	}
	return store.RetentionQuery{Q: q, Reason: reason, Offset: (page - 1) * retentionPerPage, Limit: retentionPerPage}, page
}

// purgeRow is a line of the purge's dry run, in the reader's language.
type purgeRow struct {
	store.PurgeLine
	Name string
}

// getRetention shows the dry run of the purge (what it would remove now,
// per category), the protected categories, and the flagged accounts,
// filtered and paged, each to tick for erasure.
func (a *App) getRetention(c *fiber.Ctx) error { return a.showRetention(c, &Form{}) }

func (a *App) showRetention(c *fiber.Ctx, f *Form) error {
	q, page := retentionFilter(c)
	flags, total, err := a.db.RetentionFlags(q)
	if err != nil {
		return err
	}
	plan, err := a.db.PurgeExpired(true)
	if err != nil {
		return err
	}
	r, err := a.db.Processing()
	if err != nil {
		return err
	}
	p := a.page(c, "retention.title")
	p.Form = f
	var rows []purgeRow
	for _, l := range plan {
		if cat := r.Category(l.Category); cat != nil {
			rows = append(rows, purgeRow{l, p.Pick(cat.Name)})
		}
	}
	p.Data = map[string]any{"Flags": flags, "Total": total, "Days": a.Settings().InactiveRetentionDays,
		"Plan": rows, "Protected": r.Protected(), "Query": q, "Pages": pagination(c, page, total, retentionPerPage)}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "courses/retention", "", p)
}

// postRetentionPurge runs the purge now, as the daily review would.
func (a *App) postRetentionPurge(c *fiber.Ctx) error {
	lines, err := a.db.PurgeExpired(false)
	if err != nil {
		return err
	}
	n := 0
	for _, l := range lines {
		n += l.Count
	}
	a.flash(c, "ok", "retention.purged", "Count", n)
	return a.redirect(c, "/admin/courses/retention")
}

// eraseCandidate is a ticked account, with what its erasure does.
type eraseCandidate struct {
	User *store.User
	Flag *store.FlaggedUser
	Skip string // why it is not erased now (translated), or ""
	// Kept is what its erasure keeps, why and until when (translated).
	Kept []keptRow
}

// postRetentionErase erases the ticked flagged accounts (field user, the
// emails) through the data request path: a deletion request filed on their
// behalf and approved, which the job runner carries out as any approved
// deletion. Without confirm it shows what would be erased and kept.
func (a *App) postRetentionErase(c *fiber.Ctx) error {
	var in struct {
		User    []string `form:"user" validate:"max=500"`
		Confirm string   `form:"confirm"`
	}
	f := a.bind(c, &in)
	tr := a.translator(c)
	if len(in.User) == 0 && !f.Invalid() {
		f.fail("", tr.T("retention.none_selected"))
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showRetention(c, f)
	}
	cands, err := a.eraseCandidates(tr, in.User)
	if err != nil {
		return err
	}
	if in.Confirm != "1" {
		r, err := a.db.Processing()
		if err != nil {
			return err
		}
		p := a.page(c, "retention.confirm_title")
		p.Data = map[string]any{"Candidates": cands, "Erased": erasedCategories(r, cands), "Users": in.User}
		return a.render(c, fiber.StatusOK, "courses/retention_confirm", "", p)
	}
	me := currentUser(c)
	done, skipped := 0, 0
	for _, cd := range cands {
		if cd.Skip != "" {
			skipped++
			continue
		}
		if err := a.eraseFlagged(tr, cd, me.ID); errors.Is(err, store.ErrOngoingRequest) || errors.Is(err, store.ErrLastAdmin) || errors.Is(err, store.ErrBadTransition) {
			skipped++
			continue
		} else if err != nil {
			return err
		}
		done++
	}
	a.flash(c, "ok", "retention.erasing", "Done", done, "Skipped", skipped)
	return a.redirect(c, "/admin/courses/retention")
}

// eraseCandidates looks up the ticked emails: an account no longer flagged,
// enrolled again in a running course (protected), or the last
// administrator is skipped, with the reason.
func (a *App) eraseCandidates(tr *Translator, emails []string) ([]eraseCandidate, error) {
	var out []eraseCandidate
	seen := map[string]bool{}
	for _, email := range emails {
		if seen[store.NormEmail(email)] {
			continue
		}
		seen[store.NormEmail(email)] = true
		u, err := a.db.UserByEmail(email)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		cd := eraseCandidate{User: u}
		flags, _, err := a.db.RetentionFlags(store.RetentionQuery{Q: u.Email})
		if err != nil {
			return nil, err
		}
		for i := range flags {
			if flags[i].UserID == u.ID {
				cd.Flag = &flags[i]
			}
		}
		_, active, err := a.db.LastEnrolmentEnd(u.ID)
		switch {
		case err != nil:
			return nil, err
		case cd.Flag == nil:
			cd.Skip = tr.T("retention.skip.not_flagged")
		case active:
			cd.Skip = tr.T("retention.skip.enrolled")
		case a.db.CheckErasable(u.ID) != nil:
			cd.Skip = tr.T("requests.last_admin")
		}
		kept, err := a.db.ErasureKeeps(u.ID)
		if err != nil {
			return nil, err
		}
		cd.Kept = keptRows(tr, kept)
		out = append(out, cd)
	}
	return out, nil
}

// eraseFlagged files a deletion request for the flagged account and
// approves it: the job runner erases it as any approved deletion (the
// request's report says what each bucket kept, and what the protected
// categories kept, why and until when).
func (a *App) eraseFlagged(tr *Translator, cd eraseCandidate, by uint64) error {
	comments := tr.T("retention.reason."+cd.Flag.Reason, "Date", cd.Flag.Since.Format(time.DateOnly))
	req, err := a.createRequest(store.NewRequest{UserID: cd.User.ID, Type: store.RequestDelete, Comments: comments,
		FiledBy: store.FiledByStaff, FiledByID: by, DueDays: a.Settings().RequestDueDays})
	if err != nil {
		return err
	}
	if req.Status == store.StatusApproved {
		return nil
	}
	_, err = a.moveRequest(req.ID, store.StatusApproved, by, tr.T("retention.approve_note"))
	return err
}

// erasedCategories are the categories the candidates' erasures remove:
// all but those one of them keeps (store.ErasureKeeps, per candidate on
// the page), and the statistics, daily totals about no one.
func erasedCategories(r *store.ProcessingRecords, cands []eraseCandidate) (erased []store.DataCategory) {
	kept := map[string]bool{}
	for _, cd := range cands {
		for _, k := range cd.Kept {
			kept[k.Category] = true
		}
	}
	for _, c := range r.Categories {
		if c.Key != store.CategoryStatistics && !kept[c.Key] {
			erased = append(erased, c)
		}
	}
	return erased
}
