package app

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"accord/store"
)

// Ensure that one function decides what a typed text may hold: a
// single-line field refuses every control, separator and bidi character and
// invalid UTF-8; a multi-line one keeps tab and line breaks and loses the
// rest (issue 10.6).
func TestCleanText(t *testing.T) {
	cases := []struct {
		name, in string
		multi    bool
		want     string
		ok       bool
	}{
		{"plain name", "Zoé Roux-Martin", false, "Zoé Roux-Martin", true},
		{"arabic name (no override)", "ليلى", false, "ليلى", true},
		{"CR LF forges a mail header", "Ann\r\nBcc: x@example.org", false, "", false},
		{"LF alone", "Ann\nBob", false, "", false},
		{"NUL", "Ann\x00", false, "", false},
		{"tab", "Ann\tBob", false, "", false},
		{"escape (C0)", "Ann\x1b[31m", false, "", false},
		{"DEL", "Ann\x7f", false, "", false},
		{"C1 next line", "Ann\u0085Bob", false, "", false},
		{"C1 CSI", "Ann\u009b", false, "", false},
		{"right-to-left override", "Ann\u202egpj.exe", false, "", false},
		{"left-to-right embedding", "\u202aAnn", false, "", false},
		{"isolate", "Ann\u2067x\u2069", false, "", false},
		{"line separator", "Ann\u2028Bob", false, "", false},
		{"paragraph separator", "Ann\u2029Bob", false, "", false},
		{"invalid UTF-8", "Ann\xff\xfe", false, "", false},
		{"truncated UTF-8", "Zo\xc3", false, "", false},
		{"message keeps lines and tabs", "Hello,\n\tline two\n", true, "Hello,\n\tline two\n", true},
		{"message: CRLF and CR become LF", "a\r\nb\rc", true, "a\nb\nc", true},
		{"message loses NUL, C1, bidi", "a\x00b\u0085c\u202ed\u2066e", true, "abcde", true},
		{"message loses invalid UTF-8", "a\xffb", true, "ab", true},
		{"message loses separators", "a\u2028b", true, "ab", true},
	}
	for _, tc := range cases {
		got, ok := cleanText(tc.in, tc.multi)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("%s: cleanText(%q, %v) = %q, %v; want %q, %v", tc.name, tc.in, tc.multi, got, ok, tc.want, tc.ok)
		}
	}
}

// Ensure that the multi-line list is the list of textareas in views/: a
// new textarea must be named there, or its line breaks would be refused.
func TestMultiLineFieldsAreTheTextareas(t *testing.T) {
	re := regexp.MustCompile(`<textarea[^>]*\sname="([^"]+)"`)
	seen := map[string]bool{}
	err := filepath.Walk("../views", func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(path, ".html") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			name := m[1]
			switch {
			case strings.Contains(name, "{{$l}}"):
				for _, l := range []string{"en", "fr"} {
					seen[strings.ReplaceAll(name, "{{$l}}", l)] = true
				}
			case strings.Contains(name, "{{"): // named by the handler: checked below
			default:
				seen[name] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"banner_text_en", "banner_text_fr", "prefs_intro_en", "prefs_intro_fr"} {
		seen[n] = true // cookies/admin_texts.html: every text but the title
	}
	for _, n := range []string{"description_en", "description_fr", "recipients_en", "recipients_fr", "retention_en", "retention_fr", "protected_why_en", "protected_why_fr"} {
		seen[n] = true // admin/_processing_text.html, named by the records' forms
	}
	seen["content"] = true // the preview posts the textarea under this name
	for n := range seen {
		if !multiLineFields[n] {
			t.Errorf("textarea %q is not in multiLineFields", n)
		}
	}
	for n := range multiLineFields {
		if !seen[n] {
			t.Errorf("multiLineFields names %q, which no textarea has", n)
		}
	}
}

// Ensure that the real forms refuse a CR/LF name (which forged lines in the
// mail sent to the DPO) with a translated 422, store nothing, and keep the
// line breaks of a message while dropping its other controls.
func TestControlCharactersInForms(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	c := e.client(t)
	c.login(ann.Email)
	c.get("/profile")
	for _, bad := range []string{"Ann\r\nBcc: x@example.org", "Ann\x00", "An\u0085n", "\u202eAnn", "Ann\xff"} {
		res := c.post("/profile", url.Values{"first_name": {bad}, "last_name": {"Doe"}, "email": {ann.Email}, "lang": {"en"}})
		if res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("name %q: got %d, want 422", bad, res.Status)
		}
		if !res.has("This field cannot hold line breaks") {
			t.Errorf("name %q: no translated message", bad)
		}
	}
	res := c.post("/profile?lang=fr", url.Values{"first_name": {"Ann\nX"}, "last_name": {"Doe"}, "email": {ann.Email}, "lang": {"fr"}}, "Accept-Language", "fr").want(t, http.StatusUnprocessableEntity)
	if !res.has("saut de ligne") {
		t.Errorf("French message missing")
	}
	if u, _ := e.db.User(ann.ID); u.FirstName != "Test" {
		t.Fatalf("a refused name was stored: %q", u.FirstName)
	}
	c.get("/profile/dpo")
	c.post("/profile/dpo", url.Values{"subject": {"Hi\r\nBcc: x@example.org"}, "message": {"m"}}).want(t, http.StatusUnprocessableEntity)
	c.post("/profile/dpo", url.Values{"subject": {"Hello"}, "message": {"line one\r\nline\x00 two\u202e\x1b"}}).want(t, http.StatusSeeOther)
	threads, _, err := e.db.ListDPOThreads(store.DPOQuery{Limit: 10})
	if err != nil || len(threads) != 1 {
		t.Fatalf("threads: %v %v", threads, err)
	}
	_, msgs, err := e.db.DPOThread(threads[0].ID)
	if err != nil || len(msgs) != 1 || msgs[0].Body != "line one\nline two" {
		t.Fatalf("message stored as %+v (%v), want the line breaks kept and the controls dropped", msgs, err)
	}
}
