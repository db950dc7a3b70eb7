package app

import (
	"net/http"
	"strings"
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

	// ===== JSON API of the training platform (issue 11) =====
	// Bearer token, JSON in and out (api.go). Mounted here, before the
	// session middleware: no session, cookie, CSRF check or consent gate
	// runs for /api/v1 (CONTRACT.md); anything else under it is a JSON 404.
	api := r.Group("/api/v1", a.apiErrors)
	api.Get("/openapi.json", a.getOpenAPI)
	api.Get("/policies", a.apiAuth(store.ScopeRead), a.apiPolicies)
	api.Post("/consent-status", a.apiAuth(store.ScopeRead), a.apiConsentStatus)
	api.Post("/users", a.apiAuth(store.ScopeWrite), a.apiUsers)
	api.Post("/enrolments", a.apiAuth(store.ScopeWrite), a.apiEnrolments)
	api.Post("/progress", a.apiAuth(store.ScopeWrite), a.apiProgress)
	api.Use(a.apiNotFound)

	// Every route below: session, language, CSRF, then the consent gate
	// (once, here; it lets through what gateExempt lists).
	r.Use(a.loadSession, a.negotiateLang, a.checkCSRF, a.consentGate)
	signedIn := a.requireUser
	staff := a.requireRole(store.RoleDPO, store.RoleAdmin)
	admin := a.requireRole(store.RoleAdmin)

	// Home: shortcuts → home/index.
	r.Get("/", a.getHome)

	// Sign in and out → auth/login (auth/_login_form).
	r.Get("/login", a.getLogin)
	r.Post("/login", a.postLogin)
	r.Post("/logout", a.postLogout)

	// Sign up → auth/signup (auth/_signup_form).
	r.Get("/signup", a.getSignup)
	r.Post("/signup", a.postSignup)

	// First administrator from the logged setup link → auth/setup.
	r.Get("/setup", noStore, a.getSetup)
	r.Post("/setup", noStore, a.postSetup)

	// Profile: name, email, language, password → profile/index (profile/_form, profile/_password).
	r.Get("/profile", signedIn, a.getProfile)
	r.Post("/profile", signedIn, a.postProfile)
	r.Post("/profile/password", signedIn, a.postPassword)
	// Confirm a new email from the mailed link (anyone holding it; no-store) → profile/email_confirm.
	r.Get(emailConfirmPath, noStore, a.getEmailConfirm)
	r.Post(emailConfirmPath, noStore, a.postEmailConfirm)

	// Staff dashboard → admin/index.
	r.Get("/admin", signedIn, staff, a.getAdmin)

	// Users (administrators; one account also read by privacy officers) → admin/users, admin/user.
	r.Get("/admin/users", signedIn, admin, a.getUsers)
	r.Post("/admin/users", signedIn, admin, a.postUser)
	r.Get("/admin/users/:id<int>", signedIn, staff, a.getUser) // read-only for privacy officers
	r.Post("/admin/users/:id<int>/role", signedIn, admin, a.postUserRole)
	r.Post("/admin/users/:id<int>/suspend", signedIn, admin, a.postUserSuspend)
	r.Post("/admin/users/:id<int>/reactivate", signedIn, admin, a.postUserReactivate)
	r.Post("/admin/users/:id<int>/password", signedIn, admin, a.postUserPassword)
	r.Post("/admin/users/:id<int>/guardian", signedIn, admin, a.postUserGuardian)
	r.Post("/admin/users/:id<int>/invitation", signedIn, admin, a.postUserInvitation) // a waiting minor's guardian, corrected

	// Settings (administrators) → admin/settings.
	r.Get("/admin/settings", signedIn, admin, a.getSettings)
	r.Post("/admin/settings", signedIn, admin, a.postSettings)

	// Records of processing (GDPR art. 30), for everyone: the page and its
	// CSV → processing/index (the privacy policy's page includes processing/_summary).
	r.Get("/processing", a.getPublicProcessing)
	r.Get("/processing.csv", a.getProcessingCSV)
	// Editing them (administrators): the controller and the DPO → admin/processing;
	// a purpose → admin/processing_purpose; a data category → admin/processing_category.
	r.Get("/admin/processing", signedIn, admin, a.getProcessing)
	r.Post("/admin/processing/controller", signedIn, admin, a.postController)
	r.Get("/admin/processing/purposes/new", signedIn, admin, a.getPurpose)
	r.Post("/admin/processing/purposes", signedIn, admin, a.postPurpose)
	r.Get("/admin/processing/purposes/:id<int>", signedIn, admin, a.getPurpose)
	r.Post("/admin/processing/purposes/:id<int>", signedIn, admin, a.postPurpose)
	r.Post("/admin/processing/purposes/:id<int>/delete", signedIn, admin, a.postPurposeDelete)
	r.Get("/admin/processing/categories/new", signedIn, admin, a.getCategory)
	r.Post("/admin/processing/categories", signedIn, admin, a.postCategory)
	r.Get("/admin/processing/categories/:key", signedIn, admin, a.getCategory)
	r.Post("/admin/processing/categories/:key", signedIn, admin, a.postCategory)
	r.Post("/admin/processing/categories/:key/delete", signedIn, admin, a.postCategoryDelete)

	// Live backup: a consistent copy of the database (audited).
	r.Get("/admin/backup", a.getBackup)
	// Metrics in the Prometheus text format (metrics.go): a bearer token of
	// scope metrics, or an administrator's session.
	r.Get("/metrics", a.metricsBearer, signedIn, admin, a.getMetrics)

	// ===== Policies and consent (issue 3) =====

	// Public policies → policies/index; one version in full → policies/show (policies/_text).
	r.Get("/policies", a.getPolicies)
	r.Get("/policies/:id<int>", a.getPolicy)

	// The consent gate's page → policies/consent (policies/_consent_form).
	r.Get("/consent", signedIn, a.getConsent)
	r.Post("/consent", signedIn, a.postConsent)

	// My agreements, and a guardian's for their minors → policies/agreements (policies/_agreements).
	r.Get("/profile/policies", signedIn, a.getMyPolicies)
	r.Get("/profile/policies/receipts/:id<int>", signedIn, a.getPolicyReceipt)
	r.Get("/profile/policies/receipts/:id<int>/download", signedIn, a.downloadPolicyReceipt)
	r.Post("/profile/policies/:versionID<int>/:answer", signedIn, a.postMyAnswer)
	r.Get("/profile/minors/:userID<int>/policies", signedIn, a.getMinorPolicies)
	r.Post("/profile/minors/:userID<int>/policies/:versionID<int>/:answer", signedIn, a.postMinorAnswer)

	// A minor's guardian (issue 12.3): the invitation's page (the mailed link,
	// or without it the signed-in account's invitations), linking the account,
	// creating it from the link → guardians/invitation.
	r.Get(guardianInvitePath, noStore, a.getInvitation)
	r.Post(guardianInvitePath, noStore, a.postInvitation)
	r.Post(guardianInvitePath+"/account", noStore, a.postInvitationAccount)
	// The waiting minor (no consent gate) sends the invitation again, or to a
	// corrected address → back to the waiting page, policies/consent.
	r.Post("/profile/guardian/resend", signedIn, a.postGuardianResend)
	r.Post("/profile/guardian", signedIn, a.postGuardianChange)

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
	// Answer on behalf from the report or a user's page: confirmation, then record → policies/answer_confirm.
	r.Post("/admin/agreements/answer", signedIn, staff, a.postAnswerOnBehalf)

	// ===== Cookies (issue 4) =====

	// Cookie choice: banner (every page, cookies/_banner) and preferences → cookies/index (cookies/_prefs).
	r.Get("/cookies", a.getCookies)
	r.Get("/cookies/receipts/:id", signedIn, a.getCookieReceipt)
	r.Get("/cookies/receipts/:id/download", signedIn, a.downloadCookieReceipt)
	r.Post("/cookies", a.postCookies)

	// Cookie choices per week and visits per day (staff) → cookies/admin_stats.
	r.Get("/admin/cookies/stats", signedIn, staff, a.getCookieStats)

	// Cookie register (administrators) → cookies/admin, cookies/admin_edit.
	r.Get("/admin/cookies", signedIn, admin, a.getAdminCookies)
	r.Post("/admin/cookies", signedIn, admin, a.postAdminCookies)
	r.Get("/admin/cookies/:id<int>", signedIn, admin, a.getAdminCookie)
	r.Post("/admin/cookies/:id<int>", signedIn, admin, a.postAdminCookie)
	r.Post("/admin/cookies/:id<int>/delete", signedIn, admin, a.postAdminCookieDelete)

	// The banner's and preferences page's texts per language (administrators) → cookies/admin_texts.
	r.Get("/admin/cookies/texts", signedIn, admin, a.getCookieTexts)
	r.Post("/admin/cookies/texts", signedIn, admin, a.postCookieTexts)
	r.Post("/admin/cookies/texts/reset", signedIn, admin, a.postCookieTextsReset)

	// ===== DPO contact, notifications, mail, password reset (issue 5) =====

	// Contact the DPO (no consent gate: CONTRACT.md) → dpo/index (dpo/_form, dpo/_threads), dpo/thread (dpo/_thread).
	r.Get("/profile/dpo", signedIn, a.getDPO)
	r.Post("/profile/dpo", signedIn, a.postDPO)
	r.Get("/profile/dpo/:id<int>", signedIn, a.getDPOThread)
	r.Post("/profile/dpo/:id<int>/reply", signedIn, a.postDPOReply)

	// The officer's inbox → dpo/inbox (dpo/_inbox), dpo/admin_thread (dpo/_admin_thread).
	r.Get("/admin/dpo", signedIn, staff, a.getDPOInbox)
	r.Get("/admin/dpo/:id<int>", signedIn, staff, a.getAdminDPOThread)
	r.Post("/admin/dpo/:id<int>/reply", signedIn, staff, a.postAdminDPOReply)
	r.Post("/admin/dpo/:id<int>/close", signedIn, staff, a.postAdminDPOClose)
	r.Post("/admin/dpo/:id<int>/read", signedIn, staff, a.postAdminDPORead)

	// In-app notifications → notifications/index (notifications/_list).
	r.Get("/notifications", signedIn, a.getNotifications)
	r.Post("/notifications/read", signedIn, a.postNotificationsRead)

	// Password reset by e-mailed link, only with mail → password/forgot (password/_forgot_form), password/reset (password/_reset_form).
	r.Get("/password/forgot", a.needMail, a.getForgot)
	r.Post("/password/forgot", a.needMail, a.postForgot)
	r.Get("/password/reset", a.needMail, noStore, a.getReset)
	r.Post("/password/reset", a.needMail, noStore, a.postReset)

	// People without a usable account write to the DPO or ask for their
	// data, confirmed by a mailed link (issue 11.6) → contact/index
	// (contact/_form), contact/confirm.
	r.Get(contactPath, a.getContact)
	r.Post(contactPath, a.postContact)
	r.Get(contactConfirmPath, noStore, a.getContactConfirm)
	r.Post(contactConfirmPath, noStore, a.postContactConfirm)

	// ===== Data requests, export, erasure (issue 5) =====
	// Data requests of a person (no consent gate): list, file, cancel, live
	// status, export ZIP → requests/index (requests/_form), requests/show
	// (requests/_status), requests/expired (410).
	r.Get("/profile/requests", signedIn, a.getRequests)
	r.Post("/profile/requests", signedIn, a.postRequest)
	r.Get("/profile/requests/:id<int>", signedIn, a.getRequest)
	r.Post("/profile/requests/:id<int>/cancel", signedIn, a.postRequestCancel)
	r.Get("/profile/requests/:id<int>/download", signedIn, a.getRequestDownload)
	// Staff queue: filters, decisions one by one or in bulk, filing on a
	// user's behalf → requests/admin_list, requests/admin_show (requests/_status).
	r.Get("/admin/requests", signedIn, staff, a.getAdminRequests)
	r.Post("/admin/requests", signedIn, staff, a.postAdminRequest)
	r.Post("/admin/requests/bulk", signedIn, staff, a.postRequestsBulk)
	r.Get("/admin/requests/:id<int>", signedIn, staff, a.getAdminRequest)
	r.Post("/admin/requests/:id<int>/approve", signedIn, staff, a.postRequestApprove)
	r.Post("/admin/requests/:id<int>/reject", signedIn, staff, a.postRequestReject)
	r.Get("/admin/requests/:id<int>/download", signedIn, staff, a.getAdminRequestDownload)
	// The officer's tools (issue 11.7): find the person to file for by name
	// or email (htmx: requests/_people), file a rejected request again.
	r.Get("/admin/requests/people", signedIn, staff, a.getRequestPeople)
	r.Post("/admin/requests/:id<int>/resubmit", signedIn, staff, a.postAdminResubmit)
	r.Post("/profile/requests/:id<int>/resubmit", signedIn, a.postRequestResubmit)

	// ===== Courses and retention =====

	// Courses (administrators): list and create → courses/index; one course,
	// enrol, unenrol, delete with its data → courses/course.
	r.Get("/admin/courses", signedIn, admin, a.getCourses)
	r.Post("/admin/courses", signedIn, admin, a.postCourse)
	r.Get("/admin/courses/:id<int>", signedIn, admin, a.getCourse)
	r.Post("/admin/courses/:id<int>/enrol", signedIn, admin, a.postEnrol)
	r.Post("/admin/courses/:id<int>/unenrol", signedIn, admin, a.postUnenrol)
	r.Post("/admin/courses/:id<int>/delete", signedIn, admin, a.postCourseDelete)
	// CSV import of enrolments and progress (administrators): upload →
	// courses/import; its progress (htmx polls courses/_import_status) and
	// refused rows → courses/import_show; the refused rows as CSV (audited).
	r.Get("/admin/courses/import", signedIn, admin, a.getImports)
	r.Post("/admin/courses/import", signedIn, admin, a.postImport)
	r.Get("/admin/courses/import/:id<int>", signedIn, admin, a.getImport)
	r.Get("/admin/courses/import/:id<int>/errors.csv", signedIn, admin, a.getImportErrorsCSV)

	// Retention review (staff): the purge's dry run, protected categories,
	// flagged accounts filtered and paged → courses/retention.
	r.Get("/admin/courses/retention", signedIn, staff, a.getRetention)
	// Run the purge of expired categories now; erase ticked accounts (a
	// confirmation listing what goes and what is kept, then deletion
	// requests filed and approved) → courses/retention_confirm.
	r.Post("/admin/courses/retention/purge", signedIn, staff, a.postRetentionPurge)
	r.Post("/admin/courses/retention/erase", signedIn, staff, a.postRetentionErase)

	// My courses (signed in): enrolments and progress → courses/mine.
	r.Get("/profile/courses", signedIn, a.getMyCourses)

	// API tokens (administrators): create (the secret shown once), revoke → admin/tokens.
	r.Get("/admin/tokens", signedIn, admin, a.getTokens)
	r.Post("/admin/tokens", signedIn, admin, a.postToken)
	r.Post("/admin/tokens/:id<int>/revoke", signedIn, admin, a.postTokenRevoke)

	// Webhooks (administrators): register, delete, deliveries with their last status → admin/webhooks.
	r.Get("/admin/webhooks", signedIn, admin, a.getWebhooks)
	r.Post("/admin/webhooks", signedIn, admin, a.postWebhook)
	r.Post("/admin/webhooks/:id<int>/delete", signedIn, admin, a.postWebhookDelete)
	// Disable a webhook (told nothing until enabled again) or enable it → admin/webhooks.
	r.Post("/admin/webhooks/:id<int>/disable", signedIn, admin, a.postWebhookDisable)
	r.Post("/admin/webhooks/:id<int>/enable", signedIn, admin, a.postWebhookEnable)

	// Audit log (staff): filters, pages of 50 → audit/index (audit/_table);
	// CSV download of the same filters (audited).
	r.Get("/admin/audit", signedIn, staff, a.getAudit)
	r.Get("/admin/audit.csv", signedIn, staff, a.getAuditCSV)

	// Anything else: a translated 404.
	r.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// gateExemptPrefixes are the route groups open to signed-in users with
// pending policies (CONTRACT.md): reading the policies, the cookie choice,
// leaving, contacting the DPO or asking for one's data never require
// agreeing; a minor waiting for their guardian corrects or re-sends the
// invitation; staff must be able to fix a policy they just published; the
// sign-in, sign-up and setup pages act for a new identity, not the current
// one. "/policies" also covers "/policies.…". "/api/v1" is listed for
// completeness: the API is mounted before the session middleware, so
// neither this gate nor the CSRF check ever sees it.
var gateExemptPrefixes = [...]string{"/login", "/signup", "/setup", "/consent", "/policies", "/cookies", "/logout", "/profile/dpo", "/profile/requests", "/profile/guardian", "/admin", "/processing", "/contact", "/api/v1", "/static", "/healthz", "/metrics"}

// gateExempt reports whether path is in one of the gateExemptPrefixes groups.
func gateExempt(path string) bool {
	for _, p := range gateExemptPrefixes {
		if path == p || (strings.HasPrefix(path, p) && (path[len(p)] == '/' || (p == "/policies" && path[len(p)] == '.'))) {
			return true
		}
	}
	return false
}

// getHealth answers 200 "ok" while the database answers.
func (a *App) getHealth(c *fiber.Ctx) error {
	if err := a.db.Ping(); err != nil {
		a.log.Error("health", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("unavailable")
	}
	return c.SendString("ok")
}
