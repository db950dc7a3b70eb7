package app

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// /contact lets people without a usable account (a visitor, a suspended
// account, a former learner) write to the DPO or ask for a copy or the
// erasure of their data (issue 11.6). Nothing is filed until the link
// mailed to the given address is confirmed: its page shows a button (a GET
// writes nothing, so mail scanners that fetch links file nothing), the POST
// files it once, marked "identity: email verified": a copy or an erasure
// asked with an account's address as a data request of that account in
// the officer's queue, anything else as a DPO thread (store.ConfirmContact
// says which). The answer to the form is the same whether or not the
// address has an account. Without mail, the page shows the DPO's published
// address instead of the form.

const (
	contactPath        = "/contact"
	contactConfirmPath = "/contact/confirm"
	// contactPerIPPerHour bounds the links one client address can have
	// mailed to anybody (the per-address limit is the setting
	// ContactPerUserPerHour, CONTRACT "contact the DPO").
	contactPerIPPerHour = 20
)

type contactForm struct {
	Name    string `form:"name" validate:"required,max=200"`
	Email   string `form:"email" validate:"required,email,max=254"`
	Kind    string `form:"kind" validate:"required,oneof=message export delete"`
	Subject string `form:"subject" validate:"max=200"`
	Message string `form:"message" validate:"max=5000"`
}

// getContact shows the form, or the DPO's published address without mail.
func (a *App) getContact(c *fiber.Ctx) error { return a.showContact(c, &Form{}) }

func (a *App) showContact(c *fiber.Ctx, f *Form) error {
	p := a.page(c, "contact.title")
	p.Form = f
	p.Data = map[string]any{"MailOn": a.mailOn(), "Kinds": store.ContactKinds}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "contact/index", "contact/_form", p)
}

// postContact stores what was typed and queues the confirmation link to
// the given address, in one transaction; the answer is the same for every
// address.
func (a *App) postContact(c *fiber.Ctx) error {
	if !a.mailOn() {
		return fiber.ErrNotFound
	}
	var in contactForm
	f := a.bind(c, &in)
	tr := a.translator(c)
	if in.Kind == string(store.ContactMessage) {
		if in.Subject == "" {
			f.fail("subject", tr.T("validation.required"))
		}
		if in.Message == "" {
			f.fail("message", tr.T("validation.required"))
		}
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showContact(c, f)
	}
	if ok, wait := a.limits.take(time.Hour,
		limit{"contact:addr:" + store.NormEmail(in.Email), a.Settings().ContactPerUserPerHour},
		limit{"contact:ip:" + a.clientIP(c), contactPerIPPerHour}); !ok {
		return a.tooMany(c, f, wait, a.showContact)
	}
	kind := store.ContactKind(in.Kind)
	subject := in.Subject
	if kind != store.ContactMessage {
		subject = tr.T("contact.kind." + in.Kind)
	}
	ask := store.ContactAsk{Email: strings.Clone(in.Email), Name: strings.Clone(in.Name), Kind: kind,
		Subject: strings.Clone(subject), Body: strings.Clone(in.Message), Lang: tr.Lang}
	token, _ := store.NewToken()
	link := contactConfirmPath + "?token=" + url.QueryEscape(token)
	m := a.renderMail(0, ask.Email, tr.Lang, "contact.mail.subject", "contact.mail.body", link,
		[]any{"Name", ask.Name, "Site", a.Settings().SiteName, "What", tr.T("contact.kind." + in.Kind)})
	if err := a.db.AskContact(ask, token, m); err != nil {
		return err
	}
	a.flash(c, "info", "contact.sent", "Email", ask.Email)
	return a.redirect(c, contactPath)
}

// contactAskFor finds the waiting contact of token: unknown, used and
// expired links are 410 alike.
func (a *App) contactAskFor(token string) (*store.ContactAsk, error) {
	if token == "" || len(token) > 100 {
		return nil, fiber.ErrGone
	}
	ask, err := a.db.ContactAskFor(token)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrTokenGone) {
		return nil, fiber.ErrGone
	}
	return ask, err
}

// getContactConfirm shows what will be filed and the button that files it.
func (a *App) getContactConfirm(c *fiber.Ctx) error {
	token := strings.Clone(c.Query("token"))
	ask, err := a.contactAskFor(token)
	if err != nil {
		return err
	}
	p := a.page(c, "contact.confirm.title")
	p.Form = &Form{Values: map[string][]string{"token": {token}}}
	p.Data = map[string]any{"Ask": ask}
	return a.render(c, fiber.StatusOK, "contact/confirm", "", p)
}

type contactConfirmForm struct {
	Token string `form:"token" validate:"required,max=100"`
}

// postContactConfirm files the contact and spends its link.
func (a *App) postContactConfirm(c *fiber.Ctx) error {
	var in contactConfirmForm
	a.bind(c, &in)
	if _, err := a.contactAskFor(in.Token); err != nil {
		return err
	}
	filed, err := a.db.ConfirmContact(in.Token, a.Settings().RequestDueDays)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrTokenGone) {
		return fiber.ErrGone
	} else if err != nil {
		return err
	}
	if filed.Request != nil { // in the officer's queue, marked email-verified
		a.flash(c, "ok", "contact.filed_request", "ID", filed.Request.ID)
		return a.redirect(c, contactPath)
	}
	// The person, as they gave themselves: the thread is filed whatever
	// happens to the notice (logged), as for a signed-in contact.
	t := filed.Thread
	who := &store.User{ID: t.UserID, FirstName: t.ContactName, Email: t.ContactEmail}
	if err := a.tellOfficer(t, who, "dpo.notice.new"); err != nil {
		a.log.Error("contact: tell the officers", "thread", t.ID, "err", err)
	}
	a.flash(c, "ok", "contact.filed")
	return a.redirect(c, contactPath)
}

// answerContact mails the officer's reply to a thread filed from /contact
// to its confirmed address, with the reply's text (the person may have no
// account to read it in); a failure is logged, the reply stands.
func (a *App) answerContact(t *store.DPOThread, reply string) {
	err := a.mailAbout(t.UserID, t.ContactEmail, t.ContactLang, "contact.answer.subject", "contact.answer.body",
		"Name", t.ContactName, "Subject", t.Subject, "Message", reply, "Site", a.Settings().SiteName)
	if err != nil {
		a.log.Error("contact: mail the answer", "thread", t.ID, "err", err)
	}
}
