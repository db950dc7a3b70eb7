package app

import (
	"errors"
	"net/url"
	"strconv"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

type webhookForm struct {
	URL string `form:"url" validate:"required,max=2000"`
}

// webhookHooksShown bounds the deliveries listed.
const webhookDeliveriesShown = 50

// getWebhooks lists the hooks, the form to add one and the latest
// deliveries with their last status.
func (a *App) getWebhooks(c *fiber.Ctx) error { return a.showWebhooks(c, &Form{}, nil) }

func (a *App) showWebhooks(c *fiber.Ctx, f *Form, created *store.Webhook) error {
	hooks, err := a.db.Webhooks()
	if err != nil {
		return err
	}
	deliveries, err := a.db.WebhookDeliveries(webhookDeliveriesShown)
	if err != nil {
		return err
	}
	urls := map[uint64]string{}
	for _, h := range hooks {
		urls[h.ID] = h.URL
	}
	p := a.page(c, "webhooks.title")
	p.Form = f
	p.Data = map[string]any{"Hooks": hooks, "Deliveries": deliveries, "URLs": urls, "Events": store.WebhookEvents, "Created": created}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "admin/webhooks", "", p)
}

// webhookURL reports whether s is an absolute http(s) URL without
// credentials (the only kind a hook may name; administrators only).
func webhookURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil && clean(s)
}

// postWebhook registers a hook and shows its signing secret once.
func (a *App) postWebhook(c *fiber.Ctx) error {
	var in webhookForm
	f := a.bind(c, &in)
	tr := a.translator(c)
	if in.URL != "" && !webhookURL(in.URL) {
		f.fail("url", tr.T("webhooks.bad_url"))
	}
	var events []store.WebhookEventType
	for _, e := range f.Values["event"] {
		ev := store.WebhookEventType(e)
		if !ev.Valid() {
			f.fail("event", tr.T("webhooks.bad_event"))
		}
		events = append(events, ev)
	}
	if len(events) == 0 {
		f.fail("event", tr.T("webhooks.no_event"))
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showWebhooks(c, f, nil)
	}
	h, err := a.db.CreateWebhook(in.URL, events, currentUser(c).ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return a.showWebhooks(c, &Form{}, h)
}

// postWebhookDelete removes a hook and its deliveries.
func (a *App) postWebhookDelete(c *fiber.Ctx) error {
	id, err := strconv.ParseUint(c.Params("id"), 10, 64)
	if err != nil {
		return fiber.ErrNotFound
	}
	if err := a.db.DeleteWebhook(id, currentUser(c).ID); errors.Is(err, store.ErrNotFound) {
		return fiber.ErrNotFound
	} else if err != nil {
		return err
	}
	a.flash(c, "ok", "webhooks.deleted")
	return a.redirect(c, "/admin/webhooks")
}
