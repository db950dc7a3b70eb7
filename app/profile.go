package app

import (
	"strconv"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

type profileForm struct {
	FirstName string `form:"first_name" validate:"required,max=100"`
	LastName  string `form:"last_name" validate:"required,max=100"`
	Email     string `form:"email" validate:"required,email,max=254"`
	Lang      string `form:"lang" validate:"required,oneof=en fr"`
	Current   string `form:"current_password" validate:"max=1024"` // needed when the email changes
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
	pending, err := a.db.PendingEmailChange(currentUser(c).ID)
	if err != nil {
		return err
	}
	p.Data = &profileData{Password: pw, Minors: minors, PendingEmail: pending, EmailNeedsPassword: a.mailOn()}
	status, fragment := fiber.StatusOK, ""
	if f.Status != 0 {
		status, fragment = f.Status, "profile/_form"
	} else if pw.Status != 0 {
		status, fragment = pw.Status, "profile/_password"
	}
	return a.render(c, status, "profile/index", fragment, p)
}

// postProfile saves name and language; the language also goes in the
// accord_lang cookie, so it holds before the next sign-in. A new email needs
// the current password and is only asked for (askEmailChange): it is used
// once confirmed from its mailbox (issue 10.2).
func (a *App) postProfile(c *fiber.Ctx) error {
	var in profileForm
	f := a.bind(c, &in)
	tr := a.translator(c)
	u := currentUser(c)
	newEmail := !f.Invalid() && store.NormEmail(in.Email) != store.NormEmail(u.Email)
	if newEmail {
		if !a.mailOn() {
			f.fail("email", tr.T("profile.email.needs_mail"))
		} else if refused, err := a.reauthenticate(c, f, u, in.Current, func(c *fiber.Ctx, f *Form) error { return a.showProfile(c, f, &Form{}) }); err != nil || refused {
			return err
		}
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showProfile(c, f, &Form{})
	}
	if _, err := a.db.UpdateUser(u.ID, store.AuditEvent{Action: store.ActUserUpdated, ActorID: u.ID}, func(u *store.User) error {
		u.FirstName, u.LastName, u.Lang = in.FirstName, in.LastName, in.Lang
		return nil
	}); err != nil {
		return err
	}
	a.setCookie(c, langCookie, in.Lang, langCookieAge)
	if newEmail {
		if err := a.askEmailChange(u, in.Email); err != nil {
			return err
		}
		a.flash(c, "ok", "profile.email.pending", "Email", in.Email)
	} else {
		a.flash(c, "ok", "profile.saved")
	}
	return a.redirect(c, "/profile")
}

// reauthenticate checks the current password typed in f's current_password
// field. Wrong guesses are throttled per account like sign-in, so that a
// stolen session cannot guess the password either; refused is true when it
// already answered (429, with show).
func (a *App) reauthenticate(c *fiber.Ctx, f *Form, u *store.User, current string, show func(*fiber.Ctx, *Form) error) (refused bool, err error) {
	set := a.Settings()
	key := "reauth:" + strconv.FormatUint(u.ID, 10)
	if ok, wait := a.limits.takeSlow(time.Duration(set.LoginWindowMinutes)*time.Minute, limit{key, set.LoginFailuresPerAccount}, loginSlowDown); !ok {
		return true, a.tooMany(c, f, wait, show)
	}
	if current == "" || !CheckPassword(u.PasswordHash, current) {
		f.fail("current_password", a.translator(c).T("profile.password.wrong"))
		return false, nil
	}
	a.limits.reset(key)
	return false, nil
}

// postPassword changes the password after checking the current one, signs
// the user out of every other browser, drops a pending email change and
// tells the account's address.
func (a *App) postPassword(c *fiber.Ctx) error {
	var in passwordForm
	pw := a.bind(c, &in)
	u := currentUser(c)
	tr := a.translator(c)
	checkPassword(tr, pw, in.Password, u.Email)
	if !pw.Invalid() {
		if refused, err := a.reauthenticate(c, pw, u, in.Current, func(c *fiber.Ctx, pw *Form) error { return a.showProfile(c, profileValues(u), pw) }); err != nil || refused {
			return err
		}
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
	if err := a.db.CancelEmailChanges(u.ID); err != nil {
		return err
	}
	if err := a.mailAbout(u.ID, u.Email, u.Lang, "profile.password.mail.subject", "profile.password.mail.body",
		"Name", u.Name(), "Site", a.Settings().SiteName); err != nil {
		return err
	}
	a.flash(c, "ok", "profile.password.saved")
	return a.redirect(c, "/profile")
}

func profileValues(u *store.User) *Form {
	v := [4]string{u.FirstName, u.LastName, u.Email, u.Lang} // one array behind the four values
	return &Form{Values: map[string][]string{
		"first_name": v[0:1:1], "last_name": v[1:2:2], "email": v[2:3:3], "lang": v[3:4:4],
	}}
}
