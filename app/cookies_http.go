package app

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

const (
	langCookie    = "accord_lang"
	langCookieAge = 365 * 24 * time.Hour // under the 13 months CNIL allows
)

// setCookie sets a first-party cookie: HttpOnly, SameSite=Lax, Path=/, no
// Domain, Secure exactly when the base URL is https. maxAge 0 makes a
// browser-session cookie.
func (a *App) setCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	ck := &fiber.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		HTTPOnly: true,
		Secure:   a.secure,
		SameSite: fiber.CookieSameSiteLaxMode,
	}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge / time.Second)
		ck.Expires = a.db.Now().Add(maxAge)
	}
	c.Cookie(ck)
}

// clearCookie deletes a cookie in the browser (Fiber's ClearCookie sends no
// Path, so it would miss ours).
func (a *App) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{
		Name:     name,
		Value:    "",
		Path:     "/",
		HTTPOnly: true,
		Secure:   a.secure,
		SameSite: fiber.CookieSameSiteLaxMode,
		MaxAge:   -1,
		Expires:  time.Unix(1, 0),
	})
}
