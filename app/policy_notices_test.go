package app

import (
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"accord/store"
)

// newMajorDraft makes a complete draft of the first policy users answer,
// with summaries of what changed, and returns it.
func (e *testEnv) newMajorDraft(t testing.TB, adminID uint64) *store.PolicyVersion {
	t.Helper()
	v0 := e.app.consent.Snapshot().ForUsers()[0]
	draft, err := e.db.NewDraft(v0.PolicyID, adminID)
	if err != nil {
		t.Fatal(err)
	}
	draft, err = e.db.SaveVersion(draft.ID, adminID, false, func(v *store.PolicyVersion) {
		texts := map[string]store.PolicyText{}
		for l, tx := range v.Texts {
			texts[l] = tx
		}
		en, fr := texts["en"], texts["fr"]
		en.Summary, fr.Summary = "Logs are now kept for 30 days.", "Les journaux sont désormais gardés 30 jours."
		texts["en"], texts["fr"] = en, fr
		v.Texts = texts
	})
	if err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	return draft
}

func (e *testEnv) setLang(t testing.TB, u *store.User, lang string) {
	t.Helper()
	if _, err := e.db.UpdateUser(u.ID, store.AuditEvent{}, func(x *store.User) error { x.Lang = lang; return nil }); err != nil {
		t.Fatal(err)
	}
}

func (e *testEnv) notices(t testing.TB, u *store.User) []store.Notification {
	t.Helper()
	ns, _, err := e.db.Notifications(u.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// decodedMail is a received mail's text, quoted-printable undone.
func decodedMail(data string) string {
	raw, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(data)))
	return string(raw)
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Ensure that activating a version with "tell everyone concerned" tells
// each active account that must answer it again, in the app and by mail,
// in their language with the summary of what changed; that a second round
// (as after a restart) tells nobody twice; and that an activation without
// the box tells nobody.
func TestPolicyChangeAnnounced(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1:0")
	e := newMailEnv(t, srv.addr)
	admin := e.user(t, "root@example.org", store.RoleAdmin)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	lea := e.user(t, "lea@example.org", store.RoleLearner)
	e.setLang(t, lea, "fr")
	sus := e.user(t, "sus@example.org", store.RoleLearner)
	if _, err := e.db.UpdateUser(sus.ID, store.AuditEvent{}, func(x *store.User) error { x.Suspended = true; return nil }); err != nil {
		t.Fatal(err)
	}
	draft := e.newMajorDraft(t, admin.ID)

	c := e.client(t)
	c.login("root@example.org")
	if !c.get("/admin/policies/" + strconv.FormatUint(draft.PolicyID, 10)).has(`name="notify"`) {
		t.Fatalf("the activation form has no box to tell everyone concerned")
	}
	c.post("/admin/versions/"+strconv.FormatUint(draft.ID, 10)+"/activate", url.Values{"notify": {"on"}}).want(t, http.StatusSeeOther)
	e.app.announcePolicies()
	e.app.announcePolicies()
	e.app.deliverMail()

	got := map[string]string{}
	for _, m := range srv.mails() {
		got[m.To[0]] = decodedMail(m.Data)
	}
	if len(got) != 3 || got["sus@example.org"] != "" || len(srv.mails()) != 3 {
		t.Fatalf("got mails to %v (%d in all), want one each to root, ann and lea", keys(got), len(srv.mails()))
	}
	if !strings.Contains(got["ann@example.org"], "Logs are now kept for 30 days.") || !strings.Contains(got["ann@example.org"], "has changed") {
		t.Errorf("ann's mail lacks the English summary:\n%s", got["ann@example.org"])
	}
	if !strings.Contains(got["lea@example.org"], "Les journaux sont désormais gardés 30 jours.") || !strings.Contains(got["lea@example.org"], "a changé") {
		t.Errorf("léa's mail is not in French with the summary:\n%s", got["lea@example.org"])
	}
	if ns := e.notices(t, ann); len(ns) != 1 || ns[0].Subject != "policies.notice.changed.subject" {
		t.Errorf("ann's notifications: got %+v, want the change", ns)
	}
	e.agreeAll(t, ann) // past the consent gate
	ac := e.client(t)
	ac.login("ann@example.org")
	if !ac.get("/notifications").has("has changed") {
		t.Errorf("the notification does not show in the app")
	}
	if ns := e.notices(t, sus); len(ns) != 0 {
		t.Errorf("a suspended account was told: %+v", ns)
	}

	// Without the box: nobody is told.
	draft2 := e.newMajorDraft(t, admin.ID)
	c.post("/admin/versions/"+strconv.FormatUint(draft2.ID, 10)+"/activate", nil).want(t, http.StatusSeeOther)
	e.app.announcePolicies()
	if ns := e.notices(t, ann); len(ns) != 1 {
		t.Errorf("an activation without the box told ann: %d notifications", len(ns))
	}
}

// Ensure that with a reminder setting of N days, those still pending N days
// after an activation are reminded once, in the app and by mail, and that
// nobody is with 0 days, nobody who answered, and no account made after the
// activation.
func TestPolicyReminders(t *testing.T) {
	e := newMailEnv(t, freeAddr(t))
	admin := e.user(t, "root@example.org", store.RoleAdmin)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	bob := e.user(t, "bob@example.org", store.RoleLearner)
	draft := e.newMajorDraft(t, admin.ID)
	if err := e.db.ActivateVersion(draft.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	e.agreeAll(t, bob)
	e.agreeAll(t, admin)
	e.advance(time.Hour)
	late := e.newcomer(t, "late@example.org", store.RoleLearner)

	c := e.client(t)
	c.login("root@example.org")
	form := url.Values(settingsValues(e.app.Settings()).Values)
	form.Set("policy_reminder_days", "-1")
	c.get("/admin/settings")
	c.post("/admin/settings", form).want(t, http.StatusUnprocessableEntity)

	e.advance(8 * 24 * time.Hour)
	e.app.remindPolicies() // the setting is 0: off
	if ns := e.notices(t, ann); len(ns) != 0 {
		t.Fatalf("reminded with the setting at 0: %+v", ns)
	}
	form.Set("policy_reminder_days", "10")
	c = e.client(t) // the first session expired meanwhile
	c.login("root@example.org")
	c.get("/admin/settings")
	c.post("/admin/settings", form).want(t, http.StatusSeeOther)
	e.app.remindPolicies() // 8 days: not yet
	if ns := e.notices(t, ann); len(ns) != 0 {
		t.Fatalf("reminded before 10 days: %+v", ns)
	}
	e.advance(2 * 24 * time.Hour)
	e.app.remindPolicies()
	e.app.remindPolicies()
	if ns := e.notices(t, ann); len(ns) != 1 || ns[0].Subject != "policies.notice.reminder.subject" {
		t.Errorf("ann: got %+v, want one reminder", ns)
	}
	for _, u := range []*store.User{bob, admin, late} {
		if ns := e.notices(t, u); len(ns) != 0 {
			t.Errorf("%s was reminded: %+v", u.Email, ns)
		}
	}
	var toAnn int
	for _, m := range e.outbox(t) {
		if m.To == "ann@example.org" && strings.Contains(m.Body, "still waits for your answer") {
			toAnn++
		}
	}
	if toAnn != 1 {
		t.Errorf("got %d reminder mails to ann in the outbox, want 1", toAnn)
	}
}
