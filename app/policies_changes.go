package app

import (
	"container/list"
	"html/template"
	"strings"
	"sync"
	"time"

	"accord/store"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// What changed since the version a reader last accepted, as they read it:
// both versions in the language of the page, each paragraph rendered as
// the policy texts are (goldmark, then bluemonday), only the paragraphs
// that changed with one paragraph of context around them; a paragraph
// changed in place shows its words struck and inserted. The result is
// cached per pair of text hashes (and language of the labels).

// changesContext is how many unchanged paragraphs stand around a change.
const changesContext = 1

// inlineDiffTimeout bounds the word diff of one changed paragraph (a
// single paragraph may be a whole policy); past it the diff is coarser,
// never wrong.
const inlineDiffTimeout = 100 * time.Millisecond

// changesSince is what changed from the text of the version the reader
// last accepted (ev) to cur, in cur's language, or "" when nothing did or
// the earlier text cannot be had in that language. A text accepted in the
// same language is compared as it was accepted (its hash); in another
// language, the earlier version's text in this one.
func (a *App) changesSince(ev store.Acceptance, cur versionView, tr *Translator) template.HTML {
	if ev.VersionID == cur.V.ID {
		return ""
	}
	var oldHash, old string
	switch ov := a.consent.Snapshot().Version(ev.VersionID); {
	case ev.Lang == cur.Lang && ev.TextHash != "":
		oldHash = ev.TextHash
	case ov != nil && ov.Texts[cur.Lang].Content != "":
		t := ov.Texts[cur.Lang]
		oldHash, old = t.Hash, t.Content
		if oldHash == "" {
			oldHash = store.HashText(old)
		}
	default:
		return ""
	}
	newHash := cur.Text.Hash
	if newHash == "" {
		newHash = store.HashText(cur.Text.Content)
	}
	if oldHash == newHash {
		return ""
	}
	key := tr.Lang + ":" + oldHash + ":" + newHash
	if h, ok := a.texts.changes.get(key); ok {
		return h
	}
	if old == "" {
		var err error
		if old, err = a.db.PolicyText(oldHash); err != nil {
			return ""
		}
	}
	h := policyChanges(old, cur.Text.Content, tr.T("consent.diff_removed"), tr.T("consent.diff_added"))
	a.texts.changes.put(key, h)
	return h
}

// policyChanges is the paragraphs of new that differ from old, rendered,
// with changesContext paragraphs around each change and a gap mark where
// paragraphs are left out; removed and added name the removed and added
// paragraphs for screen readers. "" when no paragraph changed.
func policyChanges(old, new, removed, added string) template.HTML {
	ob, nb := splitBlocks(old), splitBlocks(new)
	ops := diffBlocks(ob, nb)
	// keep marks the equal blocks shown as context: at most
	// changesContext of them on each side of a change.
	keep := make([]bool, len(ops))
	changed := false
	for _, dir := range []int{1, -1} {
		since := changesContext + 1 // equal blocks since the last change met
		for k := range ops {
			i := k
			if dir < 0 {
				i = len(ops) - 1 - k
			}
			if ops[i].kind != diffmatchpatch.DiffEqual {
				since, changed = 0, true
				continue
			}
			if since++; since <= changesContext {
				keep[i] = true
			}
		}
	}
	if !changed {
		return ""
	}
	var b strings.Builder
	b.WriteString(`<div class="changes-list">`)
	gap := false
	for i := 0; i < len(ops); i++ {
		op := ops[i]
		switch {
		case op.kind == diffmatchpatch.DiffEqual && !keep[i]:
			gap = true
			continue
		case gap:
			b.WriteString(`<p class="diff-gap" aria-hidden="true">⋯</p>`)
			gap = false
		}
		switch op.kind {
		case diffmatchpatch.DiffEqual:
			b.WriteString(`<div class="diff-context">`)
			b.WriteString(string(renderMarkdown(op.text)))
			b.WriteString(`</div>`)
		case diffmatchpatch.DiffDelete:
			// A paragraph removed right before one added in its place,
			// and mostly alike: one paragraph, its words marked.
			if i+1 < len(ops) && ops[i+1].kind == diffmatchpatch.DiffInsert {
				if inline, ok := inlineChanges(string(renderMarkdown(op.text)), string(renderMarkdown(ops[i+1].text))); ok {
					b.WriteString(`<div class="diff-changed">` + inline + `</div>`)
					i++
					continue
				}
			}
			b.WriteString(`<del class="diff-block"><span class="sr-only">` + template.HTMLEscapeString(removed) + ` </span>`)
			b.WriteString(string(renderMarkdown(op.text)))
			b.WriteString(`</del>`)
		case diffmatchpatch.DiffInsert:
			b.WriteString(`<ins class="diff-block"><span class="sr-only">` + template.HTMLEscapeString(added) + ` </span>`)
			b.WriteString(string(renderMarkdown(op.text)))
			b.WriteString(`</ins>`)
		}
	}
	if gap {
		b.WriteString(`<p class="diff-gap" aria-hidden="true">⋯</p>`)
	}
	b.WriteString(`</div>`)
	return template.HTML(b.String())
}

// blockOp is one paragraph of a block diff: kept, removed or added.
type blockOp struct {
	kind diffmatchpatch.Operation
	text string
}

// diffBlocks diffs two lists of paragraphs, each paragraph one symbol.
func diffBlocks(old, new []string) []blockOp {
	codes := map[string]rune{}
	var texts []string
	encode := func(blocks []string) []rune {
		out := make([]rune, len(blocks))
		for i, s := range blocks {
			r, ok := codes[s]
			if !ok {
				r = symbol(len(texts))
				codes[s] = r
				texts = append(texts, s)
			}
			out[i] = r
		}
		return out
	}
	a, b := encode(old), encode(new)
	decode := make(map[rune]string, len(codes))
	for s, r := range codes {
		decode[r] = s
	}
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0 // paragraphs are few: the exact diff is cheap
	var out []blockOp
	for _, d := range dmp.DiffMainRunes(a, b, false) {
		for _, r := range d.Text {
			out = append(out, blockOp{kind: d.Type, text: decode[r]})
		}
	}
	return out
}

// symbol is the n-th symbol of an encoded diff, skipping 0 and the
// surrogates (they do not survive a string); unsymbol is its inverse.
func symbol(n int) rune {
	r := rune(n + 1)
	if r >= 0xD800 {
		r += 0x800
	}
	return r
}

func unsymbol(r rune) int {
	if r >= 0xD800+0x800 {
		r -= 0x800
	}
	return int(r) - 1
}

// splitBlocks cuts Markdown into its paragraphs: runs of lines between
// blank lines, a fenced code block kept whole.
func splitBlocks(src string) []string {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	var out []string
	var cur []string
	fence := ""
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, "\n"))
			cur = cur[:0]
		}
	}
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case fence != "":
			cur = append(cur, line)
			if strings.HasPrefix(t, fence) {
				fence = ""
			}
			continue
		case strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~"):
			fence = t[:3]
		case t == "":
			flush()
			continue
		}
		cur = append(cur, strings.TrimRight(line, " \t"))
	}
	flush()
	return out
}

// inlineChanges marks the words that changed from old to new, two
// paragraphs of sanitised HTML: new's tags all stay (so the result is
// well formed), removed words are shown struck, added ones inserted; a
// removed tag is dropped. ok is false when the paragraphs have less than
// half their words in common (better shown as one removed, one added).
func inlineChanges(old, new string) (html string, ok bool) {
	codes := map[string]rune{}
	var toks []string
	encode := func(s string) []rune {
		var out []rune
		for _, t := range htmlTokens(s) {
			r, seen := codes[t]
			if !seen {
				r = symbol(len(toks))
				codes[t] = r
				toks = append(toks, t)
			}
			out = append(out, r)
		}
		return out
	}
	a, b := encode(old), encode(new)
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = inlineDiffTimeout
	diffs := dmp.DiffMainRunes(a, b, false)
	same, words := 0, 0
	for _, d := range diffs {
		for _, r := range d.Text {
			if t := toks[unsymbol(r)]; isWord(t) && d.Type != diffmatchpatch.DiffDelete {
				words++
				if d.Type == diffmatchpatch.DiffEqual {
					same++
				}
			}
		}
	}
	if words == 0 || same*2 < words {
		return "", false
	}
	var sb strings.Builder
	for _, d := range diffs {
		open := ""
		switch d.Type {
		case diffmatchpatch.DiffInsert:
			open = "ins"
		case diffmatchpatch.DiffDelete:
			open = "del"
		}
		inside := false
		for _, r := range d.Text {
			t := toks[unsymbol(r)]
			isTag := strings.HasPrefix(t, "<")
			if open == "" || (isTag && open == "ins") {
				if inside {
					sb.WriteString("</" + open + ">")
					inside = false
				}
				sb.WriteString(t)
				continue
			}
			if isTag { // a removed tag: its words stay, struck, where they stood
				continue
			}
			if !inside {
				if !isWord(t) {
					continue // no mark for spaces alone
				}
				sb.WriteString("<" + open + ">")
				inside = true
			}
			sb.WriteString(t)
		}
		if inside {
			sb.WriteString("</" + open + ">")
		}
	}
	return sb.String(), true
}

// isWord reports whether a token is text other than spaces.
func isWord(t string) bool { return t != "" && t[0] != '<' && strings.TrimSpace(t) != "" }

// htmlTokens cuts sanitised HTML into tags, words and runs of spaces (a
// '<' in text is escaped by the sanitiser, so every '<' opens a tag).
func htmlTokens(s string) []string {
	var out []string
	for s != "" {
		if s[0] == '<' {
			end := strings.IndexByte(s, '>')
			if end < 0 {
				end = len(s) - 1
			}
			out = append(out, s[:end+1])
			s = s[end+1:]
			continue
		}
		i := 0
		space := isSpace(s[0])
		for i < len(s) && s[i] != '<' && isSpace(s[i]) == space {
			i++
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// changesCache keeps the rendered changes per pair of texts, the least
// recently used dropped first past maxBytes.
type changesCache struct {
	mu       sync.Mutex
	maxBytes int
	size     int
	order    *list.List // front: most recently used
	m        map[string]*list.Element
}

type changesEntry struct {
	key  string
	html template.HTML
}

// changesCacheBytes bounds the cache: a diff of a few changed paragraphs
// is a few KB, a whole rewrite of a long policy a few hundred.
const changesCacheBytes = 16 << 20

func (cc *changesCache) get(key string) (template.HTML, bool) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	el, ok := cc.m[key]
	if !ok {
		return "", false
	}
	cc.order.MoveToFront(el)
	return el.Value.(*changesEntry).html, true
}

// clear empties the cache.
func (cc *changesCache) clear() {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.m, cc.order, cc.size = nil, nil, 0
}

func (cc *changesCache) put(key string, h template.HTML) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.m == nil {
		cc.m, cc.order = map[string]*list.Element{}, list.New()
		if cc.maxBytes == 0 {
			cc.maxBytes = changesCacheBytes
		}
	}
	if _, ok := cc.m[key]; ok || len(key)+len(h) > cc.maxBytes {
		return
	}
	cc.m[key] = cc.order.PushFront(&changesEntry{key: key, html: h})
	cc.size += len(key) + len(h)
	for cc.size > cc.maxBytes {
		old := cc.order.Back()
		e := old.Value.(*changesEntry)
		cc.order.Remove(old)
		delete(cc.m, e.key)
		cc.size -= len(e.key) + len(e.html)
	}
}
