package app

import (
	"fmt"
	"html"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing/fstest"

	"github.com/gofiber/fiber/v2"
	htmlengine "github.com/gofiber/template/html/v2"
)

// viewSet is the template set, parsed once per language. Before parsing,
// each action that can only ever print one text in that language — a
// translation without placeholders ({{.T "key"}}) or a static file's
// versioned URL ({{.Asset "name"}}) — is replaced by that text, HTML-escaped.
// A page then executes only the actions that depend on the request, instead
// of a reflective method call and a go-i18n lookup per string per view (the
// largest cost of a page, BENCHMARKS.md). The texts still come from go-i18n,
// once, at start; messages with placeholders and plurals stay actions.
//
// The substitution is sound because every such action in views/ sits in
// HTML text or in a quoted, non-URL attribute (aria-label, data-label,
// data-confirm), where html/template would have HTML-escaped the value the
// same way; app/views_test.go checks that each language's page renders as
// it did through the actions.
type viewSet struct {
	byLang map[string]*htmlengine.Engine
	def    string // language of a binding that names none
}

// constAction matches {{.T "key"}}, {{$.T "key"}}, {{.P.T "key"}},
// {{$.P.T "key"}} and {{.Asset "name"}} (P is a partial's page, by dict).
var constAction = regexp.MustCompile(`\{\{\s*(?:\$|\$\.P|\.P)?\.(T|Asset)\s+"([^"{}]+)"\s*\}\}`)

// argAction matches a translation with named arguments, each a field chain
// or a parenthesised call without quotes: {{.T "key" "Name" .User.Name
// "Date" ($.Date .At)}}. Its message's text is written in and each
// placeholder becomes {{print EXPR}} (print: a string, escaped as T's result
// was, even where EXPR is template.HTML).
var (
	argAction = regexp.MustCompile(`\{\{\s*(?:\$|\$\.P|\.P)?\.T\s+"([^"{}]+)"((?:\s+"[A-Za-z]+"\s+(?:[$.][$.A-Za-z0-9_]*|\([^()"]*\)))+)\s*\}\}`)
	argPair   = regexp.MustCompile(`"([A-Za-z]+)"\s+([$.][$.A-Za-z0-9_]*|\([^()"]*\))`)
)

// newViewSet parses views once per language of tr, with funcs; inline says
// whether constant actions are replaced by their text (always, but in the
// test that compares both).
func newViewSet(views fs.FS, tr map[string]*Translator, assets map[string]string, funcs map[string]any, def string, inline bool) (*viewSet, error) {
	vs := &viewSet{byLang: map[string]*htmlengine.Engine{}, def: def}
	for lang, t := range tr {
		files := fstest.MapFS{} // an in-memory fs.FS; nothing of package testing runs
		err := fs.WalkDir(views, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
				return err
			}
			src, err := fs.ReadFile(views, path)
			if err != nil {
				return err
			}
			if inline {
				src = []byte(inlineConstants(string(src), t, assets))
			}
			files[path] = &fstest.MapFile{Data: src}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("app: read templates: %w", err)
		}
		engine := htmlengine.NewFileSystem(http.FS(files), ".html")
		engine.AddFuncMap(funcs)
		if err := engine.Load(); err != nil {
			return nil, fmt.Errorf("app: load templates (%s): %w", lang, err)
		}
		vs.byLang[lang] = engine
	}
	return vs, nil
}

// inlineConstants writes the language's constant texts into src, and the
// texts around the placeholders of translations with arguments.
func inlineConstants(src string, t *Translator, assets map[string]string) string {
	src = argAction.ReplaceAllStringFunc(src, func(action string) string {
		m := argAction.FindStringSubmatch(action)
		pairs := argPair.FindAllStringSubmatch(m[2], -1)
		args := make([]any, 0, 2*len(pairs))
		for i, p := range pairs {
			args = append(args, p[1], sentinel(i))
		}
		text := t.T(m[1], args...)
		if text == m[1] || strings.Contains(text, "{{") || strings.Contains(text, "<no value>") {
			return action
		}
		var b strings.Builder
		for text != "" {
			i := strings.IndexByte(text, 0)
			if i < 0 {
				b.WriteString(html.EscapeString(text))
				break
			}
			b.WriteString(html.EscapeString(text[:i]))
			end := strings.IndexByte(text[i+1:], 0)
			if end < 0 {
				return action
			}
			var n int
			if _, err := fmt.Sscanf(text[i+1:i+1+end], "%d", &n); err != nil || n >= len(pairs) {
				return action
			}
			b.WriteString("{{print " + pairs[n][2] + "}}")
			text = text[i+1+end+1:]
		}
		return b.String()
	})
	return constAction.ReplaceAllStringFunc(src, func(action string) string {
		m := constAction.FindStringSubmatch(action)
		var text string
		switch m[1] {
		case "T":
			text = t.T(m[2])
			if strings.Contains(text, "{{") || strings.Contains(text, "<no value>") || text == m[2] {
				return action // has placeholders, or is missing: leave it to run (and be caught)
			}
		case "Asset":
			u, ok := assets[m[2]]
			if !ok {
				return action
			}
			text = u
		}
		return html.EscapeString(text)
	})
}

// sentinel stands for argument i while a message is split around it.
func sentinel(i int) string { return fmt.Sprintf("\x00%d\x00", i) }

// Load is part of fiber.Views: the sets are parsed in newViewSet.
func (vs *viewSet) Load() error { return nil }

// Render executes template name of the binding's language (see viewLanguage).
// No layout is ever passed: a layout would take the engine's exclusive lock
// for the whole execution (STYLE.md).
func (vs *viewSet) Render(w io.Writer, name string, binding any, _ ...string) error {
	lang := vs.def
	if l, ok := binding.(interface{ viewLanguage() string }); ok {
		lang = l.viewLanguage()
	}
	e, ok := vs.byLang[lang]
	if !ok {
		e = vs.byLang[vs.def]
	}
	return e.Render(w, name, binding)
}

// viewLanguage is the language a binding that embeds a Translator (a Page,
// or a row that embeds one) is rendered in.
func (t *Translator) viewLanguage() string { return t.Lang }

var _ fiber.Views = (*viewSet)(nil)
