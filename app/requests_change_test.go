package app

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"accord/locales"
	"accord/static"
	"accord/store"
	"accord/views"
)

// openAppAt builds the real App over the data dir, with mail configured
// (to a server nobody answers: mails stay in the outbox) and no background
// runner, so that every commit a test counts is the one it caused.
func openAppAt(t *testing.T, dir string) (*store.DB, *App) {
	t.Helper()
	db, err := store.Open(dir, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(db, Config{Addr: ":0", BaseURL: "http://localhost:8080", Lang: "en",
		SMTP: "smtp://127.0.0.1:9", MailFrom: "accord@example.org",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Views: views.FS, Static: static.FS, Locales: locales.FS})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	close(a.stop) // kickJobs starts nothing
	return db, a
}

func commitID(t *testing.T, db *store.DB) uint64 {
	t.Helper()
	id, err := db.CommitID()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Ensure that a request's change is ONE commit holding the status, the
// notices to the person and to the guardian who filed, their mails and the
// queued job (found again after the database is closed and reopened), and
// that a refused change commits nothing at all.
func TestRequestChangeIsOneCommit(t *testing.T) {
	dir := t.TempDir()
	db, a := openAppAt(t, dir)
	var g, m, officer store.User
	for _, u := range []*store.User{
		{Email: "guardian@example.org", Role: store.RoleLearner, Lang: "en"},
		{Email: "minor@example.org", Role: store.RoleLearner, Lang: "fr", BirthDate: "2015-01-01"},
		{Email: "dpo@example.org", Role: store.RoleDPO, Lang: "en"},
	} {
		if err := db.CreateUser(u, 0); err != nil {
			t.Fatal(err)
		}
	}
	gp, _ := db.UserByEmail("guardian@example.org")
	mp, _ := db.UserByEmail("minor@example.org")
	op, _ := db.UserByEmail("dpo@example.org")
	g, m, officer = *gp, *mp, *op
	if _, err := db.UpdateUser(m.ID, store.AuditEvent{}, func(u *store.User) error { u.GuardianID = g.ID; return nil }); err != nil {
		t.Fatal(err)
	}

	before := commitID(t, db)
	r, err := a.createRequest(store.NewRequest{UserID: m.ID, Type: store.RequestOther, FiledBy: store.FiledByGuardian, FiledByID: g.ID, DueDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	if got := commitID(t, db); got != before+1 {
		t.Errorf("filing: got %d commits, want 1", got-before)
	}
	before = commitID(t, db)
	if _, err := a.moveRequest(r.ID, store.StatusApproved, officer.ID, "Vu."); err != nil {
		t.Fatal(err)
	}
	if got := commitID(t, db); got != before+1 {
		t.Errorf("approval: got %d commits, want 1", got-before)
	}
	// Refused: approved → rejected is not in the table.
	before = commitID(t, db)
	if _, err := a.moveRequest(r.ID, store.StatusRejected, officer.ID, "no"); !errors.Is(err, store.ErrBadTransition) {
		t.Fatalf("reject an approved request: got %v, want ErrBadTransition", err)
	}
	if got := commitID(t, db); got != before {
		t.Errorf("refused change: got %d commits, want none", got-before)
	}
	a.jobs.Wait()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = store.Open(dir, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Request(r.ID)
	if err != nil || got.Status != store.StatusApproved || got.Note != "Vu." {
		t.Fatalf("after reopening: got %+v, %v; want approved with the note", got, err)
	}
	for _, who := range []store.User{m, g} {
		ns, _, err := db.Notifications(who.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		var subjects []string
		for _, n := range ns {
			subjects = append(subjects, n.Subject)
		}
		want := "notice.request.approved.subject notice.request.awaiting_approval.subject"
		if strings.Join(subjects, " ") != want {
			t.Errorf("%s's notifications after reopening: got %v, want %s", who.Email, subjects, want)
		}
	}
	mails, err := db.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	// Each mail in its recipient's language: the minor reads French.
	wantMails := map[string]bool{
		"minor@example.org Nous avons reçu votre demande sur vos données": false,
		"minor@example.org Votre demande sur vos données est approuvée":   false,
		"guardian@example.org We received your data request":              false,
		"guardian@example.org Your data request is approved":              false,
	}
	for _, ml := range mails {
		for k := range wantMails {
			to, subject, _ := strings.Cut(k, " ")
			if ml.To == to && ml.Subject == subject {
				wantMails[k] = true
			}
		}
		if strings.Contains(ml.Subject, "declined") || strings.Contains(ml.Subject, "refusée") {
			t.Errorf("the refused change left a mail: %q", ml.Subject)
		}
	}
	for k, found := range wantMails {
		if !found {
			t.Errorf("after reopening, no mail %q among %d", k, len(mails))
		}
	}
	jobs, err := db.Jobs()
	if err != nil || len(jobs) != 1 || jobs[0].RequestID != r.ID || jobs[0].State != store.JobPending {
		t.Errorf("after reopening: got jobs %+v, %v; want one pending for the approved request", jobs, err)
	}
}

// Ensure that the rule "who may download what" gives each case the answer
// written beside it.
func TestMayDownload(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	person := &store.User{ID: 1, Role: store.RoleLearner}
	guardian := &store.User{ID: 2, Role: store.RoleLearner}
	stranger := &store.User{ID: 3, Role: store.RoleLearner}
	officer := &store.User{ID: 4, Role: store.RoleDPO}
	admin := &store.User{ID: 5, Role: store.RoleAdmin}
	ready := store.DataRequest{ID: 9, UserID: 1, Type: store.RequestExport, Status: store.StatusDownloadReady, ExpiresAt: now.Add(time.Hour)}
	byGuardian := ready
	byGuardian.FiledBy, byGuardian.FiledByID = store.FiledByGuardian, 2
	past := ready
	past.ExpiresAt = now.Add(-time.Second)
	swept := ready
	swept.Status = store.StatusExpired
	processing := ready
	processing.Status = store.StatusProcessing
	other := ready
	other.Type, other.Status = store.RequestOther, store.StatusComplete
	cases := []struct {
		name     string
		me       *store.User
		r        store.DataRequest
		guarding bool
		door     exportDoor
		want     int
	}{
		{"the person downloads their ready export", person, ready, false, personDoor, 200},
		{"the guardian who filed it downloads it while still guarding", guardian, byGuardian, true, personDoor, 200},
		{"the guardian who filed it gets nothing once no longer guarding", guardian, byGuardian, false, personDoor, 404},
		{"a guardian who did not file it gets nothing, even guarding", guardian, ready, true, personDoor, 404},
		{"another learner gets nothing", stranger, ready, false, personDoor, 404},
		{"an officer gets nothing through the profile route", officer, ready, false, personDoor, 404},
		{"an officer downloads it through the admin route", officer, ready, false, staffDoor, 200},
		{"an administrator downloads it through the admin route", admin, ready, false, staffDoor, 200},
		{"a learner gets nothing through the admin route, even their own", person, ready, false, staffDoor, 404},
		{"past its expiry date the person is told it expired", person, past, false, personDoor, 410},
		{"once swept to expired the person is told it expired", person, swept, false, personDoor, 410},
		{"an expired export is gone for staff too", officer, swept, false, staffDoor, 410},
		{"a stranger is not told that someone's export expired", stranger, swept, false, personDoor, 404},
		{"an export still being prepared gives nothing yet", person, processing, false, personDoor, 404},
		{"a request that is not an export has nothing to download", person, other, false, personDoor, 404},
		{"nor for staff", admin, other, false, staffDoor, 404},
	}
	for _, c := range cases {
		if got := mayDownload(c.me, &c.r, c.guarding, c.door, now); got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, got, c.want)
		}
	}
}

// Ensure that staff download a person's ready export through the admin
// route (audited, the link on the officer's page), and learners cannot.
func TestStaffDownloadsExport(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	officer := e.user(t, "dpo@example.org", store.RoleDPO)
	r, err := e.app.createRequest(store.NewRequest{UserID: ann.ID, Type: store.RequestExport, DueDays: 30, AutoApprove: true})
	if err != nil {
		t.Fatal(err)
	}
	e.settle()
	s := e.client(t)
	s.login("dpo@example.org")
	if res := s.get(reqPath("/admin/requests", r, "")).want(t, http.StatusOK); !res.has(reqPath("/admin/requests", r, "/download")) {
		t.Errorf("the officer's page has no download link")
	}
	res := s.get(reqPath("/admin/requests", r, "/download")).want(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "application/zip" {
		t.Errorf("Content-Type: got %q, want application/zip", ct)
	}
	if ev, _, _ := e.db.ListAudit(store.AuditQuery{UserID: officer.ID, Action: store.ActExportDownloaded}); len(ev) != 1 || ev[0].SubjectID != ann.ID {
		t.Errorf("staff download audit: got %+v, want one event about ann", ev)
	}
	c := e.client(t)
	c.login("ann@example.org")
	c.get(reqPath("/admin/requests", r, "/download")).want(t, http.StatusForbidden)
	c.get(reqPath("/profile/requests", r, "/download")).want(t, http.StatusOK)
	c.post(reqPath("/profile/requests", r, "/cancel"), url.Values{}).want(t, http.StatusConflict)
}
