package app

import (
	"errors"
	"strconv"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

const requestsPerPage = 50

// staffRequestForm files a request on a user's behalf.
type staffRequestForm struct {
	User     string `form:"user" validate:"required,email,max=254"`
	Type     string `form:"type" validate:"required,oneof=export delete other"`
	Comments string `form:"comments" validate:"max=2000"`
}

// decisionForm approves or rejects one request.
type decisionForm struct {
	Note string `form:"note" validate:"max=2000"`
}

// bulkForm approves or rejects many requests.
type bulkForm struct {
	ID     []uint64 `form:"id" validate:"required,min=1,max=500"`
	Action string   `form:"action" validate:"required,oneof=approve reject"`
	Note   string   `form:"note" validate:"max=2000"`
}

// getAdminRequests is the officer's queue: filters by status, type and
// overdue, pages of 50, newest first; overdue ones stand out.
func (a *App) getAdminRequests(c *fiber.Ctx) error {
	return a.showAdminRequests(c, &Form{Values: map[string][]string{"type": {"export"}}})
}

func (a *App) showAdminRequests(c *fiber.Ctx, f *Form) error {
	q := store.RequestQuery{Status: store.RequestStatus(c.Query("status")), Type: store.RequestType(c.Query("type")),
		Overdue: c.Query("overdue") == "1", Limit: requestsPerPage}
	if !q.Status.Valid() {
		q.Status = ""
	}
	if !q.Type.Valid() {
		q.Type = ""
	}
	page := pageParam(c)
	q.Offset = (page - 1) * requestsPerPage
	reqs, total, err := a.db.ListRequests(q)
	if err != nil {
		return err
	}
	people, err := a.db.RequestPeople(reqs)
	if err != nil {
		return err
	}
	p := a.page(c, "requests.admin.title")
	p.Form = f
	rows := make([]reqRow, 0, len(reqs))
	for _, r := range reqs {
		rows = append(rows, a.row(p, r, "/admin/requests", people[r.UserID]))
	}
	p.Data = map[string]any{"Rows": rows, "Total": total, "Pages": pagination(c, page, total, requestsPerPage),
		"Status": string(q.Status), "Type": string(q.Type), "Overdue": q.Overdue,
		"Statuses": store.RequestStatuses, "Types": store.RequestTypes}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "requests/admin_list", "", p)
}

// staffRequest is the :id request (any: staff see every request).
func (a *App) staffRequest(c *fiber.Ctx) (*store.DataRequest, error) {
	id, err := strconv.ParseUint(c.Params("id"), 10, 64)
	if err != nil {
		return nil, fiber.ErrNotFound
	}
	return a.db.Request(id)
}

// getAdminRequest shows one request, its decision forms and, for an
// erasure, the report; for htmx, only the live status fragment.
func (a *App) getAdminRequest(c *fiber.Ctx) error {
	r, err := a.staffRequest(c)
	if err != nil {
		return err
	}
	return a.showAdminRequest(c, r, &Form{})
}

func (a *App) showAdminRequest(c *fiber.Ctx, r *store.DataRequest, f *Form) error {
	p := a.page(c, "requests.one.title")
	p.Form = f
	row := a.row(p, *r, "/admin/requests", "")
	if u, err := a.db.User(r.UserID); err == nil {
		row.Person = u.Name() + " <" + u.Email + ">"
	}
	if isHTMX(c) && f.Status == 0 {
		c.Vary("HX-Request")
		return c.Render("requests/_status", row)
	}
	filer := ""
	if r.FiledByID != 0 && r.FiledByID != r.UserID {
		filer = a.personName(r.FiledByID)
	}
	p.Data = map[string]any{"Row": row, "Filer": filer, "Decider": a.personName(r.DecidedByID)}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "requests/admin_show", "", p)
}

func (a *App) postRequestApprove(c *fiber.Ctx) error { return a.decide(c, store.StatusApproved) }
func (a *App) postRequestReject(c *fiber.Ctx) error  { return a.decide(c, store.StatusRejected) }

// decide approves or rejects one request with the officer's note.
func (a *App) decide(c *fiber.Ctx, to store.RequestStatus) error {
	r, err := a.staffRequest(c)
	if err != nil {
		return err
	}
	var in decisionForm
	f := a.bind(c, &in)
	if !f.Invalid() {
		var nr *store.DataRequest
		nr, err = a.moveRequest(r.ID, to, currentUser(c).ID, in.Note)
		switch {
		case errors.Is(err, store.ErrBadTransition):
			f.fail("", a.translator(c).T("requests.cannot_change"))
		case errors.Is(err, store.ErrLastAdmin):
			f.fail("", a.translator(c).T("requests.last_admin"))
		case err != nil:
			return err
		default:
			r = nr
		}
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showAdminRequest(c, r, f)
	}
	a.flash(c, "ok", "requests.decided."+string(to))
	return a.redirect(c, "/admin/requests/"+strconv.FormatUint(r.ID, 10))
}

// postRequestsBulk approves or rejects the checked requests; those that
// cannot change (already decided, last administrator) are skipped and counted.
func (a *App) postRequestsBulk(c *fiber.Ctx) error {
	var in bulkForm
	f := a.bind(c, &in)
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showAdminRequests(c, f)
	}
	to := store.StatusApproved
	if in.Action == "reject" {
		to = store.StatusRejected
	}
	done, skipped := 0, 0
	for _, id := range in.ID {
		_, err := a.moveRequest(id, to, currentUser(c).ID, in.Note)
		switch {
		case errors.Is(err, store.ErrBadTransition), errors.Is(err, store.ErrLastAdmin), errors.Is(err, store.ErrNotFound):
			skipped++
		case err != nil:
			return err
		default:
			done++
		}
	}
	a.flash(c, "ok", "requests.bulk_done", "Done", done, "Skipped", skipped)
	return a.redirect(c, "/admin/requests")
}

// postAdminRequest files a request on a user's behalf (staff).
func (a *App) postAdminRequest(c *fiber.Ctx) error {
	var in staffRequestForm
	f := a.bind(c, &in)
	var subject *store.User
	if f.Err("user") == "" && in.User != "" {
		u, err := a.db.UserByEmail(in.User)
		if err != nil {
			f.fail("user", a.translator(c).T("requests.unknown_user"))
		}
		subject = u
	}
	var r *store.DataRequest
	if !f.Invalid() {
		r = a.fileRequest(c, f, subject, store.RequestType(in.Type), in.Comments, store.FiledByStaff, currentUser(c).ID)
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showAdminRequests(c, f)
	}
	a.flash(c, "ok", "requests.filed_for", "Email", subject.Email)
	return a.redirect(c, "/admin/requests/"+strconv.FormatUint(r.ID, 10))
}
