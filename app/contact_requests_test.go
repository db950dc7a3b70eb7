package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"accord/store"
)

// askByContact files kind for email through /contact and its mailed link,
// as a visitor would.
func askByContact(t *testing.T, e *testEnv, srv *smtpServer, email string, kind store.ContactKind, message string) {
	t.Helper()
	c := e.client(t)
	c.get("/contact")
	c.post("/contact", url.Values{"name": {"Someone"}, "email": {email}, "kind": {string(kind)}, "message": {message}}).want(t, http.StatusSeeOther)
	token := contactMail(t, e, srv, email)
	c.get("/contact/confirm?token="+url.QueryEscape(token)).want(t, http.StatusOK)
	c.post("/contact/confirm", url.Values{"token": {token}}).want(t, http.StatusSeeOther)
}

// Ensure that a copy asked from /contact with a former learner's address
// becomes a data request of that account marked "identity: email
// verified" (due like any other, audited, shown so in the queue and on the
// request page in EN and FR), which the officer approves and downloads;
// that the same ask with an address no account has, or while that
// account's copy is already ongoing, becomes a DPO thread instead, so the
// officer can answer and nothing is lost.
func TestContactBecomesRequest(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1:0")
	e := newMailEnv(t, srv.addr)
	fay := e.user(t, "fay@example.org", store.RoleLearner) // a former learner: no enrolment left
	officer := e.user(t, "dpo@example.org", store.RoleDPO)

	askByContact(t, e, srv, "Fay@Example.org", store.ContactExport, "Everything, please.")
	rs, err := e.db.UserRequests(fay.ID)
	if err != nil || len(rs) != 1 {
		t.Fatalf("got %d requests (%v), want Fay's one", len(rs), err)
	}
	r := rs[0]
	if r.Type != store.RequestExport || !r.EmailVerified || r.FiledBy != store.FiledByContact || r.Status != store.StatusAwaitingApproval ||
		r.Comments != "Everything, please." || !r.DueAt.Equal(e.clock().AddDate(0, 0, e.app.Settings().RequestDueDays)) {
		t.Errorf("the request: got %+v", r)
	}
	if n := len(contactThreads(t, e)); n != 0 {
		t.Errorf("a request with an account's address also filed %d threads", n)
	}
	filed, _, _ := e.db.ListAudit(store.AuditQuery{Action: store.ActRequestFiled})
	if len(filed) != 1 || !strings.Contains(filed[0].Detail, "identity: email verified") || actionCount(t, e, store.ActContactFiled) != 1 {
		t.Errorf("audit: got %+v, want the filing marked email-verified and the contact", filed)
	}

	o := e.client(t)
	o.login(officer.Email)
	if q := o.get("/admin/requests"); !q.has("identity: email verified") {
		t.Errorf("the queue does not mark the request email-verified")
	}
	if page := o.get(reqPath("/admin/requests", &r, "")); !page.has(`id="identity-verified"`) || !page.has("from the contact form") {
		t.Errorf("the request page does not say it came verified from the contact form")
	}
	if page := o.get(reqPath("/admin/requests", &r, "?lang=fr")); !page.has("identité\u00a0: adresse e-mail vérifiée") {
		t.Errorf("the French request page does not mark it email-verified")
	}
	o.get("/admin/requests?lang=en")
	o.post(reqPath("/admin/requests", &r, "/approve"), url.Values{}).want(t, http.StatusSeeOther)
	e.settle()
	if res := o.get(reqPath("/admin/requests", &r, "/download")).want(t, http.StatusOK); res.Header.Get("Content-Type") != "application/zip" {
		t.Errorf("the officer cannot download Fay's export for her")
	}

	askByContact(t, e, srv, "nobody@example.org", store.ContactExport, "Do you hold anything?")
	askByContact(t, e, srv, "fay@example.org", store.ContactDelete, "Then erase me.")
	askByContact(t, e, srv, "fay@example.org", store.ContactDelete, "Again: erase me.") // her erasure is ongoing
	ts := contactThreads(t, e)
	if len(ts) != 2 {
		t.Fatalf("got %d threads, want 2 (no account; an ongoing erasure)", len(ts))
	}
	for _, th := range ts {
		switch {
		case th.ContactEmail == "nobody@example.org" && th.UserID == 0 && th.ContactKind == store.ContactExport && th.EmailVerified:
		case th.ContactEmail == "fay@example.org" && th.UserID == fay.ID && th.ContactKind == store.ContactDelete && th.EmailVerified:
		default:
			t.Errorf("unexpected thread: %+v", th)
		}
	}
	if rs, _ := e.db.UserRequests(fay.ID); len(rs) != 2 {
		t.Errorf("Fay has %d requests, want 2 (the export, one erasure)", len(rs))
	}
}
