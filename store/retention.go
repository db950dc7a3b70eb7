package store

import (
	"bytes"
	"encoding/json"
	"errors"
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
func (db *DB) SweepRetention(days int) (res SweepResult, err error) {
	if days <= 0 {
		return res, nil
	}
	err = db.update(func(tx *bolt.Tx) error {
		now := db.now()
		limit := time.Duration(days) * 24 * time.Hour
		flags := tx.Bucket(bRetentionFlags)
		var users []User
		guardians := map[uint64]bool{}
		err := tx.Bucket(bUsers).ForEach(func(_, v []byte) error {
			var u User
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			users = append(users, u)
			if u.GuardianID != 0 {
				guardians[u.GuardianID] = true
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, u := range users {
			since, active, err := lastEnrolmentEnd(tx, u.ID)
			if err != nil {
				return err
			}
			flagged := flags.Get(itob(u.ID)) != nil
			// A guardian's account serves their minor's: it goes with the
			// minor's own review, not on its own.
			if u.Role.Staff() || active || guardians[u.ID] {
				if flagged {
					if err := db.clearFlag(tx, u.ID, "review"); err != nil {
						return err
					}
					res.Cleared++
				}
				continue
			}
			reason := ReasonNoEnrolment
			if since.IsZero() {
				since, reason = u.CreatedAt, ReasonNeverEnrolled
			}
			if flagged {
				res.Total++
				continue
			}
			if now.Sub(since) < limit {
				continue
			}
			f := RetentionFlag{UserID: u.ID, FlaggedAt: now, Since: since, Reason: reason}
			if err := putJSON(flags, itob(u.ID), &f); err != nil {
				return err
			}
			if err := db.auditTx(tx, &AuditEvent{Action: ActRetentionFlagged, SubjectID: u.ID, Detail: reason}); err != nil {
				return err
			}
			res.Flagged++
			res.Total++
		}
		return nil
	})
	return res, err
}

// lastEnrolmentEnd is when the user's last enrolment ended (zero if the user
// never had one), and whether one is still active.
func lastEnrolmentEnd(tx *bolt.Tx, userID uint64) (end time.Time, active bool, err error) {
	if v := tx.Bucket(bEnrolmentEnds).Get(itob(userID)); v != nil {
		if err := json.Unmarshal(v, &end); err != nil {
			return end, false, err
		}
	}
	c := tx.Bucket(bEnrolments).Cursor()
	prefix := itob(userID)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var e Enrolment
		if err := json.Unmarshal(v, &e); err != nil {
			return end, false, err
		}
		if e.Active() {
			active = true
		} else if e.EndedAt.After(end) {
			end = e.EndedAt
		}
	}
	return end, active, nil
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
	flags := tx.Bucket(bRetentionFlags)
	if flags.Get(itob(userID)) == nil {
		return nil
	}
	if err := flags.Delete(itob(userID)); err != nil {
		return err
	}
	return db.auditTx(tx, &AuditEvent{Action: ActRetentionCleared, SubjectID: userID, Detail: why})
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
// enrolment first, and how many match. Without a search only the page's
// accounts are read.
func (db *DB) RetentionFlags(q RetentionQuery) (out []FlaggedUser, total int, err error) {
	needle := strings.ToLower(strings.TrimSpace(q.Q))
	err = db.view(func(tx *bolt.Tx) error {
		var all []FlaggedUser
		err := tx.Bucket(bRetentionFlags).ForEach(func(k, v []byte) error {
			var f FlaggedUser
			if err := json.Unmarshal(v, &f.RetentionFlag); err != nil {
				return err
			}
			if q.Reason != "" && f.Reason != q.Reason {
				return nil
			}
			if needle != "" {
				u, err := userTx(tx, btoi(k))
				if errors.Is(err, ErrNotFound) {
					return nil // erased since: the flag went with it
				} else if err != nil {
					return err
				}
				f.Email, f.Name = u.Email, u.Name()
				if !strings.Contains(strings.ToLower(f.Email), needle) && !strings.Contains(strings.ToLower(f.Name), needle) {
					return nil
				}
			}
			all = append(all, f)
			return nil
		})
		if err != nil {
			return err
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
		out = all[lo:hi]
		if needle != "" {
			return nil
		}
		for i := range out {
			u, err := userTx(tx, out[i].UserID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			} else if err == nil {
				out[i].Email, out[i].Name = u.Email, u.Name()
			}
		}
		return nil
	})
	return out, total, err
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
			Records: recordsEnrolments, Erase: eraseEnrolments},
		BucketInfo{Name: string(bEnrolmentsByCourse), Class: Index, IndexOf: string(bEnrolments), Holds: "course → enrolled accounts"},
		BucketInfo{Name: string(bProgress), Class: Personal, Holds: "progress in each activity of a course: status, percent, score",
			Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
				return eachProgress(tx, userID, func(p *Progress) error { return emit(p) })
			},
			Erase: eraseProgress},
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
			Erase: func(tx *bolt.Tx, userID uint64) (string, error) {
				return "", tx.Bucket(bEnrolmentEnds).Delete(itob(userID))
			}},
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
			Erase: func(tx *bolt.Tx, userID uint64) (string, error) {
				return "", tx.Bucket(bRetentionFlags).Delete(itob(userID))
			}},
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

func eraseEnrolments(tx *bolt.Tx, userID uint64) (string, error) {
	return "", deleteSwapped(tx.Bucket(bEnrolments), tx.Bucket(bEnrolmentsByCourse), userID)
}

func eraseProgress(tx *bolt.Tx, userID uint64) (string, error) {
	return "", deleteSwapped(tx.Bucket(bProgress), tx.Bucket(bProgressByCourse), userID)
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
