package app

import (
	"bytes"
	"html/template"
	"testing"
)

// Ensure that the two URL encoders of the hand-written views write what
// html/template writes for the same value: attrURL a quoted href, queryPart
// the part after its ?. (They part ways on a lone % and on +, which
// html/template writes %25 and &#43; and these leave; no URL of Accord's
// has either.)
func TestURLEncoders(t *testing.T) {
	tmpl := template.Must(template.New("").Parse(`<a href="{{.}}"><a href="/x?next={{.}}">`))
	for _, tc := range []struct{ name, url string }{
		{"a path of Accord's", "/admin/requests"},
		{"a space, a French letter and a second query parameter", "/a b/é?x=1&y=2"},
		{"the officer's mailto", "mailto:dpo@example.org"},
		{"an escape already made", "/p?q=a%20b"},
		{"a fragment", "/x#frag"},
		{"quotes and angle brackets", "/a'b\"c<d>"},
		{"every reserved character", "/[x]!$*,;:@=~"},
		{"empty", ""},
	} {
		var want bytes.Buffer
		if err := tmpl.Execute(&want, tc.url); err != nil {
			t.Fatal(err)
		}
		if got := `<a href="` + attrURL(tc.url) + `"><a href="/x?next=` + queryPart(tc.url) + `">`; got != want.String() {
			t.Errorf("%s: got %s, want %s", tc.name, got, want.String())
		}
	}
}
