package app

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"accord/store"

	"github.com/valyala/fasthttp"
)

// benchAPI is an App with a write token, no rate limit (the handlers' own
// cost is measured) and n learners enrolled in course BENCH.
func benchAPI(b *testing.B, n int) (*testEnv, string) {
	e := newEnv(b)
	secret, t, err := e.db.CreateAPIToken("bench", store.ScopeWrite, 0)
	if err != nil {
		b.Fatal(err)
	}
	e.app.api.put(t)
	e.app.api.perMinute = 0
	if err := e.db.CreateCourse(&store.Course{Code: "BENCH", TitleEN: "Bench", TitleFR: "Banc"}, 0); err != nil {
		b.Fatal(err)
	}
	var items []string
	for i := range n {
		items = append(items, fmt.Sprintf(`{"email":"l%d@example.org","course":"BENCH"}`, i))
		if _, _, err := e.db.UpsertLearner(store.Learner{Email: fmt.Sprintf("l%d@example.org", i), Lang: "en"}, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < len(items); i += apiMaxItems {
		body := "[" + strings.Join(items[i:min(i+apiMaxItems, len(items))], ",") + "]"
		e.apiCall(b, "POST", "/api/v1/enrolments", secret, body).want(b, http.StatusOK)
	}
	return e, secret
}

// apiPost runs POST path with body through the whole Fiber stack in
// process, like benchHandler.
func apiPost(b *testing.B, h fasthttp.RequestHandler, ctx *fasthttp.RequestCtx, path, secret string, body []byte) {
	ctx.Request.Reset()
	ctx.Response.Reset()
	ctx.Request.Header.SetMethod(http.MethodPost)
	ctx.Request.SetRequestURI(path)
	ctx.Request.Header.Set("Authorization", "Bearer "+secret)
	ctx.Request.Header.SetContentType("application/json")
	ctx.Request.SetBody(body)
	h(ctx)
	if ctx.Response.StatusCode() != http.StatusOK {
		b.Fatalf("got %d, want 200: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
}

// BenchmarkAPIConsentStatus is POST /api/v1/consent-status in process
// (issue 11 asks ≥ 20k calls/s; BENCHMARKS.md).
func BenchmarkAPIConsentStatus(b *testing.B) {
	e, secret := benchAPI(b, 1)
	h := e.app.web.Handler()
	var ctx fasthttp.RequestCtx
	body := []byte(`{"email":"l0@example.org"}`)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		apiPost(b, h, &ctx, "/api/v1/consent-status", secret, body)
	}
}

// BenchmarkAPIProgress100k sends 100,000 progress rows (1,000 learners ×
// 100 activities) as 100 calls of 1,000 items (issue 11: < 10 s).
func BenchmarkAPIProgress100k(b *testing.B) {
	e, secret := benchAPI(b, 1000)
	h := e.app.web.Handler()
	var ctx fasthttp.RequestCtx
	bodies := make([][]byte, 100)
	for a := range bodies {
		items := make([]string, 1000)
		for l := range items {
			items[l] = fmt.Sprintf(`{"email":"l%d@example.org","course":"BENCH","activity_id":"act-%03d","status":"completed","percent":100,"score":%d}`, l, a, l%20)
		}
		bodies[a] = []byte("[" + strings.Join(items, ",") + "]")
	}
	b.ResetTimer()
	round := 0
	for b.Loop() {
		round++
		for _, body := range bodies {
			// Each round changes the score, so every row is written.
			body = []byte(strings.ReplaceAll(string(body), `"percent":100`, fmt.Sprintf(`"percent":%d`, 100-round%2)))
			apiPost(b, h, &ctx, "/api/v1/progress", secret, body)
		}
	}
}
