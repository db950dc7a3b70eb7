package app

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"accord/store"
)

// Ensure that the erasure report's "kept, and why" reads in the reader's
// language: each line the store recorded is shown as the language's
// sentence with its counts.
func TestErasureReportTranslated(t *testing.T) {
	e := newEnv(t)
	e.user(t, "gone@example.org", store.RoleLearner)
	e.user(t, "dpo@example.org", store.RoleDPO)
	c := e.client(t)
	c.login("gone@example.org")
	r := fileRequest(t, e, c, url.Values{"type": {"delete"}})
	s := e.client(t)
	s.login("dpo@example.org")
	s.post(reqPath("/admin/requests", r, "/approve"), url.Values{"confirm": {"on"}}).want(t, http.StatusSeeOther)
	e.settle()
	got, err := e.db.Request(r.ID)
	if err != nil || got.Status != store.StatusComplete {
		t.Fatalf("got %+v, %v; want a complete erasure", got, err)
	}
	var kept []store.ErasureLine
	for _, l := range got.Erasure {
		if l.Kept != nil {
			kept = append(kept, l)
		}
	}
	if len(kept) < 2 {
		t.Fatalf("got %d lines that kept something, want the agreements and the requests at least: %+v", len(kept), got.Erasure)
	}
	for _, lang := range []string{"en", "fr"} {
		res := s.get(reqPath("/admin/requests", r, "?lang="+lang)).want(t, http.StatusOK)
		p := &Page{Translator: e.app.tr[lang]}
		for _, l := range kept {
			text := p.ErasureKept(l)
			if text == "" || strings.HasPrefix(text, "requests.erasure.kept.") || !strings.Contains(text, p.Number(l.Kept.Count)) {
				t.Errorf("%s %s: %+v is shown as %q, want a translated sentence with its count", lang, l.Bucket, l.Kept, text)
			}
			if !res.has(template.HTMLEscapeString(text)) {
				t.Errorf("%s %s: the page lacks %q", lang, l.Bucket, text)
			}
		}
	}
}

// Ensure that each kind of keeping reads as its sentence, its counts in
// their places, and that an old report's sentence the store could not
// read is shown as it is.
func TestErasureKeptWording(t *testing.T) {
	e := newEnv(t)
	fr := &Page{Translator: e.app.tr["fr"]}
	old, err := json.Marshal(map[string]string{"bucket": "acceptances", "holds": "h",
		"kept": "policy agreement events deleted: 3 (only their number is kept); answers given for other people, kept for them without the actor's account: 1"})
	if err != nil {
		t.Fatal(err)
	}
	var oldLine store.ErasureLine
	if err := json.Unmarshal(old, &oldLine); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		line store.ErasureLine
		want string
	}{
		{"agreements deleted, others' answers kept", store.ErasureLine{Kept: &store.ErasureKept{Kind: store.KeptAcceptances, Count: 3, Others: 1}},
			"Réponses aux politiques supprimées\u00a0: 3 (seul leur nombre est conservé). Réponses données pour d’autres personnes, conservées pour elles sans ce compte\u00a0: 1."},
		{"the same, from an old report's English", oldLine,
			"Réponses aux politiques supprimées\u00a0: 3 (seul leur nombre est conservé). Réponses données pour d’autres personnes, conservées pour elles sans ce compte\u00a0: 1."},
		{"a large count, written the French way", store.ErasureLine{Kept: &store.ErasureKept{Kind: store.KeptAudit, Count: 1200}},
			"Événements du journal d’audit rendus anonymes (sans compte ni détail)\u00a0: " + fr.Number(1200) + ". L’organisme doit pouvoir montrer ce qui s’est passé (RGPD, art. 5(2) et 32)."},
		{"a protected category held", store.ErasureLine{Kept: &store.ErasureKept{Kind: store.KeptHeld, Category: store.CategoryCourses}},
			"Protégé (courses)\u00a0: conservé jusqu’à la fin de sa durée de conservation, puis effacé."},
		{"an old sentence the store could not read", store.ErasureLine{OldKept: "kept: something"}, "kept: something"},
		{"nothing kept", store.ErasureLine{}, ""},
	} {
		if got := fr.ErasureKept(tc.line); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
