package store

import (
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// ExportUser walks the data inventory in ONE read transaction, so the
// export is one consistent snapshot: for every Personal bucket, in name
// order, it calls start, then emit with each record about userID. The user
// must exist (ErrNotFound otherwise). Callers must not do slow I/O in the
// callbacks: the transaction stays open meanwhile (STYLE.md, bbolt traps).
func (db *DB) ExportUser(userID uint64, start func(BucketInfo) error, emit func(v any) error) error {
	return db.ExportUserCourses(userID, nil, start, emit)
}

// ExportUserCourses is ExportUser limited, when courses is not empty, to
// what the person asked for: their enrolments and progress in those
// courses, and nothing else.
func (db *DB) ExportUserCourses(userID uint64, courses []uint64, start func(BucketInfo) error, emit func(v any) error) error {
	if len(courses) > 0 {
		inner := emit
		emit = func(v any) error {
			if slices.Contains(courses, recordCourse(v)) {
				return inner(v)
			}
			return nil
		}
	}
	return db.view(func(tx *bolt.Tx) error {
		if _, err := userTx(tx, userID); err != nil {
			return err
		}
		for _, in := range Inventory() {
			if in.Class != Personal || (len(courses) > 0 && !courseBuckets[in.Name]) {
				continue
			}
			if err := start(in); err != nil {
				return err
			}
			if err := in.Records(tx, userID, emit); err != nil {
				return fmt.Errorf("store: export %s: %w", in.Name, err)
			}
		}
		return nil
	})
}

// courseBuckets are the kinds of data held per course: what an export
// limited to courses holds.
var courseBuckets = map[string]bool{string(bEnrolments): true, string(bProgress): true}

// recordCourse is the course an exported record of courseBuckets is about
// (0 for any other record).
func recordCourse(v any) uint64 {
	switch r := v.(type) {
	case *enrolmentRecord:
		return r.CourseID
	case *Progress:
		return r.CourseID
	}
	return 0
}

// Erased is the outcome of an erasure.
type Erased struct {
	Request *DataRequest // the anonymous record with its report (processing until FinishErasure)
	Email   string       // captured before the account went, for a last message
	Lang    string
}

// Erasure is an approved deletion to carry out, with what it tells.
type Erasure struct {
	RequestID uint64
	// Email is the person's address the notices were rendered for (the last
	// mail goes there); the account holding another one → ErrStale.
	Email string
	// Notices are written after the erasure in the same transaction, so
	// they outlive it: the last mail to the person (GDPR art. 19).
	Notices []Notice
	// Later are written when the erasure is complete (FinishErasure): the
	// "complete" notice to the guardian who filed it. They wait in the
	// request's job.
	Later []Notice
	// Kept is what the notices say is kept (ErasureKeeps when they were
	// rendered; non-nil, empty when nothing); the erasure deciding
	// otherwise → ErrStale. nil: the notices say nothing of it.
	Kept []Kept
}

// An erasure is one durable job in two steps, each resumable after a
// crash: EraseUser (one transaction: the data goes, the job moves to its
// compaction step), then FinishErasure (the compaction, then one
// transaction: the request complete, the job done). So a request is
// complete only once the erased bytes have left the file.

// EraseUser carries out the approved (processing) delete request in ONE
// write transaction: ongoing requests of the user are cancelled, every
// Personal bucket erases (or makes anonymous) what it holds about the user,
// the request becomes an anonymous record with the erasure report (still
// processing), the notices are written and the request's job moves to its
// compaction step holding e.Later (a job is queued if it had none). The
// last active administrator cannot be erased (ErrLastAdmin). Erased bytes
// stay in the file until FinishErasure.
func (db *DB) EraseUser(e Erasure) (*Erased, error) {
	var out *Erased
	err := db.update(func(tx *bolt.Tx) error {
		r, err := requestTx(tx, e.RequestID)
		if err != nil {
			return err
		}
		if r.Type != RequestDelete || r.Status != StatusProcessing || r.Anonymous {
			return fmt.Errorf("%w (erase request %d in %s)", ErrBadTransition, r.ID, r.Status)
		}
		u, err := userTx(tx, r.UserID)
		if err != nil {
			return err
		}
		if e.Email != "" && NormEmail(u.Email) != NormEmail(e.Email) {
			return fmt.Errorf("%w (the address changed)", ErrStale)
		}
		if err := lastAdminCheck(tx, u); err != nil {
			return err
		}
		var others []*DataRequest
		if err := eachUserRequest(tx, u.ID, func(o *DataRequest) error {
			if o.ID != r.ID && o.Status.Cancellable() {
				others = append(others, o)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, o := range others {
			if err := db.transitionTx(tx, o, StatusCancelled, 0, ""); err != nil {
				return err
			}
		}
		now := db.now()
		keeps, later, err := keptTx(tx, u.ID, now)
		if err != nil {
			return err
		}
		if e.Kept != nil && !sameKept(keeps, e.Kept) {
			return fmt.Errorf("%w (what the erasure keeps changed)", ErrStale)
		}
		var report []ErasureLine
		for _, in := range Inventory() {
			if in.Class != Personal {
				continue
			}
			if later[in.Name] {
				report = append(report, ErasureLine{Bucket: in.Name, Holds: in.Holds,
					Kept: &ErasureKept{Kind: KeptHeld, Category: in.Category}})
				continue
			}
			kept, err := in.Erase(tx, u.ID)
			if err != nil {
				return fmt.Errorf("store: erase %s: %w", in.Name, err)
			}
			report = append(report, ErasureLine{Bucket: in.Name, Holds: in.Holds, Kept: kept})
		}
		db.forgetUser(tx, u.ID)
		if r, err = requestTx(tx, e.RequestID); err != nil {
			return err
		}
		r.Erasure, r.Kept = report, keeps
		if err := putRequest(tx, r, r.Status); err != nil {
			return err
		}
		if err := holdTx(tx, r.ID, u.ID, now, keeps); err != nil {
			return err
		}
		if err := db.compactStepTx(tx, r.ID, e.Later); err != nil {
			return err
		}
		if err := db.enqueueWebhooksTx(tx, erasedEvent(u, r.ID)); err != nil {
			return err
		}
		out = &Erased{Request: r, Email: u.Email, Lang: u.Lang}
		if err := db.auditTx(tx, &AuditEvent{Action: ActUserErased, Detail: fmt.Sprintf("request %d", r.ID)}); err != nil {
			return err
		}
		// The hash chain: tombstones for the records erased above.
		if err := db.chainEraseUser(tx, u.ID); err != nil {
			return err
		}
		return db.addNoticesTx(tx, e.Notices)
	})
	if err == nil {
		db.fault(FaultErased)
	}
	return out, err
}

// compactStepTx moves request id's job to the compaction step with the
// notices for its end, queueing one if the request has none running.
func (db *DB) compactStepTx(tx *bolt.Tx, id uint64, later []Notice) error {
	j, err := requestJobTx(tx, id)
	if err != nil {
		return err
	}
	now := db.now()
	if j == nil {
		seq, err := tx.Bucket(bJobs).NextSequence()
		if err != nil {
			return err
		}
		j = &Job{ID: seq, Kind: JobRequest, RequestID: id, State: JobPending, CreatedAt: now}
	}
	j.Step, j.Notices, j.UpdatedAt = JobStepCompact, later, now
	return putJSON(tx.Bucket(bJobs), itob(j.ID), j)
}

// FinishErasure ends the erasure of request id: it compacts the file (the
// erased bytes leave the disk: the copy synced, the swap done), then in
// one transaction moves the request to complete, writes the notices its
// job kept and marks the job done; it returns the request and the notices
// written. A request already complete is returned as it is (the step ran
// before a crash); one not erased yet → ErrBadTransition. ErrBusy (or
// another error of the compaction): nothing changed, try again later.
func (db *DB) FinishErasure(id uint64) (*DataRequest, []Notice, error) {
	r, err := db.Request(id)
	if err != nil {
		return nil, nil, err
	}
	if r.Type == RequestDelete && r.Status == StatusComplete {
		return r, nil, nil
	}
	if !r.AwaitsCompaction() {
		return nil, nil, fmt.Errorf("%w (finish the erasure of request %d in %s)", ErrBadTransition, r.ID, r.Status)
	}
	if err := db.Compact(); err != nil {
		return nil, nil, err
	}
	db.fault(FaultSwapped)
	var notices []Notice
	err = db.update(func(tx *bolt.Tx) error {
		if r, err = requestTx(tx, id); err != nil {
			return err
		}
		if err := db.transitionTx(tx, r, StatusComplete, 0, ""); err != nil {
			return err
		}
		if err := db.enqueueWebhooksTx(tx, requestCompletedEvent(r)); err != nil {
			return err
		}
		j, err := requestJobTx(tx, id)
		if err != nil || j == nil {
			return err
		}
		notices = j.Notices
		j.State, j.Notices, j.LastError, j.UpdatedAt = JobDone, nil, "", db.now()
		if err := putJSON(tx.Bucket(bJobs), itob(j.ID), j); err != nil {
			return err
		}
		return db.addNoticesTx(tx, notices)
	})
	if err != nil {
		return nil, nil, err
	}
	return r, notices, nil
}

// AwaitsCompaction reports whether r is a deletion whose erasure committed and whose
// compaction has not finished: the person is gone, the request processing.
func (r *DataRequest) AwaitsCompaction() bool {
	return r.Type == RequestDelete && r.Status == StatusProcessing && r.Anonymous
}

// CheckErasable reports why userID cannot be erased now (ErrLastAdmin,
// ErrNotFound), or nil.
func (db *DB) CheckErasable(userID uint64) error {
	return db.view(func(tx *bolt.Tx) error {
		u, err := userTx(tx, userID)
		if err != nil {
			return err
		}
		return lastAdminCheck(tx, u)
	})
}

// ErrStaffErasure refuses the approval of a staff account's erasure by
// anyone but an administrator.
var ErrStaffErasure = errors.New("store: only an administrator can approve the erasure of a staff account")

// MayApproveErasure is the rule of who may approve the erasure of an
// account of role subject: an administrator any account; a privacy officer
// and the system (approver "": auto-approval) only a learner's; nobody
// else. The last active administrator is a rule of its own
// (LastActiveAdmin).
func MayApproveErasure(approver, subject Role) bool {
	switch approver {
	case RoleAdmin:
		return true
	case RoleDPO, "":
		return !subject.Staff()
	}
	return false
}

// LastActiveAdmin is the rule that the last active administrator is never
// erased: it reports whether u is an active administrator and activeAdmins
// (u counted) is at most 1.
func LastActiveAdmin(u *User, activeAdmins int) bool { return u.activeAdmin() && activeAdmins <= 1 }

// erasureApprovalTx applies both rules to approverID (0: the system)
// approving the erasure of subject.
func erasureApprovalTx(tx *bolt.Tx, subject *User, approverID uint64) error {
	var role Role
	if approverID != 0 {
		a, err := userTx(tx, approverID)
		if err != nil {
			return err
		}
		role = a.Role
	}
	if !MayApproveErasure(role, subject.Role) {
		return ErrStaffErasure
	}
	return lastAdminCheck(tx, subject)
}

// CheckErasureApproval reports why approverID may not approve request id
// (ErrStaffErasure, ErrLastAdmin, ErrNotFound), or nil; a request that is
// not a deletion is nil. The approval checks again when it commits.
func (db *DB) CheckErasureApproval(id, approverID uint64) error {
	return db.view(func(tx *bolt.Tx) error {
		r, err := requestTx(tx, id)
		if err != nil || r.Type != RequestDelete {
			return err
		}
		u, err := userTx(tx, r.UserID)
		if err != nil {
			return err
		}
		return erasureApprovalTx(tx, u, approverID)
	})
}
