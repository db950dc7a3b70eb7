package app

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"accord/store"
)

// metric is the value of one series ("name{labels}" as Prometheus writes
// it, labels in name order) in a /metrics answer; ok false when absent.
func metric(body, series string) (v float64, ok bool) {
	for _, line := range strings.Split(body, "\n") {
		if rest, found := strings.CutPrefix(line, series+" "); found {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}

func wantMetric(t *testing.T, body, series string, want float64) {
	t.Helper()
	got, ok := metric(body, series)
	if !ok {
		t.Errorf("no series %s in /metrics", series)
	} else if got != want {
		t.Errorf("%s = %v, want %v", series, got, want)
	}
}

// Ensure that /metrics counts requests by route pattern (an id in the path
// is not a label), method and status, with a latency histogram; that the
// store's figures move with what is written (policy answers, cookie
// choices, queued mail); and that the scrape itself writes nothing.
func TestMetricsCountWhatHappens(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	admin := e.client(t)
	admin.login("admin@example.org")
	visitor := e.client(t)

	before := admin.get("/metrics").want(t, http.StatusOK)
	if ct := before.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want the Prometheus text format", ct)
	}
	if cc := before.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	answers, _ := metric(before.Body, `accord_consent_records_total{kind="policy_answer"}`)
	if answers != float64(len(e.activeIDs())) { // the administrator's own answers
		t.Errorf("policy answers before: %v, want %d", answers, len(e.activeIDs()))
	}

	for range 3 {
		visitor.get("/policies").want(t, http.StatusOK)
	}
	visitor.get("/no/such/page").want(t, http.StatusNotFound)
	admin.get("/admin/users/1").want(t, http.StatusOK)
	admin.get("/admin/users/99999").want(t, http.StatusNotFound)
	e.user(t, "learner@example.org", store.RoleLearner) // records its answers
	if err := e.db.EnqueueMail(&store.OutMail{To: "someone@example.org", Subject: "s", Body: "b"}); err != nil {
		t.Fatal(err)
	}

	commit, err := e.db.CommitID()
	if err != nil {
		t.Fatal(err)
	}
	after := admin.get("/metrics").want(t, http.StatusOK)
	if now, _ := e.db.CommitID(); now != commit {
		t.Errorf("a scrape wrote to the database: commit id %d → %d", commit, now)
	}
	b := after.Body
	policies, _ := metric(before.Body, `accord_http_requests_total{method="GET",route="/policies",status="200"}`) // sign-in lands there
	wantMetric(t, b, `accord_http_requests_total{method="GET",route="/policies",status="200"}`, policies+3)
	wantMetric(t, b, `accord_http_requests_total{method="GET",route="/admin/users/:id<int>",status="200"}`, 1)
	wantMetric(t, b, `accord_http_requests_total{method="GET",route="/admin/users/:id<int>",status="404"}`, 1)
	wantMetric(t, b, `accord_http_requests_total{method="GET",route="(none)",status="404"}`, 1)
	wantMetric(t, b, `accord_http_request_duration_seconds_count{method="GET",route="/policies"}`, policies+3)
	for _, line := range strings.Split(b, "\n") {
		labels, _, _ := strings.Cut(line, "} ")
		if strings.HasPrefix(line, "accord_http_") && (strings.Contains(labels, "99999") || strings.Contains(labels, "/no/such/page")) {
			t.Errorf("a raw path became a label: %s", line)
		}
	}
	wantMetric(t, b, `accord_consent_records_total{kind="policy_answer"}`, answers+float64(len(e.activeIDs())))
	wantMetric(t, b, `accord_outbox_mails{state="queued"}`, 1)
	wantMetric(t, b, `accord_outbox_mails{state="dead"}`, 0)
	wantMetric(t, b, `accord_jobs_queued`, 0)
	if n, ok := metric(b, "accord_chain_entries"); !ok || n < answers {
		t.Errorf("accord_chain_entries = %v (%v), want at least the %v answers", n, ok, answers)
	}
	if _, ok := metric(b, "go_goroutines"); !ok {
		t.Error("no Go runtime metrics")
	}
}

// Ensure that /metrics is for administrators and metrics tokens only: a
// learner or an officer gets 403, a visitor is sent to sign in, a metrics
// token reads it (and nothing of the API), a read token is refused, an
// unknown or revoked token gets 401.
func TestMetricsAccess(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	e.user(t, "dpo@example.org", store.RoleDPO)
	e.user(t, "learner@example.org", store.RoleLearner)
	admin := e.client(t)
	admin.login("admin@example.org")
	for email, status := range map[string]int{"dpo@example.org": http.StatusForbidden, "learner@example.org": http.StatusForbidden} {
		c := e.client(t)
		c.login(email)
		c.get("/metrics").want(t, status)
	}
	if res := e.client(t).get("/metrics"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("visitor: %d %q, want 303 to /login", res.Status, res.Header.Get("Location"))
	}

	scrape := createToken(t, admin, "Prometheus", "metrics")
	read := createToken(t, admin, "Moodle", "read")
	res := e.apiCall(t, http.MethodGet, "/metrics", scrape, "")
	if res.Status != http.StatusOK || !strings.Contains(res.Body, "accord_http_requests_total") {
		t.Fatalf("metrics token: %d\n%.300s", res.Status, res.Body)
	}
	if res := e.apiCall(t, http.MethodGet, "/api/v1/policies", scrape, ""); res.Status != http.StatusForbidden {
		t.Errorf("metrics token on the API: %d, want 403", res.Status)
	}
	if res := e.apiCall(t, http.MethodGet, "/metrics", read, ""); res.Status != http.StatusForbidden {
		t.Errorf("read token on /metrics: %d, want 403", res.Status)
	}
	if res := e.apiCall(t, http.MethodGet, "/metrics", "acc_unknown", ""); res.Status != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("unknown token: %d %q, want 401 with WWW-Authenticate", res.Status, res.Header.Get("WWW-Authenticate"))
	}
	tokens, err := e.db.APITokens()
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if tok.Scope == store.ScopeMetrics {
			admin.post("/admin/tokens/"+itoa(tok.ID)+"/revoke", nil).want(t, http.StatusSeeOther)
		}
	}
	if res := e.apiCall(t, http.MethodGet, "/metrics", scrape, ""); res.Status != http.StatusUnauthorized {
		t.Errorf("revoked metrics token: %d, want 401", res.Status)
	}
	if page := admin.get("/admin/tokens").want(t, http.StatusOK); !page.has("Metrics") {
		t.Error("the tokens page does not name the metrics scope")
	}
}
