package app

import (
	"fmt"
	"testing"
	"time"
)

// Ensure that shutdown does not wait for a mail server that stopped
// answering (issue 10.13), whether it hangs at hello or after the message,
// and that the mail it was sending stays queued, not counted as a failure.
func TestShutdownWithHungMailServer(t *testing.T) {
	for _, at := range []string{"hello", "data"} {
		t.Run(at, func(t *testing.T) {
			srv := newSMTPServerHanging(t, "127.0.0.1:0", at)
			e := newMailEnv(t, srv.addr)
			if err := e.app.mailTo("ann@example.org", "en", "password.mail.subject", "password.mail.body", "Name", "Ann", "Site", "Accord"); err != nil {
				t.Fatal(err)
			}
			// One tick of the mail job, as Start runs it (Shutdown waits for it).
			e.app.jobs.Add(1)
			go func() {
				defer e.app.jobs.Done()
				e.app.deliverMail()
			}()
			srv.WaitHung(t)
			start := time.Now()
			done := make(chan error, 1)
			go func() { done <- e.app.Shutdown(10 * time.Second) }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("shutdown: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("shutdown still waiting for the hung mail server after 10 s")
			}
			t.Logf("hung at %s: shutdown took %v", at, time.Since(start).Round(time.Millisecond))
			ms := e.outbox(t)
			if len(ms) != 1 || ms[0].Attempts != 0 || ms[0].Dead {
				t.Errorf("after shutdown: got outbox %+v, want the mail still queued with no failed attempt", ms)
			}
		})
	}
}

// Ensure that a backlog goes out over one connection per round of
// mailBatch mails, all in one run of the mail job (issue 10.16), and that a
// mail the server refuses does not stop the others.
func TestMailBacklogReusesConnection(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1:0")
	e := newMailEnv(t, srv.addr)
	n := mailBatch*2 + 50
	for i := range n {
		to := fmt.Sprintf("learner%d@example.org", i)
		if i == 7 {
			to = "not an address"
		}
		if err := e.app.mailTo(to, "en", "password.mail.subject", "password.mail.body", "Name", "Ann", "Site", "Accord"); err != nil {
			t.Fatal(err)
		}
	}
	e.app.deliverMail()
	if got := len(srv.mails()); got != n-1 {
		t.Errorf("got %d mails delivered, want %d", got, n-1)
	}
	// Three rounds, and one more connection after the refused mail.
	if got := srv.Connections(); got != 4 {
		t.Errorf("got %d connections for %d mails, want 4 (one per round of %d, one after the failure)", got, n, mailBatch)
	}
	ms := e.outbox(t)
	if len(ms) != 1 || ms[0].To != "not an address" || ms[0].Attempts != 1 {
		t.Errorf("got outbox %+v, want only the refused mail, with one attempt", ms)
	}
}
