package app

import (
	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// Seams between the foundation and the features that build on it. Each
// feature replaces its seam with the real thing in its own file.

// consentGate sends users with pending policies to /consent (policies).
func (a *App) consentGate(c *fiber.Ctx) error { return c.Next() }

// pendingFor reports whether u has a policy version to answer (policies).
func (a *App) pendingFor(u *store.User) bool { return false }

// signupPolicies lists the compulsory versions shown at sign-up (policies).
func (a *App) signupPolicies(c *fiber.Ctx) any { return nil }

// checkSignupPolicies refuses a sign-up that did not accept them (policies).
func (a *App) checkSignupPolicies(c *fiber.Ctx, f *Form) {}

// recordSignupPolicies records the new user's acceptances (policies).
func (a *App) recordSignupPolicies(c *fiber.Ctx, f *Form, u *store.User) error { return nil }

// consents reports whether the browser accepted a cookie category (cookies).
func (a *App) consents(c *fiber.Ctx, category string) bool { return false }

// rememberedUsername is the accord_username cookie's value (cookies).
func (a *App) rememberedUsername(c *fiber.Ctx) string { return "" }

// cookieRegisterRows are the rows of views/cookies/_register_table.html in
// language lang (cookies): Name, Category, Purpose, Duration, Provider.
func (a *App) cookieRegisterRows(lang string) any { return nil }

// cookiePolicyRef is the active cookie-policy version and the SHA-256 of
// its text in lang, recorded with every cookie choice (policies).
func (a *App) cookiePolicyRef(lang string) (versionID uint64, textHash string) { return 0, "" }

// rememberUsername sets or clears accord_username after sign-in (cookies).
func (a *App) rememberUsername(c *fiber.Ctx, email string, on bool) {}
