package app

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"accord/store"
)

// agreeAll records u's acceptance of every active version for users, so
// tests about other features start past the consent gate.
func (e *testEnv) agreeAll(t testing.TB, u *store.User) {
	t.Helper()
	var answers []store.Answer
	for _, v := range e.app.consent.Snapshot().ForUsers() {
		answers = append(answers, store.Answer{UserID: u.ID, VersionID: v.ID, Accept: true, Lang: "en",
			TextHash: v.Texts["en"].Hash, Where: store.WhereConsent})
	}
	if _, err := e.app.consent.Record(answers); err != nil {
		t.Fatal(err)
	}
}

// reload has the consent service take a new snapshot of the policies,
// after a test changed them in the store directly.
func (e *testEnv) reload(t testing.TB) {
	t.Helper()
	if err := e.app.consent.Reload(); err != nil {
		t.Fatal(err)
	}
}

// activeIDs are the active versions for users, in display order.
func (e *testEnv) activeIDs() []uint64 {
	var ids []uint64
	for _, v := range e.app.consent.Snapshot().ForUsers() {
		ids = append(ids, v.ID)
	}
	return ids
}

func vfield(id uint64) string { return "v" + strconv.FormatUint(id, 10) }

func acceptAll(ids []uint64) url.Values {
	f := url.Values{}
	for _, id := range ids {
		f.Set(vfield(id), "accept")
	}
	return f
}

// Ensure that the three default policies are seeded once, active,
// compulsory, in English and French, and listed for visitors.
func TestPoliciesSeeded(t *testing.T) {
	e := newEnv(t)
	if err := e.db.SeedPolicies(); err != nil {
		t.Fatal(err)
	}
	entries, err := e.db.ListPolicies()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("got %d policies, want 3", len(entries))
	}
	for i, key := range []string{"site", "privacy", "cookies"} {
		v := entries[i].Active()
		if entries[i].Key != key || v == nil || v.Optional || v.Revision != "1.0" || len(v.Missing()) != 0 {
			t.Errorf("policy %d: got key %q active %v, want %s active, compulsory, complete", i, entries[i].Key, v != nil, key)
		}
	}
	c := e.client(t)
	res := c.get("/policies").want(t, http.StatusOK)
	for _, s := range []string{"Site policy", "Privacy policy", "Use of cookies", "Authenticated users", "All users", "1.0", "Data Protection Officer"} {
		if !res.has(s) {
			t.Errorf("/policies: missing %q", s)
		}
	}
	res = c.get("/policies?lang=fr").want(t, http.StatusOK)
	for _, s := range []string{"Politique du site", "Utilisation des cookies", "Utilisateurs authentifiés"} {
		if !res.has(s) {
			t.Errorf("/policies in French: missing %q", s)
		}
	}
	id := strconv.FormatUint(entries[2].ID, 10)
	res = c.get("/policies/"+id).want(t, http.StatusOK)
	if !res.has("policy-text") || !res.has("<h2") {
		t.Errorf("/policies/%s: no rendered text", id)
	}
	frag := c.get("/policies/"+id, "HX-Request", "true").want(t, http.StatusOK)
	if frag.has("<html") || !frag.has(`id="policy-text-`) {
		t.Errorf("htmx fragment: got a whole page or no text")
	}
	c.get("/policies/999").want(t, http.StatusNotFound)
}

// Ensure that the gate exempts exactly what CONTRACT.md exempts.
func TestGateExempt(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/consent", true}, {"/policies", true}, {"/policies/3", true}, {"/cookies", true}, {"/logout", true},
		{"/profile/dpo", true}, {"/profile/dpo/4/reply", true}, {"/profile/requests", true}, {"/profile/requests/2/download", true},
		{"/admin", true}, {"/admin/policies", true}, {"/static/css/accord.css", true}, {"/healthz", true},
		{"/", false}, {"/profile", false}, {"/profile/policies", false}, {"/consentx", false}, {"/policiesx", false},
		{"/administrator", false}, {"/courses", false}, {"/profile/dpox", false},
	} {
		if got := gateExempt(tc.path); got != tc.want {
			t.Errorf("gateExempt(%q): got %v, want %v", tc.path, got, tc.want)
		}
	}
}

// Ensure that a user with pending policies is sent to /consent (htmx:
// HX-Redirect), that exempt pages stay open, that a partial answer is 422
// keeping what was ticked, and that a full answer lets them through to next.
func TestConsentGate(t *testing.T) {
	for _, lang := range []string{"en", "fr"} {
		t.Run(lang, func(t *testing.T) {
			e := newEnv(t)
			e.newcomer(t, "ann@example.org", store.RoleLearner)
			c := e.client(t)
			c.get("/login")
			res := c.post("/login", url.Values{"email": {"ann@example.org"}, "password": {testPassword}, "next": {"/profile"}}).want(t, http.StatusSeeOther)
			if got := res.Header.Get("Location"); got != "/consent?next=%2Fprofile" {
				t.Errorf("login: got Location %q, want /consent?next=%%2Fprofile", got)
			}
			res = c.get("/profile?lang="+lang).want(t, http.StatusSeeOther)
			if got := res.Header.Get("Location"); !strings.HasPrefix(got, "/consent?next=") {
				t.Errorf("gated page: got Location %q, want /consent?next=…", got)
			}
			res = c.get("/profile", "HX-Request", "true").want(t, http.StatusOK)
			if got := res.Header.Get("HX-Redirect"); got != "/consent?next=%2Fprofile" {
				t.Errorf("htmx: got HX-Redirect %q", got)
			}
			c.get("/policies").want(t, http.StatusOK)
			c.get("/nowhere").want(t, http.StatusSeeOther)

			page := c.get("/consent?next=/profile").want(t, http.StatusOK)
			ids := e.activeIDs()
			for _, id := range ids {
				if !page.has(`name="` + vfield(id) + `" value="accept"`) {
					t.Errorf("consent page: no checkbox for version %d", id)
				}
			}
			partial := url.Values{vfield(ids[0]): {"accept"}, "next": {"/profile"}}
			res = c.post("/consent", partial).want(t, http.StatusUnprocessableEntity)
			msg := map[string]string{"en": "Before continuing you need to acknowledge all these policies", "fr": "Avant de continuer"}[lang]
			if !res.has(msg) || !res.has(`name="`+vfield(ids[0])+`" value="accept" checked`) {
				t.Errorf("422: want the message and the ticked box kept\n%s", res.Body)
			}
			res = c.post("/consent", partial, "HX-Request", "true").want(t, http.StatusUnprocessableEntity)
			if res.has("<html") || !res.has(`id="consent-form"`) {
				t.Errorf("htmx 422: want the form fragment")
			}
			full := acceptAll(ids)
			full.Set("next", "/profile")
			res = c.post("/consent", full).want(t, http.StatusSeeOther)
			if got := res.Header.Get("Location"); got != "/profile" {
				t.Errorf("after consent: got Location %q, want /profile", got)
			}
			// The same form again: one event per version, no error.
			c.post("/consent", full).want(t, http.StatusSeeOther)
			events, _ := e.db.UserAcceptances(1)
			if len(events) != len(ids) {
				t.Errorf("double submit: got %d events, want %d", len(events), len(ids))
			}
			c.get("/profile").want(t, http.StatusOK)
		})
	}
}

// Ensure that answering a version that is not active, or not for users, is
// 409 and records nothing.
func TestConsentConflict(t *testing.T) {
	e := newEnv(t)
	admin := e.newcomer(t, "root@example.org", store.RoleAdmin)
	e.newcomer(t, "ann@example.org", store.RoleLearner)
	draft := &store.PolicyVersion{Revision: "1", Type: store.TypeOther, Audience: store.AudienceGuests, Style: store.StyleConsentPage,
		Texts: map[string]store.PolicyText{"en": {Name: "Guests", Summary: "s", Content: "c"}, "fr": {Name: "Invités", Summary: "s", Content: "c"}}}
	if err := e.db.CreatePolicy(draft, admin.ID); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.login("ann@example.org")
	c.get("/consent")
	f := acceptAll(e.activeIDs())
	f.Set(vfield(draft.ID), "accept")
	c.post("/consent", f).want(t, http.StatusConflict)
	if err := e.db.ActivateVersion(draft.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	c.post("/consent", f).want(t, http.StatusConflict) // guests only
	c.post("/consent", url.Values{"v999": {"accept"}}).want(t, http.StatusConflict)
	if events, _ := e.db.UserAcceptances(2); len(events) != 0 {
		t.Errorf("got %d events, want none", len(events))
	}
}

// Ensure that the demo leaves Bob with pending policies and the others
// past the gate, idempotently.
func TestDemoPolicies(t *testing.T) {
	e := newEnv(t)
	for range 2 {
		if err := e.app.Demo(io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	for email, pending := range map[string]bool{"alice@demo.test": false, "minor@demo.test": false, "bob@demo.test": true} {
		u, err := e.db.UserByEmail(email)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.app.pendingFor(u); got != pending {
			t.Errorf("%s: got pending %v, want %v", email, got, pending)
		}
	}
	m, _ := e.db.UserByEmail("minor@demo.test")
	if events, _ := e.db.UserAcceptances(m.ID); len(events) != 3 || events[0].ActorKind != store.ActorGuardian {
		t.Errorf("minor: got %d events, want 3 by the guardian", len(events))
	}
}

// Ensure that the one Markdown renderer removes what could run: scripts,
// event handlers, javascript: links, raw HTML, and keeps the Markdown.
func TestRenderMarkdownSanitises(t *testing.T) {
	for _, tc := range []struct {
		in       string
		bad      []string
		mustKeep string
	}{
		{"<script>alert(1)</script>\n\nText", []string{"<script", "alert(1)"}, "<p>Text</p>"},
		{"[click](javascript:alert(1))", []string{"javascript:"}, "click"},
		{"[click](JaVaScRiPt:alert(1))", []string{"javascript:", "JaVaScRiPt"}, "click"},
		{"<img src=x onerror=alert(1)>", []string{"onerror", "<img"}, ""},
		{"<a href=\"#\" onclick=\"steal()\">x</a>", []string{"onclick", "steal"}, ""},
		{"<iframe src=\"https://evil.example\"></iframe>", []string{"<iframe"}, ""},
		{"<div style=\"background:url(x)\">s</div>", []string{"style="}, ""},
		{"# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |", nil, "<table>"},
		{"[ok](https://example.org)", nil, `href="https://example.org"`},
	} {
		got := string(renderMarkdown(tc.in))
		for _, b := range tc.bad {
			if strings.Contains(got, b) {
				t.Errorf("render(%q): got %q, must not contain %q", tc.in, got, b)
			}
		}
		if !strings.Contains(got, tc.mustKeep) {
			t.Errorf("render(%q): got %q, want it to keep %q", tc.in, got, tc.mustKeep)
		}
	}
}

// Ensure that the word diff escapes both texts and marks what changed.
func TestWordDiff(t *testing.T) {
	got := string(wordDiff("keep <b>old</b> words", "keep <b>new</b> words"))
	if strings.Contains(got, "<b>") || !strings.Contains(got, "<del>") || !strings.Contains(got, "<ins>") || !strings.Contains(got, "&lt;b&gt;new&lt;/b&gt;") {
		t.Errorf("got %q", got)
	}
}

// Ensure that a text saved from the browser's textarea (CRLF line ends)
// is stored with LF: saved untouched, it keeps the hash of the text it
// came from, so nobody is shown a change that is not one.
func TestVersionFormLineEnds(t *testing.T) {
	e := newEnv(t)
	admin := e.user(t, "root@example.org", store.RoleAdmin)
	site := e.app.consent.Snapshot().Entries()[0]
	draft, err := e.db.NewDraft(site.ID, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	c := e.client(t)
	c.login("root@example.org")
	vals := url.Values(versionValues(draft).Values)
	for _, k := range []string{"summary_en", "content_en", "summary_fr", "content_fr"} {
		vals.Set(k, strings.ReplaceAll(vals.Get(k), "\n", "\r\n"))
	}
	c.post("/admin/versions/"+strconv.FormatUint(draft.ID, 10), vals).want(t, http.StatusSeeOther)
	got, err := e.db.PolicyVersion(draft.ID)
	if err != nil {
		t.Fatal(err)
	}
	old := site.Active()
	for _, l := range store.PolicyLangs {
		if strings.Contains(got.Texts[l].Content, "\r") || got.Texts[l].Hash != old.Texts[l].Hash {
			t.Errorf("%s: got a text with CR or hash %s, want the hash %s of the untouched text", l, got.Texts[l].Hash, old.Texts[l].Hash)
		}
	}
}

// Ensure that a minor change of the active version that changes its
// revision is refused with the form (422, in the reader's language) and
// saves nothing, while the same form with the revision kept is saved.
func TestMinorChangeKeepsRevision(t *testing.T) {
	for _, tc := range []struct{ lang, msg string }{
		{"en", "A minor change may only change the texts"},
		{"fr", "Une modification mineure ne change que les textes"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			admin := e.user(t, "root@example.org", store.RoleAdmin)
			e.agreeAll(t, admin)
			site := seeded(t, e, "site").Active()
			c := e.client(t)
			c.login("root@example.org")
			path := "/admin/versions/" + itoa(site.ID)
			c.get(path+"/edit?lang="+tc.lang).want(t, http.StatusOK)
			vals := url.Values(versionValues(site).Values)
			vals.Set("minor", "on")
			vals.Set("revision", "1.1")
			vals.Set("content_en", site.Texts["en"].Content+"\nTypo fixed.\n")
			res := c.post(path, vals).want(t, http.StatusUnprocessableEntity)
			if !res.has(tc.msg) || !res.has("Typo fixed.") {
				t.Errorf("422: want %q and the text as typed", tc.msg)
			}
			if got, _ := e.db.PolicyVersion(site.ID); got.Revision != "1.0" || got.Texts["en"].Hash != site.Texts["en"].Hash {
				t.Errorf("refused, yet saved: revision %q", got.Revision)
			}
			vals.Set("revision", site.Revision)
			c.post(path, vals).want(t, http.StatusSeeOther)
			if got, _ := e.db.PolicyVersion(site.ID); got.Texts["en"].Hash == site.Texts["en"].Hash || len(got.Changes) != 1 {
				t.Errorf("the minor change with the revision kept was not saved")
			}
		})
	}
}
