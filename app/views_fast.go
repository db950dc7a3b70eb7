package app

import (
	"bytes"
	"html"
	"html/template"
	"strconv"
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
	"profile/index":       {ok: profileFast, write: writeProfilePage},
	"policies/index":      {ok: dataIs[*policiesData], write: writePoliciesPage},
	"policies/agreements": {ok: dataIs[*agreementsData], write: writeAgreementsPage},
}

// dataIs reports whether p's data are a D: the fast view's case.
func dataIs[D any](p *Page) bool {
	_, ok := p.Data.(D)
	return ok
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

// msg is a message with placeholders split around them once: lit[i] is
// escaped text, followed by the value numbered arg[i]; the last lit ends it.
type msg struct {
	lit []string
	arg []int
}

// msg is message key in t's language with placeholders names (numbered in
// that order), split around them and looked up once. A key is always used
// with the same names.
func (t *Translator) msg(key string, names ...string) *msg {
	if m, ok := t.msgs.Load(key); ok {
		return m.(*msg)
	}
	args := make([]any, 0, 2*len(names))
	for i, n := range names {
		args = append(args, n, sentinel(i))
	}
	s, m := t.T(key, args...), &msg{}
	for {
		i := strings.IndexByte(s, 0) // sentinel is \x00<n>\x00
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i+1:], 0)
		if j < 0 {
			break
		}
		n, _ := strconv.Atoi(s[i+1 : i+1+j])
		m.lit, m.arg = append(m.lit, html.EscapeString(s[:i])), append(m.arg, n)
		s = s[i+j+2:]
	}
	m.lit = append(m.lit, html.EscapeString(s))
	t.msgs.Store(key, m)
	return m
}

// writeMsg writes m with values (escaped) in place of its placeholders.
func writeMsg(b *bytes.Buffer, m *msg, values ...string) {
	for i, a := range m.arg {
		b.WriteString(m.lit[i])
		writeEsc(b, values[a])
	}
	b.WriteString(m.lit[len(m.lit)-1])
}

// writeAround writes message key with value (escaped) in place of its
// placeholder name.
func writeAround(b *bytes.Buffer, t *Translator, key, name, value string) {
	writeMsg(b, t.msg(key, name), value)
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
