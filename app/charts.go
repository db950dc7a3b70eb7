package app

import (
	"fmt"
	"html/template"
	"strings"
)

// Charts of the officer's dashboard, drawn on the server as inline SVG:
// no script, and under the CSP no style attribute either, so shapes carry
// presentation attributes and classes (colours come from accord.css, dark
// mode included). Each chart is an image with a title and a description
// (role="img"), followed by the same figures as a table whose rows link to
// the filtered list behind them.

// chart is one figure: its drawing and its text alternative.
type chart struct {
	ID    string
	Title string // the figure's heading and the SVG's <title>
	Desc  string // one sentence saying what it shows: the SVG's <desc>
	Href  string // the list behind the whole chart
	Link  string // that link's text
	Empty string // shown instead of the drawing when there is no data
	SVG   template.HTML
	Head  []string
	Rows  []chartRow
	Keys  []chartKey // the legend, for stacked charts
}

// chartRow is one row of the chart's table: a label (linked) and its figures.
type chartRow struct {
	Label, Href string
	Cells       []chartCell
}

type chartCell struct{ Text, Href string }

// chartKey is one series of a stacked chart: its class and its name.
type chartKey struct{ Class, Label string }

// bar is one horizontal bar: a share between 0 and 1.
type bar struct {
	Label string
	Share float64
	Text  string // the share as written ("82 %")
}

const (
	chartWidth = 400 // viewBox units; the SVG scales to its box
	barHeight  = 16
	barGap     = 26 // a label line above each bar
)

// hbars draws labelled horizontal bars of shares (0–1) on a 0–100 % scale.
func hbars(c *chart, bars []bar) {
	h := len(bars)*(barHeight+barGap) + 4
	var b strings.Builder
	svgOpen(&b, c, h)
	for i, x := range bars {
		y := i*(barHeight+barGap) + barGap - 6
		w := int(x.Share*float64(chartWidth-60) + 0.5)
		fmt.Fprintf(&b, `<text x="0" y="%d" class="chart-label">%s</text>`, y-6, esc(x.Label))
		fmt.Fprintf(&b, `<rect x="0" y="%d" width="%d" height="%d" class="chart-track"/>`, y, chartWidth-60, barHeight)
		fmt.Fprintf(&b, `<rect x="0" y="%d" width="%d" height="%d" class="chart-s0"/>`, y, w, barHeight)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="chart-value">%s</text>`, chartWidth-54, y+barHeight-3, esc(x.Text))
	}
	b.WriteString(`</svg>`)
	c.SVG = template.HTML(b.String()) // every text went through esc
}

// column is one column of a stacked chart: its label and a value per series.
type column struct {
	Label  string
	Values []int
}

// columns draws stacked columns, one series per key, with the total over
// each column; every tick-th label is written under the axis.
func columns(c *chart, cols []column, tick int) {
	const top, axis, plot = 14, 18, 150
	highest := 0
	for _, col := range cols {
		if t := sum(col.Values); t > highest {
			highest = t
		}
	}
	if highest == 0 {
		highest = 1
	}
	var b strings.Builder
	svgOpen(&b, c, top+plot+axis)
	step := float64(chartWidth) / float64(max1(len(cols)))
	w := step * 0.7
	for i, col := range cols {
		x := float64(i)*step + (step-w)/2
		y := float64(top + plot)
		for s, v := range col.Values {
			if v == 0 {
				continue
			}
			hgt := float64(v) / float64(highest) * plot
			y -= hgt
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="chart-s%d"/>`, x, y, w, hgt, s)
		}
		if t := sum(col.Values); t > 0 && len(cols) <= 12 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="chart-value" text-anchor="middle">%d</text>`, x+w/2, y-3, t)
		}
		if tick > 0 && i%tick == 0 {
			mid := min(max(x+w/2, 16), chartWidth-16) // a label centred on the first column would leave the box
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="chart-label" text-anchor="middle">%s</text>`, mid, top+plot+axis-4, esc(col.Label))
		}
	}
	fmt.Fprintf(&b, `<line x1="0" y1="%d" x2="%d" y2="%d" class="chart-axis"/>`, top+plot, chartWidth, top+plot)
	b.WriteString(`</svg>`)
	c.SVG = template.HTML(b.String()) // every text went through esc
}

// svgOpen starts the SVG with its accessible name and description.
func svgOpen(b *strings.Builder, c *chart, h int) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-t %s-d">`,
		chartWidth, h, chartWidth, h, c.ID, c.ID)
	fmt.Fprintf(b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, c.ID, esc(c.Title), c.ID, esc(c.Desc))
}

func esc(s string) string { return template.HTMLEscapeString(s) }

func sum(v []int) int {
	t := 0
	for _, n := range v {
		t += n
	}
	return t
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}
