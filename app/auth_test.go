package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"accord/store"
)

// Ensure that a learner signs in, sees no-store pages, and that logout
// destroys the session on the server so a replayed cookie is refused.
func TestLoginLogout(t *testing.T) {
	e := newEnv(t)
	e.agreeAll(t, e.user(t, "ann@example.org", store.RoleLearner)) // past the consent gate
	c := e.client(t)
	c.login("ann@example.org")
	res := c.get("/profile").want(t, http.StatusOK)
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", got)
	}
	if !res.has(`value="ann@example.org"`) {
		t.Errorf("profile does not show the email")
	}
	stolen := c.cookies[sessionCookie]
	c.post("/logout", nil).want(t, http.StatusSeeOther)
	if _, ok := c.cookies[sessionCookie]; ok {
		t.Errorf("session cookie still in the browser after logout")
	}
	replay := e.client(t)
	replay.cookies[sessionCookie] = stolen
	res = replay.get("/profile")
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
		t.Errorf("replayed cookie: got %d %s, want 303 to /login", res.Status, res.Header.Get("Location"))
	}
}

// Ensure that a wrong password and an unknown email get the same 422 and
// message, and that a POST without token is refused with 403.
func TestLoginRefusals(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	c := e.client(t)
	c.get("/login")
	wrong := c.post("/login", url.Values{"email": {"ann@example.org"}, "password": {"nope-nope-nope"}}).want(t, http.StatusUnprocessableEntity)
	unknown := c.post("/login", url.Values{"email": {"who@example.org"}, "password": {"nope-nope-nope"}}).want(t, http.StatusUnprocessableEntity)
	msg := "The email or the password is wrong"
	if !wrong.has(msg) || !unknown.has(msg) {
		t.Errorf("want the same generic message for both")
	}
	res := c.post("/login", url.Values{"_csrf": {"forged"}, "email": {"ann@example.org"}, "password": {testPassword}}, "Sec-Fetch-Site", "same-origin").want(t, http.StatusForbidden)
	if !res.has(`value="ann@example.org"`) || res.has(testPassword) {
		t.Errorf("403 page must show what was typed but never the password")
	}
	res = c.post("/login", url.Values{"_csrf": {"forged"}, "email": {"ann@example.org"}}, "Sec-Fetch-Site", "cross-site").want(t, http.StatusForbidden)
	if res.has(`value="ann@example.org"`) {
		t.Errorf("a cross-site form must never be echoed back for one-click resubmission")
	}
}
