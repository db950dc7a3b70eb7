package app

import (
	"html/template"
	"net/http"
	"net/url"
	"testing"

	"accord/store"
)

// Ensure that the erasure report's "kept, and why" reads in the reader's
// language: each line the store wrote in English is shown as the
// language's sentence with the same counts.
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
		if l.Kept != "" {
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
			if _, known := keptReasons[l.Bucket]; !known || text == l.Kept {
				t.Errorf("%s %s: %q is shown as stored, want a translated sentence", lang, l.Bucket, l.Kept)
			}
			if !res.has(template.HTMLEscapeString(text)) {
				t.Errorf("%s %s: the page lacks %q", lang, l.Bucket, text)
			}
			if res.has(template.HTMLEscapeString(l.Kept)) {
				t.Errorf("%s %s: the page shows the stored English %q", lang, l.Bucket, l.Kept)
			}
		}
	}
	fr := &Page{Translator: e.app.tr["fr"]}
	if got := fr.ErasureKept(store.ErasureLine{Bucket: "acceptances", Kept: "policy agreement events deleted: 3 (only their number is kept); answers given for other people, kept for them without the actor's account: 1"}); got != "Réponses aux politiques supprimées\u00a0: 3 (seul leur nombre est conservé). Réponses données pour d’autres personnes, conservées pour elles sans ce compte\u00a0: 1." {
		t.Errorf("French agreements line: got %q", got)
	}
}
