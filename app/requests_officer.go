package app

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// The officer's tools on data requests (issue 11.7): finding the person
// to file for by name or email (the in-memory search index of accounts),
// an export limited to some courses, and a rejected request filed again
// as a new one, linked to it.

// peopleShown bounds the accounts a people search lists.
const peopleShown = 10

// getRequestPeople answers the people search of the filing form: for htmx
// only the results (requests/_people), without JavaScript the whole queue
// with them.
func (a *App) getRequestPeople(c *fiber.Ctx) error {
	f := &Form{Values: map[string][]string{"type": {"export"}}}
	if !isHTMX(c) {
		return a.showAdminRequestsWith(c, f, "")
	}
	// Each keystroke asks: look up the people only, not the queue.
	search := peopleSearch(c)
	found, err := a.people(search, "")
	if err != nil {
		return err
	}
	p := a.page(c, "requests.admin.title")
	p.Form = f
	p.Data = map[string]any{"Search": search, "People": found}
	return a.render(c, fiber.StatusOK, "requests/admin_list", "requests/_people", p)
}

// peopleSearch is the people search typed (q), at most 200 bytes.
func peopleSearch(c *fiber.Ctx) string {
	q := strings.Clone(c.Query("q"))
	if len(q) > 200 {
		q = q[:200]
	}
	return q
}

// peopleFound is what the people search shows (requests/_people).
type peopleFound struct {
	List    []store.User
	Matched int    // accounts matching, of which List shows peopleShown at most
	Chosen  uint64 // the account already chosen (its radio checked)
}

// people is the people search of the filing form: the accounts whose name
// or email holds q, with the one already chosen (email) first when the
// search does not list it.
func (a *App) people(q, chosen string) (found peopleFound, err error) {
	if q = strings.TrimSpace(q); q != "" {
		if found.List, found.Matched, err = a.db.ListUsers(store.UserQuery{Search: q, Limit: peopleShown}); err != nil {
			return found, err
		}
	}
	if chosen == "" {
		return found, nil
	}
	if i := slices.IndexFunc(found.List, func(u store.User) bool { return store.NormEmail(u.Email) == store.NormEmail(chosen) }); i >= 0 {
		found.Chosen = found.List[i].ID
	} else if u, err := a.db.UserByEmail(chosen); err == nil {
		found.List, found.Chosen = append([]store.User{*u}, found.List...), u.ID
	} else if !errors.Is(err, store.ErrNotFound) {
		return found, err
	}
	return found, nil
}

// checkCourses refuses a choice of courses on anything but an export, an
// unknown course, and, when person is set (filing for oneself or a
// minor), a course they never followed. Duplicates are harmless.
func (a *App) checkCourses(c *fiber.Ctx, f *Form, t store.RequestType, ids []uint64, person *store.User) {
	if len(ids) == 0 || f.Err("course") != "" {
		return
	}
	tr := a.translator(c)
	if t != store.RequestExport {
		f.fail("course", tr.T("requests.courses.only_export"))
		return
	}
	var theirs map[uint64]bool
	if person != nil {
		mine, err := a.db.UserCourses(person.ID)
		if err != nil {
			f.fail("", tr.T("errors.500.text"))
			return
		}
		theirs = map[uint64]bool{}
		for _, m := range mine {
			theirs[m.Course.ID] = true
		}
	}
	for _, id := range ids {
		if _, err := a.db.Course(id); err != nil || (theirs != nil && !theirs[id]) {
			f.fail("course", tr.T("requests.courses.unknown"))
			return
		}
	}
}

// courseTitles names the courses of a limited export in the reader's
// language (a course deleted since is named by its number).
func (a *App) courseTitles(ids []uint64, lang string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if co, err := a.db.Course(id); err == nil {
			out = append(out, co.Title(lang))
		} else {
			out = append(out, "#"+strconv.FormatUint(id, 10))
		}
	}
	return out
}

// postAdminResubmit files a rejected request again as a new one, by the
// officer, linked to it (same person, type, comments and courses).
func (a *App) postAdminResubmit(c *fiber.Ctx) error {
	r, err := a.staffRequest(c)
	if err != nil {
		return err
	}
	f := a.bind(c, &struct{}{})
	nr := a.resubmit(c, f, r, store.FiledByStaff)
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showAdminRequest(c, r, f)
	}
	a.flash(c, "ok", "requests.resubmit.done", "ID", r.ID)
	return a.redirect(c, "/admin/requests/"+strconv.FormatUint(nr.ID, 10))
}

// postRequestResubmit files one's own rejected request (or one filed as
// guardian) again as a new one; another person's request is 404.
func (a *App) postRequestResubmit(c *fiber.Ctx) error {
	r, err := a.ownRequest(c)
	if err != nil {
		return err
	}
	f := a.bind(c, &struct{}{})
	filer := store.FiledBySelf
	if r.UserID != currentUser(c).ID {
		filer = store.FiledByGuardian
	}
	nr := a.resubmit(c, f, r, filer)
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showRequest(c, r, f)
	}
	a.flash(c, "ok", "requests.resubmit.done", "ID", r.ID)
	return a.redirect(c, "/profile/requests/"+strconv.FormatUint(nr.ID, 10))
}

// resubmit files r again for the signed-in user as filer; refusals go in f.
func (a *App) resubmit(c *fiber.Ctx, f *Form, r *store.DataRequest, filer store.Filer) *store.DataRequest {
	if f.Invalid() {
		return nil
	}
	subject, err := a.db.User(r.UserID)
	if !r.Resubmittable() || err != nil {
		f.fail("", a.translator(c).T("requests.resubmit.refused"))
		return nil
	}
	return a.fileRequest(c, f, subject, store.NewRequest{Type: r.Type, Comments: r.Comments, FiledBy: filer,
		FiledByID: currentUser(c).ID, Courses: r.Courses, ResubmitOf: r.ID})
}
