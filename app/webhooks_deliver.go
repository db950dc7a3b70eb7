package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"accord/store"
)

// Webhook deliveries. A store writer queues them in its own transaction
// (store.enqueueWebhooksTx); this job posts them, signed, and records each
// attempt: 2xx is delivered, anything else is tried again with exponential
// back-off until webhookMaxAttempts. A receiver that hangs costs at most
// webhookTimeout per attempt, and shutting down cancels the attempt in
// flight (it is tried again at the next start: receivers must accept the
// same delivery twice, X-Accord-Delivery names it).
const (
	webhookTick        = 5 * time.Second
	webhookTimeout     = 10 * time.Second
	webhookBatch       = 50
	webhookMaxAttempts = 12 // about 14 hours of back-off
	webhookBackoff     = 30 * time.Second
	webhookMaxBackoff  = 6 * time.Hour
	webhookKeep        = 30 * 24 * time.Hour // finished deliveries listed that long
)

// hookSender posts deliveries; its context ends at shutdown.
type hookSender struct {
	client *http.Client
	ctx    context.Context
	// compact: a finished user.erased delivery's bytes are still in the file.
	compact atomic.Bool
}

// initHooks builds the sender: bounded dials, handshakes and answers, no
// redirects followed (a 3xx is a failure: a hook must name its endpoint).
func (a *App) initHooks() error {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-a.stop
		cancel()
	}()
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: webhookTimeout,
		MaxIdleConns:          8,
		IdleConnTimeout:       time.Minute,
	}
	a.hooks = &hookSender{ctx: ctx, client: &http.Client{
		Transport:     tr,
		Timeout:       webhookTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	return nil
}

// webhookSignature is the X-Accord-Signature header of body sent at t:
// "t=<unix>,v1=<hex HMAC-SHA256 of "<unix>.<body>" under secret>".
func webhookSignature(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// webhookRetry is the wait before attempt n+1, after n failed ones.
func webhookRetry(n int) time.Duration {
	d := webhookBackoff
	for i := 1; i < n && d < webhookMaxBackoff; i++ {
		d *= 2
	}
	return min(d, webhookMaxBackoff)
}

// deliverWebhooks attempts the deliveries that are due.
func (a *App) deliverWebhooks() {
	due, err := a.db.DueWebhookDeliveries(a.db.Now(), webhookBatch)
	if err != nil {
		a.log.Error("webhook deliveries", "err", err)
		return
	}
	for _, d := range due {
		if a.hooks.ctx.Err() != nil {
			return // shutting down: the rest waits for the next start
		}
		status, err := a.hooks.post(&d, a.db.Now())
		if a.hooks.ctx.Err() != nil {
			return // cut by shutdown: not counted as an attempt
		}
		at := store.Attempt{At: a.db.Now(), Status: status, OK: err == nil}
		if err != nil {
			at.Error = err.Error()
			if d.Attempts+1 >= webhookMaxAttempts {
				at.Dead = true
				a.log.Warn("webhook given up", "delivery", d.ID, "hook", d.HookID, "event", d.Event, "err", err)
			} else {
				at.Next = at.At.Add(webhookRetry(d.Attempts + 1))
			}
		}
		if err := a.db.WebhookAttempted(d.ID, at); err != nil {
			a.log.Error("record webhook attempt", "delivery", d.ID, "err", err)
			return
		}
		if d.Event == store.EventUserErased && (at.OK || at.Dead) {
			a.hooks.compact.Store(true)
		}
	}
	if a.hooks.compact.Load() {
		// A user.erased notice held the erased person's address until
		// now: its body is cleared, and compacting the file makes the
		// bytes leave the disk too (tried again next round if busy).
		if err := a.db.Compact(); err != nil {
			a.log.Warn("compact after an erasure notice", "err", err)
			return
		}
		a.hooks.compact.Store(false)
	}
}

// post sends one delivery; nil error only for a 2xx answer.
func (h *hookSender) post(d *store.DueDelivery, now time.Time) (int, error) {
	body := []byte(d.Body)
	req, err := http.NewRequestWithContext(h.ctx, http.MethodPost, d.URL, strings.NewReader(d.Body))
	if err != nil {
		return 0, fmt.Errorf("bad URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Accord-Webhooks/1")
	req.Header.Set("X-Accord-Event", string(d.Event))
	req.Header.Set("X-Accord-Delivery", strconv.FormatUint(d.ID, 10))
	req.Header.Set("X-Accord-Signature", webhookSignature(d.Secret, now, body))
	res, err := h.client.Do(req)
	if err != nil {
		var ue interface{ Timeout() bool }
		if errors.As(err, &ue) && ue.Timeout() {
			return 0, errors.New("no answer within the time limit")
		}
		return 0, errors.New(trimError(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("answered %d", res.StatusCode)
	}
	return res.StatusCode, nil
}

// trimError keeps an error short enough for the deliveries table.
func trimError(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// pruneWebhookDeliveries forgets finished deliveries older than webhookKeep.
func (a *App) pruneWebhookDeliveries() {
	if err := a.db.PruneWebhookDeliveries(a.db.Now().Add(-webhookKeep)); err != nil {
		a.log.Error("prune webhook deliveries", "err", err)
	}
}
