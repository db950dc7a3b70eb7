package app

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"accord/locales"
	"accord/views"
)

// localeKeys reads every locale file of lang into one key set.
func localeKeys(t *testing.T, lang string) map[string]bool {
	t.Helper()
	files, _ := fs.Glob(locales.FS, "*.json")
	keys := map[string]bool{}
	for _, name := range files {
		if l, _, _ := strings.Cut(name, "."); l != lang {
			continue
		}
		data, _ := fs.ReadFile(locales.FS, name)
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for k := range m {
			if keys[k] {
				t.Errorf("%s: key %s is also in another %s file", name, k, lang)
			}
			keys[k] = true
		}
	}
	return keys
}

// Ensure that English and French have the same keys.
func TestLocalesSameKeys(t *testing.T) {
	en, fr := localeKeys(t, "en"), localeKeys(t, "fr")
	for k := range en {
		if !fr[k] {
			t.Errorf("key %s is in English but not in French", k)
		}
	}
	for k := range fr {
		if !en[k] {
			t.Errorf("key %s is in French but not in English", k)
		}
	}
}

var (
	// Template actions: any dotted snake_case string literal is a key.
	viewKey = regexp.MustCompile(`"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"`)
	// Go code: T("key"), N("key", …), page(c, "key"), flash(c, kind, "key").
	goKey = regexp.MustCompile(`(?:\bT|\bN|page)\((?:c, )?"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"[,)]|flash\(c, "[a-z]+", "([a-z0-9_]+(?:\.[a-z0-9_]+)+)"[,)]`)
)

// Ensure that every key used in views/ and app/ exists.
func TestLocalesKeysUsedExist(t *testing.T) {
	en := localeKeys(t, "en")
	missing := map[string][]string{}
	fs.WalkDir(views.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := fs.ReadFile(views.FS, path)
		for _, action := range regexp.MustCompile(`\{\{[^}]*\}\}`).FindAllString(string(data), -1) {
			for _, m := range viewKey.FindAllStringSubmatch(action, -1) {
				if !en[m[1]] && !strings.HasSuffix(m[1], ".html") {
					missing[m[1]] = append(missing[m[1]], path)
				}
			}
		}
		return nil
	})
	goFiles, _ := filepath.Glob("*.go")
	for _, path := range goFiles {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		data, _ := os.ReadFile(path)
		for _, m := range goKey.FindAllStringSubmatch(string(data), -1) {
			key := m[1] + m[2]
			if !en[key] {
				missing[key] = append(missing[key], path)
			}
		}
	}
	var keys []string
	for k := range missing {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Errorf("key %s is used in %v but in no locale file", k, missing[k])
	}
}

// Ensure that every plural message has the forms its language needs.
func TestLocalesPluralForms(t *testing.T) {
	files, _ := fs.Glob(locales.FS, "*.json")
	need := map[string][]string{"en": {"one", "other"}, "fr": {"one", "many", "other"}}
	for _, name := range files {
		lang, _, _ := strings.Cut(name, ".")
		data, _ := fs.ReadFile(locales.FS, name)
		var m map[string]any
		json.Unmarshal(data, &m)
		for k, v := range m {
			forms, ok := v.(map[string]any)
			if !ok {
				continue
			}
			for _, f := range need[lang] {
				if _, ok := forms[f]; !ok {
					t.Errorf("%s: %s lacks the plural form %q", name, k, f)
				}
			}
		}
	}
}

// localeMessages is every message of lang, plural forms as "key.form".
func localeMessages(t *testing.T, lang string) map[string]string {
	t.Helper()
	files, _ := fs.Glob(locales.FS, lang+".*json")
	out := map[string]string{}
	for _, name := range files {
		if l, _, _ := strings.Cut(name, "."); l != lang {
			continue
		}
		data, err := fs.ReadFile(locales.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				out[k] = v
			case map[string]any:
				for form, s := range v {
					if s, ok := s.(string); ok {
						out[k+"."+form] = s
					}
				}
			}
		}
	}
	return out
}

// frenchVerbatim are the parts of a French message that are not French
// prose: placeholders, `code`, URLs and their schemes, an HTTP header.
var frenchVerbatim = regexp.MustCompile("\\{\\{.*?\\}\\}|`[^`]*`|[a-z]+://\\S*|Authorization: Bearer")

// Ensure that every French message follows one typographic rule: a
// no-break space (U+00A0, never a plain or a narrow one) before : ; ? !
// and inside « », and only the typographic apostrophe ’.
func TestLocalesFrenchTypography(t *testing.T) {
	msgs := localeMessages(t, "fr")
	if len(msgs) < 100 {
		t.Fatalf("got %d French messages, want the whole catalogue", len(msgs))
	}
	for key, msg := range msgs {
		r := []rune(frenchVerbatim.ReplaceAllString(msg, "x"))
		for i, ch := range r {
			var prev, next rune
			if i > 0 {
				prev = r[i-1]
			}
			if i+1 < len(r) {
				next = r[i+1]
			}
			switch {
			case ch == '\'':
				t.Errorf("fr %s: a straight apostrophe, want ’: %q", key, msg)
			case ch == '\u202f':
				t.Errorf("fr %s: a narrow no-break space, want U+00A0 (one rule): %q", key, msg)
			case strings.ContainsRune(":;?!", ch) && prev != '\u00a0':
				t.Errorf("fr %s: %q without a no-break space before it: %q", key, ch, msg)
			case ch == '«' && next != '\u00a0', ch == '»' && prev != '\u00a0':
				t.Errorf("fr %s: %q without a no-break space inside: %q", key, ch, msg)
			}
		}
	}
}

// punctAfterAction is punctuation written in a template right after an
// action: French wants a no-break space there that only a message can hold.
var punctAfterAction = regexp.MustCompile(`\}\}(</[a-z]+>)*\s?[:;!](\s|<|$)|\}\}(</[a-z]+>)*\s\?`)

// Ensure that no template adds : ; ? ! after a text: the punctuation is
// part of the message, so each language spaces it its own way.
func TestViewsLeavePunctuationToMessages(t *testing.T) {
	err := fs.WalkDir(views.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(views.FS, path)
		if err != nil {
			return err
		}
		for _, m := range punctAfterAction.FindAllString(string(data), -1) {
			t.Errorf("%s: punctuation after an action (%q); put it in the message", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
