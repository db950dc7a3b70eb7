package app

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"accord/store"

	"golang.org/x/net/html"
)

// Ensure that after an action the answer comes back to the card acted on
// and says exactly what changed: on /profile/policies a plain POST
// redirects to the card's anchor (which carries tabindex -1) with a flash
// naming the policy and its revision, an htmx POST swaps the agreements
// with that message inside the card (focused by accord.js), a refused
// decline puts its error in the card; a cookie choice from the preferences
// page goes back to them with what it allows; a cancelled request goes
// back to its row, named.
func TestActionsReturnToTheirCard(t *testing.T) {
	e := newEnv(t)
	admin := e.newcomer(t, "root@example.org", store.RoleAdmin)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	opt := &store.PolicyVersion{Revision: "2.0", Type: store.TypeOther, Audience: store.AudienceAll, Style: store.StyleConsentPage, Optional: true,
		Texts: map[string]store.PolicyText{"en": {Name: "Newsletter", Summary: "News by mail", Content: "We send news."}, "fr": {Name: "Lettre", Summary: "Nouvelles", Content: "Nous envoyons des nouvelles."}}}
	if err := e.db.CreatePolicy(opt, admin.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.db.ActivateVersion(opt.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	if _, err := e.app.consent.Record([]store.Answer{{UserID: ann.ID, VersionID: opt.ID, Accept: false, Lang: "en", TextHash: opt.Texts["en"].Hash, Where: store.WhereConsent}}); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.login("ann@example.org")
	base := "/profile/policies/" + strconv.FormatUint(opt.ID, 10)
	card := agreementCard(opt.ID)

	c.get("/profile/policies?lang=en")
	res := c.post(base+"/accept", nil).want(t, http.StatusSeeOther)
	if got, want := res.Header.Get("Location"), "/profile/policies#"+card; got != want {
		t.Errorf("accept: got Location %q, want %q", got, want)
	}
	page := c.get("/profile/policies").want(t, http.StatusOK)
	if !page.has(`<section class="card" id="` + card + `" tabindex="-1"`) {
		t.Errorf("the agreement's card has no focusable anchor %s", card)
	}
	if !page.has(`role="status">You accepted Newsletter 2.0.</p>`) {
		t.Errorf("accept: the flash does not say what changed")
	}

	for _, tc := range []struct{ lang, want string }{
		{"en", "You withdrew your consent to Newsletter 2.0."},
		{"fr", "Vous avez retiré votre consentement à «\u00a0Lettre\u00a0» 2.0."},
	} {
		c.get("/profile/policies?lang=" + tc.lang)
		if tc.lang == "fr" {
			c.post(base+"/accept", nil).want(t, http.StatusSeeOther)
			c.get("/profile/policies")
		}
		res := c.post(base+"/decline", nil, "HX-Request", "true").want(t, http.StatusOK)
		if res.has("<html") || res.Header.Get("HX-Redirect") != "" {
			t.Fatalf("%s: htmx decline: want the agreements fragment", tc.lang)
		}
		at := statusIn(t, res.Body, tc.want)
		if !slices.Contains(at, card) {
			t.Errorf("%s: htmx decline: message %q inside %v, want inside #%s", tc.lang, tc.want, at, card)
		}
		if !strings.Contains(res.Body, `tabindex="-1" data-autofocus>`+template.HTMLEscapeString(tc.want)) {
			t.Errorf("%s: htmx decline: the message is not marked for focus", tc.lang)
		}
	}
	if events, _ := e.db.UserAcceptances(ann.ID); events[0].Status != store.Withdrawn {
		t.Errorf("got %s, want withdrawn last", events[0].Status)
	}

	site := e.activeIDs()[0]
	res = c.post("/profile/policies/"+strconv.FormatUint(site, 10)+"/decline", nil).want(t, http.StatusUnprocessableEntity)
	if alerts := alertsIn(t, res.Body); len(alerts) != 1 || !slices.Contains(alerts[0], agreementCard(site)) {
		t.Errorf("refused decline: got summaries %v, want one inside #%s", alerts, agreementCard(site))
	}

	c.get("/cookies?lang=en")
	res = c.post("/cookies", url.Values{"choice": {"custom"}, "category": {"preferences"}}).want(t, http.StatusSeeOther)
	if got := res.Header.Get("Location"); got != "/cookies#cookie-prefs" {
		t.Errorf("cookie choice: got Location %q, want /cookies#cookie-prefs", got)
	}
	if page := c.get("/cookies"); !page.has(`id="cookie-prefs" tabindex="-1"`) || !page.has("You allowed preferences cookies and refused statistics cookies.") {
		t.Errorf("cookie choice: the page does not say what the choice allows, or has no anchor")
	}

	v := e.client(t)
	v.get("/policies")
	res = v.post("/cookies", url.Values{"choice": {"accept_all"}}, "HX-Request", "true", "HX-Target", "cookie-banner").want(t, http.StatusOK)
	if !res.has(`id="cookie-banner"`) || !res.has("You allowed every optional cookie: preferences and statistics.") {
		t.Errorf("banner choice (htmx): the confirmation does not say what the choice allows")
	}

	r := fileRequest(t, e, c, url.Values{"type": {"export"}})
	res = c.post("/profile/requests/"+strconv.FormatUint(r.ID, 10)+"/cancel", nil).want(t, http.StatusSeeOther)
	row := "request-" + strconv.FormatUint(r.ID, 10)
	if got := res.Header.Get("Location"); got != "/profile/requests#"+row {
		t.Errorf("cancel: got Location %q, want /profile/requests#%s", got, row)
	}
	page = c.get("/profile/requests").want(t, http.StatusOK)
	if !page.has(`<tr id="`+row+`" tabindex="-1">`) || !page.has("Your request no. "+strconv.FormatUint(r.ID, 10)+" for a copy of your data is cancelled.") {
		t.Errorf("cancel: the row has no anchor, or the flash does not name the request")
	}
}

// statusIn is the ancestors' ids (nearest first) of the role="status"
// element whose text is text, or nil.
func statusIn(t *testing.T, body, text string) []string {
	t.Helper()
	found := ancestorsOf(t, body, func(n *html.Node) bool {
		return attr(n, "role") == "status" && n.FirstChild != nil && n.FirstChild.Type == html.TextNode && n.FirstChild.Data == text
	})
	if len(found) != 1 {
		return nil
	}
	return found[0]
}
