package app

import "github.com/gofiber/fiber/v2"

// getHome is the front page: sign-in, sign-up and the policies for visitors,
// shortcuts for signed-in users.
func (a *App) getHome(c *fiber.Ctx) error {
	p := a.page(c, "home.title")
	return a.render(c, fiber.StatusOK, "home/index", "", p)
}
