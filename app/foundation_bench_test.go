package app

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"accord/store"

	"github.com/valyala/fasthttp"
)

// benchServe serves e's App on a loopback port for load from net/http.
func benchServe(b *testing.B, e *testEnv) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go e.app.web.Listener(ln)
	b.Cleanup(func() { e.app.web.ShutdownWithTimeout(time.Second) })
	return "http://" + ln.Addr().String()
}

func benchGet(b *testing.B, url, cookie string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			if cookie != "" {
				req.Header.Set("Cookie", cookie)
			}
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("got %d, want 200", res.StatusCode)
				return
			}
		}
	})
}

// BenchmarkHealthz is the bare route /profile is compared with (BENCHMARKS.md).
func BenchmarkHealthz(b *testing.B) {
	e := newEnv(b)
	benchGet(b, benchServe(b, e)+"/healthz", "")
}

// BenchmarkProfilePage is a signed-in GET /profile over real HTTP.
func BenchmarkProfilePage(b *testing.B) {
	e := newEnv(b)
	e.user(b, "ann@example.org", store.RoleLearner)
	c := e.client(b)
	c.login("ann@example.org")
	benchGet(b, benchServe(b, e)+"/profile", sessionCookie+"="+c.cookies[sessionCookie])
}

// benchHandler runs GET path through the whole Fiber stack, in process (no
// sockets): the server's own cost per request.
func benchHandler(b *testing.B, e *testEnv, path, cookie string) {
	h := e.app.web.Handler()
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.SetRequestURI(path)
		if cookie != "" {
			ctx.Request.Header.Set("Cookie", cookie)
		}
		h(&ctx)
		if ctx.Response.StatusCode() != http.StatusOK {
			b.Fatalf("got %d, want 200", ctx.Response.StatusCode())
		}
	}
}

// BenchmarkHealthzHandler is /healthz without the network.
func BenchmarkHealthzHandler(b *testing.B) {
	benchHandler(b, newEnv(b), "/healthz", "")
}

// BenchmarkProfileHandler is a signed-in /profile without the network:
// with the cookie banner (no choice yet), and after a choice (the usual
// page).
func BenchmarkProfileHandler(b *testing.B) {
	e := newEnv(b)
	e.user(b, "ann@example.org", store.RoleLearner)
	c := e.client(b)
	c.login("ann@example.org")
	b.Run("banner", func(b *testing.B) {
		benchHandler(b, e, "/profile", sessionCookie+"="+c.cookies[sessionCookie])
	})
	c.post("/cookies", url.Values{"choice": {"refuse_all"}}).want(b, http.StatusSeeOther)
	b.Run("chosen", func(b *testing.B) {
		benchHandler(b, e, "/profile", sessionCookie+"="+c.cookies[sessionCookie])
	})
}
