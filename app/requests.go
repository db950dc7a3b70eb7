package app

import (
	"errors"
	"strconv"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// requestForm is a data request filed by a person, or by their guardian
// (User = the minor's email).
type requestForm struct {
	Type     string   `form:"type" validate:"required,oneof=export delete other"`
	Comments string   `form:"comments" validate:"max=2000"`
	User     string   `form:"user" validate:"omitempty,email,max=254"`
	Course   []uint64 `form:"course" validate:"max=100"` // an export limited to these courses
}

// reqRow is one request as a template shows it; the status fragment
// (requests/_status) receives one.
type reqRow struct {
	*Page
	R       store.DataRequest
	Person  string // whom it is about (a minor's name for a guardian, a user for staff)
	Base    string // /profile/requests or /admin/requests
	Overdue bool
	CanGet  bool     // the viewer may download the export
	Courses []string // the courses a limited export holds (request pages only)
}

// Live reports whether the status is about to change by itself, so the
// fragment polls (every 2 s) only then.
func (r reqRow) Live() bool {
	return r.R.Status == store.StatusApproved || r.R.Status == store.StatusProcessing
}

// Badge is the badge class of the status.
func (r reqRow) Badge() string {
	switch r.R.Status {
	case store.StatusDownloadReady, store.StatusComplete:
		return "ok"
	case store.StatusAwaitingApproval, store.StatusApproved, store.StatusProcessing:
		return "warn"
	case store.StatusRejected:
		return "danger"
	}
	return "muted"
}

func (a *App) row(p *Page, r store.DataRequest, base, person string) reqRow {
	now := a.db.Now()
	me := p.User
	door := personDoor
	if base == "/admin/requests" {
		door = staffDoor
	}
	return reqRow{Page: p, R: r, Base: base, Person: person, Overdue: r.Overdue(now),
		CanGet: me != nil && mayDownload(me, &r, a.guarding(me, &r), door, now) == fiber.StatusOK}
}

// exportDoor is the route through which someone asks for an export's ZIP.
type exportDoor int

const (
	personDoor exportDoor = iota // /profile/requests/{id}/download
	staffDoor                    // /admin/requests/{id}/download (staff only)
)

// mayDownload is the rule "who may download what": the ZIP of an export
// request that is ready and not yet expired at now, by its person or the
// guardian who filed it while still guarding them (requestParty) through
// the profile, or by staff through the admin route. It answers the status
// a download gets: 200, 410 once the export expired, 404 otherwise (not
// theirs, not an export, not ready yet).
func mayDownload(me *store.User, r *store.DataRequest, guarding bool, door exportDoor, now time.Time) int {
	allowed := requestParty(me, r, guarding)
	if door == staffDoor {
		allowed = me.Role.Staff()
	}
	switch {
	case !allowed || r.Type != store.RequestExport:
		return fiber.StatusNotFound
	case r.Expired(now):
		return fiber.StatusGone
	case r.Status != store.StatusDownloadReady:
		return fiber.StatusNotFound
	}
	return fiber.StatusOK
}

// requestParty reports whether me may see, cancel and download r as a
// person: it is about them, or they filed it as guardian and still guard
// its person (guarding, from App.guarding). Staff reach every request
// through /admin instead.
func requestParty(me *store.User, r *store.DataRequest, guarding bool) bool {
	return r.UserID == me.ID || (r.FiledBy == store.FiledByGuardian && r.FiledByID == me.ID && guarding)
}

// guarding reports whether me filed r as guardian and still guards its
// person (guards: the link stands and the person is still a minor).
func (a *App) guarding(me *store.User, r *store.DataRequest) bool {
	if r.FiledBy != store.FiledByGuardian || r.FiledByID != me.ID || r.UserID == me.ID {
		return false
	}
	m, err := a.db.User(r.UserID)
	return err == nil && a.guards(me, m)
}

// ownRequest is the :id request if the signed-in user may see it as a
// person (requestParty); 404 otherwise.
func (a *App) ownRequest(c *fiber.Ctx) (*store.DataRequest, error) {
	id, err := strconv.ParseUint(c.Params("id"), 10, 64)
	if err != nil {
		return nil, fiber.ErrNotFound
	}
	r, err := a.db.Request(id)
	if err != nil {
		return nil, err
	}
	me := currentUser(c)
	if !requestParty(me, r, a.guarding(me, r)) {
		return nil, fiber.ErrNotFound
	}
	return r, nil
}

// getRequests lists the person's requests (and those they filed for a minor)
// with the form to file one.
func (a *App) getRequests(c *fiber.Ctx) error {
	return a.showRequests(c, &Form{Values: map[string][]string{"type": {"export"}}})
}

func (a *App) showRequests(c *fiber.Ctx, f *Form) error {
	me := currentUser(c)
	minors, err := a.minorsOf(me)
	if err != nil {
		return err
	}
	ids := []uint64{me.ID}
	names := map[uint64]string{me.ID: me.Name()}
	for _, m := range minors {
		ids = append(ids, m.ID)
		names[m.ID] = m.Name()
	}
	reqs, err := a.db.UserRequests(ids...)
	if err != nil {
		return err
	}
	p := a.page(c, "requests.title")
	p.Form = f
	var rows []reqRow
	for _, r := range reqs {
		if r.UserID == me.ID || r.FiledByID == me.ID {
			rows = append(rows, a.row(p, r, "/profile/requests", names[r.UserID]))
		}
	}
	courses, err := a.db.UserCourses(me.ID)
	if err != nil {
		return err
	}
	p.Data = map[string]any{"Rows": rows, "Minors": minors, "Types": store.RequestTypes, "Courses": courses}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "requests/index", "requests/_form", p)
}

// postRequest files a request for oneself, or as guardian for a minor.
func (a *App) postRequest(c *fiber.Ctx) error {
	var in requestForm
	f := a.bind(c, &in)
	tr := a.translator(c)
	me := currentUser(c)
	subject, filer := me, store.FiledBySelf
	if in.User != "" && store.NormEmail(in.User) != store.NormEmail(me.Email) && f.Err("user") == "" {
		m, err := a.db.UserByEmail(in.User)
		if err != nil || !a.guards(me, m) {
			f.fail("user", tr.T("requests.not_your_minor"))
		} else {
			subject, filer = m, store.FiledByGuardian
		}
	}
	t := store.RequestType(in.Type)
	a.checkCourses(c, f, t, in.Course, subject)
	if !f.Invalid() {
		a.fileRequest(c, f, subject, store.NewRequest{Type: t, Comments: in.Comments, FiledBy: filer, FiledByID: me.ID, Courses: in.Course})
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showRequests(c, f)
	}
	a.flash(c, "ok", "requests.filed")
	return a.redirect(c, "/profile/requests")
}

// fileRequest files in about subject (auto-approved when the settings say
// so; in's user, due days and approval are set here); refusals go in f.
func (a *App) fileRequest(c *fiber.Ctx, f *Form, subject *store.User, in store.NewRequest) *store.DataRequest {
	set := a.Settings()
	t := in.Type
	auto := map[store.RequestType]bool{store.RequestExport: set.AutoApproveExport,
		store.RequestDelete: set.AutoApproveDelete, store.RequestOther: set.AutoApproveOther}[t]
	if t == store.RequestDelete && !store.MayApproveErasure("", subject.Role) {
		auto = false // a staff account's erasure waits for an administrator
	}
	in.UserID, in.DueDays, in.AutoApprove = subject.ID, set.RequestDueDays, auto
	r, err := a.createRequest(in)
	tr := a.translator(c)
	switch {
	case errors.Is(err, store.ErrOngoingRequest):
		f.fail("type", tr.T("requests.ongoing_exists"))
	case errors.Is(err, store.ErrLastAdmin):
		f.fail("type", tr.T("requests.last_admin"))
	case errors.Is(err, store.ErrNotResubmittable):
		f.fail("", tr.T("requests.resubmit.refused"))
	case err != nil:
		a.log.Error("file request", "rid", requestID(c), "err", err)
		f.fail("", tr.T("errors.500.text"))
	}
	if err != nil {
		return nil
	}
	return r
}

// getRequest shows one of the person's requests; for htmx, only its live
// status fragment.
func (a *App) getRequest(c *fiber.Ctx) error {
	r, err := a.ownRequest(c)
	if err != nil {
		return err
	}
	return a.showRequest(c, r, &Form{})
}

func (a *App) showRequest(c *fiber.Ctx, r *store.DataRequest, f *Form) error {
	p := a.page(c, "requests.one.title")
	p.Form = f
	row := a.row(p, *r, "/profile/requests", a.personName(r.UserID))
	if isHTMX(c) && f.Status == 0 {
		c.Vary("HX-Request")
		return c.Render("requests/_status", row)
	}
	row.Courses = a.courseTitles(r.Courses, p.Lang)
	p.Data = row
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "requests/show", "", p)
}

// personName is the user's name, or "" when the account is gone.
func (a *App) personName(id uint64) string {
	if u, err := a.db.User(id); err == nil {
		return u.Name()
	}
	return ""
}

// postRequestCancel cancels one of the person's requests while no work has
// started on it; later → 409.
func (a *App) postRequestCancel(c *fiber.Ctx) error {
	r, err := a.ownRequest(c)
	if err != nil {
		return err
	}
	_, err = a.moveRequest(r.ID, store.StatusCancelled, currentUser(c).ID, "")
	if errors.Is(err, store.ErrBadTransition) {
		return fiber.NewError(fiber.StatusConflict)
	} else if err != nil {
		return err
	}
	a.flash(c, "ok", "requests.cancelled."+string(r.Type), "ID", r.ID)
	return a.redirect(c, "/profile/requests#request-"+strconv.FormatUint(r.ID, 10))
}

// getRequestDownload sends the export ZIP to the person (or the guardian who
// filed it) until it expires (410).
func (a *App) getRequestDownload(c *fiber.Ctx) error {
	r, err := a.ownRequest(c)
	if err != nil {
		return err
	}
	me := currentUser(c)
	return a.sendExport(c, r, mayDownload(me, r, a.guarding(me, r), personDoor, a.db.Now()))
}

// getAdminRequestDownload sends a person's export ZIP to staff.
func (a *App) getAdminRequestDownload(c *fiber.Ctx) error {
	r, err := a.staffRequest(c)
	if err != nil {
		return err
	}
	return a.sendExport(c, r, mayDownload(currentUser(c), r, false, staffDoor, a.db.Now()))
}

// sendExport answers a download of r with the status mayDownload gave:
// the ZIP, the expired page (410) or 404. Every download is audited: one
// of the few GETs that write.
func (a *App) sendExport(c *fiber.Ctx, r *store.DataRequest, status int) error {
	switch status {
	case fiber.StatusOK:
	case fiber.StatusGone:
		p := a.page(c, "requests.expired.title")
		p.Data = map[string]any{"Request": r}
		return a.render(c, fiber.StatusGone, "requests/expired", "", p)
	default:
		return fiber.ErrNotFound
	}
	return a.sendExportZIP(c, r)
}
