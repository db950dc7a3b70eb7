package app

import (
	"net"
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
	good, _ := HashPassword("a long password")
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
	s, _ := e.app.sessions.get(h)
	e.app.endSession(h)
	if e.app.sessions.put(s) { // a racing request that read it just before
		t.Fatalf("an ended session was cached again")
	}
	c.get("/profile").want(t, 303)
}

func newFiberForTest() *fiber.App { return fiber.New() }
