package app

import (
	"fmt"
	"net/url"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// The dashboard's four charts, each with the list it stands for.

// dashCharts builds the charts in display order.
// due are the ongoing requests, soonest due first.
func (a *App) dashCharts(c *fiber.Ctx, due []store.RequestDue) ([]*chart, error) {
	tr := a.translator(c)
	agree, err := a.agreementChart(tr)
	if err != nil {
		return nil, err
	}
	requests := a.requestsDueChart(tr, due)
	choices, err := a.choicesChart(tr)
	if err != nil {
		return nil, err
	}
	visits, err := a.visitsChart(tr)
	if err != nil {
		return nil, err
	}
	return []*chart{agree, requests, choices, visits}, nil
}

// agreementChart is the share of accounts that agreed to each active
// version asked of signed-in users.
func (a *App) agreementChart(tr *Translator) (*chart, error) {
	users, err := a.db.CountUsers()
	if err != nil {
		return nil, err
	}
	c := &chart{ID: "chart-agreements", Title: tr.T("dash.chart.agreements"), Desc: tr.T("dash.chart.agreements.desc"),
		Href: "/admin/agreements", Link: tr.T("dash.chart.agreements.link"), Empty: tr.T("dash.chart.agreements.empty"),
		Head: []string{tr.T("dash.col.version"), tr.T("dash.col.agreed"), tr.T("dash.col.pending"), tr.T("dash.col.rate")}}
	accepted := a.consent.AcceptedCounts()
	var bars []bar
	for _, v := range a.consent.Snapshot().ForUsers() {
		t, _ := v.Text(tr.Lang)
		name := t.Name
		if v.Revision != "" {
			name += " (" + v.Revision + ")"
		}
		n := min(accepted[v.ID], users)
		share := 0.0
		if users > 0 {
			share = float64(n) / float64(users)
		}
		pct := tr.T("dash.percent", "Percent", tr.Number(int(share*100+0.5)))
		bars = append(bars, bar{Label: name, Share: share, Text: pct})
		q := url.Values{"version": {fmt.Sprint(v.ID)}}
		pending := url.Values{"version": {fmt.Sprint(v.ID)}, "status": {"pending"}}
		c.Rows = append(c.Rows, chartRow{Label: name, Href: "/admin/agreements?" + q.Encode(), Cells: []chartCell{
			{Text: tr.Number(n), Href: "/admin/agreements?" + q.Encode() + "&status=accepted"},
			{Text: tr.Number(users - n), Href: "/admin/agreements?" + pending.Encode()},
			{Text: pct}}})
	}
	if len(bars) > 0 {
		hbars(c, bars)
	}
	return c, nil
}

// dueBuckets are the columns of the requests chart: how far the due date is.
var dueBuckets = []struct {
	key     string
	maxDays int // due within that many days (negative: overdue)
}{{"overdue", -1}, {"week", 7}, {"month", 30}, {"later", 1 << 30}}

// requestsDueChart counts the ongoing requests by status against how soon
// they are due.
func (a *App) requestsDueChart(tr *Translator, due []store.RequestDue) *chart {
	statuses := []store.RequestStatus{store.StatusAwaitingApproval, store.StatusApproved, store.StatusProcessing}
	c := &chart{ID: "chart-requests", Title: tr.T("dash.chart.requests"), Desc: tr.T("dash.chart.requests.desc"),
		Href: "/admin/requests", Link: tr.T("dash.chart.requests.link"), Empty: tr.T("dash.chart.requests.empty"),
		Head: []string{tr.T("dash.col.due")}}
	for i, s := range statuses {
		label := tr.T("requests.status." + string(s))
		c.Head = append(c.Head, label)
		c.Keys = append(c.Keys, chartKey{Class: fmt.Sprintf("chart-s%d", i), Label: label})
	}
	counts := make([][]int, len(dueBuckets))
	for i := range counts {
		counts[i] = make([]int, len(statuses))
	}
	now := a.db.Now()
	for _, r := range due {
		b := len(dueBuckets) - 1
		if now.After(r.DueAt) {
			b = 0
		} else {
			days := daysBetween(now, r.DueAt)
			for i, d := range dueBuckets[1:] {
				if days <= d.maxDays {
					b = i + 1
					break
				}
			}
		}
		for i, s := range statuses {
			if s == r.Status {
				counts[b][i]++
			}
		}
	}
	var cols []column
	for i, d := range dueBuckets {
		label := tr.T("dash.due." + d.key)
		cols = append(cols, column{Label: label, Values: counts[i]})
		row := chartRow{Label: label}
		if d.key == "overdue" {
			row.Href = "/admin/requests?overdue=1"
		}
		for j, s := range statuses {
			href := "/admin/requests?status=" + string(s)
			if d.key == "overdue" {
				href += "&overdue=1"
			}
			row.Cells = append(row.Cells, chartCell{Text: tr.Number(counts[i][j]), Href: href})
		}
		c.Rows = append(c.Rows, row)
	}
	if len(due) > 0 {
		columns(c, cols, 1)
	}
	return c
}

// dashWeeks is how many ISO weeks of cookie choices the chart shows.
const dashWeeks = 8

// choicesChart is the cookie choices people made per week, by how.
func (a *App) choicesChart(tr *Translator) (*chart, error) {
	weeks, err := a.choicesPerWeek(dashWeeks)
	if err != nil {
		return nil, err
	}
	c := &chart{ID: "chart-choices", Title: tr.T("dash.chart.choices"), Desc: tr.T("dash.chart.choices.desc"),
		Href: "/admin/cookies/stats", Link: tr.T("dash.chart.stats.link"), Empty: tr.T("cookies.stats.no_choices"),
		Head: []string{tr.T("cookies.stats.week")}}
	for i, m := range store.ConsentMethods {
		label := tr.T("cookies.method." + string(m))
		c.Head = append(c.Head, label)
		c.Keys = append(c.Keys, chartKey{Class: fmt.Sprintf("chart-s%d", i), Label: label})
	}
	byWeek := map[string]map[store.ConsentMethod]int{}
	for _, w := range weeks {
		byWeek[w.Week] = w.Count
	}
	now := a.db.Now().UTC()
	var cols []column
	some := false
	for i := dashWeeks - 1; i >= 0; i-- {
		y, wk := now.AddDate(0, 0, -7*i).ISOWeek()
		key := fmt.Sprintf("%d-W%02d", y, wk)
		label := tr.T("dash.week", "Week", wk)
		col := column{Label: label}
		row := chartRow{Label: label, Href: "/admin/cookies/stats"}
		for _, m := range store.ConsentMethods {
			n := byWeek[key][m]
			some = some || n > 0
			col.Values = append(col.Values, n)
			row.Cells = append(row.Cells, chartCell{Text: tr.Number(n)})
		}
		cols = append(cols, col)
		c.Rows = append(c.Rows, row)
	}
	if some {
		columns(c, cols, 1)
	}
	return c, nil
}

// dashDays is how many days of visits the chart shows.
const dashDays = 30

// visitsChart is the visitors per day over the last dashDays days.
func (a *App) visitsChart(tr *Translator) (*chart, error) {
	now := a.db.Now().UTC()
	from := now.AddDate(0, 0, -(dashDays - 1))
	stored, err := a.db.Visits(from.Format(time.DateOnly), now.Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	byDay := map[string]store.DailyVisits{}
	for _, d := range mergeVisits(stored, a.pendingVisits()) {
		byDay[d.Day] = d
	}
	c := &chart{ID: "chart-visits", Title: tr.T("dash.chart.visits"), Desc: tr.T("dash.chart.visits.desc"),
		Href: "/admin/cookies/stats", Link: tr.T("dash.chart.stats.link"), Empty: tr.T("cookies.stats.no_visits"),
		Head: []string{tr.T("cookies.stats.day"), tr.T("cookies.stats.visitors"), tr.T("cookies.stats.views")},
		Keys: []chartKey{{Class: "chart-s0", Label: tr.T("cookies.stats.visitors")}}}
	var cols []column
	some := false
	for i := 0; i < dashDays; i++ {
		day := from.AddDate(0, 0, i)
		d := byDay[day.Format(time.DateOnly)]
		some = some || d.Visitors > 0 || d.Views > 0
		label := tr.T("dash.day", "Day", day.Day(), "Month", int(day.Month()))
		cols = append(cols, column{Label: label, Values: []int{d.Visitors}})
		if d.Visitors > 0 || d.Views > 0 {
			c.Rows = append(c.Rows, chartRow{Label: tr.Date(day), Href: "/admin/cookies/stats",
				Cells: []chartCell{{Text: tr.Number(d.Visitors)}, {Text: tr.Number(d.Views)}}})
		}
	}
	if some {
		columns(c, cols, 7)
	}
	return c, nil
}
