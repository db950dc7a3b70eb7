package app

import "github.com/gofiber/fiber/v2"

// getProcessing shows the records of processing activities (GDPR art. 30)
// to staff, in their language.
func (a *App) getProcessing(c *fiber.Ctx) error {
	records, err := a.db.ListProcessing()
	if err != nil {
		return err
	}
	p := a.page(c, "admin.processing.title")
	p.Data = map[string]any{"Records": records}
	return a.render(c, fiber.StatusOK, "admin/processing", "", p)
}
