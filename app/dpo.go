package app

import (
	"errors"
	"strconv"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// Contact the Data Protection Officer (GDPR art. 38(4): data subjects may
// contact the DPO). The officer's unread mark is cleared when they reply,
// close, or press "mark as read": opening a thread is a GET and writes
// nothing.

type dpoContactForm struct {
	Subject string `form:"subject" validate:"required,max=200"`
	Message string `form:"message" validate:"required,max=5000"`
}

type dpoReplyForm struct {
	Message string `form:"message" validate:"required,max=5000"`
}

// getDPO shows the contact form and the user's threads.
func (a *App) getDPO(c *fiber.Ctx) error { return a.showDPO(c, &Form{}) }

func (a *App) showDPO(c *fiber.Ctx, f *Form) error {
	threads, err := a.db.UserDPOThreads(currentUser(c).ID)
	if err != nil {
		return err
	}
	p := a.page(c, "dpo.title")
	p.Form = f
	p.Data = map[string]any{"Threads": threads}
	fragment := "dpo/_threads"
	if f.Status != 0 {
		fragment = "dpo/_form"
	}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "dpo/index", fragment, p)
}

// postDPO opens a thread with the officer.
func (a *App) postDPO(c *fiber.Ctx) error {
	var in dpoContactForm
	f := a.bind(c, &in)
	if f.Invalid() { // bind refused a subject with line breaks or controls (checkTexts)
		f.Status = fiber.StatusUnprocessableEntity
		return a.showDPO(c, f)
	}
	u := currentUser(c)
	if ok, wait := a.contactAllowed(u.ID); !ok {
		return a.tooMany(c, f, wait, a.showDPO)
	}
	t, err := a.db.CreateDPOThread(u.ID, in.Subject, in.Message)
	if err != nil {
		return err
	}
	if err := a.tellOfficer(t, u, "dpo.notice.new"); err != nil {
		a.log.Error("dpo: tell the officer", "thread", t.ID, "err", err)
	}
	a.flash(c, "ok", "dpo.sent")
	return a.redirect(c, dpoPath(t.ID))
}

// getDPOThread shows one of the user's threads and the reply form.
func (a *App) getDPOThread(c *fiber.Ctx) error {
	t, msgs, err := a.ownThread(c)
	if err != nil {
		return err
	}
	return a.showDPOThread(c, t, msgs, &Form{}, "")
}

// showDPOThread renders the thread; done, a locale key, is the message an
// htmx reply shows in place of the flash.
func (a *App) showDPOThread(c *fiber.Ctx, t *store.DPOThread, msgs []store.DPOMessage, f *Form, done string) error {
	p := a.page(c, "dpo.thread.title")
	p.Form = f
	p.Data = map[string]any{"Thread": t, "Messages": a.messageViews(p, msgs, false), "Done": done}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "dpo/thread", "dpo/_thread", p)
}

// postDPOReply adds the user's reply; a closed thread opens again.
func (a *App) postDPOReply(c *fiber.Ctx) error {
	t, msgs, err := a.ownThread(c)
	if err != nil {
		return err
	}
	var in dpoReplyForm
	f := a.bind(c, &in)
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showDPOThread(c, t, msgs, f, "")
	}
	u := currentUser(c)
	if ok, wait := a.contactAllowed(u.ID); !ok {
		return a.tooMany(c, f, wait, func(c *fiber.Ctx, f *Form) error { return a.showDPOThread(c, t, msgs, f, "") })
	}
	if t, err = a.db.ReplyDPO(t.ID, u.ID, false, in.Message); err != nil {
		return err
	}
	if err := a.tellOfficer(t, u, "dpo.notice.reply"); err != nil {
		a.log.Error("dpo: tell the officer", "thread", t.ID, "err", err)
	}
	if isHTMX(c) {
		_, msgs, err := a.db.DPOThread(t.ID)
		if err != nil {
			return err
		}
		return a.showDPOThread(c, t, msgs, &Form{}, "dpo.sent")
	}
	a.flash(c, "ok", "dpo.sent")
	return a.redirect(c, dpoPath(t.ID))
}

// ownThread loads the thread of the URL if it is the user's (else 404: no
// hint that it exists).
func (a *App) ownThread(c *fiber.Ctx) (*store.DPOThread, []store.DPOMessage, error) {
	t, msgs, err := a.db.DPOThread(mustID(c))
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.UserID != currentUser(c).ID) {
		return nil, nil, fiber.ErrNotFound
	}
	return t, msgs, err
}

// contactAllowed counts one message (valid forms only) against
// contact_per_user_per_hour, new threads and replies alike.
func (a *App) contactAllowed(userID uint64) (bool, time.Duration) {
	return a.limits.take(time.Hour, limit{"dpo:user:" + strconv.FormatUint(userID, 10), a.Settings().ContactPerUserPerHour})
}

func dpoPath(id uint64) string { return "/profile/dpo/" + strconv.FormatUint(id, 10) }

func adminDPOPath(id uint64) string { return "/admin/dpo/" + strconv.FormatUint(id, 10) }

// tellOfficer tells the privacy officers in the app, and the DPO address by
// mail (when mail is configured), that u wrote in t. key is the notice's
// locale key prefix (.subject, .body).
func (a *App) tellOfficer(t *store.DPOThread, u *store.User, key string) error {
	args := []any{"Name", u.Name(), "Subject", t.Subject}
	officers, err := a.officers()
	if err != nil {
		return err
	}
	for _, o := range officers {
		if err := a.notify(Notice{UserID: o.ID, Subject: key + ".subject", Body: key + ".body", Args: args, Link: adminDPOPath(t.ID), AboutID: u.ID, InAppOnly: true}); err != nil {
			return err
		}
	}
	set := a.Settings()
	if set.DPOEmail == "" {
		return nil
	}
	return a.mailAbout(u.ID, set.DPOEmail, set.DefaultLang, key+".subject", key+".mail", append(args, "Link", a.absURL(adminDPOPath(t.ID)))...)
}

// officers are the users with the dpo role, or the administrators when
// there is none.
func (a *App) officers() ([]store.User, error) {
	for _, r := range []store.Role{store.RoleDPO, store.RoleAdmin} {
		us, _, err := a.db.ListUsers(store.UserQuery{Role: r})
		if err != nil || len(us) > 0 {
			return us, err
		}
	}
	return nil, nil
}

// messageView is a message as the page shows it.
type messageView struct {
	Staff  bool
	Author string
	Body   string
	At     time.Time
}

// messageViews names each message's author: for the user, "you" and the
// DPO; for staff, the people themselves.
func (a *App) messageViews(p *Page, msgs []store.DPOMessage, staffView bool) []messageView {
	names := map[uint64]string{}
	author := func(id uint64) string {
		name, ok := names[id]
		if !ok {
			name = p.T("dpo.author.former")
			if u, err := a.db.User(id); err == nil {
				name = u.Name()
			}
			names[id] = name
		}
		return name
	}
	out := make([]messageView, len(msgs))
	for i, m := range msgs {
		v := messageView{Staff: m.Staff, Body: m.Body, At: m.At}
		switch {
		case !staffView && m.Staff:
			// Signed with the published DPO's name, or while none is
			// published, with the name of the staff member who wrote.
			name := p.Site.DPOName
			if name == "" {
				name = author(m.AuthorID)
			}
			v.Author = p.T("dpo.author.officer", "Name", name)
		case !staffView:
			v.Author = p.T("dpo.author.you")
		default:
			v.Author = author(m.AuthorID)
		}
		out[i] = v
	}
	return out
}
