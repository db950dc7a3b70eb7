package app

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"accord/store"

	"golang.org/x/net/html"
)

// alertsIn lists, for each role="alert" element of body (an error summary
// or a form-wide message), the ids of its ancestors, nearest first, and
// "form" for each ancestor form.
func alertsIn(t *testing.T, body string) [][]string {
	t.Helper()
	return ancestorsOf(t, body, func(n *html.Node) bool { return attr(n, "role") == "alert" })
}

// ancestorsOf lists, for each element of body that match selects, the ids
// of its ancestors, nearest first, and "form" for each ancestor form.
func ancestorsOf(t *testing.T, body string, match func(*html.Node) bool) [][]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse the page: %v", err)
	}
	var out [][]string
	var walk func(n *html.Node, up []string)
	walk = func(n *html.Node, up []string) {
		if n.Type == html.ElementNode {
			if match(n) {
				out = append(out, slices.Clone(up))
			}
			if id := attr(n, "id"); id != "" {
				up = append([]string{id}, up...)
			}
			if n.Data == "form" {
				up = append([]string{"form"}, up...)
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch, up)
		}
	}
	walk(doc, nil)
	return out
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// Ensure that a full page refused with 422 while the cookie banner shows
// has its error summary in the page's form only, never in the banner; and
// that the banner shows its own summary when its own form is refused.
func TestErrorSummaryStaysInItsForm(t *testing.T) {
	e := newEnv(t)
	for _, lang := range []string{"en", "fr"} {
		c := e.client(t)
		if res := c.get("/signup?lang="+lang).want(t, http.StatusOK); !res.has(`id="cookie-banner"`) {
			t.Fatalf("%s: no cookie banner on the sign-up page of a new visitor", lang)
		}
		cases := []struct {
			what, path string
			form       url.Values
			hdr        []string
			in         string // id of the element the summary must be in
		}{
			{"sign-up page", "/signup", url.Values{"email": {"nope"}}, nil, "signup-form"},
			{"preferences page", "/cookies", url.Values{"choice": {"custom"}, "category": {"marketing"}}, nil, "cookie-prefs"},
			{"banner (htmx)", "/cookies", url.Values{"choice": {"custom"}, "category": {"marketing"}}, []string{"HX-Request", "true", "HX-Target", "cookie-banner"}, "cookie-banner"},
		}
		for _, tc := range cases {
			res := c.post(tc.path, tc.form, tc.hdr...).want(t, http.StatusUnprocessableEntity)
			alerts := alertsIn(t, res.Body)
			if len(alerts) != 1 {
				t.Errorf("%s %s: got %d error summaries, want 1: %v", lang, tc.what, len(alerts), alerts)
				continue
			}
			if !slices.Contains(alerts[0], tc.in) || !slices.Contains(alerts[0], "form") {
				t.Errorf("%s %s: summary inside %v, want inside #%s", lang, tc.what, alerts[0], tc.in)
			}
			if tc.in != "cookie-banner" && slices.Contains(alerts[0], "cookie-banner") {
				t.Errorf("%s %s: summary inside the cookie banner", lang, tc.what)
			}
			if tc.path == "/signup" && !res.has(`id="cookie-banner"`) {
				t.Errorf("%s %s: the banner is gone from the refused page", lang, tc.what)
			}
		}
	}
}

// Ensure that a consent page sent with answers missing marks each
// unanswered policy: its control is aria-invalid and described by a
// message beside it that names the policy, the summary links to that
// control, and the answered ones are left unmarked (EN and FR).
func TestConsentMarksEachUnanswered(t *testing.T) {
	e := newEnv(t)
	admin := e.newcomer(t, "root@example.org", store.RoleAdmin)
	e.newcomer(t, "ann@example.org", store.RoleLearner)
	opt := &store.PolicyVersion{Revision: "1", Type: store.TypeOther, Audience: store.AudienceAll, Style: store.StyleConsentPage, Optional: true,
		Texts: map[string]store.PolicyText{"en": {Name: "Newsletter", Summary: "News by mail", Content: "We send news."}, "fr": {Name: "Lettre", Summary: "Nouvelles", Content: "Nous envoyons des nouvelles."}}}
	if err := e.db.CreatePolicy(opt, admin.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.db.ActivateVersion(opt.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	ids := e.activeIDs()
	var compulsory []uint64
	for _, id := range ids {
		if id != opt.ID {
			compulsory = append(compulsory, id)
		}
	}
	if len(compulsory) < 2 {
		t.Fatalf("got %d compulsory versions, want the default ones", len(compulsory))
	}
	answered := compulsory[0]
	c := e.client(t)
	c.login("ann@example.org")
	for _, tc := range []struct{ lang, want string }{
		{"en", "“Newsletter”: choose whether you accept it or not."},
		{"fr", "«\u00a0Lettre\u00a0»\u00a0: indiquez si vous l’acceptez ou non."},
	} {
		c.get("/consent?lang="+tc.lang).want(t, http.StatusOK)
		res := c.post("/consent", url.Values{vfield(answered): {"accept"}}).want(t, http.StatusUnprocessableEntity)
		alerts := alertsIn(t, res.Body)
		if len(alerts) != 1 || !slices.Contains(alerts[0], "consent-form") {
			t.Fatalf("%s: got summaries %v, want one in #consent-form", tc.lang, alerts)
		}
		for _, id := range ids {
			name := vfield(id)
			control := "f-" + name
			if id == opt.ID {
				control += "-accept"
			}
			marked := strings.Contains(res.Body, `id="`+control+`"`) &&
				regexp.MustCompile(`id="`+control+`"[^>]*aria-invalid="true"`).MatchString(res.Body) &&
				strings.Contains(res.Body, `<p class="error" id="f-`+name+`-err">`) &&
				strings.Contains(res.Body, `<a href="#`+control+`">`)
			if id == answered && (marked || strings.Contains(res.Body, `id="f-`+name+`-err"`)) {
				t.Errorf("%s: the answered version %d is marked", tc.lang, id)
			}
			if id != answered && !marked {
				t.Errorf("%s: version %d left unanswered is not marked (control, message, link)", tc.lang, id)
			}
		}
		if !res.has(template.HTMLEscapeString(tc.want)) {
			t.Errorf("%s: no message naming the optional policy %q", tc.lang, tc.want)
		}
		if !res.has(`value="accept" checked`) {
			t.Errorf("%s: the answer given is not kept as typed", tc.lang)
		}
	}
	if events, _ := e.db.UserAcceptances(e.mustUser(t, "ann@example.org").ID); len(events) != 0 {
		t.Errorf("a refused consent page recorded %d answers", len(events))
	}
}
