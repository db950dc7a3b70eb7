package app

import (
	"strconv"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

type settingsForm struct {
	SiteName                string `form:"site_name" validate:"required,max=100"`
	DefaultLang             string `form:"default_lang" validate:"required,oneof=en fr"`
	SignupOpen              string `form:"signup_open"`
	DPOName                 string `form:"dpo_name" validate:"required,max=200"`
	DPOEmail                string `form:"dpo_email" validate:"required,email,max=254"`
	SessionIdleMinutes      int    `form:"session_idle_minutes" validate:"min=5,max=1440"`
	SessionAbsoluteHours    int    `form:"session_absolute_hours" validate:"min=1,max=720"`
	LoginFailuresPerAccount int    `form:"login_failures_per_account" validate:"min=1,max=1000"`
	LoginFailuresPerIP      int    `form:"login_failures_per_ip" validate:"min=1,max=10000"`
	LoginWindowMinutes      int    `form:"login_window_minutes" validate:"min=1,max=1440"`
	SignupsPerIPPerHour     int    `form:"signups_per_ip_per_hour" validate:"min=1,max=10000"`
	ContactPerUserPerHour   int    `form:"contact_per_user_per_hour" validate:"min=1,max=1000"`
	AgeCheck                string `form:"age_check"`
	DigitalConsentAge       int    `form:"digital_consent_age" validate:"min=13,max=16"`
	ConsentLifetimeMonths   int    `form:"consent_lifetime_months" validate:"min=1,max=13"`
	RequestDueDays          int    `form:"request_due_days" validate:"min=1,max=90"`
	ExportExpiryDays        int    `form:"export_expiry_days" validate:"min=1,max=90"`
	AutoApproveExport       string `form:"auto_approve_export"`
	AutoApproveDelete       string `form:"auto_approve_delete"`
	AutoApproveOther        string `form:"auto_approve_other"`
	InactiveRetentionDays   int    `form:"inactive_retention_days" validate:"min=30,max=3650"`
	PolicyReminderDays      int    `form:"policy_reminder_days" validate:"min=0,max=365"`
}

// dpoContactTile warns on the dashboard while the DPO's published contact
// lacks a name or an address; for an administrator it leads to the fields.
func (a *App) dpoContactTile(c *fiber.Ctx) ([]dashCard, error) {
	if !a.Settings().DPOContactMissing() {
		return nil, nil
	}
	tr := a.translator(c)
	card := dashCard{Title: tr.T("admin.dpo_missing.title"), Text: tr.T("admin.dpo_missing.text"), Alert: true}
	if u := currentUser(c); u != nil && u.Role == store.RoleAdmin {
		card.Href = "/admin/settings#f-dpo_name"
	} else {
		card.Text = tr.T("admin.dpo_missing.ask")
	}
	return []dashCard{card}, nil
}

// getSettings shows the site's settings.
func (a *App) getSettings(c *fiber.Ctx) error {
	return a.showSettings(c, settingsValues(a.Settings()))
}

func (a *App) showSettings(c *fiber.Ctx, f *Form) error {
	p := a.page(c, "admin.settings.title")
	p.Form = f
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "admin/settings", "", p)
}

// postSettings saves every setting at once; a refused form changes nothing.
func (a *App) postSettings(c *fiber.Ctx) error {
	var in settingsForm
	f := a.bind(c, &in)
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showSettings(c, f)
	}
	s := a.Settings()
	s.SiteName, s.DefaultLang, s.SignupOpen = in.SiteName, in.DefaultLang, in.SignupOpen == "on"
	s.DPOName, s.DPOEmail = in.DPOName, in.DPOEmail
	s.SessionIdleMinutes, s.SessionAbsoluteHours = in.SessionIdleMinutes, in.SessionAbsoluteHours
	s.LoginFailuresPerAccount, s.LoginFailuresPerIP, s.LoginWindowMinutes = in.LoginFailuresPerAccount, in.LoginFailuresPerIP, in.LoginWindowMinutes
	s.SignupsPerIPPerHour, s.ContactPerUserPerHour = in.SignupsPerIPPerHour, in.ContactPerUserPerHour
	s.AgeCheck, s.DigitalConsentAge = in.AgeCheck == "on", in.DigitalConsentAge
	s.ConsentLifetimeMonths = in.ConsentLifetimeMonths
	s.RequestDueDays, s.ExportExpiryDays = in.RequestDueDays, in.ExportExpiryDays
	s.AutoApproveExport, s.AutoApproveDelete, s.AutoApproveOther = in.AutoApproveExport == "on", in.AutoApproveDelete == "on", in.AutoApproveOther == "on"
	s.InactiveRetentionDays = in.InactiveRetentionDays
	s.PolicyReminderDays = in.PolicyReminderDays
	if err := a.db.SaveSettings(s, currentUser(c).ID); err != nil {
		return err
	}
	if err := a.reloadSettings(); err != nil {
		return err
	}
	a.flash(c, "ok", "admin.settings.saved")
	return a.redirect(c, "/admin/settings")
}

// settingsValues fills the settings form from s.
func settingsValues(s store.Settings) *Form {
	on := func(b bool) []string {
		if b {
			return []string{"on"}
		}
		return nil
	}
	n := func(i int) []string { return []string{strconv.Itoa(i)} }
	return &Form{Values: map[string][]string{
		"site_name": {s.SiteName}, "default_lang": {s.DefaultLang}, "signup_open": on(s.SignupOpen),
		"dpo_name": {s.DPOName}, "dpo_email": {s.DPOEmail},
		"session_idle_minutes": n(s.SessionIdleMinutes), "session_absolute_hours": n(s.SessionAbsoluteHours),
		"login_failures_per_account": n(s.LoginFailuresPerAccount), "login_failures_per_ip": n(s.LoginFailuresPerIP),
		"login_window_minutes": n(s.LoginWindowMinutes), "signups_per_ip_per_hour": n(s.SignupsPerIPPerHour),
		"contact_per_user_per_hour": n(s.ContactPerUserPerHour),
		"age_check":                 on(s.AgeCheck), "digital_consent_age": n(s.DigitalConsentAge),
		"consent_lifetime_months": n(s.ConsentLifetimeMonths),
		"request_due_days":        n(s.RequestDueDays), "export_expiry_days": n(s.ExportExpiryDays),
		"auto_approve_export": on(s.AutoApproveExport), "auto_approve_delete": on(s.AutoApproveDelete),
		"auto_approve_other": on(s.AutoApproveOther), "inactive_retention_days": n(s.InactiveRetentionDays),
		"policy_reminder_days": n(s.PolicyReminderDays),
	}}
}
