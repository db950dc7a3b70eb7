package app

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"accord/store"
)

// Ensure that staff erase flagged accounts through the data request path:
// a confirmation names the accounts, what goes and the protected
// categories kept; confirming files and approves a deletion request per
// account, which the job runner carries out; an account enrolled again in
// a running course is skipped as protected; nothing happens without
// confirm; the erasure report says what the protected categories kept.
func TestRetentionErase(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	bob := e.user(t, "bob@example.org", store.RoleLearner)
	e.user(t, "dee@example.org", store.RoleDPO)
	e.advance(400 * 24 * time.Hour)
	e.app.sweepRetention()
	co := &store.Course{Code: "C", TitleEN: "C", TitleFR: "C"}
	if err := e.db.CreateCourse(co, 0); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.login("dee@example.org")
	c.get("/admin/courses/retention")
	c.post("/admin/courses/retention/erase", nil).want(t, http.StatusUnprocessableEntity)
	// bob enrols again between the page and the confirmation: skipped.
	if err := e.db.Enrol(bob.ID, co.ID, 0); err != nil {
		t.Fatal(err)
	}
	pick := url.Values{"user": {"ann@example.org", "bob@example.org"}}
	res := c.post("/admin/courses/retention/erase?lang=en", pick).want(t, http.StatusOK)
	for _, s := range []string{"ann@example.org", "A deletion request is filed and approved", "no longer flagged",
		`data-category="requests"`, "Data protection requests", "Security audit log", "kept as an anonymous record", `name="confirm" value="1"`} {
		if !res.has(s) {
			t.Errorf("confirmation: %q missing", s)
		}
	}
	if rs, _ := e.db.UserRequests(ann.ID); len(rs) != 0 {
		t.Fatalf("the confirmation filed %d requests, want none", len(rs))
	}
	pick.Set("confirm", "1")
	c.post("/admin/courses/retention/erase", pick).want(t, http.StatusSeeOther)
	e.settle()
	if _, err := e.db.User(ann.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ann after the erasure: got %v, want not found", err)
	}
	if _, err := e.db.User(bob.ID); err != nil {
		t.Errorf("bob (enrolled again) was erased: %v", err)
	}
	reqs, _, err := e.db.ListRequests(store.RequestQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].Type != store.RequestDelete || reqs[0].Status != store.StatusComplete || reqs[0].DecidedByID == 0 {
		t.Fatalf("requests after the erasure: got %+v, want one approved deletion, complete", reqs)
	}
	// The erasure report says what the protected categories kept.
	kept := map[string]store.KeptKind{}
	for _, l := range reqs[0].Erasure {
		if l.Kept != nil {
			kept[l.Bucket] = l.Kept.Kind
		}
	}
	if kept["data_requests"] != store.KeptRequests || kept["audit"] != store.KeptAudit {
		t.Errorf("erasure report: got %+v, want the requests and the audit log kept anonymous", kept)
	}
	if n, _ := e.db.CountRetentionFlags(); n != 0 {
		t.Errorf("flags left: %d, want 0 (ann erased, bob enrolled)", n)
	}
}

// Ensure that the flagged page filters by name or email and by reason and
// pages by 50.
func TestRetentionFilters(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 60; i++ {
		e.user(t, "learner"+itoa(uint64(i))+"@example.org", store.RoleLearner)
	}
	e.user(t, "dee@example.org", store.RoleDPO)
	e.advance(400 * 24 * time.Hour)
	e.app.sweepRetention()
	c := e.client(t)
	c.login("dee@example.org")
	res := c.get("/admin/courses/retention?lang=en").want(t, http.StatusOK)
	if n := strings.Count(res.Body, `name="user" value=`); n != 50 || !res.has("60 accounts flagged") || !res.has(`class="pagination"`) {
		t.Errorf("page 1: got %d rows (want 50 of 60, paginated)", n)
	}
	if n := strings.Count(c.get("/admin/courses/retention?page=2").Body, `name="user" value=`); n != 10 {
		t.Errorf("page 2: got %d rows, want 10", n)
	}
	res = c.get("/admin/courses/retention?q=LEARNER5@&lang=en")
	if n := strings.Count(res.Body, `name="user" value=`); n != 1 || !res.has("learner5@example.org") {
		t.Errorf("search learner5: got %d rows, want 1", n)
	}
	if n := strings.Count(c.get("/admin/courses/retention?reason=no_enrolment").Body, `name="user" value=`); n != 0 {
		t.Errorf("reason no_enrolment: got %d rows, want 0 (all never enrolled)", n)
	}
}

// Ensure that the page shows the purge's dry run without deleting, that
// running it deletes exactly the notifications and daily totals past their
// period, audits each category, and that the daily sweep does the same.
func TestRetentionPurge(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	e.user(t, "dee@example.org", store.RoleDPO)
	if err := e.db.AddNotification(&store.Notification{UserID: ann.ID, Subject: "x", Body: "y"}, nil); err != nil {
		t.Fatal(err)
	}
	e.advance(370 * 24 * time.Hour)
	if err := e.db.AddNotification(&store.Notification{UserID: ann.ID, Subject: "x", Body: "y"}, nil); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.login("dee@example.org")
	before := auditCount(t, e)
	res := c.get("/admin/courses/retention?lang=en").want(t, http.StatusOK)
	if !res.has(`id="purge-notifications"`) || !strings.Contains(res.Body[strings.Index(res.Body, `id="purge-notifications"`):], "<td>1</td>") {
		t.Errorf("dry run: the old notification is not counted")
	}
	if n := auditCount(t, e); n != before {
		t.Errorf("the dry run wrote %d audit events", n-before)
	}
	if _, n, _ := e.db.Notifications(ann.ID, 10); n != 2 {
		t.Fatalf("after the dry run: got %d notifications, want 2", n)
	}
	c.post("/admin/courses/retention/purge", nil).want(t, http.StatusSeeOther)
	if _, n, _ := e.db.Notifications(ann.ID, 10); n != 1 {
		t.Errorf("after the purge: got %d notifications, want 1 (the recent one)", n)
	}
	evs, _, _ := e.db.ListAudit(store.AuditQuery{Action: store.ActRetentionPurged})
	found := false
	for _, ev := range evs {
		found = found || strings.HasPrefix(ev.Detail, "notifications: 1 older than")
	}
	if !found {
		t.Errorf("purge audit: got %+v, want a notifications event", evs)
	}
}
