package app

import (
	"fmt"
	"io"

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

// getBackup sends a consistent copy of the live database to an
// administrator, under the download rule (download.go): copied out to a
// spool beside the database, then sent, so memory stays flat whatever the
// file's size. Each download is audited; refused attempts are counted in
// memory and audited per address and interval (backup_refusals.go), so a
// flood writes nothing per request.
func (a *App) getBackup(c *fiber.Ctx) error {
	u := currentUser(c)
	if u == nil || u.Role != store.RoleAdmin {
		var actor uint64
		if u != nil {
			actor = u.ID
		}
		a.backupRefusals.add(a.clientIP(c), actor, a.db.Now())
		if u == nil {
			return a.requireUser(c)
		}
		return fiber.ErrForbidden
	}
	d := download{
		Name:  fmt.Sprintf("accord-%s.db", a.db.Now().UTC().Format("20060102-150405")),
		Type:  "application/octet-stream",
		Audit: store.AuditEvent{Action: store.ActBackupDownloaded, ActorID: u.ID},
	}
	return a.sendDownload(c, d, func(w io.Writer) error {
		_, err := a.db.Backup(w)
		return err
	})
}
