package app

import (
	"errors"
	"fmt"
	"strconv"

	"accord/store"
)

// How a data request changes: filing it (createRequest) and every later
// status (moveRequest) are one store call each, which writes the status,
// the audit event, the notifications and mails of that status and, on
// approval, the request's job, in one transaction. The notices are
// rendered here first (STYLE.md: no templates in a transaction); if the
// request moved meanwhile the store refuses them as stale and they are
// rendered again. The erasure (erase) follows the same shape.

// staleRetries bounds how often a change is rendered again after the
// request moved under it.
const staleRetries = 3

// moveRequest moves request id to status to, decided by actor (0: the
// system) with note (approvals and rejections), and wakes the job runner
// when the move queued a job. A move the lifecycle table refuses is
// store.ErrBadTransition, the erasure of the last active administrator
// store.ErrLastAdmin; nothing is written then.
func (a *App) moveRequest(id uint64, to store.RequestStatus, actor uint64, note string) (*store.DataRequest, error) {
	var moved *store.DataRequest
	var notices []store.Notice
	err := retryStale(func() error {
		r, err := a.db.Request(id)
		if err != nil {
			return err
		}
		if !store.CanTransition(r.Type, r.Status, to) {
			return fmt.Errorf("%w (%s → %s)", store.ErrBadTransition, r.Status, to)
		}
		next := r.Moved(to, actor, note, a.db.Now())
		if notices, err = a.requestNotices(&next, to); err != nil {
			return err
		}
		moved, err = a.db.ChangeRequest(store.Change{ID: id, To: to, ActorID: actor, Note: note, From: r.Status,
			ExpiryDays: a.Settings().ExportExpiryDays, Notices: notices})
		return err
	})
	if err != nil {
		return nil, err
	}
	a.told(notices...)
	if moved.Status == store.StatusApproved {
		a.kickJobs()
	}
	return moved, nil
}

// createRequest files in with what filing tells people (and, when in is
// auto-approved, what approval tells them), and wakes the job runner when
// the request starts approved.
func (a *App) createRequest(in store.NewRequest) (*store.DataRequest, error) {
	var r *store.DataRequest
	err := retryStale(func() error {
		id, err := a.db.NextRequestID()
		if err != nil {
			return err
		}
		statuses := []store.RequestStatus{store.StatusAwaitingApproval}
		if in.AutoApprove {
			statuses = append(statuses, store.StatusApproved)
		}
		draft := store.DataRequest{ID: id, UserID: in.UserID, Type: in.Type, FiledBy: in.FiledBy, FiledByID: in.FiledByID}
		if in.Notices, err = a.requestNotices(&draft, statuses...); err != nil {
			return err
		}
		in.ID = id
		r, err = a.db.CreateRequest(in)
		return err
	})
	if err != nil {
		return nil, err
	}
	a.told(in.Notices...)
	if r.Status == store.StatusApproved {
		a.kickJobs()
	}
	return r, nil
}

// retryStale runs write again while the store refuses what it rendered as
// stale, a few times at most.
func retryStale(write func() error) error {
	for try := 0; ; try++ {
		err := write()
		if !errors.Is(err, store.ErrStale) || try == staleRetries {
			return err
		}
	}
}

// requestNotices renders what r tells its audience on reaching each of
// statuses, in that order: a notice per status and person, in the app and
// by mail, each in the recipient's language. Recipients who no longer
// exist are left out.
func (a *App) requestNotices(r *store.DataRequest, statuses ...store.RequestStatus) ([]store.Notice, error) {
	var out []store.Notice
	for _, s := range statuses {
		for _, to := range requestAudience(r) {
			nt, ok, err := a.noticeFor(Notice{UserID: to,
				Subject: "notice.request." + string(s) + ".subject", Body: "notice.request." + string(s) + ".body",
				Args: []any{"ID", r.ID, "Note", r.Note}, Link: "/profile/requests/" + strconv.FormatUint(r.ID, 10)})
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, nt)
			}
		}
	}
	return out, nil
}

// requestAudience is who hears of a request's changes: the person it is
// about, and the guardian who filed it for them.
func requestAudience(r *store.DataRequest) []uint64 {
	var to []uint64
	if r.UserID != 0 {
		to = append(to, r.UserID)
	}
	if r.FiledBy == store.FiledByGuardian && r.FiledByID != 0 && r.FiledByID != r.UserID {
		to = append(to, r.FiledByID)
	}
	return to
}
