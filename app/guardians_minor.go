package app

import (
	"errors"
	"strconv"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// The minor's side of an invitation, on the waiting page (/consent): send
// it again, or to a corrected address; and staff correcting it from the
// user's page. Each sends a new link and voids the earlier one.

// signupMinor creates the account of a minor who signed up, waiting for the
// guardian they named, with the invitation and its mail in one transaction,
// then signs them in to the waiting page. A taken address is answered as
// every sign-up is (signupTaken); the guardian's address is answered the
// same whether it has an account or not.
func (a *App) signupMinor(c *fiber.Ctx, u *store.User, in guardianForm) error {
	token, hash := store.NewToken()
	notices, err := a.inviteNotices(u, in.GuardianEmail, token)
	if err != nil {
		return err
	}
	err = a.db.CreateMinor(u, store.GuardianInvite{Email: in.GuardianEmail, Name: in.GuardianName}, hash, notices)
	if errors.Is(err, store.ErrEmailTaken) {
		return a.signupTaken(c, u.Email)
	} else if err != nil {
		return err
	}
	a.told(notices...)
	if err := a.signIn(c, u); err != nil {
		return err
	}
	if err := a.afterSignIn(c, u); err != nil {
		return err
	}
	a.flash(c, "ok", "guardians.signup.done", "Name", u.FirstName)
	return a.redirect(c, "/consent")
}

// postGuardianResend sends the waiting minor's invitation again, to the
// same address.
func (a *App) postGuardianResend(c *fiber.Ctx) error {
	u := currentUser(c)
	if !a.waitsForGuardian(u) {
		return fiber.ErrNotFound
	}
	inv, err := a.db.GuardianInviteOf(u.ID)
	if err != nil {
		return inviteErr(err)
	}
	return a.sendInvite(c, u, guardianForm{GuardianEmail: inv.Email, GuardianName: inv.Name}, &Form{}, "guardians.resent")
}

// postGuardianChange sends the waiting minor's invitation to a corrected
// address.
func (a *App) postGuardianChange(c *fiber.Ctx) error {
	u := currentUser(c)
	if !a.waitsForGuardian(u) {
		return fiber.ErrNotFound
	}
	var in guardianForm
	f := a.bind(c, &in)
	checkGuardian(a.translator(c), f, u.Email, in.GuardianEmail)
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showConsent(c, f)
	}
	return a.sendInvite(c, u, in, f, "guardians.changed")
}

// sendInvite is the minor's re-invitation, bounded per hour.
func (a *App) sendInvite(c *fiber.Ctx, u *store.User, in guardianForm, f *Form, done string) error {
	if ok, wait := a.limits.take(time.Hour, limit{"guardian-invite:" + strconv.FormatUint(u.ID, 10), invitesPerHour}); !ok {
		return a.tooMany(c, f, wait, a.showConsent)
	}
	if err := a.reinvite(u, in, u.ID); err != nil {
		return inviteErr(err)
	}
	a.flash(c, "ok", done, "Email", in.GuardianEmail)
	return a.redirect(c, "/consent")
}

// postUserInvitation (administrators) sends a waiting minor's invitation
// to a corrected address.
func (a *App) postUserInvitation(c *fiber.Ctx) error {
	t, err := a.targetUser(c)
	if err != nil {
		return err
	}
	var in guardianForm
	f := a.bind(c, &in)
	checkGuardian(a.translator(c), f, t.Email, in.GuardianEmail)
	if !t.AwaitsGuardian {
		f.fail("guardian_email", a.translator(c).T("guardians.not_waiting"))
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showUser(c, t, f)
	}
	if err := a.reinvite(t, in, currentUser(c).ID); err != nil {
		return inviteErr(err)
	}
	a.flash(c, "ok", "guardians.changed", "Email", in.GuardianEmail)
	return a.redirect(c, "/admin/users/"+strconv.FormatUint(t.ID, 10))
}
