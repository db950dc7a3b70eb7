package app

import (
	"errors"
	"net/url"
	"strings"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// A new email is used for sign-in and resets only once confirmed from its
// mailbox (issue 10.2): /profile records it as pending and mails a link to
// it; the link's page asks for one click (a GET writes nothing, and mail
// scanners that fetch links confirm nothing); the old address is told.

// emailConfirmPath is the page of a confirmation link.
const emailConfirmPath = "/profile/email/confirm"

type emailConfirmForm struct {
	Token string `form:"token" validate:"required,max=100"`
}

// askEmailChange records email as u's pending address, mails it a
// confirmation link and tells u's current address. A taken address gets no
// link: its owner is told instead. The person asking sees the same answer,
// the same pending address and the same mail to their own address either
// way (no account enumeration, issue 10.5).
func (a *App) askEmailChange(u *store.User, email string) error {
	site := a.Settings().SiteName
	owner, err := a.db.UserByEmail(email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	token, err := a.db.RequestEmailChange(u.ID, email)
	if err != nil {
		return err
	}
	if owner != nil {
		err = a.mailAbout(owner.ID, owner.Email, owner.Lang, "profile.email.taken.subject", "profile.email.taken.body",
			"Name", owner.Name(), "Site", site)
	} else {
		link := emailConfirmPath + "?token=" + url.QueryEscape(token)
		err = a.db.EnqueueMail(a.renderMail(u.ID, email, u.Lang, "profile.email.confirm.subject", "profile.email.confirm.body", link,
			[]any{"Name", u.Name(), "Site", site}))
	}
	if err != nil {
		return err
	}
	return a.mailAbout(u.ID, u.Email, u.Lang, "profile.email.old.subject", "profile.email.old.body",
		"Name", u.Name(), "Site", site, "Email", email)
}

// getEmailConfirm shows the button that confirms a new address (410 for an
// unknown, used or expired link).
func (a *App) getEmailConfirm(c *fiber.Ctx) error {
	token := strings.Clone(c.Query("token"))
	ch, err := a.emailChangeFor(token)
	if err != nil {
		return err
	}
	return a.showEmailConfirm(c, ch, &Form{Values: map[string][]string{"token": {token}}})
}

func (a *App) showEmailConfirm(c *fiber.Ctx, ch *store.EmailChange, f *Form) error {
	p := a.page(c, "profile.email.confirm.title")
	p.Form = f
	p.Data = map[string]any{"Email": ch.Email}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "profile/email_confirm", "", p)
}

// emailChangeFor finds the pending change of token: unknown, used and
// expired links are 410 alike.
func (a *App) emailChangeFor(token string) (*store.EmailChange, error) {
	if token == "" || len(token) > 100 {
		return nil, fiber.ErrGone
	}
	ch, err := a.db.EmailChangeFor(token)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrTokenGone) {
		return nil, fiber.ErrGone
	}
	return ch, err
}

// postEmailConfirm makes the new address the account's and spends the link.
func (a *App) postEmailConfirm(c *fiber.Ctx) error {
	var in emailConfirmForm
	f := a.bind(c, &in)
	ch, err := a.emailChangeFor(in.Token)
	if err != nil {
		return err
	}
	u, _, err := a.db.ConfirmEmailChange(in.Token)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrTokenGone):
		return fiber.ErrGone
	case errors.Is(err, store.ErrEmailTaken):
		f.fail("", a.translator(c).T("profile.email.confirm.taken"))
		f.Status = fiber.StatusConflict
		return a.showEmailConfirm(c, ch, f)
	case err != nil:
		return err
	}
	a.flash(c, "ok", "profile.email.confirmed", "Email", u.Email)
	if cur := currentUser(c); cur != nil && cur.ID == u.ID {
		return a.redirect(c, "/profile")
	}
	return a.redirect(c, "/login")
}
