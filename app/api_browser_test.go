package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"accord/store"
)

// Ensure that an administrator creates a write token in the browser, sees
// its secret once, and the API answers with it (a learner created, their
// consent status asked); then registers a webhook, sees its secret, and
// after the learner's answers are delivered the page lists the delivery.
func TestBrowserTokenAndWebhook(t *testing.T) {
	b := newBrowser(t)
	b.env.user(t, "admin@example.org", store.RoleAdmin)
	b.login("admin@example.org")

	b.visit("/admin/tokens")
	b.fill("#f-name", "Moodle production")
	b.click("#f-scope-write")
	if status := b.submit("#new-token-form button[type=submit]"); status != http.StatusOK {
		t.Fatalf("create the token: got %d", status)
	}
	secret := b.text("#new-token")
	if !strings.HasPrefix(secret, "acc_") {
		t.Fatalf("new token: got %q", secret)
	}
	call := func(path, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	if res := call("/api/v1/users", `{"email":"lea@example.org","first_name":"Lea","last_name":"Learner"}`); res.StatusCode != http.StatusCreated {
		t.Fatalf("create a learner with the token: got %d", res.StatusCode)
	}
	res := call("/api/v1/consent-status", `{"email":"lea@example.org"}`)
	var st struct {
		Complete bool `json:"complete"`
	}
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil || res.StatusCode != http.StatusOK || st.Complete {
		t.Fatalf("consent status: got %d %+v %v, want 200, not complete", res.StatusCode, st, err)
	}
	b.visit("/admin/tokens")
	if b.has(secret) || !b.has("Moodle production") {
		t.Errorf("the tokens page shows the secret again, or not the token")
	}

	h := newHookReceiver(t)
	b.visit("/admin/webhooks")
	b.fill("#f-url", h.srv.URL+"/accord")
	b.click("#f-event-consent\\.changed")
	if status := b.submit("#new-webhook button[type=submit]"); status != http.StatusOK {
		t.Fatalf("register the webhook: got %d", status)
	}
	h.secret = b.text("#new-secret")
	u, err := b.env.db.UserByEmail("lea@example.org")
	if err != nil {
		t.Fatal(err)
	}
	b.env.agreeAll(t, u)
	b.env.app.deliverWebhooks()
	if got := h.received(); len(got) == 0 || !got[0].SignatureOK {
		t.Fatalf("deliveries: got %+v, want signed ones", got)
	}
	b.visit("/admin/webhooks")
	if got := b.text("#deliveries tbody tr:first-child"); !strings.Contains(got, "Delivered") || !strings.Contains(got, "consent.changed") {
		t.Errorf("deliveries table: got %q", got)
	}
}
