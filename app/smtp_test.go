package app

import (
	"net"
	"strings"
	"testing"
	"time"

	"accord/internal/smtptest"
	"accord/store"
)

// smtpServer is a real SMTP server on 127.0.0.1 that keeps what it receives.
type smtpServer struct {
	*smtptest.Server
	addr string // host:port
}

// newSMTPServer serves on addr ("127.0.0.1:0" for any free port) until the
// test ends.
func newSMTPServer(t testing.TB, addr string) *smtpServer {
	return newSMTPServerHanging(t, addr, smtptest.Never)
}

// newSMTPServerHanging is newSMTPServer that stops answering at hangAt.
func newSMTPServerHanging(t testing.TB, addr, hangAt string) *smtpServer {
	s := smtptest.Start(t, addr, hangAt)
	return &smtpServer{s, s.Addr}
}

func (s *smtpServer) mails() []smtptest.Mail { return s.Mails() }

// freeAddr is a local address nothing listens on (yet).
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// newMailEnv is newEnv with mail configured to go to smtpAddr.
func newMailEnv(t testing.TB, smtpAddr string) *testEnv {
	t.Helper()
	return newEnvWith(t, func(c *Config) { c.SMTP, c.MailFrom = "smtp://"+smtpAddr, "accord@example.org" })
}

// outbox lists the mails waiting in e's outbox.
func (e *testEnv) outbox(t testing.TB) []store.OutMail {
	t.Helper()
	ms, err := e.db.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// Ensure that a queued mail goes through a real SMTP exchange in the
// recipient's language, and leaves the outbox once delivered.
func TestMailDelivered(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1:0")
	e := newMailEnv(t, srv.addr)
	if err := e.app.mailTo("dpo@example.org", "fr", "password.mail.subject", "password.mail.body", "Name", "Anne", "Site", "Accord"); err != nil {
		t.Fatal(err)
	}
	e.app.deliverMail()
	got := srv.mails()
	if len(got) != 1 {
		t.Fatalf("got %d mails, want 1", len(got))
	}
	if got[0].From != "accord@example.org" || len(got[0].To) != 1 || got[0].To[0] != "dpo@example.org" {
		t.Errorf("got envelope %q → %v, want accord@example.org → dpo@example.org", got[0].From, got[0].To)
	}
	if !strings.Contains(got[0].Data, "Bonjour Anne") {
		t.Errorf("got body %q, want the French text", got[0].Data)
	}
	if n := len(e.outbox(t)); n != 0 {
		t.Errorf("got %d mails left in the outbox, want 0", n)
	}
}

// Ensure that while the SMTP server is down the mail stays in the outbox
// with a growing delay, and that it is delivered once, and only once, when
// the server is back.
func TestMailRetriedUntilDelivered(t *testing.T) {
	addr := freeAddr(t)
	e := newMailEnv(t, addr)
	if err := e.app.mailTo("ann@example.org", "en", "password.mail.subject", "password.mail.body", "Name", "Ann", "Site", "Accord"); err != nil {
		t.Fatal(err)
	}
	e.app.deliverMail()
	ms := e.outbox(t)
	if len(ms) != 1 || ms[0].Attempts != 1 || ms[0].LastError == "" {
		t.Fatalf("after a failure: got %+v, want one mail with 1 attempt and its error", ms)
	}
	first := ms[0].NextAt.Sub(e.clock())
	e.advance(first)
	e.app.deliverMail()
	ms = e.outbox(t)
	if len(ms) != 1 || ms[0].Attempts != 2 {
		t.Fatalf("after a second failure: got %+v, want 2 attempts", ms)
	}
	if second := ms[0].NextAt.Sub(e.clock()); second <= first {
		t.Errorf("got back-off %v then %v, want it to grow", first, second)
	}

	srv := newSMTPServer(t, addr)
	e.app.deliverMail() // not due yet: nothing sent
	if n := len(srv.mails()); n != 0 {
		t.Fatalf("got %d mails before the retry time, want 0", n)
	}
	e.advance(time.Hour)
	e.app.deliverMail()
	e.app.deliverMail()
	if n := len(srv.mails()); n != 1 {
		t.Fatalf("got %d mails, want exactly 1", n)
	}
	if n := len(e.outbox(t)); n != 0 {
		t.Errorf("got %d mails left in the outbox, want 0", n)
	}
}

// Ensure that the back-off doubles from 30 s and stops at one hour.
func TestMailBackoff(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {8, 64 * time.Minute}, {30, time.Hour}} {
		want := min(tc.want, time.Hour)
		if got := mailBackoff(tc.n); got != want {
			t.Errorf("mailBackoff(%d): got %v, want %v", tc.n, got, want)
		}
	}
}
