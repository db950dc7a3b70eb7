// Package mail sends Accord's plain-text mail through an SMTP server, with
// github.com/wneessen/go-mail. The outbox and its retries live in package
// app; this package only knows how to open a connection to the server and
// hand it messages, one after the other.
//
// Nothing here waits longer than it is told: the connection is dialled
// within DialTimeout, each exchange (a message, or the greeting and
// handshake) has IOTimeout, and cancelling the context given to Dial closes
// the connection at once, whatever the server is doing.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// Timeouts of one connection.
const (
	// DialTimeout bounds the TCP connection (and the TLS handshake of smtps).
	DialTimeout = 10 * time.Second
	// IOTimeout bounds each exchange with the server: the greeting and
	// handshake, then each message.
	IOTimeout = 20 * time.Second
)

// Sender hands messages to one SMTP server.
type Sender struct {
	host        string
	port        int
	implicitTLS bool // smtps://
	opts        []gomail.Option
	from        string
}

// New configures a Sender from an SMTP URL: smtp://user:pass@host:587 uses
// STARTTLS when the server offers it, smtps://user:pass@host:465 implicit
// TLS. from is the envelope and header sender.
func New(smtpURL, from string) (*Sender, error) {
	u, err := url.Parse(smtpURL)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("mail: the SMTP address must look like smtp://user:pass@host:587")
	}
	s := &Sender{host: u.Hostname(), port: 587, from: from}
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.port, s.implicitTLS = 465, true
	default:
		return nil, fmt.Errorf("mail: SMTP scheme %q: use smtp:// or smtps://", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if s.port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("mail: SMTP port %q: %w", p, err)
		}
	}
	// The TLS of smtps is made by dial (below), so that the connection is
	// ours to close; go-mail then sees a *tls.Conn and treats it as
	// encrypted (offering plain authentication), and only tries STARTTLS
	// where the server offers it.
	s.opts = []gomail.Option{gomail.WithTimeout(IOTimeout), gomail.WithPort(s.port),
		gomail.WithTLSPolicy(gomail.TLSOpportunistic)}
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		s.opts = append(s.opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	if s.from == "" {
		s.from = "accord@localhost"
	}
	return s, nil
}

// Server is host:port, for logs (never the credentials).
func (s *Sender) Server() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// Conn is one open connection to the server, for several messages in turn.
// It is not safe for concurrent use.
type Conn struct {
	s      *Sender
	ctx    context.Context
	client *gomail.Client
	smtp   *smtp.Client
	raw    net.Conn
	stop   func() bool // stops closing raw when ctx ends
}

// Dial opens a connection and says hello (STARTTLS, authentication). The
// connection is closed as soon as ctx ends; the caller closes it with Close.
// An error of a cancelled ctx wraps ctx.Err().
func (s *Sender) Dial(ctx context.Context) (*Conn, error) {
	c := &Conn{s: s, ctx: ctx}
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: DialTimeout}
		raw, err := d.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		if s.implicitTLS {
			tc := tls.Client(raw, &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12})
			if err := tc.HandshakeContext(dctx); err != nil {
				raw.Close()
				return nil, err
			}
			raw = tc
		}
		c.raw = raw
		c.stop = context.AfterFunc(ctx, func() { raw.Close() })
		return raw, nil
	}
	client, err := gomail.NewClient(s.host, append(slices.Clip(s.opts), gomail.WithDialContextFunc(dial))...)
	if err != nil {
		return nil, fmt.Errorf("mail: configure client: %w", err)
	}
	c.client = client
	if c.smtp, err = client.DialToSMTPClientWithContext(ctx); err != nil {
		c.drop()
		return nil, c.wrap("connect", err)
	}
	return c, nil
}

// Send delivers one plain-text message to address to. After an error the
// connection may be unusable: close it and dial again.
func (c *Conn) Send(to, subject, body string) error {
	m := gomail.NewMsg()
	if err := m.From(c.s.from); err != nil {
		return fmt.Errorf("mail: sender %q: %w", c.s.from, err)
	}
	if err := m.To(to); err != nil {
		return fmt.Errorf("mail: recipient: %w", err)
	}
	m.Subject(subject)
	m.SetBodyString(gomail.TypeTextPlain, body)
	if err := c.client.SendWithSMTPClient(c.smtp, m); err != nil {
		return c.wrap("send", err)
	}
	return nil
}

// Close says goodbye (QUIT) and closes the connection.
func (c *Conn) Close() error {
	var err error
	if c.ctx.Err() == nil {
		err = c.client.CloseWithSMTPClient(c.smtp)
	}
	c.drop()
	return err
}

// drop closes the network connection, if any, without a word.
func (c *Conn) drop() {
	if c.stop != nil {
		c.stop()
	}
	if c.raw != nil {
		c.raw.Close()
	}
}

// wrap names what failed; once ctx ended, the error is the context's.
func (c *Conn) wrap(what string, err error) error {
	if ctxErr := c.ctx.Err(); ctxErr != nil {
		return fmt.Errorf("mail: %s: %w", what, errors.Join(ctxErr, err))
	}
	return fmt.Errorf("mail: %s: %w", what, err)
}
