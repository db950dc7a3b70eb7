package app

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"accord/store"
)

// newProxiedEnv is an env behind a trusted proxy (app.Test's peer), so
// that each client picks its address with X-Forwarded-For.
func newProxiedEnv(t *testing.T) *testEnv {
	return newEnvWith(t, func(c *Config) { c.TrustedProxy = "0.0.0.0/8, 127.0.0.0/8, ::/128, ::1/128" })
}

func (e *testEnv) clientAt(t *testing.T, addr string) *client {
	c := e.client(t)
	c.header["X-Forwarded-For"] = addr
	return c
}

// Ensure that wrong passwords from one address cannot lock the owner out:
// the owner signs in from another address at once; the guessing address is
// slowed down with a growing Retry-After instead of a lock; the per-address
// limit still holds across accounts (issue 10.1).
func TestLoginThrottledPerAccountAndAddress(t *testing.T) {
	e := newProxiedEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	attacker := e.clientAt(t, "203.0.113.66")
	attacker.get("/login")
	wrong := url.Values{"email": {ann.Email}, "password": {"not-the-password"}}
	for i := 0; i < 5; i++ {
		attacker.post("/login", wrong).want(t, http.StatusUnprocessableEntity)
	}
	retry := func(res *response) int {
		t.Helper()
		n, err := strconv.Atoi(res.Header.Get("Retry-After"))
		if err != nil {
			t.Fatalf("429 without a Retry-After: %q", res.Header.Get("Retry-After"))
		}
		return n
	}
	first := retry(attacker.post("/login", wrong).want(t, http.StatusTooManyRequests))

	owner := e.clientAt(t, "198.51.100.7")
	owner.login(ann.Email) // before the fix: 429 for 15 minutes, from everywhere

	// The guessing address waits, then may guess once more, then waits
	// longer: slowed, not locked.
	e.advance(time.Duration(first) * time.Second)
	attacker.post("/login", wrong).want(t, http.StatusUnprocessableEntity)
	second := retry(attacker.post("/login", wrong).want(t, http.StatusTooManyRequests))
	if second <= first {
		t.Errorf("Retry-After: got %d s then %d s, want a growing delay", first, second)
	}
	if first >= 15*60 {
		t.Errorf("first Retry-After %d s: a lock for the whole window, want a short delay", first)
	}

	// The per-address limit (20 in 15 minutes) holds across accounts.
	spray := e.clientAt(t, "203.0.113.99")
	spray.get("/login")
	for i := 0; i < 20; i++ {
		spray.post("/login", url.Values{"email": {"user" + itoa(uint64(i)) + "@example.org"}, "password": {"guess-guess"}}).want(t, http.StatusUnprocessableEntity)
	}
	spray.post("/login", url.Values{"email": {"other@example.org"}, "password": {"guess-guess"}}).want(t, http.StatusTooManyRequests)
}

// Ensure that a slowed limit waits slow, then twice as long at each
// further event, never more than the window, and forgets events older than
// the window.
func TestSlowedLimit(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	l := newLimiter(func() time.Time { return now })
	window := 15 * time.Minute
	take := func() (bool, time.Duration) { return l.takeSlow(window, limit{"k", 3}, 30*time.Second) }
	for i := 0; i < 3; i++ {
		if ok, _ := take(); !ok {
			t.Fatalf("event %d refused under the threshold", i+1)
		}
	}
	var waits []time.Duration
	for i := 0; i < 5; i++ {
		ok, wait := take()
		if ok {
			t.Fatalf("event past the threshold allowed without waiting")
		}
		waits = append(waits, wait)
		now = now.Add(wait)
		if ok, _ := take(); !ok {
			t.Fatalf("refused after waiting %v", wait)
		}
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute}
	for i := range want {
		if waits[i] != want[i] {
			t.Errorf("wait %d: got %v, want %v", i+1, waits[i], want[i])
		}
	}
	for i := 0; i < 20; i++ { // a burst: the wait stops at the window
		l.m["k"] = append(l.m["k"], now)
	}
	if _, wait := take(); wait != window {
		t.Errorf("after a burst: wait %v, want the window %v", wait, window)
	}
	now = now.Add(window)
	if ok, _ := take(); !ok {
		t.Errorf("events older than the window still count")
	}
}

// Ensure that the hourly sweep forgets a key once its events have left the
// key's own window: the address of a visitor who made one cookie choice is
// gone after an hour, while a key under a day-long window stays.
func TestLimiterSweepUsesEachWindow(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	l := newLimiter(func() time.Time { return now })
	if ok, _ := l.take(time.Hour, limit{"cookies:ip:192.0.2.1", 10}); !ok {
		t.Fatal("first choice refused")
	}
	if ok, _ := l.take(24*time.Hour, limit{"login:acct:a", 10}); !ok {
		t.Fatal("first attempt refused")
	}
	now = now.Add(time.Hour + time.Minute)
	l.sweep()
	if _, kept := l.m["cookies:ip:192.0.2.1"]; kept {
		t.Errorf("a one-hour key is kept after its hour")
	}
	if _, kept := l.m["login:acct:a"]; !kept {
		t.Errorf("a day-long key is dropped after an hour")
	}
	if len(l.win) != 1 {
		t.Errorf("got %d windows kept, want 1", len(l.win))
	}
}
