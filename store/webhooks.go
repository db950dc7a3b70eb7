package store

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// WebhookEventType names what a webhook is told of.
type WebhookEventType string

// The events a webhook may subscribe to.
const (
	EventConsentChanged   WebhookEventType = "consent.changed"
	EventUserErased       WebhookEventType = "user.erased"
	EventRequestCompleted WebhookEventType = "request.completed"
)

// WebhookEvents lists every event, in the order forms show them.
var WebhookEvents = []WebhookEventType{EventConsentChanged, EventUserErased, EventRequestCompleted}

// Valid reports whether t is a known event.
func (t WebhookEventType) Valid() bool { return slices.Contains(WebhookEvents, t) }

// Audited actions of webhooks.
const (
	ActWebhookCreated  Action = "webhook_created"
	ActWebhookDeleted  Action = "webhook_deleted"
	ActWebhookDisabled Action = "webhook_disabled"
	ActWebhookEnabled  Action = "webhook_enabled"
)

// Webhook is a URL of the training platform told of events. Its secret
// signs every delivery, so it is kept as it is (an HMAC needs the key).
type Webhook struct {
	ID        uint64             `json:"id"`
	URL       string             `json:"url"`
	Events    []WebhookEventType `json:"events"`
	Secret    string             `json:"secret"`
	CreatedAt time.Time          `json:"created_at"`
	// Disabled hooks are told nothing: no delivery is queued for them, and
	// those queued before wait until the hook is enabled again.
	Disabled bool `json:"disabled,omitempty"`
}

// Wants reports whether the hook subscribed to t.
func (h *Webhook) Wants(t WebhookEventType) bool { return slices.Contains(h.Events, t) }

// WebhookEvent is one event as a store writer raises it, inside its own
// transaction (see enqueueWebhooksTx).
type WebhookEvent struct {
	Type   WebhookEventType
	UserID uint64 // the person it is about, so that erasure finds it
	Data   map[string]any
	// Email: add the account's address to Data as "email" — looked up
	// only when some hook wants the event, so a writer pays nothing for
	// it on a site without webhooks.
	Email bool
}

var (
	bWebhooks = []byte("webhooks")
)

func init() {
	registerBuckets(BucketInfo{Name: string(bWebhooks), Class: NotPersonal,
		Holds: "webhooks: URL, events, signing secret"})
}

// CreateWebhook registers url for events with a new random secret. The
// caller checks the URL (http or https only).
func (db *DB) CreateWebhook(url string, events []WebhookEventType, actorID uint64) (*Webhook, error) {
	for _, e := range events {
		if !e.Valid() {
			return nil, fmt.Errorf("store: unknown webhook event %q", e)
		}
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	h := &Webhook{URL: url, Events: slices.Clone(events), Secret: "whsec_" + hex.EncodeToString(key)}
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bWebhooks)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		h.ID, h.CreatedAt = id, db.now()
		if err := putJSON(b, itob(id), h); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActWebhookCreated, ActorID: actorID, Detail: webhookDetail(h)})
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

func webhookDetail(h *Webhook) string {
	ev := make([]string, len(h.Events))
	for i, e := range h.Events {
		ev[i] = string(e)
	}
	return fmt.Sprintf("%s (%s)", h.URL, strings.Join(ev, ", "))
}

// DeleteWebhook removes a hook and every delivery of it, pending or not.
func (db *DB) DeleteWebhook(id, actorID uint64) error {
	return db.update(func(tx *bolt.Tx) error {
		h, err := recordTx[Webhook](tx.Bucket(bWebhooks), id)
		if err != nil {
			return err
		}
		if err := deleteDeliveries(tx, func(d *WebhookDelivery) bool { return d.HookID == id }); err != nil {
			return err
		}
		if err := tx.Bucket(bWebhooks).Delete(itob(id)); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActWebhookDeleted, ActorID: actorID, Detail: webhookDetail(h)})
	})
}

// SetWebhookDisabled disables a hook (no delivery is queued for it, the
// pending ones wait) or enables it again, audited; setting the state it
// already has writes nothing.
func (db *DB) SetWebhookDisabled(id uint64, disabled bool, actorID uint64) (*Webhook, error) {
	var h *Webhook
	err := db.update(func(tx *bolt.Tx) (err error) {
		b := tx.Bucket(bWebhooks)
		if h, err = recordTx[Webhook](b, id); err != nil || h.Disabled == disabled {
			return err
		}
		h.Disabled = disabled
		if err := putJSON(b, itob(id), h); err != nil {
			return err
		}
		act := ActWebhookEnabled
		if disabled {
			act = ActWebhookDisabled
		}
		return db.auditTx(tx, &AuditEvent{Action: act, ActorID: actorID, Detail: webhookDetail(h)})
	})
	return h, err
}

// Webhooks lists every hook, oldest first.
func (db *DB) Webhooks() (out []Webhook, err error) {
	err = db.view(func(tx *bolt.Tx) (err error) {
		out, err = allJSON[Webhook](tx.Bucket(bWebhooks))
		return err
	})
	return out, err
}

// webhookBody is what a delivery posts (CONTRACT.md).
type webhookBody struct {
	Event WebhookEventType `json:"event"`
	ID    string           `json:"id"`
	At    time.Time        `json:"at"`
	Data  any              `json:"data"`
}

// enqueueWebhooksTx queues one delivery of each event (nil ones skipped)
// to every hook that subscribed to it, inside the writer's transaction:
// the event and its deliveries are committed together or not at all, so a
// crash after the commit still delivers, and a refused write tells nobody.
// Without hooks it writes nothing.
func (db *DB) enqueueWebhooksTx(tx *bolt.Tx, events ...*WebhookEvent) error {
	hooksB := tx.Bucket(bWebhooks)
	if k, _ := hooksB.Cursor().First(); k == nil {
		return nil
	}
	hooks, err := allJSON[Webhook](hooksB)
	if err != nil {
		return err
	}
	now := db.now()
	for _, ev := range events {
		if ev == nil {
			continue
		}
		var body []byte
		for i := range hooks {
			if hooks[i].Disabled || !hooks[i].Wants(ev.Type) {
				continue
			}
			if body == nil {
				if ev.Email {
					ev.Data["email"] = emailTx(tx, ev.UserID)
				}
				if body, err = json.Marshal(webhookBody{Event: ev.Type, ID: uuid.NewString(), At: now, Data: ev.Data}); err != nil {
					return fmt.Errorf("store: encode webhook event: %w", err)
				}
			}
			d := &WebhookDelivery{HookID: hooks[i].ID, Event: ev.Type, UserID: ev.UserID, Body: string(body), CreatedAt: now, NextAt: now}
			if err := putDelivery(tx, d); err != nil {
				return err
			}
		}
	}
	return nil
}
