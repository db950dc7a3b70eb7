package app

import "accord/store"

// ErasureKept is line's "kept, and why" in the page's language: the
// sentence of what the store recorded (a kind, its counts: store.KeptKind),
// empty when nothing was kept, and an old report's English as it is where
// the store could read no kind from it.
func (p *Page) ErasureKept(line store.ErasureLine) string {
	k := line.Kept
	if k == nil {
		return line.OldKept
	}
	return p.T("requests.erasure.kept."+string(k.Kind),
		"Count", p.Number(k.Count), "Others", p.Number(k.Others), "Category", k.Category)
}
