package app

import (
	"accord/app/apidoc"

	"github.com/gofiber/fiber/v2"
)

// getOpenAPI serves the API's OpenAPI 3.1 description (no token needed).
func (a *App) getOpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(apidoc.OpenAPI)
}
