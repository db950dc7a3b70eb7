package app

import (
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"accord/store"
)

// mailedLink is the path and query of the last link to path mailed to addr
// (the link names the configured base URL; the test server has another).
func mailedLink(t *testing.T, e *testEnv, srv *smtpServer, addr, path string) string {
	t.Helper()
	e.app.deliverMail()
	link := ""
	for _, m := range srv.mails() {
		if !strings.EqualFold(m.To[0], addr) {
			continue
		}
		raw, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(m.Data)))
		for _, f := range strings.Fields(string(raw)) {
			if u, err := url.Parse(f); err == nil && u.Path == path && u.RawQuery != "" {
				link = u.RequestURI()
			}
		}
	}
	if link == "" {
		t.Fatalf("no link to %s mailed to %s", path, addr)
	}
	return link
}

// contactMail delivers the outbox to srv and returns the token of the
// latest confirmation link mailed to addr.
func contactMail(t *testing.T, e *testEnv, srv *smtpServer, addr string) string {
	t.Helper()
	u, err := url.Parse(mailedLink(t, e, srv, addr, contactConfirmPath))
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("the link mailed to %s has no token (%v)", addr, err)
	}
	return u.Query().Get("token")
}

func contactThreads(t *testing.T, e *testEnv) []store.DPOThread {
	t.Helper()
	ts, _, err := e.db.ListDPOThreads(store.DPOQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// Ensure a visitor's message reaches the officer only through the mailed
// link: the mail arrives with the link, nothing is filed before, the link's
// page writes nothing, its button files once (a second use is refused),
// and the officer's inbox shows "identity: email verified". The answer is
// the same for an address with an account (suspended) and one without.
func TestContactFlow(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1:0")
	e := newMailEnv(t, srv.addr)
	sue := e.user(t, "sue@example.org", store.RoleLearner)
	if _, err := e.db.UpdateUser(sue.ID, store.AuditEvent{}, func(u *store.User) error { u.Suspended = true; return nil }); err != nil {
		t.Fatal(err)
	}
	officer := e.user(t, "dpo@example.org", store.RoleDPO)

	c := e.client(t)
	page := c.get("/contact").want(t, http.StatusOK)
	if !page.has(`action="/contact"`) || !page.has(`name="_csrf"`) {
		t.Fatalf("no contact form with a CSRF field")
	}
	if !page.has(`href="/contact"`) {
		t.Errorf("the footer's DPO link does not lead visitors to /contact")
	}
	if !c.get("/policies").has(`href="/contact"`) {
		t.Errorf("/policies does not link visitors to /contact")
	}
	bad := c.post("/contact", url.Values{"name": {"Vi"}, "email": {"not an email"}, "kind": {"message"}}).want(t, http.StatusUnprocessableEntity)
	if !bad.has(`value="Vi"`) || !bad.has("This field is required.") {
		t.Errorf("422: want the form as typed and translated messages")
	}
	c.get("/contact?lang=fr")
	if r := c.post("/contact", url.Values{"name": {"Vi"}, "email": {"x"}, "kind": {"message"}}); !r.has("Ce champ est obligatoire.") {
		t.Errorf("422 in French: messages not translated")
	}
	c.get("/contact?lang=en")

	visitor := c.post("/contact", url.Values{"name": {"Vic Visitor"}, "email": {"vic@example.org"}, "kind": {"message"},
		"subject": {"My data"}, "message": {"What do you hold about me?"}}).want(t, http.StatusSeeOther)
	suspended := c.post("/contact", url.Values{"name": {"Sue"}, "email": {"sue@example.org"}, "kind": {"delete"},
		"message": {"Please erase me."}}).want(t, http.StatusSeeOther)
	if visitor.Header.Get("Location") != suspended.Header.Get("Location") {
		t.Errorf("an address with an account was answered differently")
	}
	if n := len(contactThreads(t, e)); n != 0 {
		t.Fatalf("%d threads filed before any confirmation, want 0", n)
	}
	vicToken := contactMail(t, e, srv, "vic@example.org")
	sueToken := contactMail(t, e, srv, "sue@example.org")

	before, err := e.db.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	confirm := c.get("/contact/confirm?token="+url.QueryEscape(vicToken)).want(t, http.StatusOK)
	if !confirm.has("What do you hold about me?") || !confirm.has(`action="/contact/confirm"`) || confirm.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("confirmation page: want the message, a POST button and no-store")
	}
	if n := len(contactThreads(t, e)); n != 0 {
		t.Fatalf("the link's page filed %d threads; a GET must write nothing", n)
	}
	c.post("/contact/confirm", url.Values{"token": {vicToken}}).want(t, http.StatusSeeOther)
	c.post("/contact/confirm", url.Values{"token": {vicToken}}).want(t, http.StatusGone)
	c.get("/contact/confirm?token="+url.QueryEscape(vicToken)).want(t, http.StatusGone)
	c.get("/contact/confirm?token=forged").want(t, http.StatusGone)
	c.get("/contact/confirm?token="+url.QueryEscape(sueToken)).want(t, http.StatusOK)
	c.post("/contact/confirm", url.Values{"token": {sueToken}}).want(t, http.StatusSeeOther)

	// Vic has no account: a thread. Sue's erasure is a data request of her
	// (suspended) account, marked email-verified.
	ts := contactThreads(t, e)
	if len(ts) != 1 {
		t.Fatalf("got %d threads, want 1 (each confirmation files once)", len(ts))
	}
	if rs, err := e.db.UserRequests(sue.ID); err != nil || len(rs) != 1 || rs[0].Type != store.RequestDelete ||
		!rs[0].EmailVerified || rs[0].FiledBy != store.FiledByContact {
		t.Fatalf("Sue's erasure: got %+v (%v), want one email-verified deletion request", rs, err)
	}
	for _, th := range ts {
		if !th.EmailVerified {
			t.Errorf("thread %d not marked email-verified", th.ID)
		}
		if th.ContactEmail != "vic@example.org" || th.UserID != 0 || th.Subject != "My data" {
			t.Errorf("visitor's thread: got %s, user %d, subject %q", th.ContactEmail, th.UserID, th.Subject)
		}
	}
	if after, _ := e.db.Outbox(); len(after) <= len(before) {
		t.Errorf("the officer's address was not mailed of the new threads")
	}

	o := e.client(t)
	o.login(officer.Email)
	inbox := o.get("/admin/dpo").want(t, http.StatusOK)
	if strings.Count(inbox.Body, "identity: email verified") != 1 || !inbox.has("vic@example.org") {
		t.Errorf("the officer's inbox does not show Vic's thread as identity: email verified")
	}
	if q := o.get("/admin/requests"); !q.has("identity: email verified") {
		t.Errorf("the officer's queue does not show Sue's request as identity: email verified")
	}
	var vic uint64
	for _, th := range ts {
		if !o.get(adminDPOPath(th.ID)).has("identity: email verified") {
			t.Errorf("thread %d: the officer's page does not show the verified identity", th.ID)
		}
		if th.ContactEmail == "vic@example.org" {
			vic = th.ID
		}
	}
	o.post(adminDPOPath(vic)+"/reply", url.Values{"message": {"We hold nothing about you."}}).want(t, http.StatusSeeOther)
	e.app.deliverMail()
	answered := false
	for _, m := range srv.mails() {
		raw, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(m.Data)))
		answered = answered || (m.To[0] == "vic@example.org" && strings.Contains(string(raw), "We hold nothing about you."))
	}
	if !answered {
		t.Errorf("the officer's reply was not mailed to the confirmed address")
	}
}

// Ensure the contact forms need the CSRF token (403, nothing queued) and
// that htmx gets the form fragment on 422.
func TestContactCSRF(t *testing.T) {
	e := newMailEnv(t, freeAddr(t))
	c := e.client(t)
	c.get("/contact")
	form := url.Values{"name": {"Vic"}, "email": {"vic@example.org"}, "kind": {"export"}}
	c.csrf = "forged"
	c.post("/contact", form).want(t, http.StatusForbidden)
	c.csrf = "forged"
	c.post("/contact/confirm", url.Values{"token": {"x"}}).want(t, http.StatusForbidden)
	if n := len(e.outbox(t)); n != 0 {
		t.Errorf("a forged post queued %d mails", n)
	}
	c.get("/contact")
	res := c.post("/contact", url.Values{"kind": {"bogus"}}, "HX-Request", "true").want(t, http.StatusUnprocessableEntity)
	if res.has("<html") || !res.has(`id="contact-form"`) {
		t.Errorf("htmx 422: want the form fragment")
	}
}

// Ensure an expired link is refused and files nothing, and that asking too
// often for one address gets 429 with the form.
func TestContactExpiryAndLimit(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1:0")
	e := newMailEnv(t, srv.addr)
	c := e.client(t)
	c.get("/contact")
	form := url.Values{"name": {"Vic"}, "email": {"vic@example.org"}, "kind": {"export"}}
	c.post("/contact", form).want(t, http.StatusSeeOther)
	token := contactMail(t, e, srv, "vic@example.org")
	e.advance(store.ContactTTL)
	c.get("/contact/confirm?token="+url.QueryEscape(token)).want(t, http.StatusGone)
	c.post("/contact/confirm", url.Values{"token": {token}}).want(t, http.StatusGone)
	if n := len(contactThreads(t, e)); n != 0 {
		t.Errorf("an expired link filed %d threads", n)
	}

	e.advance(time.Hour)
	max := e.app.Settings().ContactPerUserPerHour
	for i := 0; i < max; i++ {
		c.post("/contact", form).want(t, http.StatusSeeOther)
	}
	res := c.post("/contact", form).want(t, http.StatusTooManyRequests)
	if res.Header.Get("Retry-After") == "" || !res.has(`value="vic@example.org"`) {
		t.Errorf("429: want Retry-After and the form as typed")
	}
}

// Ensure that without mail the page shows the DPO's published address
// instead of the form, and the form cannot be posted.
func TestContactWithoutMail(t *testing.T) {
	e := newEnv(t)
	set := e.app.Settings()
	set.DPOName, set.DPOEmail = "Dora Officer", "dpo@example.org"
	if err := e.db.SaveSettings(set, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.app.reloadSettings(); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	page := c.get("/contact").want(t, http.StatusOK)
	if page.has(`action="/contact"`) || !page.has(`href="mailto:dpo@example.org"`) || !page.has("Dora Officer") {
		t.Errorf("without mail: want the published address and no form")
	}
	c.post("/contact", url.Values{"name": {"Vic"}, "email": {"vic@example.org"}, "kind": {"export"}}).want(t, http.StatusNotFound)
}
