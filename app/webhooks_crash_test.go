package app

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"accord/store"
)

// Ensure that a webhook queued with its event survives the process being
// killed (SIGKILL) right after the event's commit, before any delivery:
// the child registers a hook and records a learner's answers, prints
// "committed" and waits; the parent kills it, starts a new App on the same
// file, and the receiver gets every delivery, signed.
func TestWebhookSurvivesSIGKILL(t *testing.T) {
	if dir := os.Getenv("ACCORD_HOOK_CHILD"); dir != "" {
		hookChild(t, dir, os.Getenv("ACCORD_HOOK_URL"))
		return
	}
	h := newHookReceiver(t)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWebhookSurvivesSIGKILL$")
	cmd.Env = append(os.Environ(), "ACCORD_HOOK_CHILD="+dir, "ACCORD_HOOK_URL="+h.srv.URL)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	timer := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() }) // a bound, not a timing assertion
	defer timer.Stop()
	sc := bufio.NewScanner(out)
	var secret string
	for sc.Scan() {
		if s, ok := strings.CutPrefix(sc.Text(), "committed "); ok {
			secret = s
			break
		}
	}
	if secret == "" {
		t.Fatal("the child never committed")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed = true
	if n := len(h.received()); n != 0 {
		t.Fatalf("the child delivered %d messages before the kill", n)
	}
	h.secret = secret
	e := newEnvIn(t, dir, nil)
	e.app.deliverWebhooks()
	got := h.received()
	if want := len(e.app.consent.Snapshot().ForUsers()); len(got) != want {
		t.Fatalf("after the restart: got %d deliveries, want %d", len(got), want)
	}
	for _, r := range got {
		if !r.SignatureOK || r.Event != "consent.changed" || r.Status != http.StatusOK {
			t.Errorf("delivery after restart: got %+v", r)
		}
	}
}

// hookChild registers a hook, records a learner's answers (the event and
// its deliveries in one commit), says so with the secret, and waits to be killed.
func hookChild(t *testing.T, dir, u string) {
	e := newEnvIn(t, dir, nil)
	h, err := e.db.CreateWebhook(u, []store.WebhookEventType{store.EventConsentChanged}, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.user(t, "ada@example.org", store.RoleLearner)
	os.Stdout.WriteString("committed " + h.Secret + "\n")
	time.Sleep(time.Hour) // until killed
}
