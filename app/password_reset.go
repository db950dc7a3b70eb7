package app

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// Password reset by e-mailed link (single use, one hour), only when mail is
// configured: without mail the routes answer 404.

// Limits of /password/forgot: per address (answered 429), and per account
// (silently: the answer must not tell whether the account exists).
const (
	forgotPerIPPerHour      = 5
	forgotPerAccountPerHour = 3
)

type forgotForm struct {
	Email string `form:"email" validate:"required,email,max=254"`
}

type resetForm struct {
	Token    string `form:"token" validate:"required,max=200"`
	Password string `form:"password" validate:"required,min=10,max=1024"`
}

// needMail answers 404 while mail is not configured.
func (a *App) needMail(c *fiber.Ctx) error {
	if !a.mailOn() {
		return fiber.ErrNotFound
	}
	return c.Next()
}

// getForgot shows the form that asks for a reset link.
func (a *App) getForgot(c *fiber.Ctx) error { return a.showForgot(c, &Form{}) }

func (a *App) showForgot(c *fiber.Ctx, f *Form) error {
	p := a.page(c, "password.forgot.title")
	p.Form = f
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "password/forgot", "password/_forgot_form", p)
}

// postForgot mails a reset link if the account exists and is active, and
// answers the same either way.
func (a *App) postForgot(c *fiber.Ctx) error {
	var in forgotForm
	f := a.bind(c, &in)
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showForgot(c, f)
	}
	if ok, wait := a.limits.take(time.Hour, limit{"forgot:ip:" + a.clientIP(c), forgotPerIPPerHour}); !ok {
		return a.tooMany(c, f, wait, a.showForgot)
	}
	// The ask is stored before the answer (a crash loses nothing) and
	// answered by the mail job, so that the answer takes the same time
	// whether or not an account exists (no account enumeration by timing).
	if err := a.db.AskPasswordReset(strings.Clone(in.Email)); err != nil {
		return err
	}
	a.flash(c, "info", "password.forgot.sent")
	return a.redirect(c, "/login")
}

// resetAsksPerRound is how many asks one mail round answers.
const resetAsksPerRound = 500

// handleResetRequests answers the stored asks for a reset link (from the
// mail job, before delivery): a link queued in the same transaction as its
// token for an active account that has not asked too often, nothing
// otherwise.
func (a *App) handleResetRequests(ctx context.Context) {
	asks, err := a.db.ResetAsks(resetAsksPerRound)
	if err != nil {
		a.log.Error("password reset: read the asks", "err", err)
		return
	}
	for _, ask := range asks {
		if ctx.Err() != nil {
			return
		}
		if err := a.answerResetAsk(ask); err != nil {
			a.log.Error("password reset: queue the link", "err", err)
			return
		}
	}
}

// answerResetAsk queues a reset link to the account of ask's address, if
// it exists, is active and has not asked too often, and forgets the ask.
func (a *App) answerResetAsk(ask store.ResetAsk) error {
	u, err := a.db.UserByEmail(ask.Email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err != nil || u.Suspended {
		return a.db.DropResetAsk(ask.ID)
	}
	if ok, _ := a.limits.take(time.Hour, limit{"forgot:acct:" + store.NormEmail(ask.Email), forgotPerAccountPerHour}); !ok {
		return a.db.DropResetAsk(ask.ID)
	}
	token, _ := store.NewToken()
	link := "/password/reset?token=" + url.QueryEscape(token)
	m := a.renderMail(u.ID, u.Email, u.Lang, "password.mail.subject", "password.mail.body", link,
		[]any{"Name", u.Name(), "Site", a.Settings().SiteName})
	return a.db.AnswerResetAsk(ask.ID, u.ID, token, m)
}

// getReset shows the new-password form of a valid link (410 otherwise).
func (a *App) getReset(c *fiber.Ctx) error {
	token := strings.Clone(c.Query("token"))
	if _, err := a.resetFor(token); err != nil {
		return err
	}
	return a.showReset(c, &Form{Values: map[string][]string{"token": {token}}})
}

func (a *App) showReset(c *fiber.Ctx, f *Form) error {
	p := a.page(c, "password.reset.title")
	p.Form = f
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "password/reset", "password/_reset_form", p)
}

// resetFor finds the reset of token: a used, expired or unknown token is
// 410 alike.
func (a *App) resetFor(token string) (*store.PasswordReset, error) {
	r, err := a.db.PasswordResetFor(token)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrTokenGone) || token == "" {
		return nil, fiber.ErrGone
	}
	return r, err
}

// postReset sets the new password, spends the link and signs the user out
// everywhere.
func (a *App) postReset(c *fiber.Ctx) error {
	var in resetForm
	f := a.bind(c, &in)
	r, err := a.resetFor(in.Token)
	if err != nil {
		return err
	}
	u, err := a.db.User(r.UserID)
	if err != nil {
		return err
	}
	checkPassword(a.translator(c), f, in.Password, u.Email)
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showReset(c, f)
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return err
	}
	if u, err = a.db.ResetPassword(in.Token, hash); errors.Is(err, store.ErrTokenGone) || errors.Is(err, store.ErrNotFound) {
		return fiber.ErrGone
	} else if err != nil {
		return err
	}
	if err := a.endUserSessions(u.ID, [32]byte{}); err != nil {
		return err
	}
	a.flash(c, "ok", "password.reset.done")
	return a.redirect(c, "/login")
}
