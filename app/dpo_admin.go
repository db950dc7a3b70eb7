package app

import (
	"errors"
	"fmt"
	"io"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

const dpoPerPage = 50

// dpoRow is a thread of the officer's inbox with its author's name.
type dpoRow struct {
	store.DPOThread
	Name string
}

// getDPOInbox is the officer's inbox: filter by status and unread, pages
// of 50, newest threads first.
func (a *App) getDPOInbox(c *fiber.Ctx) error {
	q := store.DPOQuery{Status: store.DPOStatus(c.Query("status")), Unread: c.Query("unread") == "1", Limit: dpoPerPage}
	if !validDPOStatus(q.Status) {
		q.Status = ""
	}
	page := pageParam(c)
	q.Offset = (page - 1) * dpoPerPage
	threads, total, err := a.db.ListDPOThreads(q)
	if err != nil {
		return err
	}
	unread, err := a.db.DPOUnreadCount()
	if err != nil {
		return err
	}
	p := a.page(c, "dpo.inbox.title")
	rows := make([]dpoRow, len(threads))
	for i, t := range threads {
		rows[i] = dpoRow{DPOThread: t, Name: p.T("dpo.author.former")}
		if u, err := a.db.User(t.UserID); err == nil {
			rows[i].Name = u.Name()
		}
	}
	p.Data = map[string]any{"Threads": rows, "Total": total, "UnreadCount": unread, "Status": string(q.Status),
		"Unread": q.Unread, "Statuses": store.DPOStatuses, "Pages": pagination(c, page, total, dpoPerPage)}
	return a.render(c, fiber.StatusOK, "dpo/inbox", "dpo/_inbox", p)
}

func validDPOStatus(s store.DPOStatus) bool {
	for _, v := range store.DPOStatuses {
		if s == v {
			return true
		}
	}
	return false
}

// getAdminDPOThread shows a thread to the officer, with the reply form. It
// does not mark the thread read (a GET writes nothing).
func (a *App) getAdminDPOThread(c *fiber.Ctx) error {
	t, msgs, err := a.db.DPOThread(mustID(c))
	if err != nil {
		return err
	}
	return a.showAdminDPOThread(c, t, msgs, &Form{}, "")
}

func (a *App) showAdminDPOThread(c *fiber.Ctx, t *store.DPOThread, msgs []store.DPOMessage, f *Form, done string) error {
	p := a.page(c, "dpo.thread.title")
	p.Form = f
	var learner *store.User
	if u, err := a.db.User(t.UserID); err == nil {
		learner = u
	}
	p.Data = map[string]any{"Thread": t, "Messages": a.messageViews(p, msgs, true), "Learner": learner, "Done": done}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "dpo/admin_thread", "dpo/_admin_thread", p)
}

// postAdminDPOReply answers a thread and tells its user.
func (a *App) postAdminDPOReply(c *fiber.Ctx) error {
	t, msgs, err := a.db.DPOThread(mustID(c))
	if err != nil {
		return err
	}
	var in dpoReplyForm
	f := a.bind(c, &in)
	if !clean(in.Message) {
		f.fail("message", a.translator(c).T("validation.invalid"))
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showAdminDPOThread(c, t, msgs, f, "")
	}
	if t, err = a.db.ReplyDPO(t.ID, currentUser(c).ID, true, in.Message); err != nil {
		return err
	}
	if t.ContactEmail != "" {
		a.answerContact(t, in.Message)
	} else {
		a.tellLearner(t, "dpo.notice.answered")
	}
	return a.afterOfficer(c, t, "dpo.replied")
}

// postAdminDPOClose closes a thread (409 when it is already closed).
func (a *App) postAdminDPOClose(c *fiber.Ctx) error {
	t, err := a.db.CloseDPOThread(mustID(c), currentUser(c).ID)
	if errors.Is(err, store.ErrDPOTransition) {
		return fiber.ErrConflict
	} else if err != nil {
		return err
	}
	a.tellLearner(t, "dpo.notice.closed")
	return a.afterOfficer(c, t, "dpo.closed")
}

// postAdminDPORead clears the officer's unread mark of a thread.
func (a *App) postAdminDPORead(c *fiber.Ctx) error {
	t, err := a.db.MarkDPORead(mustID(c))
	if err != nil {
		return err
	}
	return a.afterOfficer(c, t, "dpo.marked_read")
}

// afterOfficer answers an officer's action: the thread fragment for htmx,
// else a flash and the thread page.
func (a *App) afterOfficer(c *fiber.Ctx, t *store.DPOThread, done string) error {
	if isHTMX(c) {
		t, msgs, err := a.db.DPOThread(t.ID)
		if err != nil {
			return err
		}
		return a.showAdminDPOThread(c, t, msgs, &Form{}, done)
	}
	a.flash(c, "ok", done)
	return a.redirect(c, adminDPOPath(t.ID))
}

// tellLearner notifies the thread's user (in the app, and by mail when
// configured); a failure is logged, the officer's action stands.
func (a *App) tellLearner(t *store.DPOThread, key string) {
	err := a.notify(Notice{UserID: t.UserID, Subject: key + ".subject", Body: key + ".body", Args: []any{"Subject", t.Subject}, Link: dpoPath(t.ID)})
	if err != nil {
		a.log.Error("dpo: tell the user", "thread", t.ID, "err", err)
	}
}

// dpoCard is the staff dashboard's tile: threads waiting to be read.
func (a *App) dpoCard(c *fiber.Ctx) ([]dashCard, error) {
	n, err := a.db.DPOUnreadCount()
	if err != nil {
		return nil, err
	}
	tr := a.translator(c)
	return []dashCard{{Title: tr.T("dpo.inbox.title"), Text: tr.N("dpo.inbox.unread", n), Href: "/admin/dpo", Alert: n > 0}}, nil
}

// demoDPO adds two threads (once): one answered, one waiting.
func (a *App) demoDPO(out io.Writer) error {
	officer, err := a.db.UserByEmail("dpo@demo.test")
	if err != nil {
		return err
	}
	demo := []struct {
		email, subject, body, reply string
	}{
		{"alice@demo.test", "Quelles données conservez-vous ?", "Bonjour, pouvez-vous me dire quelles données vous gardez sur moi et pendant combien de temps ?",
			"Bonjour Alice, nous conservons votre profil et votre progression tant que vous êtes inscrite ; le détail est dans la politique de confidentialité."},
		{"bob@demo.test", "Cookie question", "Hello, which cookies do you set when I only read the policies?", ""},
	}
	for _, d := range demo {
		u, err := a.db.UserByEmail(d.email)
		if err != nil {
			return err
		}
		if ts, err := a.db.UserDPOThreads(u.ID); err != nil || len(ts) > 0 {
			continue
		}
		t, err := a.db.CreateDPOThread(u.ID, d.subject, d.body)
		if err != nil {
			return err
		}
		if d.reply != "" {
			if _, err := a.db.ReplyDPO(t.ID, officer.ID, true, d.reply); err != nil {
				return err
			}
		}
		fmt.Fprintf(out, "demo: DPO thread %q for %s\n", d.subject, d.email)
	}
	return nil
}
