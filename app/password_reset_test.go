package app

import (
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"accord/store"
)

var resetLink = regexp.MustCompile(`/password/reset\?token=([A-Za-z0-9_%-]+)`)

// Ensure that without mail the reset pages do not exist and the login form
// does not offer them.
func TestPasswordResetNeedsMail(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	if c.get("/login").has("/password/forgot") {
		t.Errorf("login form offers a reset without mail")
	}
	c.get("/password/forgot").want(t, http.StatusNotFound)
	c.get("/password/reset?token=x").want(t, http.StatusNotFound)
	c.post("/password/forgot", url.Values{"email": {"a@example.org"}}).want(t, http.StatusNotFound)
}

// Ensure the whole reset: same answer for known and unknown addresses, a
// mail in the user's language with a single-use link, the password rules,
// every session ended, and the new password working.
func TestPasswordResetFlow(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1:0")
	e := newMailEnv(t, srv.addr)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	if _, err := e.db.UpdateUser(ann.ID, store.AuditEvent{}, func(u *store.User) error { u.Lang = "fr"; return nil }); err != nil {
		t.Fatal(err)
	}
	elsewhere := e.client(t)
	elsewhere.login("ann@example.org")

	c := e.client(t)
	if !c.get("/login").has(`href="/password/forgot"`) {
		t.Errorf("login form does not offer the reset with mail configured")
	}
	c.get("/password/forgot").want(t, http.StatusOK)
	known := c.post("/password/forgot", url.Values{"email": {"ann@example.org"}}).want(t, http.StatusSeeOther)
	unknown := c.post("/password/forgot", url.Values{"email": {"nobody@example.org"}}).want(t, http.StatusSeeOther)
	if known.Header.Get("Location") != unknown.Header.Get("Location") {
		t.Errorf("known and unknown addresses answered differently")
	}
	res := c.post("/password/forgot", url.Values{"email": {"not an email"}}, "HX-Request", "true").want(t, http.StatusUnprocessableEntity)
	if res.has("<html") || !res.has(`id="forgot-form"`) {
		t.Errorf("htmx 422: want the form fragment")
	}
	e.app.deliverMail()
	mails := srv.mails()
	if len(mails) != 1 || mails[0].To[0] != "ann@example.org" {
		t.Fatalf("got %d mails, want 1 to ann", len(mails))
	}
	raw, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(mails[0].Data)))
	body := string(raw)
	if !strings.Contains(body, "Bonjour") {
		t.Errorf("mail not in the user's language (fr):\n%s", body)
	}
	m := resetLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no reset link in the mail:\n%s", body)
	}
	token, _ := url.QueryUnescape(m[1])

	c.get("/password/reset?token="+url.QueryEscape(token)).want(t, http.StatusOK)
	c.get("/password/reset?token=forged").want(t, http.StatusGone)
	for _, pw := range []string{"short", "ann@example.org"} {
		res := c.post("/password/reset", url.Values{"token": {token}, "password": {pw}}).want(t, http.StatusUnprocessableEntity)
		if !res.has(`name="token" value="`) {
			t.Errorf("422 lost the token")
		}
	}
	c.post("/password/reset", url.Values{"token": {token}, "password": {"a brand new secret"}}).want(t, http.StatusSeeOther)
	if got := elsewhere.get("/profile"); got.Status != http.StatusSeeOther {
		t.Errorf("other session: got %d, want 303 to sign in (ended)", got.Status)
	}
	c.post("/password/reset", url.Values{"token": {token}, "password": {"another new secret"}}).want(t, http.StatusGone)
	c.get("/login")
	c.post("/login", url.Values{"email": {"ann@example.org"}, "password": {"a brand new secret"}}).want(t, http.StatusSeeOther)
}

// Ensure that a link stops working after an hour and that asking too often
// from one address gets 429.
func TestPasswordResetLimits(t *testing.T) {
	e := newMailEnv(t, freeAddr(t))
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	token, err := e.db.IssuePasswordReset(ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.advance(time.Hour)
	c := e.client(t)
	c.get("/password/reset?token="+token).want(t, http.StatusGone)
	for i := 0; i < forgotPerIPPerHour; i++ {
		c.post("/password/forgot", url.Values{"email": {"ann@example.org"}}).want(t, http.StatusSeeOther)
	}
	res := c.post("/password/forgot", url.Values{"email": {"ann@example.org"}}).want(t, http.StatusTooManyRequests)
	if res.Header.Get("Retry-After") == "" || !res.has(`value="ann@example.org"`) {
		t.Errorf("429: want Retry-After and the form as typed")
	}
	e.app.deliverMail() // the mail job turns requests into mails (and fails to send them)
	if n := len(e.outbox(t)); n != forgotPerAccountPerHour {
		t.Errorf("got %d mails queued, want %d (the per-account cap)", n, forgotPerAccountPerHour)
	}
}
