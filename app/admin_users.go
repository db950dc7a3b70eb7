package app

import (
	"errors"
	"net/url"
	"strconv"

	"accord/app/consent"
	"accord/store"

	"github.com/gofiber/fiber/v2"
)

const usersPerPage = 50

type newUserForm struct {
	Email     string `form:"email" validate:"required,email,max=254"`
	Password  string `form:"password" validate:"required,min=10,max=1024"`
	Role      string `form:"role" validate:"required,oneof=learner dpo admin"`
	FirstName string `form:"first_name" validate:"max=100"`
	LastName  string `form:"last_name" validate:"max=100"`
	Lang      string `form:"lang" validate:"omitempty,oneof=en fr"`
}

// getUsers lists users: search, role filter, pages of 50, and the create form.
func (a *App) getUsers(c *fiber.Ctx) error {
	return a.showUsers(c, &Form{Values: map[string][]string{"role": {"learner"}}})
}

func (a *App) showUsers(c *fiber.Ctx, f *Form) error {
	q := store.UserQuery{Search: c.Query("q"), Role: store.Role(c.Query("role")), Limit: usersPerPage}
	page := pageParam(c)
	q.Offset = (page - 1) * usersPerPage
	users, total, err := a.db.ListUsers(q)
	if err != nil {
		return err
	}
	p := a.page(c, "admin.users.title")
	p.Form = f
	p.Data = map[string]any{"Users": users, "Total": total, "Pages": pagination(c, page, total, usersPerPage), "Q": q.Search, "Role": string(q.Role)}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "admin/users", "", p)
}

// postUser creates an account for someone.
func (a *App) postUser(c *fiber.Ctx) error {
	var in newUserForm
	f := a.bind(c, &in)
	tr := a.translator(c)
	checkPassword(tr, f, in.Password, in.Email)
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showUsers(c, f)
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return err
	}
	if in.Lang == "" {
		in.Lang = a.Settings().DefaultLang
	}
	u := &store.User{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Lang: in.Lang,
		Role: store.Role(in.Role), PasswordHash: hash}
	if err := a.db.CreateUser(u, currentUser(c).ID); errors.Is(err, store.ErrEmailTaken) {
		f.fail("email", tr.T("validation.email_taken"))
		f.Status = fiber.StatusUnprocessableEntity
		return a.showUsers(c, f)
	} else if err != nil {
		return err
	}
	a.flash(c, "ok", "admin.users.created_flash", "Email", u.Email)
	return a.redirect(c, "/admin/users/"+strconv.FormatUint(u.ID, 10))
}

// targetUser is the user named by the :id parameter.
func (a *App) targetUser(c *fiber.Ctx) (*store.User, error) {
	id, err := strconv.ParseUint(c.Params("id"), 10, 64)
	if err != nil {
		return nil, fiber.ErrNotFound
	}
	return a.db.User(id)
}

// getUser shows one account, their agreements, and what an administrator
// can do with it; a privacy officer reads it without the controls (their
// POSTs are refused by the routes).
func (a *App) getUser(c *fiber.Ctx) error {
	u, err := a.targetUser(c)
	if err != nil {
		return err
	}
	return a.showUser(c, u, &Form{})
}

func (a *App) showUser(c *fiber.Ctx, u *store.User, f *Form) error {
	p := a.page(c, "admin.user.title")
	p.Form = f
	var guardian *store.User
	if u.GuardianID != 0 {
		guardian, _ = a.db.User(u.GuardianID)
	}
	events, _, err := a.db.ListAudit(store.AuditQuery{UserID: u.ID, Limit: 20})
	if err != nil {
		return err
	}
	agreements, err := a.userAgreements(u, p.Lang)
	if err != nil {
		return err
	}
	invite, err := a.guardianOf(u)
	if err != nil {
		return err
	}
	me := currentUser(c)
	p.Data = map[string]any{"Target": u, "Guardian": guardian, "Invite": invite, "Events": events, "Agreements": agreements,
		"CanEdit": me.Role == store.RoleAdmin, "CanAnswer": me.Role == store.RoleAdmin && a.mayAct(store.ActorStaff, me, u),
		"Back": "/admin/users/" + strconv.FormatUint(u.ID, 10)}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "admin/user", "", p)
}

// userAgreement is one version in force on a user's page: where they
// stand, their latest answer and, for staff answers, who gave it.
type userAgreement struct {
	V      versionView
	Row    string // the on-behalf form's row: "userID:versionID"
	Status string // consent.Label
	Last   *store.Acceptance
	Actor  *store.User // the staff member who answered for them, if any
}

// userAgreements lists the versions in force for users and where u stands
// on each (one read of their events, one per staff member named).
func (a *App) userAgreements(u *store.User, lang string) ([]userAgreement, error) {
	events, err := a.db.UserAcceptances(u.ID) // newest first
	if err != nil {
		return nil, err
	}
	staff := map[uint64]*store.User{}
	var out []userAgreement
	for _, v := range a.consent.Snapshot().ForUsers() {
		ua := userAgreement{V: a.viewOf(v, lang), Row: strconv.FormatUint(u.ID, 10) + ":" + strconv.FormatUint(v.ID, 10),
			Status: consent.Label(v, a.consent.Status(u.ID, v.ID))}
		for i := range events {
			if events[i].VersionID == v.ID {
				ua.Last = &events[i]
				break
			}
		}
		if e := ua.Last; e != nil && e.ActorKind == store.ActorStaff && e.ActorID != 0 {
			if _, seen := staff[e.ActorID]; !seen {
				staff[e.ActorID], _ = a.db.User(e.ActorID) // gone: named by number
			}
			ua.Actor = staff[e.ActorID]
		}
		out = append(out, ua)
	}
	return out, nil
}

// changeUser applies an administrator's change to the target user, answers
// the last-administrator rule with 422, and goes back to the user's page.
func (a *App) changeUser(c *fiber.Ctx, act store.Action, detail string, fn func(u *store.User) error) (*store.User, error) {
	u, err := a.targetUser(c)
	if err != nil {
		return nil, err
	}
	me := currentUser(c)
	nu, err := a.db.UpdateUser(u.ID, store.AuditEvent{Action: act, ActorID: me.ID, Detail: detail}, fn)
	if errors.Is(err, store.ErrLastAdmin) {
		f := &Form{Status: fiber.StatusUnprocessableEntity}
		f.fail("", a.translator(c).T("admin.users.last_admin"))
		return nil, a.showUser(c, u, f)
	}
	return nu, err
}

// postUserRole changes a role; the user's sessions end, so the new rights
// apply from a fresh session id.
func (a *App) postUserRole(c *fiber.Ctx) error {
	role := store.Role(c.FormValue("role"))
	if !role.Valid() {
		u, err := a.targetUser(c)
		if err != nil {
			return err
		}
		f := &Form{Status: fiber.StatusUnprocessableEntity}
		f.fail("role", a.translator(c).T("validation.oneof"))
		return a.showUser(c, u, f)
	}
	u, err := a.changeUser(c, store.ActRoleChanged, string(role), func(u *store.User) error {
		u.Role = role
		return nil
	})
	if u == nil {
		return err
	}
	return a.afterAccessChange(c, u, "admin.users.role_changed")
}

func (a *App) postUserSuspend(c *fiber.Ctx) error {
	u, err := a.changeUser(c, store.ActUserSuspended, "", func(u *store.User) error {
		u.Suspended = true
		return nil
	})
	if u == nil {
		return err
	}
	return a.afterAccessChange(c, u, "admin.users.suspended")
}

func (a *App) postUserReactivate(c *fiber.Ctx) error {
	u, err := a.changeUser(c, store.ActUserReactivated, "", func(u *store.User) error {
		u.Suspended = false
		return nil
	})
	if u == nil {
		return err
	}
	a.flash(c, "ok", "admin.users.reactivated")
	return a.redirect(c, "/admin/users/"+strconv.FormatUint(u.ID, 10))
}

// afterAccessChange ends the user's sessions after a role change or a
// suspension; an administrator changing their own role gets a new session.
func (a *App) afterAccessChange(c *fiber.Ctx, u *store.User, msg string) error {
	if err := a.endUserSessions(u.ID, [32]byte{}); err != nil {
		return err
	}
	if me := currentUser(c); me.ID == u.ID {
		c.Locals(ctxSession, nil)
		if !u.Suspended {
			if err := a.signIn(c, u); err != nil {
				return err
			}
		}
	}
	a.flash(c, "ok", msg)
	return a.redirect(c, "/admin/users/"+strconv.FormatUint(u.ID, 10))
}

// postUserPassword sets a new password and ends the user's sessions.
func (a *App) postUserPassword(c *fiber.Ctx) error {
	var in struct {
		Password string `form:"password" validate:"required,min=10,max=1024"`
	}
	f := a.bind(c, &in)
	u, err := a.targetUser(c)
	if err != nil {
		return err
	}
	checkPassword(a.translator(c), f, in.Password, u.Email)
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showUser(c, u, f)
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return err
	}
	if u, err = a.changeUser(c, store.ActPasswordChanged, "by administrator", func(u *store.User) error {
		u.PasswordHash = hash
		return nil
	}); u == nil {
		return err
	}
	return a.afterAccessChange(c, u, "admin.users.password_set")
}

// postUserGuardian links the user (a minor) to a guardian account by email,
// or unlinks them when the field is empty.
func (a *App) postUserGuardian(c *fiber.Ctx) error {
	email := c.FormValue("guardian")
	var gid uint64
	if email != "" {
		g, err := a.db.UserByEmail(email)
		if err != nil || g.ID == mustID(c) {
			t, terr := a.targetUser(c)
			if terr != nil {
				return terr
			}
			f := &Form{Status: fiber.StatusUnprocessableEntity, Values: map[string][]string{"guardian": {email}}}
			f.fail("guardian", a.translator(c).T("admin.users.guardian_unknown"))
			return a.showUser(c, t, f)
		}
		gid = g.ID
	}
	// The audit line names the guardian by account number, not by email:
	// an email would outlive the guardian's erasure in the minor's events.
	detail := ""
	if gid != 0 {
		detail = "guardian #" + strconv.FormatUint(gid, 10)
	}
	u, err := a.changeUser(c, store.ActGuardianChanged, detail, func(u *store.User) error {
		u.GuardianID = gid
		u.AwaitsGuardian = u.AwaitsGuardian && gid == 0 // linked by staff: the invitation is moot
		return nil
	})
	if u == nil {
		return err
	}
	if err := a.tellGuardianWaiting(u); err != nil {
		return err
	}
	a.flash(c, "ok", "admin.users.guardian_saved")
	return a.redirect(c, "/admin/users/"+strconv.FormatUint(u.ID, 10))
}

func mustID(c *fiber.Ctx) uint64 {
	id, _ := strconv.ParseUint(c.Params("id"), 10, 64)
	return id
}

// pageLink is one link of a pagination bar.
type pageLink struct {
	N       int
	Href    string
	Current bool
}

// maxPage bounds every page number read from a URL: past it the offset
// (page-1)×per overflows, and no listing of Accord is that long.
const maxPage = 100_000

// pageParam is the ?page= of a listing, clamped to 1…maxPage: the one way
// every list reads it (a huge number answered 500, issue 10.4).
func pageParam(c *fiber.Ctx) int {
	n, err := strconv.Atoi(c.Query("page"))
	switch {
	case errors.Is(err, strconv.ErrRange) && n > 0, n > maxPage:
		return maxPage
	case err != nil || n < 1:
		return 1
	}
	return n
}

// pagination links every page of a listing, keeping the other query values.
func pagination(c *fiber.Ctx, page, total, per int) []pageLink {
	n := (total + per - 1) / per
	if n <= 1 {
		return nil
	}
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	var out []pageLink
	for i := 1; i <= n; i++ {
		if n > 12 && i > 2 && i < n-1 && (i < page-2 || i > page+2) {
			continue
		}
		q.Set("page", strconv.Itoa(i))
		out = append(out, pageLink{N: i, Href: c.Path() + "?" + q.Encode(), Current: i == page})
	}
	return out
}
