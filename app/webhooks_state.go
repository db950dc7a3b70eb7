package app

import (
	"errors"
	"strconv"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

func (a *App) postWebhookDisable(c *fiber.Ctx) error { return a.setWebhookDisabled(c, true) }
func (a *App) postWebhookEnable(c *fiber.Ctx) error  { return a.setWebhookDisabled(c, false) }

// setWebhookDisabled disables the :id hook (it is told nothing until
// enabled again; what was queued for it waits) or enables it.
func (a *App) setWebhookDisabled(c *fiber.Ctx, disabled bool) error {
	id, err := strconv.ParseUint(c.Params("id"), 10, 64)
	if err != nil {
		return fiber.ErrNotFound
	}
	if _, err := a.db.SetWebhookDisabled(id, disabled, currentUser(c).ID); errors.Is(err, store.ErrNotFound) {
		return fiber.ErrNotFound
	} else if err != nil {
		return err
	}
	key := "webhooks.enabled_done"
	if disabled {
		key = "webhooks.disabled_done"
	}
	a.flash(c, "ok", key)
	return a.redirect(c, "/admin/webhooks")
}
