package app

import (
	"errors"
	"sync"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// Notice is something to tell a user: in the app, and by mail when mail is
// configured. Subject and body are locale keys, rendered in the
// recipient's language.
type Notice struct {
	UserID  uint64
	Subject string // locale key
	Body    string // locale key
	Args    []any  // placeholders of both: name, value pairs; values strings or numbers
	Link    string // a local path the notice points to
	// AboutID is the user the notice speaks of when it is not the
	// recipient (0: none); erasing that user deletes the notice.
	AboutID uint64
	// InAppOnly skips the mail (the recipient is told by mail otherwise).
	InAppOnly bool
}

// notify tells n.UserID about something: one write stores the in-app
// notification and, when mail is configured, queues the mail in the
// recipient's language. A user who no longer exists is not an error.
func (a *App) notify(n Notice) error {
	nt, ok, err := a.noticeFor(n)
	if err != nil || !ok {
		return err
	}
	if err := a.db.AddNotification(nt.Notification, nt.Mail); err != nil {
		return err
	}
	a.told(nt)
	return nil
}

// noticeFor renders n for its recipient, before any transaction (STYLE.md):
// the in-app notification and, when mail is configured and n is not in-app
// only, the mail in the recipient's language. ok is false when the
// recipient no longer exists.
func (a *App) noticeFor(n Notice) (nt store.Notice, ok bool, err error) {
	u, err := a.db.User(n.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nt, false, nil
	} else if err != nil {
		return nt, false, err
	}
	if a.mailOn() && !n.InAppOnly {
		nt.Mail = a.renderMail(u.ID, u.Email, u.Lang, n.Subject, n.Body, n.Link, n.Args)
		nt.Mail.AboutID = n.AboutID
	}
	nt.Notification = &store.Notification{UserID: u.ID, Subject: n.Subject, Body: n.Body, Args: n.Args, Link: n.Link, AboutID: n.AboutID}
	return nt, true, nil
}

// told adds the notifications a committed transaction wrote to the unread
// counts (the store leaves the ID of a skipped one at 0).
func (a *App) told(notices ...store.Notice) {
	for _, nt := range notices {
		if n := nt.Notification; n != nil && n.ID != 0 {
			a.desk().unread.add(n.UserID, 1)
		}
	}
}

// unreadCounts keeps each user's unread notification count in memory
// (rebuilt at start), so the header shows it without reading the database.
type unreadCounts struct {
	mu sync.Mutex
	m  map[uint64]int
}

func (uc *unreadCounts) add(userID uint64, n int) {
	uc.mu.Lock()
	uc.m[userID] += n
	uc.mu.Unlock()
}

func (uc *unreadCounts) clear(userID uint64) {
	uc.mu.Lock()
	delete(uc.m, userID)
	uc.mu.Unlock()
}

func (uc *unreadCounts) get(userID uint64) int {
	uc.mu.Lock()
	defer uc.mu.Unlock()
	return uc.m[userID]
}

// noticeChrome shows the unread count in every signed-in page's header.
func (a *App) noticeChrome(p *Page) {
	if p.User != nil {
		p.Chrome.Notifications = a.desk().unread.get(p.User.ID)
	}
}

// notificationsShown is how many notifications the page lists.
const notificationsShown = 100

// noticeView is a notification in the reader's language.
type noticeView struct {
	Subject, Body, Link string
	Read                bool
	At                  time.Time
}

// getNotifications lists the user's notifications, newest first.
func (a *App) getNotifications(c *fiber.Ctx) error { return a.showNotifications(c, false) }

// showNotifications renders the list; swapped also empties the header's
// count (an out-of-band swap, after "mark all read" through htmx).
func (a *App) showNotifications(c *fiber.Ctx, swapped bool) error {
	u := currentUser(c)
	list, total, err := a.db.Notifications(u.ID, notificationsShown)
	if err != nil {
		return err
	}
	p := a.page(c, "notifications.title")
	views := make([]noticeView, len(list))
	unread := 0
	for i, n := range list {
		views[i] = noticeView{Subject: p.T(n.Subject, n.Args...), Body: p.T(n.Body, n.Args...), Link: n.Link, Read: n.Read, At: n.CreatedAt}
		if !n.Read {
			unread++
		}
	}
	p.Data = map[string]any{"Notices": views, "Total": total, "Unread": unread, "Swapped": swapped}
	return a.render(c, fiber.StatusOK, "notifications/index", "notifications/_list", p)
}

// postNotificationsRead marks every notification of the user read.
func (a *App) postNotificationsRead(c *fiber.Ctx) error {
	u := currentUser(c)
	if _, err := a.db.MarkNotificationsRead(u.ID); err != nil {
		return err
	}
	a.desk().unread.clear(u.ID)
	if isHTMX(c) {
		return a.showNotifications(c, true)
	}
	a.flash(c, "ok", "notifications.marked_read")
	return a.redirect(c, "/notifications")
}

// reloadNoticeCounts rebuilds the in-memory unread counts from the store,
// after notifications were removed behind the app's back (erasure).
func (a *App) reloadNoticeCounts() error {
	counts, err := a.db.UnreadNotificationCounts()
	if err != nil {
		return err
	}
	uc := a.desk().unread
	uc.mu.Lock()
	uc.m = counts
	uc.mu.Unlock()
	return nil
}
