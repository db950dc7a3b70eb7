package app

import (
	"errors"
	"fmt"
	"strconv"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// requestForm is a data request filed by a person, or by their guardian
// (User = the minor's email).
type requestForm struct {
	Type     string `form:"type" validate:"required,oneof=export delete other"`
	Comments string `form:"comments" validate:"max=2000"`
	User     string `form:"user" validate:"omitempty,email,max=254"`
}

// reqRow is one request as a template shows it; the status fragment
// (requests/_status) receives one.
type reqRow struct {
	*Page
	R       store.DataRequest
	Person  string // whom it is about (a minor's name for a guardian, a user for staff)
	Base    string // /profile/requests or /admin/requests
	Overdue bool
	CanGet  bool // the viewer may download the export
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
	return reqRow{Page: p, R: r, Base: base, Person: person, Overdue: r.Overdue(now),
		CanGet: me != nil && r.Status == store.StatusDownloadReady && !r.Expired(now) && a.mayDownload(me, &r)}
}

// mayDownload: only the person, or the guardian who filed it while they
// still guard that minor (DESIGN.md).
func (a *App) mayDownload(me *store.User, r *store.DataRequest) bool {
	if r.UserID == me.ID {
		return true
	}
	if r.FiledBy != store.FiledByGuardian || r.FiledByID != me.ID {
		return false
	}
	m, err := a.db.User(r.UserID)
	return err == nil && a.guards(me, m)
}

// ownRequest is the :id request if the signed-in user may see it as a
// person (theirs, or one they filed as guardian); 404 otherwise.
func (a *App) ownRequest(c *fiber.Ctx) (*store.DataRequest, error) {
	id, err := strconv.ParseUint(c.Params("id"), 10, 64)
	if err != nil {
		return nil, fiber.ErrNotFound
	}
	r, err := a.db.Request(id)
	if err != nil {
		return nil, err
	}
	if !a.mayDownload(currentUser(c), r) {
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
	p.Data = map[string]any{"Rows": rows, "Minors": minors, "Types": store.RequestTypes}
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
	if !f.Invalid() {
		a.fileRequest(c, f, subject, store.RequestType(in.Type), in.Comments, filer, me.ID)
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showRequests(c, f)
	}
	a.flash(c, "ok", "requests.filed")
	return a.redirect(c, "/profile/requests")
}

// fileRequest stores a new request (auto-approved when the settings say
// so), tells the people concerned and starts its job; refusals go in f.
func (a *App) fileRequest(c *fiber.Ctx, f *Form, subject *store.User, t store.RequestType, comments string, filer store.Filer, by uint64) *store.DataRequest {
	set := a.Settings()
	auto := map[store.RequestType]bool{store.RequestExport: set.AutoApproveExport,
		store.RequestDelete: set.AutoApproveDelete, store.RequestOther: set.AutoApproveOther}[t]
	r, err := a.db.CreateRequest(store.NewRequest{UserID: subject.ID, Type: t, Comments: comments,
		FiledBy: filer, FiledByID: by, DueDays: set.RequestDueDays, AutoApprove: auto})
	tr := a.translator(c)
	switch {
	case errors.Is(err, store.ErrOngoingRequest):
		f.fail("type", tr.T("requests.ongoing_exists"))
	case errors.Is(err, store.ErrLastAdmin):
		f.fail("type", tr.T("requests.last_admin"))
	case err != nil:
		a.log.Error("file request", "rid", requestID(c), "err", err)
		f.fail("", tr.T("errors.500.text"))
	}
	if err != nil {
		return nil
	}
	a.notifyRequest(r, store.StatusAwaitingApproval)
	if r.Status == store.StatusApproved {
		a.notifyRequest(r, store.StatusApproved)
		a.kickJobs()
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
	p := a.page(c, "requests.one.title")
	row := a.row(p, *r, "/profile/requests", a.personName(r.UserID))
	if isHTMX(c) {
		c.Vary("HX-Request")
		return c.Render("requests/_status", row)
	}
	p.Data = row
	return a.render(c, fiber.StatusOK, "requests/show", "", p)
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
	r, err = a.db.TransitionRequest(r.ID, store.StatusCancelled, currentUser(c).ID, "", nil)
	if errors.Is(err, store.ErrBadTransition) {
		return fiber.NewError(fiber.StatusConflict)
	} else if err != nil {
		return err
	}
	a.notifyRequest(r, store.StatusCancelled)
	a.flash(c, "ok", "requests.cancelled")
	return a.redirect(c, "/profile/requests")
}

// getRequestDownload sends the export ZIP to the person (or the guardian who
// filed it) until it expires (410). Every download is audited: one of the
// few GETs that write.
func (a *App) getRequestDownload(c *fiber.Ctx) error {
	r, err := a.ownRequest(c)
	if err != nil {
		return err
	}
	if r.Type != store.RequestExport {
		return fiber.ErrNotFound
	}
	if r.Expired(a.db.Now()) {
		p := a.page(c, "requests.expired.title")
		p.Data = map[string]any{"Request": r}
		return a.render(c, fiber.StatusGone, "requests/expired", "", p)
	}
	if r.Status != store.StatusDownloadReady {
		return fiber.ErrNotFound
	}
	zip, err := a.buildExport(r.UserID, a.translator(c))
	if err != nil {
		return err
	}
	me := currentUser(c)
	if err := a.db.Audit(store.AuditEvent{Action: store.ActExportDownloaded, ActorID: me.ID, SubjectID: r.UserID,
		Detail: fmt.Sprintf("request %d", r.ID)}); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="accord-export-%d-%s.zip"`, r.ID, a.db.Now().UTC().Format("20060102")))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(zip)
}

// notifyRequest tells the person, and whoever filed for them, that r
// reached status s.
func (a *App) notifyRequest(r *store.DataRequest, s store.RequestStatus) {
	to := []uint64{r.UserID}
	if r.FiledByID != 0 && r.FiledByID != r.UserID && r.FiledBy == store.FiledByGuardian {
		to = append(to, r.FiledByID)
	}
	for _, id := range to {
		if id == 0 {
			continue
		}
		n := Notice{UserID: id, Subject: "notice.request." + string(s) + ".subject", Body: "notice.request." + string(s) + ".body",
			Args: []any{"ID", r.ID, "Note", r.Note}, Link: "/profile/requests/" + strconv.FormatUint(r.ID, 10)}
		if err := a.notify(n); err != nil {
			a.log.Error("notify request", "request", r.ID, "err", err)
		}
	}
}
