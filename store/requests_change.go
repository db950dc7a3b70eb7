package store

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Writing data requests: filing one and changing its status. Each is one
// transaction that also writes what the change tells people (notifications
// and mails rendered by the caller beforehand, STYLE.md: no templates in a
// transaction) and queues the request's job on approval, so a crash keeps
// all of it or none.

// NewRequest is what a person (or someone on their behalf) files.
type NewRequest struct {
	UserID    uint64
	Type      RequestType
	Comments  string
	FiledBy   Filer
	FiledByID uint64
	DueDays   int
	// ReceivedAt, when set and earlier than now, is when the request
	// reached the organisation (a letter, a mail to the DPO, an old
	// request resubmitted...): its due date runs from then (GDPR art.
	// 12(3): one month from receipt).
	ReceivedAt time.Time
	// Courses limits an export to these courses (see DataRequest.Courses).
	Courses []uint64
	// ResubmitOf files again this rejected request of the same person and
	// type (linked both ways); ErrNotResubmittable otherwise.
	ResubmitOf uint64
	// EmailVerified: filed from /contact through the link mailed to the
	// account's address ("identity: email verified").
	EmailVerified bool
	// AutoApprove starts the request as approved, with its job queued.
	AutoApprove bool
	// ID is the number Notices were rendered for (NextRequestID); another
	// filing that took it meanwhile → ErrStale. 0: unchecked (no notices).
	ID uint64
	// Notices are written with the request.
	Notices []Notice
}

// NextRequestID is the number the next filed request will get, so that
// what its filing tells people can be rendered before the transaction.
func (db *DB) NextRequestID() (id uint64, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		id = tx.Bucket(bRequests).Sequence() + 1
		return nil
	})
	return id, err
}

// CreateRequest files a request, refusing a second ongoing one of the same
// type for the user (ErrOngoingRequest) and erasing the last administrator
// (ErrLastAdmin). Auto-approved requests start approved with a queued job;
// a staff account's deletion is never auto-approved (ErrStaffErasure).
// The notices are written in the same transaction.
func (db *DB) CreateRequest(in NewRequest) (*DataRequest, error) {
	if !in.Type.Valid() {
		return nil, fmt.Errorf("store: unknown request type %q", in.Type)
	}
	var r *DataRequest
	err := db.update(func(tx *bolt.Tx) (err error) {
		if r, err = db.createRequestTx(tx, &in); err != nil {
			return err
		}
		return db.addNoticesTx(tx, in.Notices)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// createRequestTx files in inside tx (CreateRequest without the notices).
// Every refusal comes before the first write, so a caller may try it and
// do something else in the same transaction when it is refused.
func (db *DB) createRequestTx(tx *bolt.Tx, in *NewRequest) (*DataRequest, error) {
	u, err := userTx(tx, in.UserID)
	if err != nil {
		return nil, err
	}
	if in.Type == RequestDelete {
		if err := lastAdminCheck(tx, u); err != nil {
			return nil, err
		}
		if in.AutoApprove && !MayApproveErasure("", u.Role) {
			return nil, ErrStaffErasure // only an administrator approves it
		}
	}
	if ongoingOfType(tx, in.UserID, in.Type) {
		return nil, ErrOngoingRequest
	}
	var old *DataRequest
	if in.ResubmitOf != 0 {
		if old, err = requestTx(tx, in.ResubmitOf); err != nil {
			return nil, err
		}
		if !old.Resubmittable() || old.UserID != in.UserID || old.Type != in.Type {
			return nil, ErrNotResubmittable
		}
	}
	if in.Type != RequestExport && len(in.Courses) > 0 {
		return nil, fmt.Errorf("store: only an export is limited to courses")
	}
	id, err := tx.Bucket(bRequests).NextSequence()
	if err != nil {
		return nil, err
	}
	if in.ID != 0 && id != in.ID {
		return nil, fmt.Errorf("%w (filed as %d, rendered for %d)", ErrStale, id, in.ID)
	}
	now := db.now()
	received := now
	if !in.ReceivedAt.IsZero() && in.ReceivedAt.Before(now) {
		received = in.ReceivedAt
	}
	r := &DataRequest{ID: id, UserID: in.UserID, Type: in.Type, Status: StatusAwaitingApproval,
		Comments: in.Comments, FiledBy: in.FiledBy, FiledByID: in.FiledByID,
		CreatedAt: received, UpdatedAt: now, DueAt: received.AddDate(0, 0, in.DueDays),
		Courses: slices.Clone(in.Courses), ResubmitOf: in.ResubmitOf, EmailVerified: in.EmailVerified}
	if err := putRequest(tx, r, ""); err != nil {
		return nil, err
	}
	detail := requestDetail(r)
	if r.EmailVerified {
		detail += ", identity: email verified"
	}
	if len(r.Courses) > 0 {
		detail += fmt.Sprintf(", limited to courses %v", r.Courses)
	}
	if old != nil {
		old.ResubmittedAs, old.UpdatedAt = id, now
		if err := putRequest(tx, old, old.Status); err != nil {
			return nil, err
		}
		detail += fmt.Sprintf(", resubmits request %d", old.ID)
	}
	if err := db.auditTx(tx, &AuditEvent{Action: ActRequestFiled, ActorID: in.FiledByID, SubjectID: in.UserID,
		Detail: detail}); err != nil {
		return nil, err
	}
	if in.AutoApprove {
		if err := db.transitionTx(tx, r, StatusApproved, 0, ""); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Change is one status change of a data request and what it tells people.
type Change struct {
	ID      uint64
	To      RequestStatus
	ActorID uint64 // who decided (0: the system)
	Note    string // approvals and rejections: the officer's note, shown to the person
	// From is the status Notices were rendered for: another one → ErrStale.
	// "": unchecked (a change that tells nobody).
	From RequestStatus
	// ExpiryDays: on the move to download_ready, the export can be
	// downloaded for that many days.
	ExpiryDays int
	Notices    []Notice
}

// ChangeRequest moves a request to ch.To in one transaction: the status and
// its indexes, the audit event, the notices, and on approval the queued
// job. A move the lifecycle table refuses → ErrBadTransition; approving the
// erasure of a staff account by anyone but an administrator →
// ErrStaffErasure, of the last active administrator → ErrLastAdmin
// (MayApproveErasure, LastActiveAdmin). Either way nothing is written.
func (db *DB) ChangeRequest(ch Change) (*DataRequest, error) {
	var r *DataRequest
	err := db.update(func(tx *bolt.Tx) (err error) {
		if r, err = requestTx(tx, ch.ID); err != nil {
			return err
		}
		if ch.From != "" && r.Status != ch.From {
			if !CanTransition(r.Type, r.Status, ch.To) {
				return fmt.Errorf("%w (%s → %s)", ErrBadTransition, r.Status, ch.To)
			}
			return fmt.Errorf("%w (%s, rendered for %s)", ErrStale, r.Status, ch.From)
		}
		if ch.To == StatusApproved && r.Type == RequestDelete {
			u, err := userTx(tx, r.UserID)
			if err != nil {
				return err
			}
			if err := erasureApprovalTx(tx, u, ch.ActorID); err != nil {
				return err
			}
		}
		if ch.To == StatusDownloadReady {
			r.ExpiresAt = db.now().AddDate(0, 0, ch.ExpiryDays)
		}
		if err := db.transitionTx(tx, r, ch.To, ch.ActorID, ch.Note); err != nil {
			return err
		}
		if err := db.enqueueWebhooksTx(tx, requestCompletedEvent(r)); err != nil {
			return err
		}
		return db.addNoticesTx(tx, ch.Notices)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Moved is r as it is once moved to status to by actorID with note at now:
// what the store writes, and what a caller renders notices from.
func (r DataRequest) Moved(to RequestStatus, actorID uint64, note string, now time.Time) DataRequest {
	r.Status, r.UpdatedAt = to, now
	switch to {
	case StatusApproved, StatusRejected:
		r.DecidedByID, r.DecidedAt, r.Note = actorID, now, note
	case StatusDownloadReady:
		r.ReadyAt = now
	case StatusComplete, StatusExpired, StatusCancelled:
		r.ClosedAt = now
	}
	return r
}

// transitionTx moves r to status to, with the audit event, inside tx.
// Approval queues the request's job in the same transaction.
func (db *DB) transitionTx(tx *bolt.Tx, r *DataRequest, to RequestStatus, actorID uint64, note string) error {
	if !CanTransition(r.Type, r.Status, to) {
		return fmt.Errorf("%w (%s → %s)", ErrBadTransition, r.Status, to)
	}
	from := r.Status
	*r = r.Moved(to, actorID, note, db.now())
	if err := putRequest(tx, r, from); err != nil {
		return err
	}
	if to == StatusApproved {
		if err := db.enqueueJobTx(tx, JobRequest, r.ID); err != nil {
			return err
		}
	}
	return db.auditTx(tx, &AuditEvent{Action: statusActions[to], ActorID: actorID, SubjectID: r.UserID, Detail: requestDetail(r)})
}

// DueExpiries lists the exports whose download period is over at now, still
// download_ready (the sweep moves each to expired with ChangeRequest).
func (db *DB) DueExpiries() (out []DataRequest, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		now := db.now()
		prefix := append([]byte(StatusDownloadReady), 0)
		c := tx.Bucket(bRequestsByStatus).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			r, err := requestTx(tx, btoi(k[len(prefix):]))
			if err != nil {
				return err
			}
			if !now.Before(r.ExpiresAt) {
				out = append(out, *r)
			}
		}
		return nil
	})
	return out, err
}
