package app

import (
	"errors"
	"strings"
	"time"

	"accord/app/consent"
	"accord/store"

	"github.com/gofiber/fiber/v2"
)

type signupForm struct {
	FirstName string `form:"first_name" validate:"required,max=100"`
	LastName  string `form:"last_name" validate:"required,max=100"`
	Email     string `form:"email" validate:"required,email,max=254"`
	Password  string `form:"password" validate:"required,min=10,max=1024"`
	BirthDate string `form:"birth_date" validate:"omitempty,datetime=2006-01-02"`
	// A minor names their guardian (issue 12.3); checked only for minors.
	GuardianEmail string `form:"guardian_email" validate:"omitempty,email,max=254"`
	GuardianName  string `form:"guardian_name" validate:"max=200"`
}

// getSignup shows the sign-up form; closed sign-up is 404.
func (a *App) getSignup(c *fiber.Ctx) error {
	if !a.Settings().SignupOpen {
		return fiber.ErrNotFound
	}
	if currentUser(c) != nil {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return a.showSignup(c, &Form{})
}

func (a *App) showSignup(c *fiber.Ctx, f *Form) error {
	p := a.page(c, "auth.signup.title")
	p.Form = f
	set := a.Settings()
	p.Data = map[string]any{"Policies": a.signupPolicies(c), "ConsentAge": set.DigitalConsentAge,
		"Minor": set.AgeCheck && a.underAge(f.Get("birth_date"), set.DigitalConsentAge)}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "auth/signup", "auth/_signup_form", p)
}

// postSignup creates a learner and signs them in.
func (a *App) postSignup(c *fiber.Ctx) error {
	set := a.Settings()
	if !set.SignupOpen {
		return fiber.ErrNotFound
	}
	var in signupForm
	f := a.bind(c, &in)
	if ok, wait := a.limits.take(time.Hour, limit{"signup:ip:" + a.clientIP(c), set.SignupsPerIPPerHour}); !ok {
		return a.tooMany(c, f, wait, a.showSignup)
	}
	tr := a.translator(c)
	checkPassword(tr, f, in.Password, in.Email)
	minor := false
	if set.AgeCheck {
		minor = a.checkAge(tr, f, in.BirthDate, set.DigitalConsentAge)
	}
	if minor { // the guardian agrees for them: nothing of theirs is recorded
		if in.GuardianEmail == "" {
			f.fail("guardian_email", tr.T("guardians.email_needed", "Age", set.DigitalConsentAge))
		}
		checkGuardian(tr, f, in.Email, in.GuardianEmail)
	} else {
		a.checkSignupPolicies(c, f)
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showSignup(c, f)
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return err
	}
	u := &store.User{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName,
		Lang: tr.Lang, Role: store.RoleLearner, PasswordHash: hash}
	if set.AgeCheck {
		u.BirthDate = in.BirthDate
	}
	if minor {
		return a.signupMinor(c, u, guardianForm{GuardianEmail: in.GuardianEmail, GuardianName: in.GuardianName})
	}
	if err := a.db.CreateUser(u, 0); errors.Is(err, store.ErrEmailTaken) {
		return a.signupTaken(c, in.Email)
	} else if err != nil {
		return err
	}
	if err := a.recordSignupPolicies(c, f, u); err != nil {
		return err
	}
	if err := a.signIn(c, u); err != nil {
		return err
	}
	if err := a.afterSignIn(c, u); err != nil {
		return err
	}
	a.flash(c, "ok", "auth.signup.done", "Name", u.FirstName)
	return a.redirect(c, "/")
}

// signupTaken answers a sign-up with a taken address as a new one is
// answered, 303 to /, and mails the address's owner instead (issue 10.5):
// the form tells nobody that the address has an account.
func (a *App) signupTaken(c *fiber.Ctx, email string) error {
	owner, err := a.db.UserByEmail(email)
	if err != nil {
		return err
	}
	if err := a.mailAbout(owner.ID, owner.Email, owner.Lang, "auth.signup.taken.subject", "auth.signup.taken.body",
		"Name", owner.Name(), "Site", a.Settings().SiteName); err != nil {
		return err
	}
	if a.mailOn() {
		a.flash(c, "ok", "auth.signup.check_mail")
	} else {
		a.flash(c, "info", "auth.signup.sign_in")
	}
	return a.redirect(c, "/")
}

// checkPassword applies the password rules: at least 10 characters (the
// validator), and not the email.
func checkPassword(tr *Translator, f *Form, password, email string) {
	if password != "" && strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(email)) {
		f.fail("password", tr.T("validation.password_is_email"))
	}
}

// checkAge checks the birth date and reports whether it is under the age
// of digital consent: a minor's guardian agrees for them (GDPR art. 8, loi
// 78-17 art. 45), so the minor names one.
func (a *App) checkAge(tr *Translator, f *Form, birth string, minAge int) (minor bool) {
	if birth == "" {
		f.fail("birth_date", tr.T("validation.required"))
		return false
	}
	d, err := time.Parse("2006-01-02", birth)
	if err != nil {
		return false // the validator already said so
	}
	now := a.db.Now()
	if d.After(now) || d.Year() < 1900 {
		f.fail("birth_date", tr.T("validation.birth_date"))
		return false
	}
	return consent.Age(d, now) < minAge
}

// underAge reports whether birth, as typed, is a real date under minAge.
func (a *App) underAge(birth string, minAge int) bool {
	return a.checkAge(a.tr[a.Settings().DefaultLang], &Form{}, birth, minAge)
}
