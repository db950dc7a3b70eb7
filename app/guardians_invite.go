package app

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// The guardian's side of an invitation: the link's page, linking a signed-in
// account with the invited address, or creating the account from the link.

// invitationRow is one invitation on the page: the minor and the address.
type invitationRow struct {
	Invite *store.GuardianInvite
	Minor  *store.User
}

type guardianAccountForm struct {
	Token     string `form:"token" validate:"required,max=100"`
	FirstName string `form:"first_name" validate:"required,max=100"`
	LastName  string `form:"last_name" validate:"required,max=100"`
	Password  string `form:"password" validate:"required,min=10,max=1024"`
}

// getInvitation shows the invitation of ?token= (410 when unknown, spent
// or expired), or without a token the live invitations sent to the signed-in
// account's address (the in-app notice leads here).
func (a *App) getInvitation(c *fiber.Ctx) error {
	token := strings.Clone(c.Query("token"))
	return a.showInvitation(c, token, &Form{Values: map[string][]string{"token": {token}}})
}

func (a *App) showInvitation(c *fiber.Ctx, token string, f *Form) error {
	rows, err := a.invitationRows(c, token)
	if err != nil {
		return err
	}
	p := a.page(c, "guardians.invitation.title")
	p.Form = f
	cur := currentUser(c)
	data := map[string]any{"Rows": rows, "Token": token, "Next": url.QueryEscape(guardianInvitePath + "?token=" + url.QueryEscape(token))}
	if cur != nil && len(rows) > 0 {
		data["Mine"] = store.NormEmail(cur.Email) == store.NormEmail(rows[0].Invite.Email)
	}
	if cur == nil && len(rows) > 0 {
		_, err := a.db.UserByEmail(rows[0].Invite.Email)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		data["HasAccount"] = err == nil
	}
	p.Data = data
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "guardians/invitation", "", p)
}

// invitationRows are the invitations the page is about: the token's one,
// or the signed-in account's (none for a visitor without a token: 410).
func (a *App) invitationRows(c *fiber.Ctx, token string) ([]invitationRow, error) {
	var invs []store.GuardianInvite
	switch cur := currentUser(c); {
	case token != "":
		if len(token) > 100 {
			return nil, fiber.ErrGone
		}
		inv, err := a.db.GuardianInviteFor(token)
		if err != nil {
			return nil, inviteErr(err)
		}
		invs = append(invs, *inv)
	case cur != nil:
		var err error
		if invs, err = a.db.GuardianInvitesTo(cur.Email); err != nil {
			return nil, err
		}
	default:
		return nil, fiber.ErrGone
	}
	var rows []invitationRow
	for i := range invs {
		m, err := a.db.User(invs[i].MinorID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		if !m.AwaitsGuardian { // staff linked a guardian meanwhile: the invitation is moot
			continue
		}
		rows = append(rows, invitationRow{Invite: &invs[i], Minor: m})
	}
	if token != "" && len(rows) == 0 {
		return nil, fiber.ErrGone
	}
	return rows, nil
}

// postInvitation links the signed-in account, which must have the invited
// address, as the guardian of the minor of `token` (the mailed link) or of
// `minor` (the in-app notice), then leads to the minor's policies.
func (a *App) postInvitation(c *fiber.Ctx) error {
	var in struct {
		Token string `form:"token" validate:"max=100"`
		Minor string `form:"minor" validate:"max=20"`
	}
	f := a.bind(c, &in)
	cur := currentUser(c)
	if f.Invalid() || cur == nil {
		return fiber.ErrGone // a visitor has no button: the page asks them to sign in
	}
	minorID, _ := strconv.ParseUint(in.Minor, 10, 64)
	if in.Token != "" {
		inv, err := a.db.GuardianInviteFor(in.Token)
		if err != nil {
			return inviteErr(err)
		}
		minorID = inv.MinorID
	}
	notices, err := a.linkedNotice(minorID, cur)
	if err != nil {
		return err
	}
	switch err := a.db.LinkGuardian(minorID, cur.ID, notices); {
	case errors.Is(err, store.ErrNotInvited):
		f.fail("", a.translator(c).T("guardians.invitation.other_address"))
		f.Status = fiber.StatusForbidden
		return a.showInvitation(c, in.Token, f)
	case err != nil:
		return inviteErr(err)
	}
	a.told(notices...)
	a.flash(c, "ok", "guardians.linked")
	return a.redirect(c, minorPoliciesPath(minorID))
}

// postInvitationAccount creates the guardian's account with the invited
// address from the link (a visitor's form), links it, and signs them in.
func (a *App) postInvitationAccount(c *fiber.Ctx) error {
	var in guardianAccountForm
	f := a.bind(c, &in)
	if currentUser(c) != nil {
		return a.redirect(c, guardianInvitePath+"?token="+url.QueryEscape(in.Token))
	}
	inv, err := a.db.GuardianInviteFor(in.Token)
	if err != nil {
		return inviteErr(err)
	}
	set := a.Settings()
	show := func(c *fiber.Ctx, f *Form) error { return a.showInvitation(c, in.Token, f) }
	if ok, wait := a.limits.take(time.Hour, limit{"signup:ip:" + a.clientIP(c), set.SignupsPerIPPerHour}); !ok {
		return a.tooMany(c, f, wait, show)
	}
	tr := a.translator(c)
	checkPassword(tr, f, in.Password, inv.Email)
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return show(c, f)
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return err
	}
	g := &store.User{FirstName: in.FirstName, LastName: in.LastName, Email: inv.Email, Lang: tr.Lang, Role: store.RoleLearner, PasswordHash: hash}
	notices, err := a.linkedNotice(inv.MinorID, g)
	if err != nil {
		return err
	}
	switch err := a.db.CreateGuardian(g, inv.MinorID, notices); {
	case errors.Is(err, store.ErrEmailTaken):
		f.fail("", tr.T("guardians.invitation.has_account"))
		f.Status = fiber.StatusConflict
		return show(c, f)
	case err != nil:
		return inviteErr(err)
	}
	a.told(notices...)
	if err := a.signIn(c, g); err != nil {
		return err
	}
	if err := a.afterSignIn(c, g); err != nil {
		return err
	}
	a.flash(c, "ok", "guardians.linked")
	return a.redirect(c, minorPoliciesPath(inv.MinorID))
}
