package app

import (
	"errors"
	"net/url"
	"strconv"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// loginSlowDown is the wait after the per-account threshold of failures
// from one address; it doubles with each further failure.
const loginSlowDown = 30 * time.Second

type loginForm struct {
	Email    string `form:"email" validate:"required,max=254"`
	Password string `form:"password" validate:"required,max=1024"`
	Remember string `form:"remember_username"`
	Next     string `form:"next" validate:"max=2048"`
}

// getLogin shows the sign-in form; a signed-in user goes on to next.
func (a *App) getLogin(c *fiber.Ctx) error {
	next := safeNext(c.Query("next"))
	if currentUser(c) != nil {
		return c.Redirect(orHome(next), fiber.StatusSeeOther)
	}
	f := &Form{Values: map[string][]string{"next": {next}}}
	if name := a.rememberedUsername(c); name != "" {
		f.Values["email"] = []string{name}
		f.Values["remember_username"] = []string{"on"}
	}
	return a.showLogin(c, f)
}

func (a *App) showLogin(c *fiber.Ctx, f *Form) error {
	p := a.page(c, "auth.login.title")
	p.Form = f
	p.Data = map[string]any{"CanRemember": a.consents(c, "preferences"), "CanReset": a.cfg.SMTP != ""}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "auth/login", "auth/_login_form", p)
}

// postLogin signs a user in. Unknown email, wrong password and suspended
// account get one message and the same work (no account enumeration).
func (a *App) postLogin(c *fiber.Ctx) error {
	var in loginForm
	f := a.bind(c, &in)
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showLogin(c, f)
	}
	set := a.Settings()
	window := time.Duration(set.LoginWindowMinutes) * time.Minute
	// Every attempt counts until it succeeds, recorded before the slow
	// password check so that parallel guesses cannot slip past the limit.
	// An account is throttled per address (issue 10.1): guesses from one
	// address slow down that address alone, so nobody can lock the owner
	// out from elsewhere; past the per-account threshold each guess waits
	// longer (loginSlowDown, doubling, up to the window) instead of a
	// lock. The per-address limit caps guesses at many accounts.
	ip := a.clientIP(c)
	acctKey, ipKey := "login:acct:"+store.NormEmail(in.Email)+"|"+ip, "login:ip:"+ip
	if ok, wait := a.limits.takeSlow(window, limit{acctKey, set.LoginFailuresPerAccount}, loginSlowDown, limit{ipKey, set.LoginFailuresPerIP}); !ok {
		return a.tooMany(c, f, wait, a.showLogin)
	}
	u, err := a.db.UserByEmail(in.Email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if u == nil {
		CheckPassword(dummyHash, in.Password)
	}
	if u == nil || !CheckPassword(u.PasswordHash, in.Password) || u.Suspended {
		ev := store.AuditEvent{Action: store.ActLoginFailed}
		if u != nil {
			ev.SubjectID = u.ID
		}
		if err := a.db.Audit(ev); err != nil {
			return err
		}
		f.fail("", a.translator(c).T("auth.login.failed"))
		f.Status = fiber.StatusUnprocessableEntity
		return a.showLogin(c, f)
	}
	a.limits.reset(acctKey)
	a.limits.undo(ipKey)
	u, err = a.db.UpdateUser(u.ID, store.AuditEvent{Action: store.ActLoginOK, ActorID: u.ID}, func(u *store.User) error {
		u.LastLoginAt = a.db.Now().UTC()
		return nil
	})
	if err != nil {
		return err
	}
	if err := a.signIn(c, u); err != nil {
		return err
	}
	a.rememberUsername(c, in.Email, in.Remember == "on")
	if err := a.afterSignIn(c, u); err != nil {
		return err
	}
	next := safeNext(in.Next)
	if a.pendingFor(u) {
		return a.redirect(c, "/consent?next="+url.QueryEscape(orHome(next)))
	}
	return a.redirect(c, orHome(next))
}

// postLogout ends the session on the server and in the browser.
func (a *App) postLogout(c *fiber.Ctx) error {
	if s, ok := c.Locals(ctxSession).(store.Session); ok {
		a.endSession(s.Hash)
		if err := a.db.Audit(store.AuditEvent{Action: store.ActLogout, ActorID: s.UserID, SubjectID: s.UserID}); err != nil {
			return err
		}
	}
	a.clearCookie(c, sessionCookie)
	return a.redirect(c, "/")
}

// tooMany answers a rate-limited form: 429, Retry-After, the form as typed.
func (a *App) tooMany(c *fiber.Ctx, f *Form, wait time.Duration, show func(*fiber.Ctx, *Form) error) error {
	minutes := int(wait.Minutes()) + 1
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(wait.Seconds())+1))
	f.fail("", a.translator(c).N("errors.rate_limited", minutes))
	f.Status = fiber.StatusTooManyRequests
	return show(c, f)
}

func orHome(next string) string {
	if next == "" {
		return "/"
	}
	return next
}

func statusOr(status, def int) int {
	if status == 0 {
		return def
	}
	return status
}
