package app

import (
	"errors"
	"sync"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// errorStatus maps an error to the status a user sees; this table is the
// only place where errors become statuses.
func errorStatus(err error) int {
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		return fe.Code
	case errors.Is(err, store.ErrNotFound):
		return fiber.StatusNotFound
	case errors.Is(err, store.ErrTokenGone):
		return fiber.StatusGone
	case errors.Is(err, store.ErrStaffErasure):
		return fiber.StatusForbidden
	case errors.Is(err, store.ErrCannotSave):
		// The disk is full or the file cannot be written: nothing was
		// saved, reads still work, and trying again later will do.
		return fiber.StatusServiceUnavailable
	}
	return fiber.StatusInternalServerError
}

// errorKeys are the statuses with a page of their own; others use the
// generic one of their class.
var errorKeys = map[int]string{
	fiber.StatusBadRequest:            "400",
	fiber.StatusForbidden:             "403",
	fiber.StatusNotFound:              "404",
	fiber.StatusMethodNotAllowed:      "405",
	fiber.StatusConflict:              "409",
	fiber.StatusGone:                  "410",
	fiber.StatusRequestEntityTooLarge: "413",
	fiber.StatusUnprocessableEntity:   "422",
	fiber.StatusTooManyRequests:       "429",
	fiber.StatusInternalServerError:   "500",
	fiber.StatusServiceUnavailable:    "503",
}

// handleError replaces Fiber's default handler, which shows err.Error():
// users get a translated page, the log gets the detail and the request id.
func (a *App) handleError(c *fiber.Ctx, err error) error {
	status := errorStatus(err)
	key, ok := errorKeys[status]
	if !ok {
		key = "500"
		if status < 500 {
			key = "400"
		}
	}
	switch {
	case errors.Is(err, store.ErrCannotSave):
		c.Set(fiber.HeaderRetryAfter, "60")
		if n, ok := a.saveFailures.note(a.db.Now()); ok {
			a.log.Error("the database cannot save (disk full or not writable); writes answer 503, reads go on",
				"failures", n, "rid", requestID(c), "method", c.Method(), "path", c.Path(), "err", err)
		}
	case status >= 500:
		a.log.Error("request failed", "rid", requestID(c), "method", c.Method(), "path", c.Path(), "err", err)
	}
	if c.Locals(ctxLang) == nil { // failed before language negotiation
		c.Locals(ctxLang, negotiate(c.Query("lang"), c.Cookies(langCookie), "", c.Get(fiber.HeaderAcceptLanguage), a.Settings().DefaultLang))
	}
	p := a.page(c, "errors."+key+".title")
	p.Data = map[string]string{"Text": p.T("errors." + key + ".text"), "RequestID": requestID(c), "Code": key}
	c.Response().Header.Del("HX-Redirect")
	// htmx swaps 403 and 422 only, and needs a full page for others.
	if rerr := a.render(c, status, "errors/error", "", p); rerr != nil {
		a.log.Error("render error page", "rid", requestID(c), "err", rerr)
		return c.Status(status).SendString(p.T("errors." + key + ".title"))
	}
	return nil
}

// logEvery lets one log line through per interval for a fault that every
// request would otherwise log (a full disk), and counts the rest.
type logEvery struct {
	mu    sync.Mutex
	last  time.Time
	count int // occurrences since the last line, this one included
}

// saveFailureLogInterval spaces the log lines of failed saves.
const saveFailureLogInterval = time.Minute

// note records one occurrence at now and says whether to log it, with the
// number of occurrences the line stands for.
func (l *logEvery) note(now time.Time) (n int, log bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count++
	if !l.last.IsZero() && now.Sub(l.last) < saveFailureLogInterval {
		return l.count, false
	}
	n, l.last, l.count = l.count, now, 0
	return n, true
}
