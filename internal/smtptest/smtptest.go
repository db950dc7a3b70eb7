// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1 for tests: it keeps what it receives, counts connections, and
// can stop answering at a chosen point, as a hung mail server would.
package smtptest

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Where a hanging server stops answering.
const (
	Never = ""
	Hello = "hello" // after its greeting, at EHLO
	Data  = "data"  // after the message, before its 250
)

// Server is a real SMTP server that runs until the test ends.
type Server struct {
	Addr     string
	srv      *smtp.Server
	mu       sync.Mutex
	got      []Mail
	sessions int
	hangAt   string
	hung     chan struct{}
	hungOnce sync.Once
	release  chan struct{}
}

// Mail is one message the server took.
type Mail struct {
	From string
	To   []string
	Data string
}

// Start serves on addr ("127.0.0.1:0" for any free port) and hangs at
// hangAt (Never, Hello or Data) until the test ends.
func Start(t testing.TB, addr, hangAt string) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), hangAt: hangAt, hung: make(chan struct{}), release: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sessions++
		s.mu.Unlock()
		if s.hangAt == Hello {
			s.hang()
		}
		return &session{s: s}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	go s.srv.Serve(ln)
	t.Cleanup(func() {
		close(s.release)
		s.srv.Close()
	})
	return s
}

// Mails returns what the server received so far.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.got...)
}

// Connections is how many connections said hello so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// WaitHung waits (at most 30 s) until a client reached the hang.
func (s *Server) WaitHung(t testing.TB) {
	t.Helper()
	select {
	case <-s.hung:
	case <-time.After(30 * time.Second):
		t.Fatal("no client reached the hung mail server within 30 s")
	}
}

// WaitMails waits (at most d) until the server holds n mails, and returns
// them.
func (s *Server) WaitMails(t testing.TB, n int, d time.Duration) []Mail {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if got := s.Mails(); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mail server got %d mails within %v, want %d", len(s.Mails()), d, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) hang() {
	s.hungOnce.Do(func() { close(s.hung) })
	<-s.release
}

type session struct {
	s    *Server
	from string
	to   []string
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }
func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}
func (ss *session) Data(r io.Reader) error {
	if ss.s.hangAt == Data {
		ss.s.hang()
		return io.ErrUnexpectedEOF
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.got = append(ss.s.got, Mail{From: ss.from, To: ss.to, Data: string(b)})
	ss.s.mu.Unlock()
	return nil
}
