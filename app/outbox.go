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
}

func (a *App) desk() *desk { return a.mailDesk }

// Mail retries: 30 s, 1 min, 2 min… up to an hour between attempts, given up
// (kept in the outbox, marked dead) after mailMaxAttempts.
const (
	mailFirstRetry  = 30 * time.Second
	mailMaxBackoff  = time.Hour
	mailMaxAttempts = 30
	// mailBatch is how many mails one connection carries before the
	// outbox is read again.
	mailBatch = 100
)

// initMail configures SMTP from --smtp and loads the unread counts.
func (a *App) initMail() error {
	d := &desk{unread: &unreadCounts{m: map[uint64]int{}}}
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
	tr := a.mailTranslator(lang)
	var b strings.Builder
	b.WriteString(tr.T(bodyKey, args...))
	if link != "" {
		b.WriteString("\n\n" + a.absURL(link))
	}
	b.WriteString("\n\n-- \n" + a.Settings().SiteName + "\n" + a.cfg.BaseURL + "\n")
	subject := strings.Join(strings.Fields(tr.T(subjectKey, args...)), " ")
	return &store.OutMail{UserID: userID, To: to, Subject: subject, Body: b.String()}
}

// mailTranslator is the translator of a mail in lang (the site's default
// language for an unknown one).
func (a *App) mailTranslator(lang string) *Translator {
	if tr, ok := a.tr[lang]; ok {
		return tr
	}
	return a.tr[a.Settings().DefaultLang]
}

// absURL is the absolute URL of a local path, for links sent by mail.
func (a *App) absURL(path string) string { return a.cfg.BaseURL + path }

// deliverMail sends the due mails of the outbox, in rounds of mailBatch
// over one connection each, until none is due. A failure leaves the mail in
// the outbox, to be tried again later: nothing is lost while the SMTP server
// is down, and no page waits for it. Shutdown cancels it at once: the mail
// being sent stays queued, not counted as a failed attempt.
func (a *App) deliverMail() {
	d := a.desk()
	if d.sender == nil {
		return
	}
	d.sending.Lock()
	defer d.sending.Unlock()
	ctx, cancel := a.untilStop()
	defer cancel()
	a.handleResetRequests(ctx)
	for ctx.Err() == nil {
		due, err := a.db.DueMails(a.db.Now(), mailBatch)
		if err != nil {
			a.log.Error("outbox", "err", err)
			return
		}
		if len(due) == 0 || !a.deliverRound(ctx, due) || len(due) < mailBatch {
			return
		}
	}
}

// deliverRound sends due over one connection (dialled again after a
// failed message) and reports whether each mail was delivered or recorded
// as failed, so that the next round is worth trying.
func (a *App) deliverRound(ctx context.Context, due []store.OutMail) bool {
	d := a.desk()
	var conn *mail.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	for i := range due {
		m := &due[i]
		if ctx.Err() != nil {
			return false
		}
		if conn == nil {
			var err error
			if conn, err = d.sender.Dial(ctx); err != nil {
				if ctx.Err() == nil {
					a.log.Warn("outbox: cannot reach the mail server", "server", d.sender.Server(), "mails", len(due)-i, "err", err)
					for j := i; j < len(due); j++ {
						a.mailFailed(&due[j], err, false)
					}
				}
				return false
			}
		}
		err := conn.Send(m.To, m.Subject, m.Body)
		if err == nil {
			if err := a.db.MailDelivered(m.ID); err != nil {
				a.log.Error("outbox: mark delivered", "id", m.ID, "err", err)
				return false
			}
			continue
		}
		if ctx.Err() != nil {
			return false // cut by shutdown: not the mail's fault, it stays due
		}
		a.mailFailed(m, err, true)
		conn.Close()
		conn = nil
	}
	return true
}

// untilStop is a context cancelled when the app shuts down.
func (a *App) untilStop() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-a.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// mailFailed records a failed attempt of m: tried again after a back-off,
// or given up after mailMaxAttempts.
func (a *App) mailFailed(m *store.OutMail, err error, logIt bool) {
	attempts := m.Attempts + 1
	dead := attempts >= mailMaxAttempts
	if logIt || dead {
		a.log.Warn("outbox: delivery failed", "id", m.ID, "attempt", attempts, "dead", dead, "server", a.desk().sender.Server(), "err", err)
	}
	if err := a.db.MailFailed(m.ID, err.Error(), a.db.Now().Add(mailBackoff(attempts)), dead); err != nil {
		a.log.Error("outbox: record failure", "id", m.ID, "err", err)
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
