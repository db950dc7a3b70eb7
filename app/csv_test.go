package app

import "testing"

// Ensure that cells a spreadsheet would run as formulas are neutralised.
func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
		"+33 1 23":          "'+33 1 23",
		"-2+3":              "'-2+3",
		"@SUM(A1)":          "'@SUM(A1)",
		"\tx":               "'\tx",
		"\rx":               "'\rx",
		"Alice":             "Alice",
		"":                  "",
		"a=b":               "a=b",
	} {
		if got := safeCell(in); got != want {
			t.Errorf("safeCell(%q): got %q, want %q", in, got, want)
		}
	}
}
