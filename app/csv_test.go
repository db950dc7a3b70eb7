package app

import (
	"bytes"
	"encoding/csv"
	"io"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Ensure that cells a spreadsheet would run as formulas are neutralised,
// however their first character is disguised, and that others are kept.
func TestSafeCell(t *testing.T) {
	for _, tc := range []struct{ why, in, want string }{
		{"an equals sign", `=HYPERLINK("x")`, `'=HYPERLINK("x")`},
		{"a plus sign", "+33 1 23", "'+33 1 23"},
		{"a minus sign", "-2+3", "'-2+3"},
		{"an at sign", "@SUM(A1)", "'@SUM(A1)"},
		{"a tab first", "\tx", "'\tx"},
		{"a carriage return first", "\rx", "'\rx"},
		{"a full-width equals sign", "＝1+1", "'＝1+1"},
		{"a full-width plus sign", "＋1", "'＋1"},
		{"a full-width minus sign", "－1", "'－1"},
		{"a full-width at sign", "＠SUM(A1)", "'＠SUM(A1)"},
		{"a small equals sign", "﹦1", "'﹦1"},
		{"the minus sign U+2212", "−1", "'−1"},
		{"a zero-width space before =", "\u200b=1+1", "'\u200b=1+1"},
		{"a zero-width joiner before +", "\u200d+1", "'\u200d+1"},
		{"a byte-order mark before -", "\ufeff-1", "'\ufeff-1"},
		{"a word joiner before @", "\u2060@x", "'\u2060@x"},
		{"a right-to-left mark before =", "\u200f=1", "'\u200f=1"},
		{"a bidi override before =", "\u202e=1", "'\u202e=1"},
		{"a soft hyphen before =", "\u00ad=1", "'\u00ad=1"},
		{"a space before =", " =1", "' =1"},
		{"a no-break space before =", "\u00a0=1", "'\u00a0=1"},
		{"a newline before =", "\n=1", "'\n=1"},
		{"a NUL before =", "\x00=1", "'\x00=1"},
		{"a combining mark before =", "\u0301=1", "'\u0301=1"},
		{"a Hangul filler before =", "\u3164=1", "'\u3164=1"},
		{"several invisibles before =", "\u200b\u200c\ufeff =1", "'\u200b\u200c\ufeff =1"},
		{"a plain name", "Alice", "Alice"},
		{"an empty cell", "", ""},
		{"an equals sign inside", "a=b", "a=b"},
		{"a zero-width space before a letter", "\u200bAlice", "\u200bAlice"},
		{"an em dash first", "— note", "— note"},
		{"accents first", "Éloïse", "Éloïse"},
		{"invisibles only", "\u200b\u200b", "\u200b\u200b"},
		{"invalid UTF-8 before =", "\xff=1", "\xff=1"},
	} {
		if got := safeCell(tc.in); got != tc.want {
			t.Errorf("%s: safeCell(%q): got %q, want %q", tc.why, tc.in, got, tc.want)
		}
	}
}

// opensFormula is the fuzz test's own judgement of a cell as a spreadsheet
// reads it: tab or carriage return first, or a first character that is a
// letter, digit, punctuation or symbol — everything else being skipped as
// unseen — and that is, or folds to, = + - @ or the minus sign.
func opensFormula(cell string) bool {
	if cell != "" && (cell[0] == '\t' || cell[0] == '\r') {
		return true
	}
	for _, r := range cell {
		if r == utf8.RuneError || !(unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)) {
			if r == utf8.RuneError {
				return false // shown as a replacement character
			}
			continue
		}
		f := norm.NFKC.String(string(r))
		return f == "=" || f == "+" || f == "-" || f == "@" || r == '\u2212'
	}
	return false
}

// Ensure that no cell the CSV writer emits can start a formula, whatever
// was typed, and that nothing but a leading apostrophe is ever added.
func FuzzCSVCell(f *testing.F) {
	for _, s := range []string{"=1+1", "+1", "-1", "@x", "\tx", "\rx", "＝1", "\u200b=1", "\ufeff@x", " =1",
		"\u202e\u200d＋1", "Alice", "", "a,b", `"=1"`, "\n=1", "\xff=1", "﹫x", "\u3164=1"} {
		f.Add(s, "second")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, s := range []string{a, b} {
			if got := safeCell(s); got != s && got != "'"+s {
				t.Fatalf("safeCell(%q) = %q: only a leading apostrophe may be added", s, got)
			}
		}
		var buf bytes.Buffer
		cw := &csvWriter{w: csv.NewWriter(&buf)}
		if err := cw.row(a, b); err != nil {
			t.Fatal(err)
		}
		if err := cw.flush(); err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(&buf)
		r.FieldsPerRecord = 2
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				// encoding/csv refuses some inputs it wrote (a lone \r); no
				// spreadsheet reads a cell out of them as typed either.
				if strings.ContainsRune(a+b, '\r') {
					return
				}
				t.Fatalf("read back %q: %v", buf.String(), err)
			}
			for _, cell := range rec {
				if opensFormula(cell) && !strings.HasPrefix(cell, "'") {
					t.Errorf("emitted cell %q (from %q, %q) opens a formula", cell, a, b)
				}
			}
		}
	})
}
