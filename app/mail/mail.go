// Package mail sends Accord's plain-text mail through an SMTP server, with
// github.com/wneessen/go-mail. The outbox and its retries live in package
// app; this package only knows how to hand one message to the server.
package mail

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Sender hands messages to one SMTP server.
type Sender struct {
	host string
	opts []gomail.Option
	from string
}

// New configures a Sender from an SMTP URL: smtp://user:pass@host:587 uses
// STARTTLS when the server offers it, smtps://user:pass@host:465 implicit
// TLS. from is the envelope and header sender.
func New(smtpURL, from string) (*Sender, error) {
	u, err := url.Parse(smtpURL)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("mail: the SMTP address must look like smtp://user:pass@host:587")
	}
	opts := []gomail.Option{gomail.WithTimeout(20 * time.Second)}
	port := 587
	switch u.Scheme {
	case "smtp":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("mail: SMTP scheme %q: use smtp:// or smtps://", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("mail: SMTP port %q: %w", p, err)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	if from == "" {
		from = "accord@localhost"
	}
	return &Sender{host: u.Hostname(), opts: opts, from: from}, nil
}

// Send delivers one plain-text message to address to.
func (s *Sender) Send(ctx context.Context, to, subject, body string) error {
	m := gomail.NewMsg()
	if err := m.From(s.from); err != nil {
		return fmt.Errorf("mail: sender %q: %w", s.from, err)
	}
	if err := m.To(to); err != nil {
		return fmt.Errorf("mail: recipient: %w", err)
	}
	m.Subject(subject)
	m.SetBodyString(gomail.TypeTextPlain, body)
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("mail: configure client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("mail: send: %w", err)
	}
	return nil
}

// Server is host:port, for logs (never the credentials).
func (s *Sender) Server() string {
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return s.host
	}
	return c.ServerAddr()
}
