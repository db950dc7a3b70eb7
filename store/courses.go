package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Buckets of courses, enrolments, progress and the retention review.
var (
	bCourses            = []byte("courses")
	bCoursesByCode      = []byte("courses_by_code")
	bEnrolments         = []byte("enrolments")
	bEnrolmentsByCourse = []byte("enrolments_by_course")
	bProgress           = []byte("progress")
	bProgressByCourse   = []byte("progress_by_course")
	bEnrolmentEnds      = []byte("enrolment_ends")
	bRetentionFlags     = []byte("retention_flags")
)

// Audited actions of courses and retention.
const (
	ActCourseCreated    Action = "course_created"
	ActCourseDeleted    Action = "course_deleted"
	ActEnrolled         Action = "enrolled"
	ActUnenrolled       Action = "unenrolled"
	ActRetentionFlagged Action = "retention_flagged"
	ActRetentionCleared Action = "retention_cleared"
)

// Errors of courses.
var (
	ErrCodeTaken       = errors.New("store: course code already in use")
	ErrAlreadyEnrolled = errors.New("store: already enrolled")
)

// Course is a training the site gives access to.
type Course struct {
	ID        uint64    `json:"id"`
	Code      string    `json:"code"`
	TitleEN   string    `json:"title_en"`
	TitleFR   string    `json:"title_fr"`
	CreatedAt time.Time `json:"created_at"`
}

// Title is the course's title in lang, falling back to the other language.
func (c *Course) Title(lang string) string {
	if lang == "fr" && c.TitleFR != "" || c.TitleEN == "" {
		return c.TitleFR
	}
	return c.TitleEN
}

// Enrolment says that a user follows a course. EndedAt is set when the user
// was unenrolled; enrolling again clears it.
type Enrolment struct {
	UserID     uint64    `json:"user_id"`
	CourseID   uint64    `json:"course_id"`
	EnrolledAt time.Time `json:"enrolled_at"`
	EndedAt    time.Time `json:"ended_at,omitzero"`
}

// Active reports whether the enrolment has not ended.
func (e *Enrolment) Active() bool { return e.EndedAt.IsZero() }

// Progress statuses.
const (
	ProgressNotStarted = "not_started"
	ProgressInProgress = "in_progress"
	ProgressCompleted  = "completed"
)

// Progress is where a user stands in one activity of a course.
type Progress struct {
	UserID     uint64    `json:"user_id"`
	CourseID   uint64    `json:"course_id"`
	ActivityID string    `json:"activity_id"`
	Activity   string    `json:"activity"` // the activity's name
	Status     string    `json:"status"`
	Percent    int       `json:"percent"`
	Score      *float64  `json:"score,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// RetentionFlag marks an account the daily review found with no enrolment
// for the configured period: staff should file its deletion.
type RetentionFlag struct {
	UserID    uint64    `json:"user_id"`
	FlaggedAt time.Time `json:"flagged_at"`
	// Since is when the user's last enrolment ended (or the account was
	// created, for one never enrolled).
	Since  time.Time `json:"since"`
	Reason string    `json:"reason"`
}

// Retention reasons.
const (
	ReasonNoEnrolment   = "no_enrolment"   // enrolled once, none left
	ReasonNeverEnrolled = "never_enrolled" // no enrolment since the account was created
)

func enrolKey(userID, courseID uint64) []byte { return pairKey(userID, itob(courseID)) }

func progressKey(userID, courseID uint64, activityID string) []byte {
	return append(enrolKey(userID, courseID), activityID...)
}

// swapPair turns `BE(a) BE(b) rest` into `BE(b) BE(a) rest`.
func swapPair(k []byte) []byte {
	out := make([]byte, 0, len(k))
	out = append(out, k[8:16]...)
	out = append(out, k[:8]...)
	return append(out, k[16:]...)
}

// CreateCourse stores a new course; its code is unique, case-insensitively.
func (db *DB) CreateCourse(c *Course, actorID uint64) error {
	return db.update(func(tx *bolt.Tx) error {
		c.Code = strings.TrimSpace(c.Code)
		idx := tx.Bucket(bCoursesByCode)
		code := []byte(strings.ToLower(c.Code))
		if idx.Get(code) != nil {
			return ErrCodeTaken
		}
		b := tx.Bucket(bCourses)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		c.ID, c.CreatedAt = id, db.now()
		if err := idx.Put(code, itob(id)); err != nil {
			return err
		}
		if err := putJSON(b, itob(id), c); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActCourseCreated, ActorID: actorID, Detail: c.Code})
	})
}

// Course finds a course by id.
func (db *DB) Course(id uint64) (*Course, error) {
	var c Course
	err := db.view(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bCourses), itob(id), &c) })
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// CourseByCode finds a course by its code, case-insensitively.
func (db *DB) CourseByCode(code string) (*Course, error) {
	var c Course
	err := db.view(func(tx *bolt.Tx) error {
		id := tx.Bucket(bCoursesByCode).Get([]byte(strings.ToLower(strings.TrimSpace(code))))
		if id == nil {
			return ErrNotFound
		}
		return getJSON(tx.Bucket(bCourses), id, &c)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// CourseSummary is a course with its count of active enrolments.
type CourseSummary struct {
	Course
	Enrolled int
}

// ListCourses lists every course by code, with its active enrolments.
func (db *DB) ListCourses() (out []CourseSummary, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		en := tx.Bucket(bEnrolments)
		return tx.Bucket(bCourses).ForEach(func(k, v []byte) error {
			var s CourseSummary
			if err := json.Unmarshal(v, &s.Course); err != nil {
				return err
			}
			for _, ik := range prefixKeys(tx.Bucket(bEnrolmentsByCourse), k) {
				var e Enrolment
				if err := getJSON(en, swapPair(ik), &e); err != nil {
					return err
				}
				if e.Active() {
					s.Enrolled++
				}
			}
			out = append(out, s)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Code) < strings.ToLower(out[j].Code) })
	return out, err
}

// DeleteCourse destroys a course with all its enrolments and progress, in
// one transaction (privacy policy: a course's data is destroyed with it),
// and returns how many enrolments and progress records went.
func (db *DB) DeleteCourse(id, actorID uint64) (enrolments, progress int, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		var c Course
		if err := getJSON(tx.Bucket(bCourses), itob(id), &c); err != nil {
			return err
		}
		now := db.now()
		en, enIdx := tx.Bucket(bEnrolments), tx.Bucket(bEnrolmentsByCourse)
		for _, ik := range prefixKeys(enIdx, itob(id)) {
			var e Enrolment
			if err := getJSON(en, swapPair(ik), &e); err != nil {
				return err
			}
			// The retention clock of those still enrolled starts now.
			if e.Active() {
				if err := noteEnrolmentEnd(tx, e.UserID, now); err != nil {
					return err
				}
			}
			if err := en.Delete(swapPair(ik)); err != nil {
				return err
			}
			if err := enIdx.Delete(ik); err != nil {
				return err
			}
			enrolments++
		}
		pr, prIdx := tx.Bucket(bProgress), tx.Bucket(bProgressByCourse)
		for _, ik := range prefixKeys(prIdx, itob(id)) {
			if err := pr.Delete(swapPair(ik)); err != nil {
				return err
			}
			if err := prIdx.Delete(ik); err != nil {
				return err
			}
			progress++
		}
		if err := tx.Bucket(bCoursesByCode).Delete([]byte(strings.ToLower(c.Code))); err != nil {
			return err
		}
		if err := tx.Bucket(bCourses).Delete(itob(id)); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActCourseDeleted, ActorID: actorID,
			Detail: fmt.Sprintf("%s: %d enrolments, %d progress records destroyed", c.Code, enrolments, progress)})
	})
	return enrolments, progress, err
}

// noteEnrolmentEnd remembers when the user's last enrolment ended, which
// outlives the enrolment when its course is deleted.
func noteEnrolmentEnd(tx *bolt.Tx, userID uint64, at time.Time) error {
	return putJSON(tx.Bucket(bEnrolmentEnds), itob(userID), at)
}

// Enrol enrols the user in the course (again, if an earlier enrolment
// ended) and clears the user's retention flag.
func (db *DB) Enrol(userID, courseID, actorID uint64) error {
	return db.update(func(tx *bolt.Tx) error {
		var c Course
		if err := getJSON(tx.Bucket(bCourses), itob(courseID), &c); err != nil {
			return err
		}
		if _, err := userTx(tx, userID); err != nil {
			return err
		}
		return db.enrolTx(tx, userID, &c, actorID, c.Code)
	})
}

// enrolTx enrols the user in c (ErrAlreadyEnrolled when active), clears
// the retention flag and audits it with detail.
func (db *DB) enrolTx(tx *bolt.Tx, userID uint64, c *Course, actorID uint64, detail string) error {
	en := tx.Bucket(bEnrolments)
	k := enrolKey(userID, c.ID)
	var e Enrolment
	if err := getJSON(en, k, &e); err == nil && e.Active() {
		return ErrAlreadyEnrolled
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	e = Enrolment{UserID: userID, CourseID: c.ID, EnrolledAt: db.now()}
	if err := putJSON(en, k, &e); err != nil {
		return err
	}
	if err := tx.Bucket(bEnrolmentsByCourse).Put(enrolKey(c.ID, userID), nil); err != nil {
		return err
	}
	if err := db.clearFlag(tx, userID, "enrolled in "+c.Code); err != nil {
		return err
	}
	return db.auditTx(tx, &AuditEvent{Action: ActEnrolled, ActorID: actorID, SubjectID: userID, Detail: detail})
}

// Unenrol ends the user's enrolment in the course. The enrolment and its
// progress stay, ended, until the course is deleted or the user erased.
func (db *DB) Unenrol(userID, courseID, actorID uint64) error {
	return db.update(func(tx *bolt.Tx) error {
		var c Course
		if err := getJSON(tx.Bucket(bCourses), itob(courseID), &c); err != nil {
			return err
		}
		return db.unenrolTx(tx, userID, &c, actorID, c.Code)
	})
}

// unenrolTx ends the user's active enrolment in c (ErrNotFound when there
// is none) and audits it with detail.
func (db *DB) unenrolTx(tx *bolt.Tx, userID uint64, c *Course, actorID uint64, detail string) error {
	en := tx.Bucket(bEnrolments)
	k := enrolKey(userID, c.ID)
	var e Enrolment
	if err := getJSON(en, k, &e); err != nil {
		return err
	}
	if !e.Active() {
		return ErrNotFound
	}
	e.EndedAt = db.now()
	if err := putJSON(en, k, &e); err != nil {
		return err
	}
	if err := noteEnrolmentEnd(tx, userID, e.EndedAt); err != nil {
		return err
	}
	return db.auditTx(tx, &AuditEvent{Action: ActUnenrolled, ActorID: actorID, SubjectID: userID, Detail: detail})
}

// EnrolledUser is an enrolment with the account it belongs to.
type EnrolledUser struct {
	Enrolment
	Email string
	Name  string
}

// CourseEnrolments lists the enrolments of a course (active and ended), by
// email.
func (db *DB) CourseEnrolments(courseID uint64) (out []EnrolledUser, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		en := tx.Bucket(bEnrolments)
		for _, ik := range prefixKeys(tx.Bucket(bEnrolmentsByCourse), itob(courseID)) {
			var eu EnrolledUser
			if err := getJSON(en, swapPair(ik), &eu.Enrolment); err != nil {
				return err
			}
			if u, err := userTx(tx, eu.UserID); err == nil {
				eu.Email, eu.Name = u.Email, u.Name()
			}
			out = append(out, eu)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Email < out[j].Email })
	return out, err
}

// MyCourse is one of a user's enrolments with its course and progress.
type MyCourse struct {
	Course    Course
	Enrolment Enrolment
	Progress  []Progress
	Completed int // activities completed
}

// UserCourses lists the user's enrolments, with progress, in course order:
// one prefix scan of each bucket.
func (db *DB) UserCourses(userID uint64) (out []MyCourse, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		cs := tx.Bucket(bCourses)
		c := tx.Bucket(bEnrolments).Cursor()
		prefix := itob(userID)
		at := map[uint64]int{}
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var m MyCourse
			if err := json.Unmarshal(v, &m.Enrolment); err != nil {
				return err
			}
			if err := getJSON(cs, k[8:16], &m.Course); err != nil {
				return err
			}
			at[m.Course.ID] = len(out)
			out = append(out, m)
		}
		return eachProgress(tx, userID, func(p *Progress) error {
			if i, ok := at[p.CourseID]; ok {
				out[i].Progress = append(out[i].Progress, *p)
				if p.Status == ProgressCompleted {
					out[i].Completed++
				}
			}
			return nil
		})
	})
	return out, err
}

func eachProgress(tx *bolt.Tx, userID uint64, fn func(p *Progress) error) error {
	c := tx.Bucket(bProgress).Cursor()
	prefix := itob(userID)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var p Progress
		if err := json.Unmarshal(v, &p); err != nil {
			return err
		}
		if err := fn(&p); err != nil {
			return err
		}
	}
	return nil
}

// SetProgress stores (or replaces) where a user stands in one activity;
// the user must be enrolled in the course.
func (db *DB) SetProgress(p *Progress) error {
	return db.update(func(tx *bolt.Tx) error { return db.putProgress(tx, p) })
}

func (db *DB) putProgress(tx *bolt.Tx, p *Progress) error {
	if p.ActivityID == "" {
		return errors.New("store: progress without activity id")
	}
	if tx.Bucket(bEnrolments).Get(enrolKey(p.UserID, p.CourseID)) == nil {
		return ErrNotFound
	}
	fresh := tx.Bucket(bProgress).Get(progressKey(p.UserID, p.CourseID, p.ActivityID)) == nil
	return db.writeProgress(tx, p, fresh)
}

// writeProgress stores p, and its index entry when it is fresh (a record
// that exists has one: putting it again would only dirty the index's page,
// which a bulk update of many learners pays for at every commit).
func (db *DB) writeProgress(tx *bolt.Tx, p *Progress, fresh bool) error {
	p.UpdatedAt = db.now()
	if err := putJSON(tx.Bucket(bProgress), progressKey(p.UserID, p.CourseID, p.ActivityID), p); err != nil {
		return err
	}
	if !fresh {
		return nil
	}
	return tx.Bucket(bProgressByCourse).Put(progressKey(p.CourseID, p.UserID, p.ActivityID), nil)
}

// AddProgressRows writes n progress records for a user enrolled in a course
// in one transaction (activities "bench-000001"…): test and benchmark data
// for exports and scans.
func (db *DB) AddProgressRows(userID, courseID uint64, n int) error {
	return db.update(func(tx *bolt.Tx) error {
		score := 0.0
		for i := 1; i <= n; i++ {
			s := score + float64(i%100)
			p := &Progress{UserID: userID, CourseID: courseID, ActivityID: fmt.Sprintf("bench-%06d", i),
				Activity: fmt.Sprintf("Activity %d", i), Status: ProgressCompleted, Percent: 100, Score: &s}
			if err := db.putProgress(tx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// CountProgress counts a user's progress records with one prefix scan.
func (db *DB) CountProgress(userID uint64) (n int, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bProgress).Cursor()
		prefix := itob(userID)
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			n++
		}
		return nil
	})
	return n, err
}
