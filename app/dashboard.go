package app

import (
	"strconv"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// The officer's day (/admin): first what needs action now (requests
// overdue and due soon, unread DPO messages, flagged accounts, an empty DPO
// contact), then the charts (dashboard_charts.go), then one tile per desk
// (the features' dashboardTiles). Every link is to a page the viewer's
// role opens: the tiles filter themselves; the actions and charts link
// only to staff pages, the settings only for administrators.

// dashActionsShown caps the items listed per kind of action; the group's
// link leads to them all.
const dashActionsShown = 5

// dashCard is one tile of the staff dashboard.
type dashCard struct {
	Title string // translated
	Text  string // translated
	Href  string // "" when the viewer cannot open the page
	Alert bool   // something needs attention
}

// dashGroup is one kind of thing that needs the officer: a heading with
// its count, the list behind it, and the most urgent items.
type dashGroup struct {
	ID    string
	Title string // translated, with the count
	Href  string // "" when the viewer cannot open the list
	Items []dashItem
	Alert bool
}

// dashItem is one thing to act on.
type dashItem struct {
	Text, Href string
	When       string // "due in 3 days", "2 days late"
	Late       bool
}

// getAdmin is the staff dashboard.
func (a *App) getAdmin(c *fiber.Ctx) error {
	p := a.page(c, "admin.title")
	due, err := a.db.OngoingRequests() // read once: the actions and a chart both use it
	if err != nil {
		return err
	}
	groups, err := a.dashActions(c, due)
	if err != nil {
		return err
	}
	charts, err := a.dashCharts(c, due)
	if err != nil {
		return err
	}
	cards := []dashCard{}
	for _, fn := range a.dashboardTiles() {
		cs, err := fn(c)
		if err != nil {
			return err
		}
		cards = append(cards, cs...)
	}
	p.Data = map[string]any{"Groups": groups, "Charts": charts, "Cards": cards}
	return a.render(c, fiber.StatusOK, "admin/index", "", p)
}

// dashActions lists what needs action now, most urgent first.
func (a *App) dashActions(c *fiber.Ctx, due []store.RequestDue) ([]dashGroup, error) {
	tr := a.translator(c)
	u := currentUser(c)
	now := a.db.Now()
	var groups []dashGroup
	set := a.Settings()
	if set.DPOName == "" || set.DPOEmail == "" {
		g := dashGroup{ID: "dash-dpo-contact", Title: tr.T("dash.dpo_contact"), Alert: true}
		if u.Role == store.RoleAdmin {
			g.Href = "/admin/settings"
			g.Items = []dashItem{{Text: tr.T("dash.dpo_contact.fix"), Href: "/admin/settings"}}
		} else {
			g.Items = []dashItem{{Text: tr.T("dash.dpo_contact.ask")}}
		}
		groups = append(groups, g)
	}
	var late, soon []store.RequestDue
	for _, r := range due {
		if now.After(r.DueAt) {
			late = append(late, r)
		} else {
			soon = append(soon, r)
		}
	}
	if len(late) > 0 {
		g := dashGroup{ID: "dash-overdue", Title: tr.N("dash.overdue", len(late)), Href: "/admin/requests?overdue=1", Alert: true}
		for _, r := range late[:min(len(late), dashActionsShown)] {
			it := a.requestItem(tr, r)
			it.When, it.Late = tr.N("dash.days_late", daysBetween(r.DueAt, now)), true
			g.Items = append(g.Items, it)
		}
		groups = append(groups, g)
	}
	if len(soon) > 0 {
		g := dashGroup{ID: "dash-waiting", Title: tr.N("dash.waiting", len(soon)), Href: "/admin/requests"}
		for _, r := range soon[:min(len(soon), dashActionsShown)] {
			it := a.requestItem(tr, r)
			it.When = tr.N("dash.due_in", max(1, daysBetween(now, r.DueAt)))
			g.Items = append(g.Items, it)
		}
		groups = append(groups, g)
	}
	threads, unread, err := a.db.ListDPOThreads(store.DPOQuery{Unread: true, Limit: dashActionsShown})
	if err != nil {
		return nil, err
	}
	if unread > 0 {
		g := dashGroup{ID: "dash-dpo", Title: tr.N("dash.unread", unread), Href: "/admin/dpo?unread=1", Alert: true}
		for _, t := range threads {
			g.Items = append(g.Items, dashItem{Text: tr.T("dash.thread", "Subject", t.Subject, "Name", a.userName(tr, t.UserID)),
				Href: adminDPOPath(t.ID), When: tr.DateTime(t.UpdatedAt)})
		}
		groups = append(groups, g)
	}
	flagged, err := a.db.CountRetentionFlags()
	if err != nil {
		return nil, err
	}
	if flagged > 0 {
		groups = append(groups, dashGroup{ID: "dash-flagged", Title: tr.N("dash.flagged", flagged), Href: "/admin/courses/retention", Alert: true})
	}
	return groups, nil
}

// requestItem names one request: its type and the person.
func (a *App) requestItem(tr *Translator, d store.RequestDue) dashItem {
	it := dashItem{Href: reqAdminPath(d.ID), Text: tr.T("dash.request", "Type", tr.T("requests.kind."+string(d.Type)), "Number", tr.Number(int(d.ID)))}
	if r, err := a.db.Request(d.ID); err == nil && r.UserID != 0 {
		it.Text = tr.T("dash.request_for", "Type", tr.T("requests.kind."+string(d.Type)), "Number", tr.Number(int(d.ID)),
			"Name", a.userName(tr, r.UserID))
	}
	return it
}

// userName is a user's name, or "a former user" once erased.
func (a *App) userName(tr *Translator, id uint64) string {
	if u, err := a.db.User(id); err == nil {
		return u.Name()
	}
	return tr.T("dpo.author.former")
}

// daysBetween counts the days from a to b, a started day counting as one:
// due in 20 hours is "due in 1 day", 2 hours late is "1 day late".
func daysBetween(a, b time.Time) int {
	d := b.Sub(a)
	if d <= 0 {
		return 0
	}
	return int((d + 24*time.Hour - time.Nanosecond) / (24 * time.Hour))
}

func reqAdminPath(id uint64) string { return "/admin/requests/" + strconv.FormatUint(id, 10) }
