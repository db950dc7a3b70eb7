package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// What the training platform sends: learners, enrolments and progress, in
// bulk. Every item is idempotent (the same item twice changes nothing the
// second time) and gets its own outcome; one bad item never undoes the
// others. A call is one transaction.

// Outcome is what one item did.
type Outcome string

// The outcomes of an item.
const (
	OutcomeCreated   Outcome = "created"
	OutcomeUpdated   Outcome = "updated"
	OutcomeUnchanged Outcome = "unchanged"
	OutcomeFailed    Outcome = "failed"
)

// Errors of the platform's items.
var (
	ErrUnknownUser   = errors.New("store: no account has this email")
	ErrUnknownCourse = errors.New("store: no course has this code")
	ErrNotEnrolled   = errors.New("store: the learner is not enrolled in the course")
	ErrNotLearner    = errors.New("store: the account is not a learner's")
)

// ItemResult is the outcome of one item; Err is set when it failed.
type ItemResult struct {
	Outcome Outcome
	Err     error
}

// Learner is a learner as the platform knows them.
type Learner struct {
	Email, FirstName, LastName, Lang string
}

// UpsertLearner creates a learner account without a password (they set
// one through the reset link) or updates the names and language of the
// learner with this email. A staff account is never changed this way
// (ErrNotLearner). detail says who called, for the audit.
func (db *DB) UpsertLearner(in Learner, detail string) (*User, Outcome, error) {
	var u *User
	var out Outcome
	err := db.update(func(tx *bolt.Tx) error {
		id := tx.Bucket(bUsersByEmail).Get([]byte(NormEmail(in.Email)))
		if id == nil {
			u = &User{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Lang: in.Lang, Role: RoleLearner}
			if err := db.createUser(tx, u); err != nil {
				return err
			}
			out = OutcomeCreated
			return db.auditTx(tx, &AuditEvent{Action: ActUserCreated, SubjectID: u.ID, Detail: "learner, " + detail})
		}
		var err error
		if u, err = userTx(tx, btoi(id)); err != nil {
			return err
		}
		if u.Role != RoleLearner {
			return ErrNotLearner
		}
		if u.FirstName == in.FirstName && u.LastName == in.LastName && u.Lang == in.Lang {
			out = OutcomeUnchanged
			return nil
		}
		u.FirstName, u.LastName, u.Lang, u.UpdatedAt = in.FirstName, in.LastName, in.Lang, db.now()
		out = OutcomeUpdated
		if err := db.putUser(tx, u); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActUserUpdated, SubjectID: u.ID, Detail: "names and language, " + detail})
	})
	if err != nil {
		return nil, "", err
	}
	return u, out, nil
}

// EnrolmentItem says whether a learner follows a course (Ended: no longer).
type EnrolmentItem struct {
	Email, Course string
	Ended         bool
}

// ProgressItem is where a learner stands in one activity of a course.
type ProgressItem struct {
	Email, Course string
	Progress      Progress // UserID and CourseID are filled from Email and Course
}

// platformTx resolves emails and course codes within one transaction,
// remembering what it found.
type platformTx struct {
	tx      *bolt.Tx
	users   map[string]uint64
	courses map[string]*Course
}

func newPlatformTx(tx *bolt.Tx) *platformTx {
	return &platformTx{tx: tx, users: map[string]uint64{}, courses: map[string]*Course{}}
}

func (p *platformTx) user(email string) (uint64, error) {
	key := NormEmail(email)
	if id, ok := p.users[key]; ok {
		return id, nil
	}
	id := p.tx.Bucket(bUsersByEmail).Get([]byte(key))
	if id == nil {
		return 0, ErrUnknownUser
	}
	p.users[key] = btoi(id)
	return btoi(id), nil
}

func (p *platformTx) course(code string) (*Course, error) {
	key := strings.ToLower(strings.TrimSpace(code))
	if c, ok := p.courses[key]; ok {
		return c, nil
	}
	id := p.tx.Bucket(bCoursesByCode).Get([]byte(key))
	if id == nil {
		return nil, ErrUnknownCourse
	}
	var c Course
	if err := getJSON(p.tx.Bucket(bCourses), id, &c); err != nil {
		return nil, err
	}
	p.courses[key] = &c
	return &c, nil
}

// itemRefusal is an item's own refusal and its code.
type itemRefusal struct {
	err  error
	code string
}

// itemRefusals are an item's own refusals, each with its code: the one
// list behind ItemCode, ItemRefusal and itemError.
var itemRefusals = []itemRefusal{
	{ErrUnknownUser, "unknown_user"},
	{ErrUnknownCourse, "unknown_course"},
	{ErrNotEnrolled, "not_enrolled"},
}

// ItemInvalid is ItemCode's code for an error that is no item's own
// refusal.
const ItemInvalid = "invalid"

// ItemCode names an item's own refusal (itemRefusals; ItemInvalid for any
// other error), for the API's error codes and the import's error report.
func ItemCode(err error) string {
	for _, r := range itemRefusals {
		if errors.Is(err, r.err) {
			return r.code
		}
	}
	return ItemInvalid
}

// ItemRefusal reports whether code is one of an item's own refusals, as
// ItemCode names them (not ItemInvalid).
func ItemRefusal(code string) bool {
	return slices.ContainsFunc(itemRefusals, func(r itemRefusal) bool { return r.code == code })
}

// itemError tells an item's own refusal from a failure of the store,
// which aborts the whole call.
func itemError(err error) bool {
	return ItemCode(err) != ItemInvalid
}

// ApplyEnrolments enrols (or, Ended, unenrols) each learner, in one
// transaction, with one outcome per item in order. detail says who
// called, for the audit.
func (db *DB) ApplyEnrolments(items []EnrolmentItem, detail string) ([]ItemResult, error) {
	out := make([]ItemResult, len(items))
	err := db.update(func(tx *bolt.Tx) error {
		p := newPlatformTx(tx)
		for i, it := range items {
			res, err := db.applyEnrolment(p, it, detail)
			if err != nil && !itemError(err) {
				return fmt.Errorf("store: enrolment %d: %w", i, err)
			}
			out[i] = ItemResult{Outcome: res, Err: err}
		}
		return nil
	})
	return out, err
}

func (db *DB) applyEnrolment(p *platformTx, it EnrolmentItem, detail string) (Outcome, error) {
	userID, err := p.user(it.Email)
	if err != nil {
		return OutcomeFailed, err
	}
	c, err := p.course(it.Course)
	if err != nil {
		return OutcomeFailed, err
	}
	var e Enrolment
	err = getJSON(p.tx.Bucket(bEnrolments), enrolKey(userID, c.ID), &e)
	exists := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return OutcomeFailed, err
	}
	why := c.Code + ", " + detail
	switch {
	case it.Ended && (!exists || !e.Active()), !it.Ended && exists && e.Active():
		return OutcomeUnchanged, nil
	case it.Ended:
		return OutcomeUpdated, db.unenrolTx(p.tx, userID, c, 0, why)
	case exists:
		return OutcomeUpdated, db.enrolTx(p.tx, userID, c, 0, why)
	default:
		return OutcomeCreated, db.enrolTx(p.tx, userID, c, 0, why)
	}
}

// ApplyProgress stores where each learner stands in each activity, in one
// transaction, with one outcome per item in order; a learner must be
// enrolled in the course (ErrNotEnrolled). An item equal to what is stored
// changes nothing, not even its time.
func (db *DB) ApplyProgress(items []ProgressItem) ([]ItemResult, error) {
	out := make([]ItemResult, len(items))
	err := db.update(func(tx *bolt.Tx) error {
		p := newPlatformTx(tx)
		for i, it := range items {
			res, err := db.applyProgress(p, it)
			if err != nil && !itemError(err) {
				return fmt.Errorf("store: progress %d: %w", i, err)
			}
			out[i] = ItemResult{Outcome: res, Err: err}
		}
		return nil
	})
	return out, err
}

func (db *DB) applyProgress(p *platformTx, it ProgressItem) (Outcome, error) {
	userID, err := p.user(it.Email)
	if err != nil {
		return OutcomeFailed, err
	}
	c, err := p.course(it.Course)
	if err != nil {
		return OutcomeFailed, err
	}
	if p.tx.Bucket(bEnrolments).Get(enrolKey(userID, c.ID)) == nil {
		return OutcomeFailed, ErrNotEnrolled
	}
	pr := it.Progress
	pr.UserID, pr.CourseID = userID, c.ID
	var old Progress
	err = getJSON(p.tx.Bucket(bProgress), progressKey(userID, c.ID, pr.ActivityID), &old)
	switch {
	case err == nil && sameProgress(&old, &pr):
		return OutcomeUnchanged, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return OutcomeFailed, err
	}
	if pr.ActivityID == "" {
		return OutcomeFailed, errors.New("store: progress without activity id")
	}
	if err == nil {
		return OutcomeUpdated, db.writeProgress(p.tx, &pr, false)
	}
	return OutcomeCreated, db.writeProgress(p.tx, &pr, true)
}

func sameProgress(a, b *Progress) bool {
	sameScore := (a.Score == nil && b.Score == nil) || (a.Score != nil && b.Score != nil && *a.Score == *b.Score)
	return a.Activity == b.Activity && a.Status == b.Status && a.Percent == b.Percent && sameScore
}
