package app

import (
	"encoding/json"
	"errors"
	"io"
	"mime/quotedprintable"
	"strings"
	"testing"
	"time"

	"accord/store"
)

// Ensure that the rule of the last message holds: no mail configured,
// nothing; otherwise the plain last mail, or the one listing what is kept.
func TestLastMailBody(t *testing.T) {
	kept := []store.Kept{{Category: store.CategoryCourses, Later: true}}
	for _, tc := range []struct {
		name   string
		mailOn bool
		kept   []store.Kept
		want   string
	}{
		{"no mail, nothing kept", false, nil, ""},
		{"no mail, data kept", false, kept, ""},
		{"mail, nothing kept", true, nil, "notice.erased.body"},
		{"mail, data kept", true, kept, "notice.erased.body_kept"},
	} {
		if got := lastMailBody(tc.mailOn, tc.kept); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Ensure that an approved erasure of a learner enrolled in a running
// course keeps that enrolment and its progress (protected), and erases
// the rest: the report says what was kept and why; the person is told
// once, by mail in their language, what is kept and until when, or not at
// all without mail; the schedule of the later erasure holds nothing that
// names them; the daily review erases the kept data once the course is
// deleted, dates the report and compacts.
func TestErasureKeepsProtectedData(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mail    bool
		lang    string
		running bool
		want    []string // in the last mail
	}{
		{"running course, mail, French", true, "fr", true,
			[]string{"Formations et progression", "demande n", "formation en cours", "anonyme"}},
		{"running course, mail, English", true, "en", true,
			[]string{"Courses and learning progress", "until the enrolment in the running course ends", "Data protection requests", "anonymous record"}},
		{"no running course, mail", true, "en", false,
			[]string{"Data protection requests", "kept as an anonymous record"}},
		{"running course, no mail", false, "en", true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var srv *smtpServer
			e := newEnv(t)
			if tc.mail {
				srv = newSMTPServer(t, "127.0.0.1:0")
				e = newMailEnv(t, srv.addr)
			}
			ann := e.user(t, "ann@example.org", store.RoleLearner)
			if _, err := e.db.UpdateUser(ann.ID, store.AuditEvent{Action: store.ActUserUpdated}, func(u *store.User) error {
				u.Lang = tc.lang
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			co := &store.Course{Code: "RUN", TitleEN: "Running", TitleFR: "En cours"}
			if err := e.db.CreateCourse(co, 0); err != nil {
				t.Fatal(err)
			}
			if err := e.db.Enrol(ann.ID, co.ID, 0); err != nil {
				t.Fatal(err)
			}
			if err := e.db.SetProgress(&store.Progress{UserID: ann.ID, CourseID: co.ID, ActivityID: "a1", Activity: "Quiz", Status: store.ProgressInProgress, Percent: 40}); err != nil {
				t.Fatal(err)
			}
			if !tc.running {
				if err := e.db.Unenrol(ann.ID, co.ID, 0); err != nil {
					t.Fatal(err)
				}
			}
			r, err := e.app.createRequest(store.NewRequest{UserID: ann.ID, Type: store.RequestDelete, DueDays: 30, AutoApprove: true,
				FiledBy: store.FiledBySelf, FiledByID: ann.ID})
			if err != nil {
				t.Fatal(err)
			}
			e.settle()
			if _, err := e.db.User(ann.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("ann after the erasure: got %v, want not found", err)
			}
			if r, err = e.db.Request(r.ID); err != nil || r.Status != store.StatusComplete {
				t.Fatalf("request: got %+v, %v; want complete", r, err)
			}
			kept := map[string]store.Kept{}
			for _, k := range r.Kept {
				kept[k.Category] = k
			}
			if k, ok := kept[store.CategoryCourses]; ok != tc.running || (ok && (!k.Later || k.Why["fr"] == "" || k.Name["en"] == "")) {
				t.Errorf("report: courses kept = %+v, %v; want kept until later (%v) with why and name", k, ok, tc.running)
			}
			if k, ok := kept[store.CategoryRequests]; !ok || k.Later {
				t.Errorf("report: requests kept = %+v, %v; want kept as an anonymous record", k, ok)
			}
			n, err := e.db.CountProgress(ann.ID)
			if err != nil {
				t.Fatal(err)
			}
			if (n == 1) != tc.running {
				t.Errorf("progress rows after the erasure: got %d, want 1 only with a running course", n)
			}
			held, err := e.db.HeldErasures()
			if err != nil {
				t.Fatal(err)
			}
			if (len(held) == 1) != tc.running {
				t.Fatalf("schedule: got %+v, want one only with a running course", held)
			}
			raw, err := json.Marshal(held)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(raw), "ann") {
				t.Errorf("schedule %s names the person", raw)
			}
			if tc.mail {
				e.app.deliverMail()
				body := lastMailTo(t, srv, "ann@example.org")
				for _, s := range tc.want {
					if !strings.Contains(body, s) {
						t.Errorf("last mail: %q missing in\n%s", s, body)
					}
				}
			} else if ms := e.outbox(t); len(ms) != 0 {
				t.Errorf("without mail: got %d mails queued, want none", len(ms))
			}
			if !tc.running {
				return
			}
			// The course runs: the review keeps waiting.
			e.advance(24 * time.Hour)
			e.app.sweepRetention()
			if held, _ := e.db.HeldErasures(); len(held) != 1 {
				t.Fatalf("while the course runs: schedule %+v, want it kept", held)
			}
			if _, _, err := e.db.DeleteCourse(co.ID, 0); err != nil {
				t.Fatal(err)
			}
			e.advance(24 * time.Hour)
			e.app.sweepRetention()
			if held, _ := e.db.HeldErasures(); len(held) != 0 {
				t.Errorf("after the course ended: schedule %+v, want none", held)
			}
			if r, err = e.db.Request(r.ID); err != nil {
				t.Fatal(err)
			}
			for _, k := range r.Kept {
				if k.Category == store.CategoryCourses && !k.ErasedAt.Equal(e.clock()) {
					t.Errorf("report: courses erased at %v, want %v", k.ErasedAt, e.clock())
				}
			}
		})
	}
}

// lastMailTo is the decoded text of the one mail srv received for to.
func lastMailTo(t *testing.T, srv *smtpServer, to string) string {
	t.Helper()
	var got []string
	for _, m := range srv.mails() {
		if len(m.To) == 1 && m.To[0] == to {
			_, body, _ := strings.Cut(strings.ReplaceAll(m.Data, "\r\n", "\n"), "\n\n")
			text, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(text))
		}
	}
	if len(got) != 1 {
		t.Fatalf("got %d mails to %s, want 1", len(got), to)
	}
	return got[0]
}
