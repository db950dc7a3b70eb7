package app

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// Context keys.
const (
	ctxRequestID = "rid"
	ctxSession   = "session"
	ctxUser      = "user"
	ctxLang      = "lang"
	ctxCSRFToken = "csrf"
)

var ridCounter atomic.Uint64
var ridPrefix = fmt.Sprintf("%06x-", time.Now().UnixNano()&0xffffff) // always six digits

// requestLog gives each request an id (X-Request-ID, and in every log line
// about it) and logs it at debug level, failures at error level.
func (a *App) requestLog(c *fiber.Ctx) error {
	rid := ridPrefix + strconv.FormatUint(ridCounter.Add(1), 10)
	c.Locals(ctxRequestID, rid)
	c.Set("X-Request-ID", rid)
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	dur := time.Since(start)
	a.metrics.observe(c, dur)
	if a.log.Enabled(c.UserContext(), slog.LevelDebug) { // the arguments cost allocations
		a.log.Debug("request", "rid", rid, "method", c.Method(), "path", c.Path(), "status", c.Response().StatusCode(), "dur", dur)
	}
	return nil
}

func requestID(c *fiber.Ctx) string {
	rid, _ := c.Locals(ctxRequestID).(string)
	return rid
}

// securityHeaders sets a strict Content-Security-Policy (no inline script or
// style) and the usual hardening headers.
func (a *App) securityHeaders(c *fiber.Ctx) error {
	h := &c.Response().Header
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
	if a.secure {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
	return c.Next()
}

// negotiateLang picks the request's language (CONTRACT.md order) and keeps
// an explicit ?lang choice in the accord_lang cookie.
func (a *App) negotiateLang(c *fiber.Ctx) error {
	var profile string
	if u, ok := c.Locals(ctxUser).(*store.User); ok {
		profile = u.Lang
	}
	q := c.Query("lang")
	lang := negotiate(q, c.Cookies(langCookie), profile, c.Get(fiber.HeaderAcceptLanguage), a.Settings().DefaultLang)
	if validLang(q) && c.Method() == fiber.MethodGet && c.Cookies(langCookie) != q {
		a.setCookie(c, langCookie, q, langCookieAge)
	}
	c.Locals(ctxLang, lang)
	c.Set(fiber.HeaderContentLanguage, lang)
	if _, signedIn := c.Locals(ctxUser).(*store.User); signedIn {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return c.Next()
}

// translator is the request's Translator.
func (a *App) translator(c *fiber.Ctx) *Translator {
	if l, ok := c.Locals(ctxLang).(string); ok {
		return a.tr[l]
	}
	return a.tr[negotiate("", "", "", "", a.Settings().DefaultLang)]
}

// currentUser is the signed-in user, or nil.
func currentUser(c *fiber.Ctx) *store.User {
	u, _ := c.Locals(ctxUser).(*store.User)
	return u
}

// requireUser sends visitors to the sign-in page, remembering where they
// were going (GET only).
func (a *App) requireUser(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Next()
	}
	to := "/login"
	if c.Method() == fiber.MethodGet {
		to += "?next=" + url.QueryEscape(string(c.Request().URI().RequestURI()))
	}
	return a.redirect(c, to)
}

// requireRole lets only the given roles through (after requireUser).
func (a *App) requireRole(roles ...store.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := currentUser(c)
		for _, r := range roles {
			if u != nil && u.Role == r {
				return c.Next()
			}
		}
		return fiber.ErrForbidden
	}
}

// safeNext returns next when it is a local path that may be gone back to
// (CONTRACT.md), else "".
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\\") || !clean(next) || strings.ContainsAny(next, "\t\r\n") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	// Routing ignores case and a trailing slash: so must this check.
	switch strings.ToLower(strings.TrimRight(u.Path, "/")) {
	case "/login", "/logout", "/consent":
		return ""
	}
	return next
}
