package app

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"accord/store"
)

// actionCount counts the audit events of action.
func actionCount(t *testing.T, e *testEnv, action store.Action) int {
	t.Helper()
	_, n, err := e.db.ListAudit(store.AuditQuery{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var demoTokenRe = regexp.MustCompile(`shown only now: (\S+)`)

// Ensure that `accord demo` adds an API token whose secret it prints once
// and that the API accepts, a webhook to nowhere that is disabled (shown
// so, and told nothing), and one overdue request; a second run adds none
// of them again and prints no secret.
func TestDemoPlatformAndOverdue(t *testing.T) {
	e := newEnv(t)
	var out bytes.Buffer
	if err := e.app.Demo(&out); err != nil {
		t.Fatal(err)
	}
	m := demoTokenRe.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the demo printed no token:\n%s", out.String())
	}
	e.apiCall(t, http.MethodGet, "/api/v1/policies", m[1], "").want(t, http.StatusOK)
	out.Reset()
	if err := e.app.Demo(&out); err != nil {
		t.Fatal(err)
	}
	if demoTokenRe.MatchString(out.String()) {
		t.Errorf("a second run printed a secret again")
	}
	if tokens, _ := e.db.APITokens(); len(tokens) != 1 {
		t.Errorf("got %d tokens, want 1", len(tokens))
	}
	hooks, err := e.db.Webhooks()
	if err != nil {
		t.Fatal(err)
	}
	if len(hooks) != 1 || !hooks[0].Disabled || hooks[0].URL != demoHookURL {
		t.Fatalf("hooks: got %+v, want the demo's one, disabled", hooks)
	}
	e.user(t, "ada@example.org", store.RoleLearner) // her answers raise consent.changed
	if ds, _ := e.db.WebhookDeliveries(10); len(ds) != 0 {
		t.Errorf("the disabled demo hook got %d deliveries", len(ds))
	}
	overdue, n, err := e.db.ListRequests(store.RequestQuery{Overdue: true})
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || !overdue[0].Overdue(e.clock()) {
		t.Errorf("got %d overdue requests, want 1", n)
	}
	admin := e.signedIn(t, "root@example.org", store.RoleAdmin)
	if page := admin.get("/admin/webhooks").want(t, http.StatusOK); !page.has(`id="hook-1-disabled"`) || !page.has(`action="/admin/webhooks/1/enable"`) {
		t.Errorf("/admin/webhooks does not show the demo hook as disabled")
	}
	if page := admin.get("/admin/requests?overdue=1"); !page.has(`class="overdue"`) {
		t.Errorf("the queue does not show the overdue request")
	}
}

// Ensure that a disabled hook gets no delivery of new events, that what
// was queued before waits (not sent) until it is enabled again, that each
// change is audited and shown (EN and FR), and that an unknown hook is 404.
func TestWebhookDisabled(t *testing.T) {
	e := newEnv(t)
	admin, h := hookedAdmin(t, e, "/hooks", "consent.changed")
	hooks, _ := e.db.Webhooks()
	path := "/admin/webhooks/" + itoa(hooks[0].ID)

	e.user(t, "ada@example.org", store.RoleLearner) // queued while enabled
	queued, _ := e.db.WebhookDeliveries(100)
	if len(queued) == 0 {
		t.Fatal("no delivery queued while enabled")
	}
	admin.post(path+"/disable", nil).want(t, http.StatusSeeOther)
	if page := admin.get("/admin/webhooks"); !page.has("Disabled") || !page.has(`action="`+path+`/enable"`) {
		t.Errorf("the page does not show the hook as disabled")
	}
	if page := admin.get("/admin/webhooks?lang=fr"); !page.has("Désactivé") {
		t.Errorf("the French page does not show the hook as disabled")
	}
	admin.get("/admin/webhooks?lang=en")
	e.user(t, "bea@example.org", store.RoleLearner) // while disabled
	if ds, _ := e.db.WebhookDeliveries(100); len(ds) != len(queued) {
		t.Errorf("while disabled: got %d deliveries, want the %d queued before", len(ds), len(queued))
	}
	e.app.deliverWebhooks()
	if n := len(h.received()); n != 0 {
		t.Errorf("a disabled hook was posted %d times", n)
	}
	admin.post(path+"/disable", nil).want(t, http.StatusSeeOther) // already: nothing written
	admin.post(path+"/enable", nil).want(t, http.StatusSeeOther)
	e.app.deliverWebhooks()
	if n := len(h.received()); n != len(queued) {
		t.Errorf("after enabling: got %d posts, want the %d that waited", n, len(queued))
	}
	if d, en := actionCount(t, e, store.ActWebhookDisabled), actionCount(t, e, store.ActWebhookEnabled); d != 1 || en != 1 {
		t.Errorf("audit: got %d disabled and %d enabled events, want 1 each", d, en)
	}
	admin.post("/admin/webhooks/999/disable", nil).want(t, http.StatusNotFound)
	if !strings.Contains(admin.post(path+"/enable", url.Values{}).Header.Get("Location"), "/admin/webhooks") {
		t.Errorf("enable: want a redirect to /admin/webhooks")
	}
}
