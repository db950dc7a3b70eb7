package app

import (
	"github.com/gofiber/fiber/v2"
)

// Seams between the foundation and the features that build on it. Each
// feature replaces its seam with the real thing in its own file.

// consents reports whether the browser accepted a cookie category (cookies).
func (a *App) consents(c *fiber.Ctx, category string) bool { return false }

// rememberedUsername is the accord_username cookie's value (cookies).
func (a *App) rememberedUsername(c *fiber.Ctx) string { return "" }

// cookieRegisterRows are the rows of views/cookies/_register_table.html in
// language lang (cookies): Name, Category, Purpose, Duration, Provider.
func (a *App) cookieRegisterRows(lang string) any { return nil }

// rememberUsername sets or clears accord_username after sign-in (cookies).
func (a *App) rememberUsername(c *fiber.Ctx, email string, on bool) {}

// Notice is something to tell a user: in the app, and by mail when mail is
// configured. Subject and body are locale keys, rendered in the
// recipient's language.
type Notice struct {
	UserID  uint64
	Subject string // locale key
	Body    string // locale key
	Args    []any  // placeholders of both
	Link    string // a local path the notice points to
}

// notify delivers n (dpo/notifications).
func (a *App) notify(n Notice) error { return nil }
