package app

import (
	"net/http"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// routes lists every route of Accord, grouped by feature:
// interaction → route → template (fragment).
func (a *App) routes() {
	r := a.web
	r.Use(a.requestLog, recover.New(), a.securityHeaders)
	r.Use(compress.New(compress.Config{Level: compress.LevelBestSpeed}))

	// Static files: content-hashed URLs, cached for a year; no session work.
	r.Use("/static", filesystem.New(filesystem.Config{
		Root:   http.FS(a.cfg.Static),
		MaxAge: int((365 * 24 * time.Hour).Seconds()),
	}))
	// Health: the database answers → 200 ok.
	r.Get("/healthz", a.getHealth)

	r.Use(a.loadSession, a.negotiateLang, a.checkCSRF)
	signedIn := a.requireUser
	staff := a.requireRole(store.RoleDPO, store.RoleAdmin)
	admin := a.requireRole(store.RoleAdmin)
	gate := a.consentGate

	// Home: shortcuts → home/index.
	r.Get("/", gate, a.getHome)

	// Sign in and out → auth/login (auth/_login_form).
	r.Get("/login", a.getLogin)
	r.Post("/login", a.postLogin)
	r.Post("/logout", a.postLogout)

	// Sign up → auth/signup (auth/_signup_form).
	r.Get("/signup", a.getSignup)
	r.Post("/signup", a.postSignup)

	// First administrator from the logged setup link → auth/setup.
	r.Get("/setup", a.getSetup)
	r.Post("/setup", a.postSetup)

	// Profile: name, email, language, password → profile/index (profile/_form, profile/_password).
	r.Get("/profile", signedIn, gate, a.getProfile)
	r.Post("/profile", signedIn, gate, a.postProfile)
	r.Post("/profile/password", signedIn, gate, a.postPassword)

	// Staff dashboard → admin/index.
	r.Get("/admin", signedIn, staff, a.getAdmin)

	// Users (administrators) → admin/users, admin/user.
	r.Get("/admin/users", signedIn, admin, a.getUsers)
	r.Post("/admin/users", signedIn, admin, a.postUser)
	r.Get("/admin/users/:id<int>", signedIn, admin, a.getUser)
	r.Post("/admin/users/:id<int>/role", signedIn, admin, a.postUserRole)
	r.Post("/admin/users/:id<int>/suspend", signedIn, admin, a.postUserSuspend)
	r.Post("/admin/users/:id<int>/reactivate", signedIn, admin, a.postUserReactivate)
	r.Post("/admin/users/:id<int>/password", signedIn, admin, a.postUserPassword)
	r.Post("/admin/users/:id<int>/guardian", signedIn, admin, a.postUserGuardian)

	// Settings (administrators) → admin/settings.
	r.Get("/admin/settings", signedIn, admin, a.getSettings)
	r.Post("/admin/settings", signedIn, admin, a.postSettings)

	// Live backup: a consistent copy of the database (audited).
	r.Get("/admin/backup", a.getBackup)

	// ===== Policies and consent (issue 3) =====
	// Every route registered from here on is behind the consent gate too
	// (it exempts what CONTRACT.md exempts); routes above carry `gate`.
	r.Use(gate)

	// Public policies → policies/index; one version in full → policies/show (policies/_text).
	r.Get("/policies", a.getPolicies)
	r.Get("/policies/:id<int>", a.getPolicy)

	// The consent gate's page → policies/consent (policies/_consent_form).
	r.Get("/consent", signedIn, a.getConsent)
	r.Post("/consent", signedIn, a.postConsent)

	// My agreements, and a guardian's for their minors → policies/agreements (policies/_agreements).
	r.Get("/profile/policies", signedIn, gate, a.getMyPolicies)
	r.Post("/profile/policies/:versionID<int>/:answer", signedIn, gate, a.postMyAnswer)
	r.Get("/profile/minors/:userID<int>/policies", signedIn, gate, a.getMinorPolicies)
	r.Post("/profile/minors/:userID<int>/policies/:versionID<int>/:answer", signedIn, gate, a.postMinorAnswer)

	// Policy administration → policies/admin_list, admin_policy, admin_edit (policies/_preview), admin_diff.
	r.Get("/admin/policies", signedIn, admin, a.getAdminPolicies)
	r.Post("/admin/policies", signedIn, admin, a.postAdminPolicy)
	r.Get("/admin/policies/:id<int>", signedIn, admin, a.getAdminPolicy)
	r.Post("/admin/policies/:id<int>/versions", signedIn, admin, a.postNewDraft)
	r.Post("/admin/policies/:id<int>/move", signedIn, admin, a.postMovePolicy)
	r.Get("/admin/versions/:id<int>/edit", signedIn, admin, a.getEditVersion)
	r.Post("/admin/versions/:id<int>", signedIn, admin, a.postVersion)
	r.Post("/admin/versions/:id<int>/:action", signedIn, admin, a.postVersionAction)
	r.Get("/admin/versions/:a<int>/diff/:b<int>", signedIn, admin, a.getVersionDiff)
	r.Post("/admin/preview", signedIn, admin, a.postPreview)

	// Agreements report (staff) → policies/report; CSV of the same filter; accept on behalf.
	r.Get("/admin/agreements", signedIn, staff, a.getAgreements)
	r.Get("/admin/agreements.csv", signedIn, staff, a.getAgreementsCSV)
	r.Post("/admin/agreements/accept", signedIn, staff, a.postAcceptOnBehalf)

	// ===== Cookies (issue 4) =====

	// ===== DPO contact, notifications, mail, password reset (issue 5) =====

	// ===== Data requests, export, erasure (issue 5) =====

	// ===== Courses and retention =====

	// Anything else: a translated 404.
	r.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// getHealth answers 200 "ok" while the database answers.
func (a *App) getHealth(c *fiber.Ctx) error {
	if err := a.db.Ping(); err != nil {
		a.log.Error("health", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("unavailable")
	}
	return c.SendString("ok")
}
