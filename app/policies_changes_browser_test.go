package app

import (
	"fmt"
	"strings"
	"testing"

	"accord/store"
)

// Ensure that a reader who accepted a policy in English and reads its
// next version in French sees what changed as formatted French text: a
// heading, bold and italic rendered (no Markdown marks), the words changed
// in place struck and inserted inside the bold, the new paragraph, only
// the changed paragraphs and their neighbours, and a link to the whole
// text.
func TestBrowserChangesInFrench(t *testing.T) {
	b := newBrowser(t)
	e := b.env
	admin := e.user(t, "root@example.org", store.RoleAdmin)
	ann := e.newcomer(t, "ann@example.org", store.RoleLearner)
	_, v2 := changedPolicy(t, e, admin.ID, 60)
	e.agreeAll(t, ann) // in English
	if err := e.db.ActivateVersion(v2.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	b.login("ann@example.org")
	if got := b.path(); !strings.HasPrefix(got, "/consent") {
		t.Fatalf("got %s, want the consent page", got)
	}
	b.visit("/consent?lang=fr")
	changes := fmt.Sprintf("#changes-%d", v2.ID)
	b.click(changes + " summary")
	b.waitText(changes, "quatre-vingt-dix")
	check := func(what, js, want string) {
		t.Helper()
		if got := eval[string](b, js); got != want {
			t.Errorf("%s: got %q, want %q", what, got, want)
		}
	}
	q := func(sel string) string { return fmt.Sprintf(`document.querySelector(%q)`, changes+" "+sel) }
	check("the words removed in the bold", q(".diff-changed strong del")+".textContent", "trente")
	check("the words added in the bold", q(".diff-changed strong ins")+".textContent", "quatre-vingt-dix")
	check("the new paragraph, italic rendered", q("ins.diff-block em")+".textContent", "nouveau partenaire")
	check("a heading for context, rendered", q(".diff-context h2")+".textContent", "Partie 2")
	check("the link to the whole text", q(`a[href^="/policies/"]`)+`.getAttribute("href")`, fmt.Sprintf("/policies/%d?version=%d", v2.PolicyID, v2.ID))
	text := eval[string](b, q(".diff")+".textContent")
	for _, not := range []string{"**", "##", "Paragraph ", "word"} {
		if strings.Contains(text, not) {
			t.Errorf("the changes read %q: English or Markdown marks", not)
		}
	}
	if n := eval[int](b, fmt.Sprintf(`document.querySelectorAll(%q).length`, changes+" .changes-list > *:not(.diff-gap)")); n != 9 {
		t.Errorf("got %d paragraphs shown, want 9: the 3 changed and a neighbour on each side", n)
	}
	if !eval[bool](b, q("del.diff-block")+`.getBoundingClientRect().height > 0 && getComputedStyle(`+q("del.diff-block p")+`).textDecorationLine === "line-through"`) {
		t.Errorf("the removed paragraph: want it shown, struck")
	}
	b.screenshot("fr-what-changed")
}
