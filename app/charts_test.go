package app

import (
	"encoding/xml"
	"strings"
	"testing"
)

// Ensure that the charts are well-formed SVG images named by their title
// and description, that labels are escaped, and that bars and columns
// are drawn to scale, a zero value not at all.
func TestCharts(t *testing.T) {
	c := &chart{ID: "c1", Title: "Agreement <per> version", Desc: "Share & more"}
	hbars(c, []bar{{Label: "Privacy <b>", Share: 0.5, Text: "50 %"}, {Label: "Site", Share: 1, Text: "100 %"}})
	svg := string(c.SVG)
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Fatalf("hbars: not well-formed: %v\n%s", err, svg)
	}
	for _, want := range []string{`role="img"`, `aria-labelledby="c1-t c1-d"`, `<title id="c1-t">Agreement &lt;per&gt; version</title>`,
		`<desc id="c1-d">Share &amp; more</desc>`, "Privacy &lt;b&gt;", `width="170" height="16" class="chart-s0"`, `width="340" height="16" class="chart-s0"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("hbars lacks %q:\n%s", want, svg)
		}
	}
	c = &chart{ID: "c2", Title: "T", Desc: "D"}
	columns(c, []column{{Label: "W1", Values: []int{2, 2}}, {Label: "W2", Values: []int{1, 0}}}, 1)
	svg = string(c.SVG)
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Fatalf("columns: not well-formed: %v\n%s", err, svg)
	}
	// The tallest column (4) fills the 150-unit plot: each unit is 37.5 high.
	for _, want := range []string{`height="75.0" class="chart-s0"`, `height="75.0" class="chart-s1"`, `height="37.5" class="chart-s0"`, ">4</text>", ">W2</text>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("columns lacks %q:\n%s", want, svg)
		}
	}
	if n := strings.Count(svg, `class="chart-s1"`); n != 1 {
		t.Errorf("series 1 drawn %d times, want once (its zero is not drawn):\n%s", n, svg)
	}
}
