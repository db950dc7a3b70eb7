package app

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"accord/internal/smalldisk"
	"accord/store"
)

// lockedLog is a log destination safe for concurrent writes and reads.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// count is how many lines hold s.
func (l *lockedLog) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

// Ensure that on a full disk a write (here a sign-in) answers a translated
// 503 page with Retry-After instead of 500, that pages keep being read,
// that the log gets one line a minute however many requests fail, and that
// the same sign-in works once space is freed. The disk is a real 16 MiB
// tmpfs filled to the last byte (root only; skipped elsewhere).
func TestFullDiskAnswers503(t *testing.T) {
	dir := smalldisk.Mount(t, 16<<20)
	var logs lockedLog
	e := newEnvIn(t, dir, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	const users = 10
	for i := range users {
		e.user(t, fmt.Sprintf("u%d@example.org", i), store.RoleLearner)
	}
	reader := e.client(t)
	reader.login("u0@example.org")
	free := smalldisk.Fill(t, dir)

	signIn := func(email, lang string) *response {
		c := e.client(t)
		c.get("/login?lang=" + lang)
		return c.post("/login", url.Values{"email": {email}, "password": {testPassword}})
	}
	// bbolt first reuses the pages it has freed: sign in until a write
	// needs the file to grow.
	var res *response
	var email string
	for i := 0; i < 10*users; i++ {
		email = fmt.Sprintf("u%d@example.org", i%users)
		if res = signIn(email, "en"); res.Status != http.StatusSeeOther {
			t.Logf("%d sign-ins saved, then the disk was full", i)
			break
		}
	}
	res.want(t, http.StatusServiceUnavailable)
	if !res.has("The server cannot save right now") || res.Header.Get("Retry-After") != "60" {
		t.Errorf("503: want the English page and Retry-After: 60, got %q\n%s", res.Header.Get("Retry-After"), res.Body)
	}
	res = signIn(email, "fr").want(t, http.StatusServiceUnavailable)
	if !res.has("Le serveur ne peut pas enregistrer pour l’instant") {
		t.Errorf("503 in French: want the French page\n%s", res.Body)
	}
	for _, path := range []string{"/profile", "/policies", "/profile/policies"} {
		reader.get(path).want(t, http.StatusOK)
	}
	const line = "the database cannot save"
	if n := logs.count(line); n != 1 {
		t.Errorf("after two failed saves in a minute: got %d log lines, want 1", n)
	}
	e.advance(61 * time.Second)
	signIn(email, "en").want(t, http.StatusServiceUnavailable)
	if n := logs.count(line); n != 2 || logs.count("failures=2") != 1 {
		t.Errorf("a minute later: got %d log lines (the second should count 2 failures), want 2", n)
	}
	if n := logs.count("request failed"); n != 0 {
		t.Errorf("got %d 500 lines in the log, want 0", n)
	}

	free()
	signIn(email, "en").want(t, http.StatusSeeOther)
}
