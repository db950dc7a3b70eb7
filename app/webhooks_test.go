package app

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"accord/store"
)

// hookReceiver is the training platform's end of a webhook: it checks
// each signature with the secret, on its own, and answers failWith while
// it is set.
type hookReceiver struct {
	mu       sync.Mutex
	secret   string
	failWith int
	got      []received
	srv      *httptest.Server
	arrived  chan struct{}
}

type received struct {
	Event, Delivery string
	SignatureOK     bool
	Body            map[string]any
	Status          int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{arrived: make(chan struct{}, 100)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		rec := received{Event: r.Header.Get("X-Accord-Event"), Delivery: r.Header.Get("X-Accord-Delivery"),
			SignatureOK: verifySignature(h.secret, r.Header.Get("X-Accord-Signature"), body), Status: http.StatusOK}
		_ = json.Unmarshal(body, &rec.Body)
		if h.failWith != 0 {
			rec.Status = h.failWith
		}
		h.got = append(h.got, rec)
		h.mu.Unlock()
		w.WriteHeader(rec.Status)
		h.arrived <- struct{}{}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) received() []received {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]received(nil), h.got...)
}

// verifySignature is what a receiver does with X-Accord-Signature, as the
// OpenAPI description tells it: t=<unix>,v1=<hex HMAC-SHA256("t.body")>.
func verifySignature(secret, header string, body []byte) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	want := hex.EncodeToString(m.Sum(nil))
	return ts != "" && hmac.Equal([]byte(sig), []byte(want))
}

var newSecretRe = regexp.MustCompile(`<code id="new-secret">([^<]+)</code>`)

// registerHook registers url for events through the administrator's form
// and returns the signing secret shown once.
func registerHook(t *testing.T, admin *client, u string, events ...string) string {
	t.Helper()
	admin.get("/admin/webhooks").want(t, http.StatusOK)
	res := admin.post("/admin/webhooks", url.Values{"url": {u}, "event": events}).want(t, http.StatusOK)
	m := newSecretRe.FindStringSubmatch(res.Body)
	if m == nil {
		t.Fatalf("no secret on the page:\n%s", res.Body)
	}
	return m[1]
}

// hookedAdmin is a signed-in administrator who registered a receiver (at
// its path) for events through the form.
func hookedAdmin(t *testing.T, e *testEnv, path string, events ...string) (*client, *hookReceiver) {
	t.Helper()
	admin := e.signedIn(t, "admin@example.org", store.RoleAdmin)
	h := newHookReceiver(t)
	h.secret = registerHook(t, admin, h.srv.URL+path, events...)
	return admin, h
}

// Ensure that a consent change is delivered to the registered hook, signed
// with its secret, that a failed attempt is retried after the back-off
// (same delivery id, same event id) and then delivered, that the page
// lists each delivery with its last status, and that a delivered body no
// longer holds the person's address.
func TestWebhookSignedRetried(t *testing.T) {
	e := newEnv(t)
	admin, h := hookedAdmin(t, e, "/hooks", "consent.changed")

	u := e.newcomer(t, "ada@example.org", store.RoleLearner)
	e.agreeAll(t, u)
	want := len(e.app.consent.Snapshot().ForUsers())
	h.failWith = http.StatusInternalServerError
	e.app.deliverWebhooks()
	first := h.received()
	if len(first) != want {
		t.Fatalf("first round: got %d deliveries, want %d", len(first), want)
	}
	for _, r := range first {
		data, _ := r.Body["data"].(map[string]any)
		if !r.SignatureOK || r.Event != "consent.changed" || r.Body["event"] != "consent.changed" || data["email"] != "ada@example.org" || data["status"] != "accepted" {
			t.Errorf("delivery: got %+v", r)
		}
	}
	if res := admin.get("/admin/webhooks"); !res.has("HTTP 500") || !res.has("Pending") {
		t.Errorf("the page does not show the failed attempt")
	}
	// Not yet due: nothing is sent again.
	h.failWith = 0
	e.app.deliverWebhooks()
	if n := len(h.received()); n != want {
		t.Fatalf("before the back-off: got %d posts, want %d", n, want)
	}
	e.advance(webhookRetry(1) + time.Second)
	e.app.deliverWebhooks()
	all := h.received()
	if len(all) != 2*want {
		t.Fatalf("after the back-off: got %d posts, want %d", len(all), 2*want)
	}
	for i, r := range all[want:] {
		if r.Delivery != first[i].Delivery || r.Body["id"] != first[i].Body["id"] || !r.SignatureOK {
			t.Errorf("retry %d: got delivery %s event %v, want %s %v", i, r.Delivery, r.Body["id"], first[i].Delivery, first[i].Body["id"])
		}
	}
	ds, err := e.db.WebhookDeliveries(10)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.State() != store.DeliveryDelivered || d.Attempts != 2 || d.Body != "" || d.LastStatus != 200 {
			t.Errorf("delivery %d: got %+v, want delivered after 2 attempts, body cleared", d.ID, d)
		}
	}
	if res := admin.get("/admin/webhooks"); !res.has("Delivered") {
		t.Errorf("the page does not show the delivery")
	}
	e.app.deliverWebhooks()
	if n := len(h.received()); n != 2*want {
		t.Errorf("a delivered message was sent again")
	}
}

// Ensure that the form refuses a URL that is not http(s) and no event
// (422, nothing stored), that only administrators reach it, and that
// deleting a hook removes its pending deliveries.
func TestWebhookForm(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn(t, "admin@example.org", store.RoleAdmin)
	admin.get("/admin/webhooks")
	for _, bad := range []url.Values{
		{"url": {"file:///etc/passwd"}, "event": {"user.erased"}},
		{"url": {"javascript:alert(1)"}, "event": {"user.erased"}},
		{"url": {"https://user:pw@example.org/"}, "event": {"user.erased"}},
		{"url": {"https://example.org/"}},
		{"url": {"https://example.org/"}, "event": {"user.created"}},
	} {
		admin.post("/admin/webhooks", bad).want(t, http.StatusUnprocessableEntity)
	}
	if hooks, _ := e.db.Webhooks(); len(hooks) != 0 {
		t.Fatalf("refused forms stored %d hooks", len(hooks))
	}
	registerHook(t, admin, "http://127.0.0.1:9/never", "consent.changed")
	e.user(t, "ada@example.org", store.RoleLearner)
	if ds, _ := e.db.WebhookDeliveries(10); len(ds) == 0 {
		t.Fatal("no delivery queued")
	}
	hooks, _ := e.db.Webhooks()
	admin.post("/admin/webhooks/"+itoa(hooks[0].ID)+"/delete", nil).want(t, http.StatusSeeOther)
	if ds, _ := e.db.WebhookDeliveries(10); len(ds) != 0 {
		t.Errorf("deleting the hook left %d deliveries", len(ds))
	}
	e.signedIn(t, "dpo@example.org", store.RoleDPO).get("/admin/webhooks").want(t, http.StatusForbidden)
}

// Ensure that an approved deletion tells the platform (user.erased, with
// the address it must erase; request.completed) in the erasure's own
// transaction (request.completed once the erasure finished), that earlier
// undelivered messages about the person are erased with them, and that the
// address leaves the file once the notice is delivered.
func TestWebhookUserErased(t *testing.T) {
	e := newEnv(t)
	admin, h := hookedAdmin(t, e, "", "user.erased", "request.completed", "consent.changed")
	c := e.signedIn(t, "gone@example.org", store.RoleLearner) // its consent.changed deliveries wait
	r := fileRequest(t, e, c, url.Values{"type": {"delete"}})
	admin.get("/admin/requests")
	admin.post(reqPath("/admin/requests", r, "/approve"), url.Values{"confirm": {"on"}}).want(t, http.StatusSeeOther)
	e.settle()
	if got := e.status(t, r.ID); got != store.StatusComplete {
		t.Fatalf("request: got %s, want complete", got)
	}
	e.app.deliverWebhooks()
	var events []string
	for _, got := range h.received() {
		events = append(events, got.Event)
		data, _ := got.Body["data"].(map[string]any)
		if got.Event == "user.erased" && data["email"] != "gone@example.org" {
			t.Errorf("user.erased: got %v, want the address", data)
		}
		if got.Event == "request.completed" && (data["type"] != "delete" || data["email"] != nil) {
			t.Errorf("request.completed: got %v, want the deletion without the address", data)
		}
	}
	if strings.Join(events, " ") != "user.erased request.completed" {
		t.Errorf("events delivered: got %v, want user.erased then request.completed only", events)
	}
	// Delivered, the notice no longer holds the address, and the file was
	// compacted: the bytes left the disk.
	data, err := os.ReadFile(e.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("gone@example.org")) {
		t.Errorf("the erased address is still in the file's bytes after the notice was delivered")
	}
}

// Ensure that shutting down cuts an attempt in flight to a receiver that
// does not answer, without counting it: the delivery is tried again later.
func TestWebhookHungReceiverDoesNotHoldShutdown(t *testing.T) {
	e := newEnv(t)
	hang := make(chan struct{})
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-hang
	}))
	defer srv.Close()
	defer close(hang)
	if _, err := e.db.CreateWebhook(srv.URL, []store.WebhookEventType{store.EventConsentChanged}, 0); err != nil {
		t.Fatal(err)
	}
	e.user(t, "ada@example.org", store.RoleLearner)
	ctx, cancel := context.WithCancel(context.Background())
	e.app.hooks.ctx = ctx // what Shutdown's stop does to the sender
	done := make(chan struct{})
	go func() {
		e.app.deliverWebhooks()
		close(done)
	}()
	<-arrived
	cancel()
	<-done
	ds, _ := e.db.WebhookDeliveries(10)
	for _, d := range ds {
		if d.State() != store.DeliveryPending || d.Attempts != 0 {
			t.Errorf("delivery %d: got %s after %d attempts, want pending, not counted", d.ID, d.State(), d.Attempts)
		}
	}
}
