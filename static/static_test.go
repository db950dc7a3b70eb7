package static

import (
	"strings"
	"testing"
)

// Ensure that every block of the stylesheet is closed where it should be:
// a brace lost in a merge silently moves the rules after it into a media
// query (it happened once).
func TestStylesheetBlocksClose(t *testing.T) {
	data, err := FS.ReadFile("css/accord.css")
	if err != nil {
		t.Fatal(err)
	}
	depth := 0
	for i, line := range strings.Split(string(data), "\n") {
		depth += strings.Count(line, "{") - strings.Count(line, "}")
		if depth < 0 {
			t.Fatalf("line %d: a block closes that was never opened", i+1)
		}
		// Top-level comments start a new section: nothing may be open there.
		if strings.HasPrefix(line, "/*") && depth != 0 {
			t.Fatalf("line %d: a comment at the start of a line inside an open block (%d open): a brace is missing above", i+1, depth)
		}
	}
	if depth != 0 {
		t.Errorf("%d blocks never closed", depth)
	}
}
