package app

import (
	"fmt"
	"io"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// backupName is a backup's file name: its time and the chain head it holds.
func backupName(stamp string, head store.ChainEntry) string {
	return fmt.Sprintf("accord-%s-chain-%s.db", stamp, head.HashHex())
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
	stamp := a.db.Now().UTC().Format("20060102-150405")
	var head store.ChainEntry
	d := download{
		Type:  "application/octet-stream",
		Audit: store.AuditEvent{Action: store.ActBackupDownloaded, ActorID: u.ID},
		// The chain's head in the copy travels with it (name and header),
		// so a later edit of the history shows against any copy kept.
		Finish: func(d *download) {
			d.Name = backupName(stamp, head)
			d.Headers = map[string]string{"X-Accord-Chain-Head": head.HashHex()}
			d.Audit.Detail = fmt.Sprintf("chain head %d %s", head.Seq, head.HashHex())
		},
	}
	return a.sendDownload(c, d, func(w io.Writer) error {
		var err error
		_, head, err = a.db.BackupHead(w)
		return err
	})
}
