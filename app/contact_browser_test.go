package app

import (
	"strings"
	"testing"

	"accord/store"
)

// Ensure, in a real browser, that a person who cannot sign in (a suspended
// learner) asks for a copy of their data from /contact, opens the link
// read from the mail (a real SMTP exchange), confirms it, and that the
// officer then finds the request in the queue marked "identity: email
// verified".
func TestBrowserContactRequest(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1:0")
	b := newBrowserWith(t, func(c *Config) { c.SMTP, c.MailFrom = "smtp://"+srv.addr, "accord@example.org" })
	e := b.env
	sue := e.user(t, "sue@example.org", store.RoleLearner)
	if _, err := e.db.UpdateUser(sue.ID, store.AuditEvent{}, func(u *store.User) error { u.Suspended = true; return nil }); err != nil {
		t.Fatal(err)
	}
	e.user(t, "dpo@example.org", store.RoleDPO)

	b.visit("/contact")
	b.refuseCookies()
	b.fill("#f-name", "Sue Suspended")
	b.fill("#f-email", "sue@example.org")
	b.click("#f-kind-export")
	b.fill("#f-message", "A copy of everything you hold, please.")
	if status := b.submit("#contact-form button[type=submit]"); status != 200 {
		t.Fatalf("contact form: got %d, want 200", status)
	}
	if !b.has("sue@example.org") {
		t.Errorf("after sending: the page does not say where the link went:\n%s", b.text("main"))
	}
	if rs, _ := e.db.UserRequests(sue.ID); len(rs) != 0 {
		t.Fatalf("a request was filed before the link was opened")
	}

	link := mailedLink(t, e, srv, "sue@example.org", contactConfirmPath)
	if status := b.visit(link); status != 200 || !b.has("A copy of everything you hold, please.") {
		t.Fatalf("the mailed link: got %d\n%s", status, b.text("main"))
	}
	if status := b.submit(`form[action="/contact/confirm"] button[type=submit]`); status != 200 || !b.has("your request (number") {
		t.Fatalf("confirming: got %d\n%s", status, b.text("main"))
	}
	rs, err := e.db.UserRequests(sue.ID)
	if err != nil || len(rs) != 1 || !rs[0].EmailVerified {
		t.Fatalf("Sue's requests: got %+v (%v), want one email-verified", rs, err)
	}

	b.login("dpo@example.org")
	b.visit("/admin/requests")
	row := b.text(`a[href="/admin/requests/` + itoa(rs[0].ID) + `"]`)
	if row == "" || !strings.Contains(b.text("table.data tbody"), "identity: email verified") {
		t.Fatalf("the queue does not list Sue's request marked email-verified:\n%s", b.text("main"))
	}
	b.submit(`a[href="/admin/requests/` + itoa(rs[0].ID) + `"]`)
	b.waitFor("#identity-verified")
	if !strings.Contains(b.text("main"), "sue@example.org") {
		t.Errorf("the request page does not name Sue")
	}
}
