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
	User     string   `form:"user" validate:"required,email,max=254"`
	Type     string   `form:"type" validate:"required,oneof=export delete other"`
	Comments string   `form:"comments" validate:"max=2000"`
	Course   []uint64 `form:"course" validate:"max=100"` // an export limited to these courses
	Q        string   `form:"q" validate:"max=200"`      // the people search that found User
}

// decisionForm approves or rejects one request. Approving a deletion
// takes two steps: the confirmation page naming the account, then the
// same form again with confirm=on (step=confirm says it came from that
// page).
type decisionForm struct {
	Note    string `form:"note" validate:"max=2000"`
	Confirm string `form:"confirm"`
	Step    string `form:"step"`
}

// bulkForm approves or rejects many requests (with the same two steps
// when deletions are among them).
type bulkForm struct {
	ID      []uint64 `form:"id" validate:"required,min=1,max=500"`
	Action  string   `form:"action" validate:"required,oneof=approve reject"`
	Note    string   `form:"note" validate:"max=2000"`
	Confirm string   `form:"confirm"`
	Step    string   `form:"step"`
}

// getAdminRequests is the officer's queue: filters by status, type and
// overdue, pages of 50, newest first; overdue ones stand out.
func (a *App) getAdminRequests(c *fiber.Ctx) error {
	return a.showAdminRequests(c, &Form{Values: map[string][]string{"type": {"export"}}})
}

func (a *App) showAdminRequests(c *fiber.Ctx, f *Form) error {
	return a.showAdminRequestsWith(c, f, "")
}

// showAdminRequestsWith renders the queue, or only fragment for htmx.
func (a *App) showAdminRequestsWith(c *fiber.Ctx, f *Form, fragment string) error {
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
	search := peopleSearch(c)
	found, err := a.people(search, f.Get("user"))
	if err != nil {
		return err
	}
	courses, err := a.db.ListCourses()
	if err != nil {
		return err
	}
	p.Data = map[string]any{"Rows": rows, "Total": total, "Pages": pagination(c, page, total, requestsPerPage),
		"Status": string(q.Status), "Type": string(q.Type), "Overdue": q.Overdue,
		"Statuses": store.RequestStatuses, "Types": store.RequestTypes,
		"Search": search, "People": found, "Courses": courses}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "requests/admin_list", fragment, p)
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
	// A deletion this officer may not approve says so beside the buttons.
	refusal := ""
	if needsConfirmation(r.Type, store.StatusApproved) && r.Status == store.StatusAwaitingApproval {
		err := a.db.CheckErasureApproval(r.ID, currentUser(c).ID)
		if _, refusal = approvalRefusal(err); refusal == "" && err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	row.Courses = a.courseTitles(r.Courses, p.Lang)
	p.Data = map[string]any{"Row": row, "Filer": filer, "Decider": a.personName(r.DecidedByID), "Refusal": refusal,
		"Kept": keptRows(p.Translator, r.Kept)}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "requests/admin_show", "", p)
}

func (a *App) postRequestApprove(c *fiber.Ctx) error { return a.decide(c, store.StatusApproved) }
func (a *App) postRequestReject(c *fiber.Ctx) error  { return a.decide(c, store.StatusRejected) }

// decide approves or rejects one request with the officer's note. The
// approval of a deletion is refused at once when the rules say no (403: a
// staff account and the officer is no administrator; 422: the last active
// administrator), and otherwise shows the confirmation page until confirm
// is ticked.
func (a *App) decide(c *fiber.Ctx, to store.RequestStatus) error {
	r, err := a.staffRequest(c)
	if err != nil {
		return err
	}
	var in decisionForm
	f := a.bind(c, &in)
	me := currentUser(c)
	if !f.Invalid() && needsConfirmation(r.Type, to) {
		err = a.db.CheckErasureApproval(r.ID, me.ID)
		if err == nil && r.Status == store.StatusAwaitingApproval && !confirmed(in.Confirm) {
			conf, err := a.erasureConfirmation(me.ID, []uint64{r.ID})
			if err != nil {
				return err
			}
			conf.Action, conf.Back, conf.Note = "/admin/requests/"+strconv.FormatUint(r.ID, 10)+"/approve", "/admin/requests/"+strconv.FormatUint(r.ID, 10), in.Note
			return a.showErasureConfirm(c, f, in.Step == "confirm", conf)
		}
	}
	if !f.Invalid() && err == nil {
		var nr *store.DataRequest
		if nr, err = a.moveRequest(r.ID, to, me.ID, in.Note); err == nil {
			r = nr
		}
	}
	if status, key := approvalRefusal(err); status != 0 {
		f.fail("", a.translator(c).T(key))
		f.Status = status
	} else if err != nil {
		return err
	}
	if f.Invalid() {
		if f.Status == 0 {
			f.Status = fiber.StatusUnprocessableEntity
		}
		return a.showAdminRequest(c, r, f)
	}
	a.flash(c, "ok", "requests.decided."+string(to))
	return a.redirect(c, "/admin/requests/"+strconv.FormatUint(r.ID, 10))
}

// approvalRefusal is the status and message of a change the rules refused
// (nothing was written), or 0.
func approvalRefusal(err error) (int, string) {
	switch {
	case errors.Is(err, store.ErrStaffErasure):
		return fiber.StatusForbidden, "requests.staff_erasure"
	case errors.Is(err, store.ErrLastAdmin):
		return fiber.StatusUnprocessableEntity, "requests.last_admin"
	case errors.Is(err, store.ErrBadTransition):
		return fiber.StatusUnprocessableEntity, "requests.cannot_change"
	}
	return 0, ""
}

// postRequestsBulk approves or rejects the checked requests; those that
// cannot change (already decided, a staff account's erasure for a privacy
// officer, the last administrator) are skipped and counted. Approving
// deletions first shows the confirmation page naming their accounts.
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
	me := currentUser(c)
	if to == store.StatusApproved && !confirmed(in.Confirm) {
		conf, err := a.erasureConfirmation(me.ID, in.ID)
		if err != nil {
			return err
		}
		if len(conf.Erase) > 0 {
			conf.Action, conf.Back, conf.Note, conf.IDs, conf.Bulk = "/admin/requests/bulk", "/admin/requests", in.Note, in.ID, true
			return a.showErasureConfirm(c, f, in.Step == "confirm", conf)
		}
	}
	done, skipped := 0, 0
	for _, id := range in.ID {
		_, err := a.moveRequest(id, to, me.ID, in.Note)
		switch {
		case errors.Is(err, store.ErrBadTransition), errors.Is(err, store.ErrLastAdmin), errors.Is(err, store.ErrStaffErasure), errors.Is(err, store.ErrNotFound):
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
	t := store.RequestType(in.Type)
	if subject != nil {
		a.checkCourses(c, f, t, in.Course, nil)
	}
	var r *store.DataRequest
	if !f.Invalid() {
		r = a.fileRequest(c, f, subject, store.NewRequest{Type: t, Comments: in.Comments,
			FiledBy: store.FiledByStaff, FiledByID: currentUser(c).ID, Courses: in.Course})
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showAdminRequests(c, f)
	}
	a.flash(c, "ok", "requests.filed_for", "Email", subject.Email)
	return a.redirect(c, "/admin/requests/"+strconv.FormatUint(r.ID, 10))
}
