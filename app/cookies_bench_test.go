package app

import (
	"net/url"
	"testing"

	"github.com/valyala/fasthttp"
)

// Ensure that the banner decision reads nothing from the database: a
// visitor with a valid choice costs as many reads as one with no cookie.
func TestCookieDecisionReadsNothing(t *testing.T) {
	e := newEnv(t)
	chosen, fresh := e.client(t), e.client(t)
	chosen.get("/")
	chosen.post("/cookies", url.Values{"choice": {"accept_all"}})
	chosen.get("/")
	reads := func(c *client) int {
		before := e.db.ReadTxCount()
		c.get("/")
		return e.db.ReadTxCount() - before
	}
	if got, want := reads(chosen), reads(fresh); got != want {
		t.Errorf("GET / with a valid choice: got %d reads, want %d (as without any cookie)", got, want)
	}
}

// BenchmarkCookiePages serves pages straight through the Fiber handler (no
// network): the bare /healthz, and / for a visitor without a choice (the
// banner), with a refusal, and with everything accepted (counted by the
// statistics).
func BenchmarkCookiePages(b *testing.B) {
	e := newEnv(b)
	refused, accepted := e.client(b), e.client(b)
	refused.get("/")
	refused.post("/cookies", url.Values{"choice": {"refuse_all"}})
	accepted.get("/")
	accepted.post("/cookies", url.Values{"choice": {"accept_all"}})
	accepted.get("/")
	h := e.app.web.Handler()
	for _, bc := range []struct {
		name, path string
		c          *client
	}{
		{"bare_healthz", "/healthz", nil},
		{"no_choice", "/", nil},
		{"refused", "/", refused},
		{"accepted", "/", accepted},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				ctx.Request.Reset()
				ctx.Response.Reset()
				ctx.Request.SetRequestURI(bc.path)
				if bc.c != nil {
					for k, v := range bc.c.cookies {
						ctx.Request.Header.SetCookie(k, v)
					}
				}
				h(&ctx)
				if ctx.Response.StatusCode() != 200 {
					b.Fatalf("got %d", ctx.Response.StatusCode())
				}
			}
		})
	}
}
