package app

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"accord/locales"
	"accord/static"
	"accord/store"
	"accord/views"
)

// guardianKillCap bounds one cycle of the guardian fault test.
const guardianKillCap = 60 * time.Second

// Ensure that a process killed (SIGKILL) while a minor signs up naming a
// guardian, or while the guardian creates their account from the link,
// leaves all of it or none of it: killed inside the transaction, nothing
// is stored (no account, invitation or mail) and the same form works after
// the restart; killed after the commit but before the sign-in, the
// account, the invitation and its mail (or the guardian's account, the link
// and the spent invitation) are all there, the mail goes out through a
// real SMTP server after the restart, and the person signs in as usual.
// A child process runs the real app over the data dir and stops at the
// named point; the parent kills it and starts the app again.
func TestGuardianInvitationAfterSIGKILL(t *testing.T) {
	if dir := os.Getenv("ACCORD_GUARDIAN_CHILD"); dir != "" {
		guardianChild(t, dir, os.Getenv("ACCORD_GUARDIAN_FAULT"), os.Getenv("ACCORD_GUARDIAN_SMTP"), os.Getenv("ACCORD_GUARDIAN_TOKEN"))
		return
	}
	for _, point := range []string{store.FaultMinorCreating, store.FaultMinorCreated, store.FaultGuardianLinking, store.FaultGuardianCreated} {
		t.Run(point, func(t *testing.T) {
			srv := newSMTPServer(t, "127.0.0.1:0")
			dir := t.TempDir()
			token := ""
			linking := point == store.FaultGuardianLinking || point == store.FaultGuardianCreated
			if linking { // the minor signed up before the crash
				e := guardianFaultEnv(t, dir, srv.addr)
				c := e.client(t)
				c.get("/signup")
				c.post("/signup", minorSignup("lou@example.org", "jane@example.org", "Jane Doe")).want(t, http.StatusSeeOther)
				token = e.inviteToken(t, "jane@example.org")
				closeGuardianFaultEnv(t, e)
			}
			killChildAt(t, "TestGuardianInvitationAfterSIGKILL", point, guardianKillCap, "ACCORD_GUARDIAN_CHILD="+dir, "ACCORD_GUARDIAN_FAULT="+point, "ACCORD_GUARDIAN_SMTP="+srv.addr, "ACCORD_GUARDIAN_TOKEN="+token)

			e := guardianFaultEnv(t, dir, srv.addr)
			defer closeGuardianFaultEnv(t, e)
			switch point {
			case store.FaultMinorCreating:
				if _, err := e.db.UserByEmail("lou@example.org"); err == nil {
					t.Errorf("killed in the transaction, the minor's account is there")
				}
				if ms := e.outbox(t); len(ms) != 0 {
					t.Errorf("killed in the transaction, mail is queued: %+v", ms)
				}
				c := e.client(t)
				c.get("/signup")
				c.post("/signup", minorSignup("lou@example.org", "jane@example.org", "Jane Doe")).want(t, http.StatusSeeOther)
				e.inviteToken(t, "jane@example.org")
			case store.FaultMinorCreated:
				m, err := e.db.UserByEmail("lou@example.org")
				if err != nil || !m.AwaitsGuardian {
					t.Fatalf("after the restart the minor is %+v, %v; want waiting for a guardian", m, err)
				}
				if n := e.mailsTo(t, "jane@example.org"); n != 1 {
					t.Errorf("after the restart %d invitations are queued, want 1", n)
				}
				e.app.deliverMail()
				link := ""
				for _, ml := range srv.mails() {
					link = inviteLink.FindString(decodedMail(ml.Data))
				}
				if link == "" {
					t.Fatalf("no invitation reached the SMTP server after the restart: %+v", srv.mails())
				}
				e.client(t).get(link).want(t, http.StatusOK)
				c := e.client(t)
				c.login("lou@example.org")
				if res := c.get("/profile"); !strings.HasPrefix(res.Header.Get("Location"), "/consent") {
					t.Errorf("the minor is not held at the waiting page: %d %q", res.Status, res.Header.Get("Location"))
				}
			case store.FaultGuardianLinking:
				if _, err := e.db.UserByEmail("jane@example.org"); err == nil {
					t.Errorf("killed in the transaction, the guardian's account is there")
				}
				if m, _ := e.db.UserByEmail("lou@example.org"); m.GuardianID != 0 || !m.AwaitsGuardian {
					t.Errorf("killed in the transaction, the minor is linked: %+v", m)
				}
				c := e.client(t)
				c.get(guardianInvitePath+"?token="+token).want(t, http.StatusOK)
				c.post(guardianInvitePath+"/account", guardianAccount(token)).want(t, http.StatusSeeOther)
			case store.FaultGuardianCreated:
				g, err := e.db.UserByEmail("jane@example.org")
				if err != nil {
					t.Fatalf("after the restart there is no guardian's account: %v", err)
				}
				m, _ := e.db.UserByEmail("lou@example.org")
				if m.GuardianID != g.ID || m.AwaitsGuardian {
					t.Errorf("after the restart the minor is %+v; want linked to %d", m, g.ID)
				}
				e.client(t).get(guardianInvitePath+"?token="+token).want(t, http.StatusGone)
				e.agreeAll(t, g)
				c := e.client(t)
				c.login("jane@example.org")
				c.get(minorPoliciesPath(m.ID)).want(t, http.StatusOK)
			}
		})
	}
}

func guardianAccount(token string) url.Values {
	return url.Values{"token": {token}, "first_name": {"Jane"}, "last_name": {"Doe"}, "password": {testPassword}}
}

// guardianChild signs a minor up (no token) or creates the guardian's
// account from token, parking at point for the parent to kill it.
func guardianChild(t *testing.T, dir, point, smtpAddr, token string) {
	e := guardianFaultEnv(t, dir, smtpAddr)
	e.db.FaultHook = func(p string) {
		if p == point {
			fmt.Println("at " + p)
			os.Stdout.Sync()
			time.Sleep(guardianKillCap) // parked: the parent kills the process now
		}
	}
	c := e.client(t)
	if token == "" {
		c.get("/signup")
		c.post("/signup", minorSignup("lou@example.org", "jane@example.org", "Jane Doe"))
	} else {
		c.get(guardianInvitePath + "?token=" + token)
		c.post(guardianInvitePath+"/account", guardianAccount(token))
	}
	fmt.Println("done without reaching " + point)
}

// guardianFaultEnv opens the store in dir as a server does (fsync on) with
// the real App over it, mail to smtpAddr and no tickers, on a pinned clock
// the same in every process.
func guardianFaultEnv(t *testing.T, dir, smtpAddr string) *testEnv {
	t.Helper()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, db: db, now: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}
	db.Now = e.clock
	if err := db.SeedSettings(store.DefaultSettings("en")); err != nil {
		t.Fatal(err)
	}
	a, err := New(db, Config{Addr: ":0", BaseURL: "http://localhost:8080", Lang: "en", SMTP: "smtp://" + smtpAddr, MailFrom: "accord@example.org",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Views: views.FS, Static: static.FS, Locales: locales.FS})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	e.app = a
	return e
}

func closeGuardianFaultEnv(t *testing.T, e *testEnv) {
	t.Helper()
	if err := e.db.Check(); err != nil {
		t.Errorf("database check: %v", err)
	}
	closeFaultApp(t, e.db, e.app)
}
