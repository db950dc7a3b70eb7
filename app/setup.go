package app

import (
	"errors"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

type setupForm struct {
	Token     string `form:"token" validate:"required,max=100"`
	FirstName string `form:"first_name" validate:"required,max=100"`
	LastName  string `form:"last_name" validate:"required,max=100"`
	Email     string `form:"email" validate:"required,email,max=254"`
	Password  string `form:"password" validate:"required,min=10,max=1024"`
}

// IssueSetupLink voids earlier setup links and returns a new absolute one,
// or "" when an administrator exists.
func (a *App) IssueSetupLink() (string, error) {
	if ok, err := a.db.HasAdmin(); err != nil || ok {
		return "", err
	}
	token, err := a.db.IssueSetupToken()
	if err != nil {
		return "", err
	}
	return a.cfg.BaseURL + "/setup?token=" + token, nil
}

// setupStatus is how /setup answers a token: nil to show the form, 410 for
// a used, void, expired or unknown token, 404 once an administrator exists.
func (a *App) setupStatus(token string) error {
	err := a.db.CheckSetupToken(token)
	if errors.Is(err, store.ErrTokenGone) {
		return fiber.ErrGone
	}
	if ok, herr := a.db.HasAdmin(); herr != nil {
		return herr
	} else if ok {
		return fiber.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		return fiber.ErrGone
	}
	return err
}

// getSetup shows the first-administrator form for a valid link.
func (a *App) getSetup(c *fiber.Ctx) error {
	token := c.Query("token")
	if err := a.setupStatus(token); err != nil {
		return err
	}
	return a.showSetup(c, &Form{Values: map[string][]string{"token": {token}}})
}

func (a *App) showSetup(c *fiber.Ctx, f *Form) error {
	p := a.page(c, "auth.setup.title")
	p.Form = f
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "auth/setup", "", p)
}

// postSetup creates the first administrator and signs them in.
func (a *App) postSetup(c *fiber.Ctx) error {
	var in setupForm
	f := a.bind(c, &in)
	if err := a.setupStatus(in.Token); err != nil {
		return err
	}
	tr := a.translator(c)
	checkPassword(tr, f, in.Password, in.Email)
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showSetup(c, f)
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return err
	}
	u := &store.User{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Lang: tr.Lang, PasswordHash: hash}
	switch err := a.db.CreateFirstAdmin(in.Token, u); {
	case errors.Is(err, store.ErrEmailTaken):
		f.fail("email", tr.T("validation.email_taken"))
		f.Status = fiber.StatusUnprocessableEntity
		return a.showSetup(c, f)
	case err != nil:
		return err
	}
	if err := a.signIn(c, u); err != nil {
		return err
	}
	// A DPO contact is always published (GDPR art. 37(7), issue 12.2): until
	// an administrator names the officer in the settings, the first
	// administrator is the contact, as with `accord user add --role admin`.
	// Publishing the address no longer lets anyone lock the account: sign-in
	// failures are counted per account and address (issue 10.1).
	if named, err := a.db.NameDPOIfUnset(u.Name(), u.Email, u.Lang, u.ID); err != nil {
		return err
	} else if named {
		if err := a.reloadSettings(); err != nil {
			return err
		}
	}
	a.flash(c, "ok", "auth.setup.done")
	return a.redirect(c, "/admin")
}

// noStore keeps a page out of every cache (CONTRACT.md: pages holding a
// token in their URL): the browser's, a shared proxy's, the back button's.
func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}
