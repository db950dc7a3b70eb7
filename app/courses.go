package app

import (
	"errors"
	"strconv"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// coursesCards are the staff tiles: accounts flagged by the retention
// review, the audit log, and (administrators) courses.
func (a *App) coursesCards(c *fiber.Ctx) ([]dashCard, error) {
	tr := a.translator(c)
	n, err := a.db.CountRetentionFlags()
	if err != nil {
		return nil, err
	}
	cards := []dashCard{
		{Title: tr.T("retention.title"), Text: tr.N("retention.count", n), Href: "/admin/courses/retention", Alert: n > 0},
		{Title: tr.T("audit.title"), Text: tr.T("audit.help"), Href: "/admin/audit"},
	}
	if currentUser(c).Role == store.RoleAdmin {
		cards = append(cards, dashCard{Title: tr.T("courses.title"), Text: tr.T("courses.help"), Href: "/admin/courses"})
	}
	return cards, nil
}

type courseForm struct {
	Code    string `form:"code" validate:"required,max=32"`
	TitleEN string `form:"title_en" validate:"required,max=200"`
	TitleFR string `form:"title_fr" validate:"required,max=200"`
}

// getCourses lists the courses with their enrolments, and the create form.
func (a *App) getCourses(c *fiber.Ctx) error { return a.showCourses(c, &Form{}) }

func (a *App) showCourses(c *fiber.Ctx, f *Form) error {
	list, err := a.db.ListCourses()
	if err != nil {
		return err
	}
	p := a.page(c, "courses.title")
	p.Form = f
	p.Data = map[string]any{"Courses": list}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "courses/index", "", p)
}

// postCourse creates a course.
func (a *App) postCourse(c *fiber.Ctx) error {
	var in courseForm
	f := a.bind(c, &in)
	tr := a.translator(c)
	for name, v := range map[string]string{"code": in.Code, "title_en": in.TitleEN, "title_fr": in.TitleFR} {
		if !clean(v) {
			f.fail(name, tr.T("validation.control"))
		}
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showCourses(c, f)
	}
	co := &store.Course{Code: in.Code, TitleEN: in.TitleEN, TitleFR: in.TitleFR}
	if err := a.db.CreateCourse(co, currentUser(c).ID); errors.Is(err, store.ErrCodeTaken) {
		f.fail("code", tr.T("courses.code_taken"))
		f.Status = fiber.StatusUnprocessableEntity
		return a.showCourses(c, f)
	} else if err != nil {
		return err
	}
	a.flash(c, "ok", "courses.created", "Code", co.Code)
	return a.redirect(c, "/admin/courses/"+strconv.FormatUint(co.ID, 10))
}

// targetCourse is the course named by the :id parameter.
func (a *App) targetCourse(c *fiber.Ctx) (*store.Course, error) {
	id, err := strconv.ParseUint(c.Params("id"), 10, 64)
	if err != nil {
		return nil, fiber.ErrNotFound
	}
	return a.db.Course(id)
}

// getCourse shows a course: its enrolments, the enrol form, deletion.
func (a *App) getCourse(c *fiber.Ctx) error {
	co, err := a.targetCourse(c)
	if err != nil {
		return err
	}
	return a.showCourse(c, co, &Form{})
}

func (a *App) showCourse(c *fiber.Ctx, co *store.Course, f *Form) error {
	list, err := a.db.CourseEnrolments(co.ID)
	if err != nil {
		return err
	}
	p := a.page(c, "courses.course_title")
	p.Form = f
	p.Data = map[string]any{"Course": co, "Enrolments": list}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "courses/course", "", p)
}

// postEnrol enrols a user, named by email, in the course.
func (a *App) postEnrol(c *fiber.Ctx) error {
	var in struct {
		Email string `form:"email" validate:"required,email,max=254"`
	}
	f := a.bind(c, &in)
	co, err := a.targetCourse(c)
	if err != nil {
		return err
	}
	tr := a.translator(c)
	var u *store.User
	if !f.Invalid() {
		if u, err = a.db.UserByEmail(in.Email); err != nil {
			f.fail("email", tr.T("courses.unknown_email"))
		} else if err = a.db.Enrol(u.ID, co.ID, currentUser(c).ID); errors.Is(err, store.ErrAlreadyEnrolled) {
			f.fail("email", tr.T("courses.already_enrolled"))
		} else if err != nil {
			return err
		}
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showCourse(c, co, f)
	}
	a.flash(c, "ok", "courses.enrolled", "Email", u.Email)
	return a.redirect(c, "/admin/courses/"+strconv.FormatUint(co.ID, 10))
}

// postUnenrol ends a user's enrolment (field user = the user's email).
func (a *App) postUnenrol(c *fiber.Ctx) error {
	co, err := a.targetCourse(c)
	if err != nil {
		return err
	}
	u, err := a.db.UserByEmail(c.FormValue("user"))
	if err != nil {
		return err
	}
	if err := a.db.Unenrol(u.ID, co.ID, currentUser(c).ID); err != nil {
		return err
	}
	a.flash(c, "ok", "courses.unenrolled")
	return a.redirect(c, "/admin/courses/"+strconv.FormatUint(co.ID, 10))
}

// postCourseDelete destroys the course with its enrolments and progress,
// once the administrator ticked confirm.
func (a *App) postCourseDelete(c *fiber.Ctx) error {
	co, err := a.targetCourse(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "on" {
		f := &Form{Status: fiber.StatusUnprocessableEntity}
		f.fail("confirm", a.translator(c).T("courses.confirm_required"))
		return a.showCourse(c, co, f)
	}
	en, pr, err := a.db.DeleteCourse(co.ID, currentUser(c).ID)
	if err != nil {
		return err
	}
	a.flash(c, "ok", "courses.deleted", "Code", co.Code, "Enrolments", en, "Progress", pr)
	return a.redirect(c, "/admin/courses")
}

// getMyCourses shows a learner their courses and progress.
func (a *App) getMyCourses(c *fiber.Ctx) error {
	mine, err := a.db.UserCourses(currentUser(c).ID)
	if err != nil {
		return err
	}
	p := a.page(c, "courses.mine.title")
	p.Data = map[string]any{"Courses": mine}
	return a.render(c, fiber.StatusOK, "courses/mine", "", p)
}
