package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"accord/store"

	"github.com/google/uuid"
)

// setCookieNames lists the names of the cookies a response sets or deletes.
func setCookieNames(res *response) (set, deleted []string) {
	for _, ck := range (&http.Response{Header: res.Header}).Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			deleted = append(deleted, ck.Name)
		} else {
			set = append(set, ck.Name)
		}
	}
	return set, deleted
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// bannerFirst reports whether the banner is the first element of <body>.
func bannerFirst(body string) bool {
	_, after, ok := strings.Cut(body, "<body>")
	if !ok {
		return false
	}
	after = strings.TrimSpace(after)
	return strings.HasPrefix(after, `<section id="cookie-banner"`)
}

// Ensure that a first visit shows the banner as the first element of the
// body and sets no optional cookie, for visitors and signed-in users alike.
func TestCookieBannerFirstVisit(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	for _, lang := range []string{"en", "fr"} {
		c := e.client(t)
		res := c.get("/?lang="+lang).want(t, http.StatusOK)
		if !bannerFirst(res.Body) {
			t.Errorf("%s: the banner is not the first element of the body", lang)
		}
		want := map[string]string{"en": "Refuse all", "fr": "Tout refuser"}[lang]
		if !res.has(want) || !res.has(`value="close"`) || !res.has(`href="/policies"`) {
			t.Errorf("%s: the banner lacks %q, close or the policies link", lang, want)
		}
		set, _ := setCookieNames(res)
		for _, name := range set {
			if name == usernameCookie || name == visitorCookie {
				t.Errorf("%s: optional cookie %s set before a choice", lang, name)
			}
		}
	}
	c := e.client(t)
	c.login("ann@example.org")
	if res := c.get("/profile").want(t, http.StatusOK); !bannerFirst(res.Body) {
		t.Errorf("signed in without a choice: no banner")
	}
	if res := c.get("/cookies").want(t, http.StatusOK); res.has(`id="cookie-banner"`) {
		t.Errorf("/cookies shows the banner too")
	}
}

// Ensure that each banner choice records the proof and hides the banner,
// that close counts as a refusal, and that the plain form goes back to next.
func TestCookieBannerChoices(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		choice string
		state  store.ConsentState
		stats  bool
	}{
		{"accept_all", store.ConsentGiven, true},
		{"refuse_all", store.ConsentRefused, false},
		{"close", store.ConsentRefused, false},
	} {
		c := e.client(t)
		c.get("/login")
		res := c.post("/cookies", url.Values{"choice": {tc.choice}, "next": {"/signup"}}).want(t, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != "/signup" {
			t.Errorf("%s: got Location %q, want /signup", tc.choice, loc)
		}
		id := c.cookies[consentCookie]
		r := e.app.latestOf(0, id)
		if r == nil || r.State != tc.state || r.Method != store.ConsentMethod(tc.choice) || r.Allows(store.CookieStatistics) != tc.stats {
			t.Fatalf("%s: got record %+v", tc.choice, r)
		}
		if _, err := uuidParse(r.ID); err != nil {
			t.Errorf("%s: record id %q is not a UUID", tc.choice, r.ID)
		}
		page := c.get("/login").want(t, http.StatusOK)
		if page.has(`id="cookie-banner"`) {
			t.Errorf("%s: banner still shown after a choice", tc.choice)
		}
		if _, ok := c.cookies[visitorCookie]; ok != tc.stats {
			t.Errorf("%s: accord_visitor present %v, want %v", tc.choice, ok, tc.stats)
		}
	}
}

func uuidParse(s string) (uuid.UUID, error) { return uuid.Parse(s) }
