package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SweepResult says what a retention sweep changed.
type SweepResult struct {
	Flagged int // newly flagged
	Cleared int // flags removed (enrolled again, or now staff)
	Total   int // flags after the sweep
}

// SweepRetention is the daily review of the privacy policy: a learner with
// no enrolment left for `days` days (counted from the end of the last
// enrolment, or from the account's creation for one never enrolled) is
// flagged for deletion. Staff accounts and guardians of a minor's account
// are never flagged. days <= 0 turns the review off.
//
// The review goes through every account each day, so it decodes none it
// need not: the accounts, their enrolments, the enrolment ends and the
// flags are all keyed by BE(user id) first, and one cursor walks each in
// step with the accounts' keys; staff and guardians come from their
// indexes. An account is decoded only when it may be flagged today and
// its clock starts at its creation (never enrolled, not flagged yet).
func (db *DB) SweepRetention(days int) (res SweepResult, err error) {
	if days <= 0 {
		return res, nil
	}
	err = db.update(func(tx *bolt.Tx) error {
		now := db.now()
		limit := time.Duration(days) * 24 * time.Hour
		if err := syncFlagIndex(tx); err != nil {
			return err
		}
		spared := sparedAccounts(tx)
		enrolments := newStepper(tx.Bucket(bEnrolments))
		ends := newStepper(tx.Bucket(bEnrolmentEnds))
		flags := newStepper(tx.Bucket(bRetentionFlags))
		var flagNow []clock
		var clear []uint64
		c := tx.Bucket(bUsers).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			id := btoi(k)
			since, active, err := enrolmentEndIn(enrolments, ends, k)
			if err != nil {
				return err
			}
			flagged := flags.has(k)
			if spared[id] || active {
				if flagged {
					clear = append(clear, id)
				}
				continue
			}
			if flagged {
				res.Total++
				continue
			}
			if !since.IsZero() && now.Sub(since) < limit {
				continue
			}
			flagNow = append(flagNow, clock{id, since})
		}
		for _, id := range clear {
			if err := db.clearFlag(tx, id, "review"); err != nil {
				return err
			}
			res.Cleared++
		}
		var added []RetentionFlag
		for _, a := range flagNow {
			f, err := flagFor(tx, a, now, limit)
			if err != nil {
				return err
			}
			if f == nil {
				continue // never enrolled, created within the period
			}
			if err := putJSON(tx.Bucket(bRetentionFlags), itob(a.id), f); err != nil {
				return err
			}
			if err := db.auditTx(tx, &AuditEvent{Action: ActRetentionFlagged, SubjectID: a.id, Detail: f.Reason}); err != nil {
				return err
			}
			added = append(added, *f)
			res.Flagged++
			res.Total++
		}
		return indexFlags(tx, added)
	})
	return res, err
}

// sparedAccounts are the accounts the review never flags: staff (from the
// role index), and guardians of a minor's account (from the guardian
// index), whose account serves their minor's and goes with the minor's
// own review.
func sparedAccounts(tx *bolt.Tx) map[uint64]bool {
	out := map[uint64]bool{}
	for _, r := range Roles {
		if !r.Staff() {
			continue
		}
		prefix := append([]byte(r), 0)
		for _, k := range prefixKeys(tx.Bucket(bUsersByRole), prefix) {
			out[btoi(k[len(prefix):])] = true
		}
	}
	g := tx.Bucket(bUsersByGuardian).Cursor()
	for k, _ := g.First(); k != nil; k, _ = g.Next() {
		if len(k) >= 8 {
			out[btoi(k[:8])] = true
		}
	}
	return out
}

// clock is an account the review may flag, with the end of its last
// enrolment (zero: never enrolled), as the review read it.
type clock struct {
	id    uint64
	since time.Time
}

// flagFor is the flag of account a if its clock ran out (nil otherwise):
// from the end of its last enrolment, or from its creation.
func flagFor(tx *bolt.Tx, a clock, now time.Time, limit time.Duration) (*RetentionFlag, error) {
	since, reason := a.since, ReasonNoEnrolment
	if since.IsZero() {
		var u reviewed
		if err := getJSON(tx.Bucket(bUsers), itob(a.id), &u); err != nil {
			return nil, err
		}
		since, reason = u.CreatedAt, ReasonNeverEnrolled
	}
	if now.Sub(since) < limit {
		return nil, nil
	}
	return &RetentionFlag{UserID: a.id, FlaggedAt: now, Since: since, Reason: reason}, nil
}

// reviewed is what the review reads of an account.
type reviewed struct {
	CreatedAt time.Time `json:"created_at"`
}

// stepper walks a bucket keyed by BE(user id) first in step with an
// ascending walk over user ids: each call moves it forward only.
type stepper struct {
	c    *bolt.Cursor
	k, v []byte
}

func newStepper(b *bolt.Bucket) *stepper {
	s := &stepper{c: b.Cursor()}
	s.k, s.v = s.c.First()
	return s
}

// stepperAt is a stepper that starts at account id's keys, for reading one
// account.
func stepperAt(b *bolt.Bucket, id []byte) *stepper {
	s := &stepper{c: b.Cursor()}
	s.k, s.v = s.c.Seek(id)
	return s
}

// skipTo moves past the keys of accounts before id (8 bytes).
func (s *stepper) skipTo(id []byte) {
	for s.k != nil && bytes.Compare(s.k[:min(8, len(s.k))], id) < 0 {
		s.k, s.v = s.c.Next()
	}
}

// has reports whether the bucket holds a key of account id.
func (s *stepper) has(id []byte) bool {
	s.skipTo(id)
	return s.k != nil && bytes.HasPrefix(s.k, id)
}

// each calls fn with each value under account id, moving past them.
func (s *stepper) each(id []byte, fn func(v []byte) error) error {
	for s.skipTo(id); s.k != nil && bytes.HasPrefix(s.k, id); s.k, s.v = s.c.Next() {
		if err := fn(s.v); err != nil {
			return err
		}
	}
	return nil
}

// enrolmentEndIn is when the account whose key is id last had an enrolment
// end (zero if it never had one), and whether one is still active, read
// from the steppers over enrolment_ends and enrolments: the end recorded
// for enrolments gone, then the latest end of those left.
func enrolmentEndIn(enrolments, ends *stepper, id []byte) (end time.Time, active bool, err error) {
	if err := ends.each(id, func(v []byte) error { return json.Unmarshal(v, &end) }); err != nil {
		return end, false, err
	}
	err = enrolments.each(id, func(v []byte) error {
		var e Enrolment
		if err := json.Unmarshal(v, &e); err != nil {
			return err
		}
		if e.Active() {
			active = true
		} else if e.EndedAt.After(end) {
			end = e.EndedAt
		}
		return nil
	})
	return end, active, err
}

// lastEnrolmentEnd is enrolmentEndIn for one user.
func lastEnrolmentEnd(tx *bolt.Tx, userID uint64) (end time.Time, active bool, err error) {
	id := itob(userID)
	return enrolmentEndIn(stepperAt(tx.Bucket(bEnrolments), id), stepperAt(tx.Bucket(bEnrolmentEnds), id), id)
}

// LastEnrolmentEnd is when the user's last enrolment ended (zero if never
// enrolled) and whether an enrolment is still active.
func (db *DB) LastEnrolmentEnd(userID uint64) (end time.Time, active bool, err error) {
	err = db.view(func(tx *bolt.Tx) (err error) {
		end, active, err = lastEnrolmentEnd(tx, userID)
		return err
	})
	return end, active, err
}

// clearFlag removes the user's retention flag, if any, with an audit line.
func (db *DB) clearFlag(tx *bolt.Tx, userID uint64, why string) error {
	if tx.Bucket(bRetentionFlags).Get(itob(userID)) == nil {
		return nil
	}
	if err := deleteFlag(tx, userID); err != nil {
		return err
	}
	return db.auditTx(tx, &AuditEvent{Action: ActRetentionCleared, SubjectID: userID, Detail: why})
}

// The flags are also indexed by the time the account's clock started, so
// the flagged page reads its 50 rows in order without decoding every flag:
// retention_flags_by_since holds BE(since, unix ns) BE(userID) → reason.

var bRetentionBySince = []byte("retention_flags_by_since")

func sinceKey(f *RetentionFlag) []byte {
	return pairKey(uint64(f.Since.UnixNano()), itob(f.UserID))
}

// indexFlags adds the index entries of new flags in key order: a bbolt
// node takes keys put in order at its end, where keys out of order each
// move the ones after them (the first review of 100,000 accounts spent
// most of its time there).
func indexFlags(tx *bolt.Tx, flags []RetentionFlag) error {
	keys := make([][]byte, len(flags))
	for i := range flags {
		keys[i] = sinceKey(&flags[i])
	}
	order := make([]int, len(flags))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	idx := tx.Bucket(bRetentionBySince)
	for _, i := range order {
		if err := idx.Put(keys[i], []byte(flags[i].Reason)); err != nil {
			return err
		}
	}
	return nil
}

// deleteFlag removes the user's flag and its index entry.
func deleteFlag(tx *bolt.Tx, userID uint64) error {
	var f RetentionFlag
	if err := getJSON(tx.Bucket(bRetentionFlags), itob(userID), &f); errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if err := tx.Bucket(bRetentionBySince).Delete(sinceKey(&f)); err != nil {
		return err
	}
	return tx.Bucket(bRetentionFlags).Delete(itob(userID))
}

// flagIndexInStep reports whether the index has an entry per flag (not
// before the first review of a database whose flags predate it).
func flagIndexInStep(tx *bolt.Tx) bool {
	return tx.Bucket(bRetentionBySince).Stats().KeyN == tx.Bucket(bRetentionFlags).Stats().KeyN
}

// syncFlagIndex rebuilds the index when it is out of step with the flags.
func syncFlagIndex(tx *bolt.Tx) error {
	if flagIndexInStep(tx) {
		return nil
	}
	idx := tx.Bucket(bRetentionBySince)
	if err := deleteKeys(idx, prefixKeys(idx, nil)); err != nil {
		return err
	}
	return eachJSON(tx.Bucket(bRetentionFlags), func(_ []byte, f *RetentionFlag) error {
		return idx.Put(sinceKey(f), []byte(f.Reason))
	})
}

// FlaggedUser is a retention flag with its account.
type FlaggedUser struct {
	RetentionFlag
	Email string
	Name  string
}

// RetentionQuery filters and pages the flagged accounts.
type RetentionQuery struct {
	Q      string // part of the email or name, any case
	Reason string // ReasonNoEnrolment, ReasonNeverEnrolled or "" for both
	Offset int
	Limit  int // 0: all
}

// RetentionFlags lists the flagged accounts matching q, longest without
// enrolment first, and how many match. It walks the index by start of the
// clock and decodes only the page's flags and accounts; a search matches
// through the users' search index.
func (db *DB) RetentionFlags(q RetentionQuery) (out []FlaggedUser, total int, err error) {
	needle := strings.ToLower(strings.TrimSpace(q.Q))
	var match map[uint64]bool
	if needle != "" {
		if match, err = db.usersMatching(needle); err != nil {
			return nil, 0, err
		}
	}
	err = db.view(func(tx *bolt.Tx) error {
		if !flagIndexInStep(tx) {
			out, total, err = scanFlags(tx, q, needle)
			return err
		}
		var ids []uint64
		c := tx.Bucket(bRetentionBySince).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			id := btoi(k[8:16])
			if (q.Reason != "" && string(v) != q.Reason) || (match != nil && !match[id]) {
				continue
			}
			if total >= q.Offset && (q.Limit <= 0 || len(ids) < q.Limit) {
				ids = append(ids, id)
			}
			total++
		}
		for _, id := range ids {
			var f FlaggedUser
			if err := getJSON(tx.Bucket(bRetentionFlags), itob(id), &f.RetentionFlag); err != nil {
				return err
			}
			if u, err := userTx(tx, id); err == nil {
				f.Email, f.Name = u.Email, u.Name()
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
			out = append(out, f)
		}
		return nil
	})
	return out, total, err
}

// usersMatching is the set of accounts whose email or name contains needle
// (lower case), from the users' search index.
func (db *DB) usersMatching(needle string) (map[uint64]bool, error) {
	if err := db.ensureUserIndex(); err != nil {
		return nil, err
	}
	m := map[uint64]bool{}
	db.users.mu.RLock()
	defer db.users.mu.RUnlock()
	for _, r := range db.users.rows {
		if strings.Contains(r.text, needle) {
			m[r.id] = true
		}
	}
	return m, nil
}

// scanFlags is RetentionFlags by decoding every flag, for a database whose
// flags predate their index (until the next review rebuilds it).
func scanFlags(tx *bolt.Tx, q RetentionQuery, needle string) (out []FlaggedUser, total int, err error) {
	var all []FlaggedUser
	err = tx.Bucket(bRetentionFlags).ForEach(func(k, v []byte) error {
		var f FlaggedUser
		if err := json.Unmarshal(v, &f.RetentionFlag); err != nil {
			return err
		}
		if q.Reason != "" && f.Reason != q.Reason {
			return nil
		}
		u, err := userTx(tx, btoi(k))
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		f.Email, f.Name = u.Email, u.Name()
		if needle != "" && !strings.Contains(searchText(u), needle) {
			return nil
		}
		all = append(all, f)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].Since.Equal(all[j].Since) {
			return all[i].Since.Before(all[j].Since)
		}
		return all[i].UserID < all[j].UserID
	})
	total = len(all)
	lo, hi := min(q.Offset, total), total
	if q.Limit > 0 {
		hi = min(lo+q.Limit, total)
	}
	return all[lo:hi], total, nil
}

// CountRetentionFlags counts the flagged accounts (dashboard).
func (db *DB) CountRetentionFlags() (n int, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bRetentionFlags).Stats().KeyN
		return nil
	})
	return n, err
}

func init() {
	registerBuckets(
		BucketInfo{Name: string(bCourses), Class: NotPersonal, Holds: "courses: code and titles"},
		BucketInfo{Name: string(bCoursesByCode), Class: Index, IndexOf: string(bCourses), Holds: "course code → course"},
		BucketInfo{Name: string(bEnrolments), Class: Personal, Holds: "enrolments: who follows which course, since when, until when",
			Records: recordsEnrolments, Erase: eraseEnrolments, Category: CategoryCourses},
		BucketInfo{Name: string(bEnrolmentsByCourse), Class: Index, IndexOf: string(bEnrolments), Holds: "course → enrolled accounts"},
		BucketInfo{Name: string(bProgress), Class: Personal, Holds: "progress in each activity of a course: status, percent, score",
			Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
				return eachProgress(tx, userID, func(p *Progress) error { return emit(p) })
			},
			Erase: eraseProgress, Category: CategoryCourses},
		BucketInfo{Name: string(bProgressByCourse), Class: Index, IndexOf: string(bProgress), Holds: "course → progress records"},
		BucketInfo{Name: string(bEnrolmentEnds), Class: Personal, Holds: "when the account's last enrolment ended (for the retention review)",
			Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
				v := tx.Bucket(bEnrolmentEnds).Get(itob(userID))
				if v == nil {
					return nil
				}
				var at time.Time
				if err := json.Unmarshal(v, &at); err != nil {
					return err
				}
				return emit(map[string]any{"user_id": userID, "last_enrolment_ended_at": at})
			},
			Erase: func(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
				return nil, tx.Bucket(bEnrolmentEnds).Delete(itob(userID))
			}, Category: CategoryCourses},
		BucketInfo{Name: string(bRetentionFlags), Class: Personal, Holds: "accounts flagged for deletion by the retention review",
			Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
				var f RetentionFlag
				if err := getJSON(tx.Bucket(bRetentionFlags), itob(userID), &f); errors.Is(err, ErrNotFound) {
					return nil
				} else if err != nil {
					return err
				}
				return emit(&f)
			},
			Erase: func(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
				return nil, deleteFlag(tx, userID)
			}},
		BucketInfo{Name: string(bRetentionBySince), Class: Index, IndexOf: string(bRetentionFlags), Holds: "flagged accounts by the start of their retention clock"},
	)
}

// enrolmentRecord is an enrolment as it goes in the export: with the
// course's code and titles, readable without the rest of the database.
type enrolmentRecord struct {
	Enrolment
	CourseCode    string `json:"course_code"`
	CourseTitleEN string `json:"course_title_en"`
	CourseTitleFR string `json:"course_title_fr"`
}

func recordsEnrolments(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
	cs := tx.Bucket(bCourses)
	c := tx.Bucket(bEnrolments).Cursor()
	prefix := itob(userID)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var r enrolmentRecord
		if err := json.Unmarshal(v, &r.Enrolment); err != nil {
			return err
		}
		var co Course
		if err := getJSON(cs, k[8:16], &co); err == nil {
			r.CourseCode, r.CourseTitleEN, r.CourseTitleFR = co.Code, co.TitleEN, co.TitleFR
		}
		if err := emit(&r); err != nil {
			return err
		}
	}
	return nil
}

func eraseEnrolments(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
	return nil, deleteSwapped(tx.Bucket(bEnrolments), tx.Bucket(bEnrolmentsByCourse), userID)
}

func eraseProgress(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
	return nil, deleteSwapped(tx.Bucket(bProgress), tx.Bucket(bProgressByCourse), userID)
}

// deleteSwapped deletes the keys of b under BE(userID) and their twins
// `BE(course) BE(user) …` in idx.
func deleteSwapped(b, idx *bolt.Bucket, userID uint64) error {
	for _, k := range prefixKeys(b, itob(userID)) {
		if err := b.Delete(k); err != nil {
			return err
		}
		if err := idx.Delete(swapPair(k)); err != nil {
			return err
		}
	}
	return nil
}
