package app

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Langs are the interface languages, the first the fallback.
var Langs = []string{"en", "fr"}

// validLang reports whether l is one of Langs.
func validLang(l string) bool { return l == "en" || l == "fr" }

// Translator speaks one language.
type Translator struct {
	Lang  string
	loc   *i18n.Localizer
	frame *frameTexts // the page frame's texts (views_frame.go)
	texts sync.Map    // key → escaped text, for the Go-written views (text)
	msgs  sync.Map    // key → *msg, the same for messages with placeholders
}

// translators loads every locale file of fsys (named `<lang>[.<feature>].json`)
// and returns one Translator per language.
func translators(fsys fs.FS) (map[string]*Translator, error) {
	bundle := i18n.NewBundle(language.English)
	files, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range files {
		lang, _, _ := strings.Cut(name, ".")
		if !validLang(lang) {
			return nil, fmt.Errorf("app: locale file %s: unknown language", name)
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		// go-i18n reads the language from the file name's last segment.
		if _, err := bundle.ParseMessageFileBytes(data, lang+".json"); err != nil {
			return nil, fmt.Errorf("app: locale file %s: %w", name, err)
		}
	}
	out := map[string]*Translator{}
	for _, l := range Langs {
		t := &Translator{Lang: l, loc: i18n.NewLocalizer(bundle, l)}
		t.frame = newFrameTexts(t)
		out[l] = t
	}
	return out, nil
}

// T translates key; args are name/value pairs for the message's placeholders.
// A missing key shows itself, so it is seen and caught by the locale tests.
func (t *Translator) T(key string, args ...any) string {
	s, err := t.loc.Localize(&i18n.LocalizeConfig{MessageID: key, TemplateData: pairs(args)})
	if err != nil {
		return key
	}
	return s
}

// N translates key in the plural form for n; {{.Count}} holds n.
func (t *Translator) N(key string, n int, args ...any) string {
	data := pairs(args)
	data["Count"] = t.Number(n)
	s, err := t.loc.Localize(&i18n.LocalizeConfig{MessageID: key, PluralCount: n, TemplateData: data})
	if err != nil {
		return key
	}
	return s
}

func pairs(args []any) map[string]any {
	m := make(map[string]any, len(args)/2+1)
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok {
			m[k] = args[i+1]
		}
	}
	return m
}

// Number formats n with the language's thousands separator.
func (t *Translator) Number(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := ","
	if t.Lang == "fr" {
		sep = "\u202f" // narrow no-break space, as French typography wants
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Date formats t as a long date: "28 November 2026", "1er novembre 2026"
// (dates.go has the formats).
func (t *Translator) Date(tm time.Time) string { return t.dates().Date(tm) }

// DateTime formats t as a long date and a 24-hour time: "3 December 2026 at
// 14:05", "3 décembre 2026 à 14 h 05".
func (t *Translator) DateTime(tm time.Time) string { return t.dates().DateTime(tm) }

func (t *Translator) dates() dateFormat {
	if f, ok := dateFormats[t.Lang]; ok {
		return f
	}
	return enDates{}
}

// negotiate picks the language: ?lang, then the accord_lang cookie, then the
// profile, then Accept-Language, then the site default.
func negotiate(query, cookie, profile, acceptLanguage, siteDefault string) string {
	for _, l := range []string{query, cookie, profile} {
		if validLang(l) {
			return l
		}
	}
	if tags, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil {
		for _, tag := range tags {
			base, _ := tag.Base()
			if validLang(base.String()) {
				return base.String()
			}
		}
	}
	if validLang(siteDefault) {
		return siteDefault
	}
	return Langs[0]
}
