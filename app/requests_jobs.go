package app

import (
	"errors"
	"fmt"
	"io"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// Background work of data requests. Its state lives in the jobs bucket: a
// job is queued in the same transaction as the approval, claimed (running)
// and finished (done) in its own transactions, so work resumes after a
// restart. Each step of a request is idempotent: it looks at the request's
// status and continues from there.
const (
	jobRetry       = 30 * time.Second
	jobMaxAttempts = 5
	jobsKeep       = 7 * 24 * time.Hour // finished jobs forgotten after that
)

// initRequests resumes interrupted jobs.
func (a *App) initRequests() error {
	n, err := a.db.ResumeJobs(jobsKeep)
	if err != nil {
		return err
	}
	if n > 0 {
		a.log.Info("resuming interrupted jobs", "count", n)
	}
	return nil
}

// kickJobs runs the pending jobs now rather than at the next tick, so an
// approved request moves on at once.
func (a *App) kickJobs() {
	select {
	case <-a.stop:
		return
	default:
	}
	a.jobs.Add(1)
	go func() {
		defer a.jobs.Done()
		a.runJobs()
	}()
}

// runJobs claims and runs pending jobs until none is left. Claims are
// atomic in the store, so concurrent runners never share a job.
func (a *App) runJobs() {
	for {
		select {
		case <-a.stop:
			return
		default:
		}
		j, err := a.db.ClaimJob()
		if errors.Is(err, store.ErrNotFound) {
			return
		} else if err != nil {
			a.log.Error("claim job", "err", err)
			return
		}
		runErr := a.runJob(j)
		if errors.Is(runErr, errJobStopped) {
			return // left running: the next start resumes it
		}
		if runErr != nil {
			a.log.Error("job failed", "job", j.ID, "request", j.RequestID, "attempt", j.Attempts, "err", runErr)
		}
		if err := a.db.FinishJob(j.ID, runErr, jobRetry, jobMaxAttempts); err != nil {
			a.log.Error("finish job", "job", j.ID, "err", err)
			return
		}
	}
}

func (a *App) runJob(j *store.Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("app: job %d panicked: %v", j.ID, p)
		}
	}()
	switch j.Kind {
	case store.JobRequest:
		if j.Step == store.JobStepCompact {
			return a.finishErasure(j.RequestID)
		}
		return a.processRequest(j.RequestID)
	case store.JobImport:
		return a.runImport(j.ImportID)
	}
	return fmt.Errorf("app: unknown job kind %q", j.Kind)
}

// processRequest carries an approved request to its end: approved →
// processing → download_ready (export) or complete (delete, other).
func (a *App) processRequest(id uint64) error {
	r, err := a.db.Request(id)
	if err != nil {
		return err
	}
	switch r.Status {
	case store.StatusApproved:
		if r, err = a.moveRequest(id, store.StatusProcessing, 0, ""); err != nil {
			return err
		}
	case store.StatusProcessing: // resumed after a restart
		if r.AwaitsCompaction() {
			return a.finishErasure(id)
		}
	default:
		return nil // cancelled meanwhile, or already done
	}
	switch r.Type {
	case store.RequestExport:
		// The ZIP is built at download time from one snapshot, so nothing
		// personal waits on disk; here we only check that it can be built.
		if _, err := a.db.User(r.UserID); err != nil {
			return err
		}
		_, err = a.moveRequest(id, store.StatusDownloadReady, 0, "")
		return err
	case store.RequestDelete:
		if err := a.erase(r); err != nil {
			return err
		}
		return a.finishErasure(r.ID)
	}
	_, err = a.moveRequest(id, store.StatusComplete, 0, "")
	return err
}

// An erasure is one job in two steps (store/erasure.go): erase, in one
// transaction that moves the job to its compaction step, then
// finishErasure, which compacts the file and only then completes the
// request. A crash at any point resumes the job at its step at the next
// start (initRequests); a compaction that cannot run now (the database
// stayed busy) is tried again by the job, never given up.

// erase carries out an approved deletion: sessions ended, every personal
// bucket erased in one transaction that also writes the last mail to the
// address (GDPR art. 19) and keeps in the job the notice to the guardian
// who filed, sent when the request is complete.
func (a *App) erase(r *store.DataRequest) error {
	// Checked again inside the erasure; here so that a refused attempt
	// ends no session.
	if err := a.db.CheckErasable(r.UserID); err != nil {
		return err
	}
	if err := a.endUserSessions(r.UserID, [32]byte{}); err != nil {
		return err
	}
	var erased *store.Erased
	var now, later []store.Notice
	err := retryStale(func() error {
		u, err := a.db.User(r.UserID)
		if err != nil {
			return err
		}
		kept, err := a.db.ErasureKeeps(u.ID)
		if err != nil {
			return err
		}
		if now, later, err = a.erasureNotices(r, u, kept); err != nil {
			return err
		}
		erased, err = a.db.EraseUser(store.Erasure{RequestID: r.ID, Email: u.Email, Notices: now, Later: later,
			Kept: append([]store.Kept{}, kept...)})
		return err
	})
	if err != nil {
		return err
	}
	a.told(now...)
	// Sessions that started meanwhile went with the sessions bucket; forget
	// any cached copy.
	if err := a.endUserSessions(r.UserID, [32]byte{}); err != nil {
		a.log.Error("end sessions after erasure", "err", err)
	}
	a.forgetErased(r.UserID)
	a.log.Info("account erased, compaction next", "request", erased.Request.ID)
	return nil
}

// finishErasure compacts the file and completes erased request id (an
// error leaves the job in its compaction step, to be tried again).
func (a *App) finishErasure(id uint64) error {
	r, notices, err := a.db.FinishErasure(id)
	if err != nil {
		return fmt.Errorf("app: finish the erasure of request %d: %w", id, err)
	}
	a.told(notices...)
	a.log.Info("erasure complete, the file compacted", "request", r.ID)
	return nil
}

// erasureNotices renders what the erasure of u for r tells: the last mail
// to the person's address, in their language, written with the erasure,
// with what it keeps (lastMailBody); and the "complete" notice to the
// guardian who filed it (the person's own would go with the account),
// written once the request is complete.
func (a *App) erasureNotices(r *store.DataRequest, u *store.User, kept []store.Kept) (now, later []store.Notice, err error) {
	done := r.Moved(store.StatusComplete, 0, "", a.db.Now())
	done.UserID = 0 // gone with the erasure
	if later, err = a.requestNotices(&done, store.StatusComplete); err != nil {
		return nil, nil, err
	}
	body := lastMailBody(a.mailOn(), kept)
	if body == "" {
		return nil, later, nil
	}
	last := a.renderMail(0, u.Email, u.Lang, "notice.erased.subject", body, "", []any{"ID", r.ID, "Kept", keptLines(a.mailTranslator(u.Lang), kept)})
	return []store.Notice{{Mail: last}}, later, nil
}

// expireExports moves exports past their download period to expired, and
// forgets old finished jobs.
func (a *App) expireExports() {
	if err := a.db.PruneJobs(jobsKeep); err != nil {
		a.log.Error("prune jobs", "err", err)
	}
	due, err := a.db.DueExpiries()
	if err != nil {
		a.log.Error("expire exports", "err", err)
		return
	}
	for _, r := range due {
		if _, err := a.moveRequest(r.ID, store.StatusExpired, 0, ""); err != nil && !errors.Is(err, store.ErrBadTransition) {
			a.log.Error("expire export", "request", r.ID, "err", err)
		}
	}
}

// requestsTile is the staff dashboard's data-requests card.
func (a *App) requestsTile(c *fiber.Ctx) ([]dashCard, error) {
	n, err := a.db.CountRequests()
	if err != nil {
		return nil, err
	}
	tr := a.translator(c)
	text := tr.N("requests.tile.awaiting", n.Awaiting)
	href := "/admin/requests?status=awaiting_approval"
	if n.Overdue > 0 {
		text += " " + tr.N("requests.tile.overdue", n.Overdue)
		href = "/admin/requests?overdue=1"
	}
	return []dashCard{{Title: tr.T("requests.admin.title"), Text: text, Href: href, Alert: n.Overdue > 0}}, nil
}

// demoRequests files an export and an "other" request for demo learners,
// unless they have some already.
func (a *App) demoRequests(out io.Writer) error {
	set := a.Settings()
	for _, d := range []struct {
		email, comments string
		t               store.RequestType
	}{
		{"alice@demo.test", "Je voudrais une copie de mes données.", store.RequestExport},
		{"bob@demo.test", "Which cookies did I accept last year?", store.RequestOther},
	} {
		u, err := a.db.UserByEmail(d.email)
		if err != nil {
			return err
		}
		have, err := a.db.UserRequests(u.ID)
		if err != nil || len(have) > 0 {
			continue
		}
		if _, err := a.db.CreateRequest(store.NewRequest{UserID: u.ID, Type: d.t, Comments: d.comments,
			FiledBy: store.FiledBySelf, FiledByID: u.ID, DueDays: set.RequestDueDays}); err != nil && !errors.Is(err, store.ErrOngoingRequest) {
			return err
		}
	}
	fmt.Fprintln(out, "demo data requests: alice@demo.test (export), bob@demo.test (other)")
	return nil
}
