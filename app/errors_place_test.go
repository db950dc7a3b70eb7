package app

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// alertsIn lists, for each role="alert" element of body (an error summary
// or a form-wide message), the ids of its ancestors, nearest first, and
// "form" for each ancestor form.
func alertsIn(t *testing.T, body string) [][]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse the page: %v", err)
	}
	var out [][]string
	var walk func(n *html.Node, up []string)
	walk = func(n *html.Node, up []string) {
		if n.Type == html.ElementNode {
			if attr(n, "role") == "alert" {
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
