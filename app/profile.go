package app

import (
	"errors"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

type profileForm struct {
	FirstName string `form:"first_name" validate:"required,max=100"`
	LastName  string `form:"last_name" validate:"required,max=100"`
	Email     string `form:"email" validate:"required,email,max=254"`
	Lang      string `form:"lang" validate:"required,oneof=en fr"`
}

type passwordForm struct {
	Current  string `form:"current_password" validate:"required,max=1024"`
	Password string `form:"password" validate:"required,min=10,max=1024"`
}

// getProfile shows the profile and password forms and the shortcuts of the
// "Data protection and policies" section.
func (a *App) getProfile(c *fiber.Ctx) error {
	return a.showProfile(c, profileValues(currentUser(c)), &Form{})
}

func (a *App) showProfile(c *fiber.Ctx, f, pw *Form) error {
	p := a.page(c, "profile.title")
	p.Form = f
	minors, err := a.minorsOf(currentUser(c))
	if err != nil {
		return err
	}
	p.Data = map[string]any{"Password": pw, "Minors": minors}
	status, fragment := fiber.StatusOK, ""
	if f.Status != 0 {
		status, fragment = f.Status, "profile/_form"
	} else if pw.Status != 0 {
		status, fragment = pw.Status, "profile/_password"
	}
	return a.render(c, status, "profile/index", fragment, p)
}

// postProfile saves name, email and language; the language also goes in
// the accord_lang cookie, so it holds before the next sign-in.
func (a *App) postProfile(c *fiber.Ctx) error {
	var in profileForm
	f := a.bind(c, &in)
	tr := a.translator(c)
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showProfile(c, f, &Form{})
	}
	u := currentUser(c)
	_, err := a.db.UpdateUser(u.ID, store.AuditEvent{Action: store.ActUserUpdated, ActorID: u.ID}, func(u *store.User) error {
		u.FirstName, u.LastName, u.Email, u.Lang = in.FirstName, in.LastName, in.Email, in.Lang
		return nil
	})
	if errors.Is(err, store.ErrEmailTaken) {
		f.fail("email", tr.T("validation.email_taken"))
		f.Status = fiber.StatusUnprocessableEntity
		return a.showProfile(c, f, &Form{})
	} else if err != nil {
		return err
	}
	a.setCookie(c, langCookie, in.Lang, langCookieAge)
	a.flash(c, "ok", "profile.saved")
	return a.redirect(c, "/profile")
}

// postPassword changes the password after checking the current one, and
// signs the user out of every other browser.
func (a *App) postPassword(c *fiber.Ctx) error {
	var in passwordForm
	pw := a.bind(c, &in)
	u := currentUser(c)
	tr := a.translator(c)
	checkPassword(tr, pw, in.Password, u.Email)
	if !pw.Invalid() && !CheckPassword(u.PasswordHash, in.Current) {
		pw.fail("current_password", tr.T("profile.password.wrong"))
	}
	if pw.Invalid() {
		pw.Status = fiber.StatusUnprocessableEntity
		return a.showProfile(c, profileValues(u), pw)
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return err
	}
	if _, err := a.db.UpdateUser(u.ID, store.AuditEvent{Action: store.ActPasswordChanged, ActorID: u.ID}, func(u *store.User) error {
		u.PasswordHash = hash
		return nil
	}); err != nil {
		return err
	}
	s, _ := c.Locals(ctxSession).(store.Session)
	if err := a.endUserSessions(u.ID, s.Hash); err != nil {
		return err
	}
	a.flash(c, "ok", "profile.password.saved")
	return a.redirect(c, "/profile")
}

func profileValues(u *store.User) *Form {
	return &Form{Values: map[string][]string{
		"first_name": {u.FirstName}, "last_name": {u.LastName}, "email": {u.Email}, "lang": {u.Lang},
	}}
}
