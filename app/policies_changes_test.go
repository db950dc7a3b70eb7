package app

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"testing"

	"accord/store"
)

// longPolicyText is a policy of n paragraphs of 100 words in lang, with a
// heading every 10 paragraphs and some emphasis; edit changes paragraph
// 1/6 of the way (a few words), removes the one at 2/5 and adds one after
// 2/3 when set.
func longPolicyText(lang string, n int, edit bool) string {
	word := map[string]string{"en": "word", "fr": "mot"}[lang]
	para := map[string]string{"en": "Paragraph", "fr": "Paragraphe"}[lang]
	var b strings.Builder
	for i := range n {
		if i%10 == 0 {
			fmt.Fprintf(&b, "## %s %d\n\n", map[string]string{"en": "Section", "fr": "Partie"}[lang], i/10+1)
		}
		if edit && i == 2*n/5 {
			continue
		}
		fmt.Fprintf(&b, "%s %d: ", para, i)
		for j := range 98 {
			switch {
			case edit && i == n/6 && j == 40:
				b.WriteString("**" + map[string]string{"en": "ninety days", "fr": "quatre-vingt-dix jours"}[lang] + "** ")
			case j == 40:
				b.WriteString("**" + map[string]string{"en": "thirty days", "fr": "trente jours"}[lang] + "** ")
			default:
				fmt.Fprintf(&b, "%s%d ", word, (i*7+j)%500)
			}
		}
		b.WriteString("end.\n\n")
		if edit && i == 2*n/3 {
			fmt.Fprintf(&b, "%s\n\n", map[string]string{"en": "A new paragraph: your data may also go to our *new partner*.", "fr": "Un nouveau paragraphe : vos données peuvent aussi aller à notre *nouveau partenaire*."}[lang])
		}
	}
	return b.String()
}

// changedPolicy makes a policy of n paragraphs per language, active, then
// a second version with the edits of longPolicyText, and returns both;
// the second is not active yet.
func changedPolicy(t testing.TB, e *testEnv, author uint64, n int) (v1, v2 *store.PolicyVersion) {
	t.Helper()
	v1 = &store.PolicyVersion{Revision: "1", Type: store.TypeOther, Audience: store.AudienceAll, Style: store.StyleConsentPage,
		Texts: map[string]store.PolicyText{
			"en": {Name: "Training terms", Summary: "How we train you.", Content: longPolicyText("en", n, false)},
			"fr": {Name: "Conditions de formation", Summary: "Comment nous vous formons.", Content: longPolicyText("fr", n, false)}}}
	if err := e.db.CreatePolicy(v1, author); err != nil {
		t.Fatal(err)
	}
	if err := e.db.ActivateVersion(v1.ID, author); err != nil {
		t.Fatal(err)
	}
	d, err := e.db.NewDraft(v1.PolicyID, author)
	if err != nil {
		t.Fatal(err)
	}
	v2, err = e.db.SaveVersion(d.ID, author, false, func(v *store.PolicyVersion) {
		v.Revision = "2"
		v.Texts = map[string]store.PolicyText{
			"en": {Name: "Training terms", Summary: "How we train you.", Content: longPolicyText("en", n, true)},
			"fr": {Name: "Conditions de formation", Summary: "Comment nous vous formons.", Content: longPolicyText("fr", n, true)}}
	})
	if err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	return e.app.consent.Snapshot().Version(v1.ID), v2
}

// changesOf is the "what changed" part of a consent page for version id.
func changesOf(t testing.TB, body string, id uint64) string {
	t.Helper()
	start := strings.Index(body, fmt.Sprintf(`id="changes-%d"`, id))
	if start < 0 {
		t.Fatalf("no changes shown for version %d", id)
	}
	end := strings.Index(body[start:], "</details>")
	return body[start : start+end]
}

// Ensure that a reader who accepted in English and reads the next version
// in French is shown what changed between the two French texts, as
// formatted text: only the changed paragraphs and their neighbours, the
// words changed in place marked inside the bold, a removed and an added
// paragraph, a gap mark for what is left out, and a link to the whole
// text; and that the result is cached for the pair of texts.
func TestConsentChangesInReadersLanguage(t *testing.T) {
	e := newEnv(t)
	admin := e.newcomer(t, "root@example.org", store.RoleAdmin)
	ann := e.newcomer(t, "ann@example.org", store.RoleLearner)
	_, v2 := changedPolicy(t, e, admin.ID, 60)
	e.agreeAll(t, ann) // in English
	if err := e.db.ActivateVersion(v2.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	c := e.client(t)
	c.login("ann@example.org")
	page := c.get("/consent?lang=fr").want(t, http.StatusOK)
	got := changesOf(t, page.Body, v2.ID)
	for _, want := range []string{
		"Ce qui a changé depuis la version 1, celle que vous avez acceptée",
		"<strong><del>trente</del><ins>quatre-vingt-dix</ins> jours</strong>",
		"<del class=\"diff-block\"><span class=\"sr-only\">Supprimé\u00a0: </span><p>Paragraphe 24:",
		"<ins class=\"diff-block\"><span class=\"sr-only\">Ajouté\u00a0: </span><p>Un nouveau paragraphe : vos données peuvent aussi aller à notre <em>nouveau partenaire</em>.</p>",
		`<p class="diff-gap" aria-hidden="true">⋯</p>`,
		fmt.Sprintf(`href="/policies/%d?version=%d"`, v2.PolicyID, v2.ID),
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in the changes\n%s", want, got)
		}
	}
	for _, not := range []string{"Paragraph ", "word1", "**", "## "} {
		if strings.Contains(got, not) {
			t.Errorf("the changes hold %q: English or Markdown source", not)
		}
	}
	if n := strings.Count(got, "<p>Paragraphe "); n > 7 {
		t.Errorf("got %d paragraphs shown, want the 3 changed and their neighbours only", n)
	}
	if n := strings.Count(got, "<ins") + strings.Count(got, "<del"); n != 4 {
		t.Errorf("got %d marks, want 4 (two words, a paragraph removed, one added)", n)
	}
	en := c.get("/consent?lang=en").want(t, http.StatusOK)
	if got := changesOf(t, en.Body, v2.ID); !strings.Contains(got, "<strong><del>thirty</del><ins>ninety</ins> days</strong>") {
		t.Errorf("in English: want the English words marked\n%s", got)
	}
	v1 := e.app.consent.Snapshot().Version(v2.ID - 1)
	key := "fr:" + v1.Texts["fr"].Hash + ":" + v2.Texts["fr"].Hash
	if _, ok := e.app.texts.changes.get(key); !ok {
		t.Errorf("the changes are not cached under the pair of French texts")
	}
}

// Ensure that a paragraph is what lies between blank lines, a fenced
// code block kept whole even with blank lines inside.
func TestSplitBlocks(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"paragraphs between blank lines", "# T\n\nOne\ntwo\n\n\nThree  \n", []string{"# T", "One\ntwo", "Three"}},
		{"Windows line ends", "A\r\n\r\nB", []string{"A", "B"}},
		{"a fence with a blank line inside", "A\n\n```\nx\n\ny\n```\n\nB", []string{"A", "```\nx\n\ny\n```", "B"}},
		{"nothing", "\n\n", nil},
	} {
		got := splitBlocks(tc.src)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Ensure that what changed is sanitised as policy texts are: a script or
// a javascript: link added to a text is not shown as such, and a
// paragraph rewritten whole reads as one removed and one added.
func TestPolicyChangesSanitisedAndWhole(t *testing.T) {
	got := string(policyChanges("Hello.\n\nKept.", "Hello.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\nKept.", "Removed:", "Added:"))
	for _, bad := range []string{"<script", "javascript:", "onerror"} {
		if strings.Contains(got, bad) {
			t.Errorf("got %q in\n%s", bad, got)
		}
	}
	got = string(policyChanges("We keep your data for a year.", "Cookies are small files placed on your device by sites.", "Removed:", "Added:"))
	if !strings.Contains(got, `<del class="diff-block">`) || !strings.Contains(got, `<ins class="diff-block">`) || strings.Contains(got, "diff-changed") {
		t.Errorf("a paragraph rewritten whole: want one removed and one added\n%s", got)
	}
	if got := policyChanges("Same.\n\nText.", "Same.\n\nText.\n", "Removed:", "Added:"); got != "" {
		t.Errorf("no paragraph changed: got %q, want nothing", got)
	}
}

// Ensure that the cache drops the least recently used entries past its
// size, and keeps the one just read.
func TestChangesCacheBounded(t *testing.T) {
	cc := changesCache{maxBytes: 100}
	cc.put("a", template.HTML(strings.Repeat("x", 40)))
	cc.put("b", template.HTML(strings.Repeat("x", 40)))
	cc.get("a")
	cc.put("c", template.HTML(strings.Repeat("x", 40)))
	if _, ok := cc.get("b"); ok {
		t.Errorf("the least recently used entry is still there")
	}
	if _, ok := cc.get("a"); !ok {
		t.Errorf("the entry just read was dropped")
	}
	if cc.size > 100 {
		t.Errorf("got %d bytes, want at most 100", cc.size)
	}
	cc.put("huge", template.HTML(strings.Repeat("x", 200)))
	if _, ok := cc.get("huge"); ok {
		t.Errorf("an entry larger than the cache was kept")
	}
}
