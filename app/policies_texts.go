package app

import (
	"html/template"
	"sync"

	"accord/store"
)

// policyTexts remembers what is costly to make from a policy text and
// never changes under its SHA-256: the rendered HTML, and what changed
// from one text to another.
type policyTexts struct {
	html sync.Map // SHA-256 of Markdown → rendered, sanitised HTML
	// changes: "what changed" per pair of texts (policies_changes.go).
	changes changesCache
}

func newPolicyTexts() *policyTexts { return &policyTexts{} }

// policyHTMLFor renders a text, remembering it by hash (texts are few and
// never change under a hash).
func (a *App) policyHTMLFor(t store.PolicyText) template.HTML {
	h := t.Hash
	if h == "" {
		h = store.HashText(t.Content)
	}
	if v, ok := a.texts.html.Load(h); ok {
		return v.(template.HTML)
	}
	out := renderMarkdown(t.Content)
	a.texts.html.Store(h, out)
	return out
}
