package app

import (
	"fmt"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// getAdmin is the staff dashboard: one card per desk, with the counts that
// features add to it.
func (a *App) getAdmin(c *fiber.Ctx) error {
	p := a.page(c, "admin.title")
	cards := []dashCard{}
	for _, fn := range a.dashboardTiles() {
		cs, err := fn(c)
		if err != nil {
			return err
		}
		cards = append(cards, cs...)
	}
	p.Data = map[string]any{"Cards": cards}
	return a.render(c, fiber.StatusOK, "admin/index", "", p)
}

// dashCard is one tile of the staff dashboard.
type dashCard struct {
	Title string // translated
	Text  string // translated
	Href  string
	Alert bool // something needs attention
}

// getBackup streams a consistent copy of the live database to an
// administrator. Every download, and every refused attempt, is audited.
func (a *App) getBackup(c *fiber.Ctx) error {
	u := currentUser(c)
	if u == nil || u.Role != store.RoleAdmin {
		ev := store.AuditEvent{Action: store.ActBackupRefused}
		if u != nil {
			ev.ActorID = u.ID
		}
		if err := a.db.Audit(ev); err != nil {
			return err
		}
		if u == nil {
			return a.requireUser(c)
		}
		return fiber.ErrForbidden
	}
	if err := a.db.Audit(store.AuditEvent{Action: store.ActBackupDownloaded, ActorID: u.ID}); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="accord-%s.db"`, a.db.Now().UTC().Format("20060102-150405")))
	c.Set(fiber.HeaderCacheControl, "no-store")
	_, err := a.db.Backup(c.Response().BodyWriter())
	return err
}
