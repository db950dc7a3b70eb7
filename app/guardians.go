package app

import (
	"errors"
	"net/url"
	"strconv"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// Guardians and minors have a path (issue 12.3). A minor who signs up names
// a guardian by address; the account waits for them (the consent gate shows
// the waiting page, /consent). The guardian gets an invitation: a mail with
// a link valid GuardianInviteTTL (queued in the same transaction as the
// invitation) and, when the address has an account, a notice in the app.
// From the link they create an account or sign in, which links them, then
// agree at /profile/minors/{id}/policies; the minor gets in once nothing is
// left to answer. The minor never learns whether the address has an account:
// they are answered the same either way, and their pages name the guardian
// as typed until one is linked.

// guardianInvitePath is the page of an invitation's link.
const guardianInvitePath = "/guardian/invitation"

// guardianForm names the guardian: at sign-up, when the minor or staff
// change a wrong address.
type guardianForm struct {
	GuardianEmail string `form:"guardian_email" validate:"required,email,max=254"`
	GuardianName  string `form:"guardian_name" validate:"max=200"`
}

// invitesPerHour bounds the invitations one minor sends (re-sent or to a
// new address): each one is a mail to someone else's mailbox.
const invitesPerHour = 5

// inviteNotices renders the invitation of email to be minor's guardian,
// before the transaction that stores it (STYLE.md): the mail with the link
// of token (when mail is on), in the language of the address's account, or
// else the minor's; and, when the address has an account, its notice in
// the app, which leads to the same page without the token.
func (a *App) inviteNotices(minor *store.User, email, token string) ([]store.Notice, error) {
	owner, err := a.db.UserByEmail(email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	lang, ownerID := minor.Lang, uint64(0)
	if owner != nil {
		lang, ownerID = owner.Lang, owner.ID
	}
	args := []any{"Minor", minor.Name(), "Site", a.Settings().SiteName, "Days", int(store.GuardianInviteTTL.Hours() / 24)}
	var out []store.Notice
	if a.mailOn() {
		m := a.renderMail(ownerID, email, lang, "guardians.invite.subject", "guardians.invite.body",
			guardianInvitePath+"?token="+url.QueryEscape(token), args)
		out = append(out, store.Notice{Mail: m})
	}
	if owner != nil {
		out = append(out, store.Notice{Notification: &store.Notification{UserID: owner.ID,
			Subject: "guardians.invite.notice.subject", Body: "guardians.invite.notice.body", Args: args, Link: guardianInvitePath}})
	}
	return out, nil
}

// reinvite sends minor's invitation again, to in's address (the same one,
// or a corrected one), as actorID: the earlier link stops working.
func (a *App) reinvite(minor *store.User, in guardianForm, actorID uint64) error {
	token, hash := store.NewToken()
	notices, err := a.inviteNotices(minor, in.GuardianEmail, token)
	if err != nil {
		return err
	}
	if err := a.db.InviteGuardian(minor.ID, store.GuardianInvite{Email: in.GuardianEmail, Name: in.GuardianName}, hash, actorID, notices); err != nil {
		return err
	}
	a.told(notices...)
	return nil
}

// checkGuardian refuses a guardian address that is the minor's own: nobody
// is their own guardian.
func checkGuardian(tr *Translator, f *Form, minorEmail, guardianEmail string) {
	if guardianEmail != "" && store.NormEmail(minorEmail) == store.NormEmail(guardianEmail) {
		f.fail("guardian_email", tr.T("guardians.not_yourself"))
	}
}

// waitsForGuardian reports whether u is a minor whose guardian has not
// accepted the invitation yet: the consent gate holds them at /consent.
func (a *App) waitsForGuardian(u *store.User) bool {
	return u != nil && u.AwaitsGuardian && a.guardianAnswers(u)
}

// guardianView is the guardian a minor's pages name: the linked account,
// or the invitation as the minor typed it.
type guardianView struct {
	Name, Email string
	Linked      bool
	Invite      *store.GuardianInvite
	Expired     bool
}

// guardianOf is who answers for minor u, for their pages (nil: nobody).
func (a *App) guardianOf(u *store.User) (*guardianView, error) {
	if u.GuardianID != 0 {
		g, err := a.db.User(u.GuardianID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		return &guardianView{Name: g.Name(), Email: g.Email, Linked: true}, nil
	}
	if !u.AwaitsGuardian {
		return nil, nil
	}
	inv, err := a.db.GuardianInviteOf(u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return &guardianView{Name: inv.Name, Email: inv.Email, Invite: inv, Expired: inv.Expired(a.db.Now())}, nil
}

// minorPoliciesPath is where a guardian answers for minor id.
func minorPoliciesPath(id uint64) string {
	return "/profile/minors/" + strconv.FormatUint(id, 10) + "/policies"
}

// inviteErr maps the store's invitation errors: a link unknown, spent or
// expired is 410, as is an invitation made moot by staff.
func inviteErr(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrTokenGone), errors.Is(err, store.ErrNotAwaiting):
		return fiber.ErrGone
	}
	return err
}

// linkedNotice tells the minor, in the app, that their guardian accepted.
func (a *App) linkedNotice(minorID uint64, g *store.User) ([]store.Notice, error) {
	nt, ok, err := a.noticeFor(Notice{UserID: minorID, Subject: "guardians.linked.notice.subject", Body: "guardians.linked.notice.body",
		Args: []any{"Name", g.Name(), "Email", g.Email}, Link: "/consent", InAppOnly: true})
	if err != nil || !ok {
		return nil, err
	}
	return []store.Notice{nt}, nil
}

// tellGuardianWaiting tells minor m's guardian, in the app and by mail in
// their language, that m waits for them to answer policies (staff linked
// them; an invitation's guardian lands on the page instead).
func (a *App) tellGuardianWaiting(m *store.User) error {
	if m.GuardianID == 0 || !a.guardianAnswers(m) || !a.consent.Pending(m.ID) {
		return nil
	}
	return a.notify(Notice{UserID: m.GuardianID, Subject: "guardians.waiting_for_you.subject", Body: "guardians.waiting_for_you.body",
		Args: []any{"Minor", m.Name(), "Site", a.Settings().SiteName}, Link: minorPoliciesPath(m.ID), AboutID: m.ID})
}
