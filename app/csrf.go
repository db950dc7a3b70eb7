package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"sync"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

const csrfCookie = "accord_csrf"

// The anti-forgery token is an HMAC, under a key kept in the database, of the
// session id (signed in) or of a random visitor secret in accord_csrf. It is
// valid for the whole session and checking it costs no database write (Fiber's
// csrf middleware writes its storage on every request).
func (a *App) csrfSign(kind byte, secret []byte) string {
	m := hmac.New(sha256.New, a.csrfKey)
	m.Write([]byte{kind})
	m.Write(secret)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfMemo remembers the tokens of recent sessions, one per slot picked by
// the session's hash: signing costs a dozen allocations, on every page.
type csrfMemo struct {
	mu   sync.Mutex
	slot [1024]struct {
		hash  [32]byte
		token string
	}
}

// sessionToken is the token of the session whose id hashes to hash.
func (a *App) sessionToken(hash [32]byte) string {
	m := &a.csrfMemo
	e := &m.slot[binary.BigEndian.Uint16(hash[:2])%uint16(len(m.slot))]
	m.mu.Lock()
	if e.hash == hash && e.token != "" {
		t := e.token
		m.mu.Unlock()
		return t
	}
	m.mu.Unlock()
	t := a.csrfSign('s', hash[:])
	m.mu.Lock()
	e.hash, e.token = hash, t
	m.mu.Unlock()
	return t
}

// csrfToken returns the token for this browser, giving a visitor a secret
// cookie when it has none.
func (a *App) csrfToken(c *fiber.Ctx) string {
	if s, ok := c.Locals(ctxSession).(store.Session); ok {
		return a.sessionToken(s.Hash)
	}
	if t, ok := c.Locals(ctxCSRFToken).(string); ok {
		return t
	}
	secret := c.Cookies(csrfCookie)
	if len(secret) < 32 {
		secret, _ = store.NewToken()
		a.setCookie(c, csrfCookie, secret, 0)
	}
	t := a.csrfSign('v', []byte(secret))
	c.Locals(ctxCSRFToken, t)
	return t
}

// csrfValid reports whether the request carries this browser's token: the
// session's when signed in, else the visitor secret's.
func (a *App) csrfValid(c *fiber.Ctx) bool {
	got := submittedToken(c)
	if got == "" {
		return false
	}
	if s, ok := c.Locals(ctxSession).(store.Session); ok {
		return hmac.Equal([]byte(got), []byte(a.sessionToken(s.Hash)))
	}
	secret := c.Cookies(csrfCookie)
	return len(secret) >= 32 && hmac.Equal([]byte(got), []byte(a.csrfSign('v', []byte(secret))))
}

// submittedToken is the token sent in the X-CSRF-Token header or in the
// body's _csrf field. Never the query string (fasthttp's FormValue reads it
// too): a token in a URL leaks through logs, history and Referer.
func submittedToken(c *fiber.Ctx) string {
	if got := c.Get("X-CSRF-Token"); got != "" {
		return got
	}
	if got := c.Request().PostArgs().Peek("_csrf"); len(got) > 0 {
		return string(got)
	}
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		if mf, err := c.MultipartForm(); err == nil && len(mf.Value["_csrf"]) > 0 {
			return mf.Value["_csrf"][0]
		}
	}
	return ""
}

// sameOrigin reports whether the browser says the request came from one of
// our pages (Sec-Fetch-Site, else Origin).
func (a *App) sameOrigin(c *fiber.Ctx) bool {
	if site := c.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	origin := c.Get(fiber.HeaderOrigin)
	return origin != "" && origin == a.origin
}

// checkCSRF refuses every state change without a valid token with 403
// (there is no exemption: the bearer-token API under /api/v1 is mounted
// before this middleware, routes.go). When the form came from one of our own pages (an
// expired session, say), the page shows what was typed, to be sent again; a forged cross-site form is never echoed, or one click on our page
// would complete the forgery.
func (a *App) checkCSRF(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodPost || a.csrfValid(c) {
		return c.Next()
	}
	a.log.Warn("csrf refused", "path", c.Path(), "rid", requestID(c))
	p := a.page(c, "errors.csrf.title")
	if a.sameOrigin(c) {
		p.Data = resubmitFields(c)
	}
	return a.render(c, fiber.StatusForbidden, "errors/csrf", "errors/_csrf", p)
}

// resubmitField is one submitted value shown back after a refused token.
type resubmitField struct {
	Name, Value string
	Long        bool
}

// resubmitFields lists the submitted fields but tokens and passwords, which
// are never echoed.
func resubmitFields(c *fiber.Ctx) (out []resubmitField) {
	for k, v := range c.Request().PostArgs().All() {
		name := string(k)
		if name == "_csrf" || name == "token" || strings.Contains(name, "password") {
			continue
		}
		val := string(v)
		out = append(out, resubmitField{Name: name, Value: val, Long: len(val) > 80 || strings.Contains(val, "\n")})
	}
	return out
}
