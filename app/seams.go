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

// cookiePolicyRef is the active cookie-policy version and the SHA-256 of
// its text in lang, recorded with every cookie choice (policies).
func (a *App) cookiePolicyRef(lang string) (versionID uint64, textHash string) { return 0, "" }
