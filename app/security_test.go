package app

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// Ensure that parallel attempts cannot all pass a limit checked before any
// of them is recorded.
func TestLimiterTakeIsAtomic(t *testing.T) {
	l := newLimiter(time.Now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	passed := 0
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _ := l.take(time.Minute, limit{"k", 5}); ok {
				mu.Lock()
				passed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if passed != 5 {
		t.Errorf("got %d attempts through, want 5", passed)
	}
	l.undo("k")
	if ok, _ := l.take(time.Minute, limit{"k", 5}); !ok {
		t.Errorf("after undo one more attempt must pass")
	}
}

// Ensure that the client address is the peer's unless the peer is a
// trusted proxy, and then the rightmost untrusted X-Forwarded-For entry.
func TestClientIP(t *testing.T) {
	a := &App{}
	var err error
	if a.proxies, err = parseProxies("127.0.0.1, 10.0.0.0/8"); err != nil {
		t.Fatal(err)
	}
	if _, err := parseProxies("not-an-ip"); err == nil {
		t.Errorf("a bad --trusted-proxy must be refused")
	}
	cases := []struct{ peer, xff, want string }{
		{"203.0.113.7", "10.9.9.9", "203.0.113.7"},            // untrusted peer: header ignored
		{"127.0.0.1", "10.9.9.1, 203.0.113.7", "203.0.113.7"}, // spoofed left part ignored
		{"127.0.0.1", "203.0.113.7, 10.1.1.1", "203.0.113.7"}, // inner proxy skipped
		{"127.0.0.1", "", "127.0.0.1"},
		{"127.0.0.1", "garbage", "127.0.0.1"},
	}
	for _, tc := range cases {
		var ctx fasthttp.RequestCtx
		ctx.SetRemoteAddr(&net.TCPAddr{IP: net.ParseIP(tc.peer), Port: 1234})
		if tc.xff != "" {
			ctx.Request.Header.Set("X-Forwarded-For", tc.xff)
		}
		app := newFiberForTest()
		c := app.AcquireCtx(&ctx)
		if got := a.clientIP(c); got != tc.want {
			t.Errorf("peer %s, XFF %q: got %s, want %s", tc.peer, tc.xff, got, tc.want)
		}
		app.ReleaseCtx(c)
	}
}

// Ensure that malformed or hostile hashes match nothing instead of
// panicking or costing unbounded work.
func TestCheckPasswordBounds(t *testing.T) {
	good, err := HashPassword("a long password")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(good, "a long password") || CheckPassword(good, "another one") {
		t.Fatalf("a real hash must match its password only")
	}
	for _, h := range []string{
		"$argon2id$v=19$m=19456,t=0,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
		"$argon2id$v=19$m=19456,t=2,p=0$c2FsdHNhbHRzYWx0$aGFzaA",
		"$argon2id$v=19$m=19456,t=2,p=200$c2FsdHNhbHRzYWx0$aGFzaA",
		"$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
		"$argon2id$v=19$m=4,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
		"$2a$10$whatever",
		"",
	} {
		if CheckPassword(h, "x") {
			t.Errorf("hash %q matched", h)
		}
	}
}

// Ensure that a session read from the store while it is being destroyed
// cannot be cached again and outlive the logout.
func TestEndedSessionStaysEnded(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	c := e.client(t)
	c.login("ann@example.org")
	h := store.HashToken(c.cookies[sessionCookie])
	s, ok := e.app.sessions.get(h)
	if !ok {
		t.Fatalf("the signed-in session is not cached")
	}
	e.app.endSession(h)
	if e.app.sessions.put(s) { // a racing request that read it just before
		t.Fatalf("an ended session was cached again")
	}
	c.get("/profile").want(t, 303)
}

func newFiberForTest() *fiber.App { return fiber.New() }

// Ensure that refused backup attempts write nothing per request, and are
// audited once per address (and account) per interval with their count.
func TestBackupRefusalsCounted(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	visitor := e.client(t)
	visitor.get("/")
	learner := e.client(t)
	learner.login("ann@example.org")
	before, err := e.db.CommitID()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		visitor.get("/admin/backup").want(t, http.StatusSeeOther)
	}
	for i := 0; i < 40; i++ {
		learner.get("/admin/backup").want(t, http.StatusForbidden)
	}
	after, err := e.db.CommitID()
	if err != nil {
		t.Fatal(err)
	}
	if writes := after - before; writes != 0 {
		t.Fatalf("340 refused attempts: got %d database writes, want 0", writes)
	}
	e.app.flushBackupRefusals()
	events, n, err := e.db.ListAudit(store.AuditQuery{Action: store.ActBackupRefused})
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("refusal events: got %d, want 2 (the visitor's address, the learner's)", n)
	}
	for _, ev := range events {
		want := "count=300"
		if ev.ActorID == ann.ID {
			want = "count=40"
		} else if ev.ActorID != 0 {
			t.Errorf("refusal actor: got %d, want 0 or %d", ev.ActorID, ann.ID)
		}
		if !strings.Contains(ev.Detail, want) || !strings.Contains(ev.Detail, "address=") {
			t.Errorf("refusal of actor %d: got detail %q, want the address and %s", ev.ActorID, ev.Detail, want)
		}
	}
	e.app.flushBackupRefusals() // nothing new: nothing written
	if _, n, err := e.db.ListAudit(store.AuditQuery{Action: store.ActBackupRefused}); err != nil || n != 2 {
		t.Errorf("an empty interval: got %d events (%v), want still 2", n, err)
	}
}

// Ensure that a flood from more addresses than the counter keeps shares one
// line instead of growing memory.
func TestBackupRefusalsBounded(t *testing.T) {
	var r refusals
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	for i := 0; i < maxRefusalKeys+500; i++ {
		r.add(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), 0, now)
	}
	if got := len(r.counts); got != maxRefusalKeys+1 {
		t.Fatalf("addresses kept: got %d, want %d (the cap and one shared line)", got, maxRefusalKeys+1)
	}
	if got := r.counts[refusalKey{addr: "other"}].n; got != 500 {
		t.Errorf("shared line: got count %d, want 500", got)
	}
	if got := len(r.take()); got != maxRefusalKeys+1 || len(r.counts) != 0 {
		t.Errorf("take: got %d events and %d left, want %d and 0", got, len(r.counts), maxRefusalKeys+1)
	}
}
