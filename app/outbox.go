package app

import (
	"context"
	"strings"
	"sync"
	"time"

	"accord/app/mail"
	"accord/store"
)

// desk is the state of the DPO, notification and mail feature.
type desk struct {
	sender  *mail.Sender // nil: mail is not configured
	sending sync.Mutex   // one delivery round at a time
	unread  *unreadCounts
	// resets are the addresses that asked for a reset link, handled by the
	// mail job so that the answer takes the same time whether or not an
	// account exists (no account enumeration by timing).
	resets chan string
}

func (a *App) desk() *desk { return a.mailDesk }

// Mail retries: 30 s, 1 min, 2 min… up to an hour between attempts, given up
// (kept in the outbox, marked dead) after mailMaxAttempts.
const (
	mailFirstRetry  = 30 * time.Second
	mailMaxBackoff  = time.Hour
	mailMaxAttempts = 30
	mailBatch       = 20
)

// initMail configures SMTP from --smtp and loads the unread counts.
func (a *App) initMail() error {
	d := &desk{unread: &unreadCounts{m: map[uint64]int{}}, resets: make(chan string, 256)}
	if a.cfg.SMTP != "" {
		s, err := mail.New(a.cfg.SMTP, a.cfg.MailFrom)
		if err != nil {
			return err
		}
		d.sender = s
	}
	a.mailDesk = d
	return a.reloadNoticeCounts()
}

// mailOn reports whether mail is configured.
func (a *App) mailOn() bool { return a.desk().sender != nil }

// mailTo queues a plain-text mail to address in language lang (the
// recipient's), its subject and body rendered from locale keys with args
// (name, value pairs; values strings or numbers). Without mail configured
// it does nothing. It is not linked to an account: use notify for users.
func (a *App) mailTo(address, lang, subjectKey, bodyKey string, args ...any) error {
	return a.mailAbout(0, address, lang, subjectKey, bodyKey, args...)
}

// mailAbout is mailTo for a mail that speaks of user aboutID (0: nobody):
// erasing that user removes it from the outbox.
func (a *App) mailAbout(aboutID uint64, address, lang, subjectKey, bodyKey string, args ...any) error {
	if !a.mailOn() {
		return nil
	}
	m := a.renderMail(0, address, lang, subjectKey, bodyKey, "", args)
	m.AboutID = aboutID
	return a.db.EnqueueMail(m)
}

// renderMail renders a mail in lang; link, a local path, is appended as an
// absolute URL.
func (a *App) renderMail(userID uint64, to, lang, subjectKey, bodyKey, link string, args []any) *store.OutMail {
	tr, ok := a.tr[lang]
	if !ok {
		tr = a.tr[a.Settings().DefaultLang]
	}
	var b strings.Builder
	b.WriteString(tr.T(bodyKey, args...))
	if link != "" {
		b.WriteString("\n\n" + a.absURL(link))
	}
	b.WriteString("\n\n-- \n" + a.Settings().SiteName + "\n" + a.cfg.BaseURL + "\n")
	subject := strings.Join(strings.Fields(tr.T(subjectKey, args...)), " ")
	return &store.OutMail{UserID: userID, To: to, Subject: subject, Body: b.String()}
}

// absURL is the absolute URL of a local path, for links sent by mail.
func (a *App) absURL(path string) string { return a.cfg.BaseURL + path }

// deliverMail sends the due mails of the outbox. A failure leaves the mail
// in the outbox, to be tried again later: nothing is lost while the SMTP
// server is down, and no page waits for it.
func (a *App) deliverMail() {
	d := a.desk()
	if d.sender == nil {
		return
	}
	d.sending.Lock()
	defer d.sending.Unlock()
	a.handleResetRequests()
	due, err := a.db.DueMails(a.db.Now(), mailBatch)
	if err != nil {
		a.log.Error("outbox", "err", err)
		return
	}
	for _, m := range due {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := d.sender.Send(ctx, m.To, m.Subject, m.Body)
		cancel()
		if err == nil {
			if err := a.db.MailDelivered(m.ID); err != nil {
				a.log.Error("outbox: mark delivered", "id", m.ID, "err", err)
			}
			continue
		}
		attempts := m.Attempts + 1
		dead := attempts >= mailMaxAttempts
		a.log.Warn("outbox: delivery failed", "id", m.ID, "attempt", attempts, "dead", dead, "server", d.sender.Server(), "err", err)
		if err := a.db.MailFailed(m.ID, err.Error(), a.db.Now().Add(mailBackoff(attempts)), dead); err != nil {
			a.log.Error("outbox: record failure", "id", m.ID, "err", err)
		}
	}
}

// mailBackoff is the wait after the n-th failed attempt.
func mailBackoff(n int) time.Duration {
	d := mailFirstRetry
	for i := 1; i < n && d < mailMaxBackoff; i++ {
		d *= 2
	}
	return min(d, mailMaxBackoff)
}
