package app

import (
	"errors"
	"fmt"
	"io"

	"accord/store"
)

// demoCourses adds three courses, enrolments and progress for the demo
// learners; what exists already is left alone, so running it twice adds
// nothing.
func (a *App) demoCourses(out io.Writer) error {
	courses := []store.Course{
		{Code: "GDPR-101", TitleEN: "Data protection basics", TitleFR: "Les bases de la protection des données"},
		{Code: "WEB-201", TitleEN: "Accessible web pages", TitleFR: "Des pages web accessibles"},
		{Code: "SEC-110", TitleEN: "Password hygiene", TitleFR: "L’hygiène des mots de passe"},
	}
	ids := map[string]uint64{}
	for _, co := range courses {
		got, err := a.db.CourseByCode(co.Code)
		if errors.Is(err, store.ErrNotFound) {
			got = &co
			err = a.db.CreateCourse(got, 0)
		}
		if err != nil {
			return err
		}
		ids[co.Code] = got.ID
	}
	type step struct {
		id, name, status string
		percent          int
		score            float64
	}
	activities := []step{
		{"intro", "Introduction", store.ProgressCompleted, 100, 0},
		{"quiz-1", "Quiz 1", store.ProgressCompleted, 100, 82},
		{"project", "Final project", store.ProgressInProgress, 40, 0},
	}
	plan := map[string][]string{
		"alice@demo.test": {"GDPR-101", "WEB-201"},
		"bob@demo.test":   {"GDPR-101", "SEC-110"},
		"minor@demo.test": {"WEB-201"},
	}
	added := 0
	for email, codes := range plan {
		u, err := a.db.UserByEmail(email)
		if err != nil {
			return err
		}
		mine, err := a.db.UserCourses(u.ID)
		if err != nil {
			return err
		}
		for i, code := range codes {
			if enrolledOnce(mine, ids[code]) {
				continue
			}
			if err := a.db.Enrol(u.ID, ids[code], 0); err != nil {
				return err
			}
			added++
			// The first course is further along than the second.
			for _, s := range activities[:len(activities)-i] {
				p := &store.Progress{UserID: u.ID, CourseID: ids[code], ActivityID: s.id, Activity: s.name, Status: s.status, Percent: s.percent}
				if s.score > 0 {
					p.Score = &s.score
				}
				if err := a.db.SetProgress(p); err != nil {
					return err
				}
			}
		}
	}
	fmt.Fprintf(out, "demo courses: GDPR-101, WEB-201, SEC-110 (%d new enrolments)\n", added)
	return nil
}

func enrolledOnce(mine []store.MyCourse, courseID uint64) bool {
	for _, m := range mine {
		if m.Course.ID == courseID {
			return true
		}
	}
	return false
}
