package app

import (
	"bytes"
	"html"
	"html/template"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// The pages seen most — the signed-in profile, the agreements, the public
// policies — are also written in Go (views_profile.go, views_policies.go):
// as templates each cost a few hundred allocations and ~100 µs of
// reflection per view (BENCHMARKS.md, issue 13), where the Go writers cost
// a few. The templates stay the source of truth: they still render the
// htmx fragments and the refused forms, and each fast view has a test that
// renders it both ways, for every variant of its page, against the
// templates in views/ (so a change to a template without its writer fails
// the test).

// fastView writes a whole page straight into b, when it can (ok); else
// render executes the page's template.
type fastView struct {
	ok    func(p *Page) bool
	write func(b *bytes.Buffer, p *Page)
}

// fastViews are the Go-written pages, by template name.
var fastViews = map[string]fastView{
	"profile/index":  {ok: profileFast, write: writeProfilePage},
	"policies/index": {ok: policiesFast, write: writePoliciesPage},
}

// bufs are the buffers pages are written into.
var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// renderFast writes page name of p with its fast view, and reports whether
// it had one for this case.
func renderFast(c *fiber.Ctx, status int, name string, p *Page) bool {
	fv, found := fastViews[name]
	if !found || !fv.ok(p) {
		return false
	}
	b := bufs.Get().(*bytes.Buffer)
	b.Reset()
	fv.write(b, p)
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Response().SetBody(b.Bytes()) // copied into the response's own buffer
	if b.Cap() <= 1<<20 {
		bufs.Put(b)
	}
	return true
}

// htmlOf runs write into a pooled buffer, for a template func.
func htmlOf(write func(b *bytes.Buffer)) template.HTML {
	b := bufs.Get().(*bytes.Buffer)
	b.Reset()
	write(b)
	s := template.HTML(b.String())
	bufs.Put(b)
	return s
}

// writeEsc writes s HTML-escaped, as html/template writes a string in text or
// in a quoted attribute (but + as itself, not &#43;).
func writeEsc(b *bytes.Buffer, s string) { b.WriteString(html.EscapeString(s)) }

// text is message key in t's language, HTML-escaped, looked up once: for
// messages without placeholders only.
func (t *Translator) text(key string) string {
	if s, ok := t.texts.Load(key); ok {
		return s.(string)
	}
	s := html.EscapeString(t.T(key))
	t.texts.Store(key, s)
	return s
}

// around is message key in t's language split around its one placeholder
// name, each side HTML-escaped, looked up once.
func (t *Translator) around(key, name string) *[2]string {
	memo := key + "\x00" + name
	if s, ok := t.texts.Load(memo); ok {
		return s.(*[2]string)
	}
	before, after, _ := strings.Cut(t.T(key, name, sentinel(0)), sentinel(0))
	s := &[2]string{html.EscapeString(before), html.EscapeString(after)}
	t.texts.Store(memo, s)
	return s
}

// writeAround writes message key with value (escaped) in place of its
// placeholder name.
func writeAround(b *bytes.Buffer, t *Translator, key, name, value string) {
	s := t.around(key, name)
	b.WriteString(s[0])
	writeEsc(b, value)
	b.WriteString(s[1])
}

// writeFrameTop is partials/top: the head, the cookie banner when shown,
// the header.
func writeFrameTop(b *bytes.Buffer, p *Page) {
	writeFrameHead(b, p)
	if p.Chrome.CookieBanner != nil {
		b.WriteByte('\n') // cookies/_banner's comment line
		writeBanner(b, p)
		b.WriteByte('\n')
	}
	writeFrameHeader(b, p)
}

// ws writes the strings one after the other (a concatenation would
// allocate).
func ws(b *bytes.Buffer, parts ...string) {
	for _, s := range parts {
		b.WriteString(s)
	}
}
