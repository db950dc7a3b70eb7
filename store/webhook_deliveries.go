package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// WebhookDelivery is one event to post to one hook. Its body is the exact
// bytes signed and sent; it holds personal data (an email), so it is
// cleared once delivered or given up, and erased with its person.
type WebhookDelivery struct {
	ID            uint64           `json:"id"`
	HookID        uint64           `json:"hook_id"`
	Event         WebhookEventType `json:"event"`
	UserID        uint64           `json:"user_id,omitempty"`
	Body          string           `json:"body,omitempty"`
	CreatedAt     time.Time        `json:"created_at"`
	Attempts      int              `json:"attempts"`
	NextAt        time.Time        `json:"next_at,omitzero"`
	LastAttemptAt time.Time        `json:"last_attempt_at,omitzero"`
	LastStatus    int              `json:"last_status,omitempty"` // the receiver's HTTP status
	LastError     string           `json:"last_error,omitempty"`
	DeliveredAt   time.Time        `json:"delivered_at,omitzero"`
	Dead          bool             `json:"dead,omitempty"` // given up after too many attempts
}

// DeliveryState is where a delivery is.
type DeliveryState string

// The delivery states.
const (
	DeliveryPending   DeliveryState = "pending"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryFailed    DeliveryState = "failed"
)

// State says whether d is pending, delivered or failed for good.
func (d *WebhookDelivery) State() DeliveryState {
	switch {
	case !d.DeliveredAt.IsZero():
		return DeliveryDelivered
	case d.Dead:
		return DeliveryFailed
	}
	return DeliveryPending
}

var (
	bWebhookDeliveries = []byte("webhook_deliveries")
	bWebhookPending    = []byte("webhook_deliveries_pending")
)

func init() {
	registerBuckets(
		BucketInfo{Name: string(bWebhookDeliveries), Class: Personal,
			Holds: "webhook deliveries: event, the person's id and email until delivered, attempts, last status",
			Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
				return emitMatching(tx.Bucket(bWebhookDeliveries), func(d *WebhookDelivery) bool { return d.UserID == userID }, emit)
			},
			Erase: func(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
				// The notice of this erasure is queued after this, and kept
				// until delivered: GDPR art. 19.
				return nil, deleteDeliveries(tx, func(d *WebhookDelivery) bool { return d.UserID == userID })
			}},
		BucketInfo{Name: string(bWebhookPending), Class: Index, IndexOf: string(bWebhookDeliveries),
			Holds: "deliveries not yet delivered nor given up"},
	)
}

func putDelivery(tx *bolt.Tx, d *WebhookDelivery) error {
	b := tx.Bucket(bWebhookDeliveries)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	d.ID = id
	if err := putJSON(b, itob(id), d); err != nil {
		return err
	}
	return tx.Bucket(bWebhookPending).Put(itob(id), nil)
}

func deleteDeliveries(tx *bolt.Tx, match func(d *WebhookDelivery) bool) error {
	if err := deleteMatching(tx.Bucket(bWebhookDeliveries), match); err != nil {
		return err
	}
	// Pending entries whose delivery went.
	b, idx := tx.Bucket(bWebhookDeliveries), tx.Bucket(bWebhookPending)
	var gone [][]byte
	if err := idx.ForEach(func(k, _ []byte) error {
		if b.Get(k) == nil {
			gone = append(gone, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return err
	}
	return deleteKeys(idx, gone)
}

// DueDelivery is a delivery to attempt, with where and how to sign it.
type DueDelivery struct {
	WebhookDelivery
	URL, Secret string
}

// DueWebhookDeliveries returns up to limit pending deliveries due at now,
// oldest first, reading only the pending index.
func (db *DB) DueWebhookDeliveries(now time.Time, limit int) (out []DueDelivery, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		b, hooks := tx.Bucket(bWebhookDeliveries), tx.Bucket(bWebhooks)
		c := tx.Bucket(bWebhookPending).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			var d DueDelivery
			if err := getJSON(b, k, &d.WebhookDelivery); errors.Is(err, ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			if d.NextAt.After(now) {
				continue
			}
			h, err := recordTx[Webhook](hooks, d.HookID)
			if errors.Is(err, ErrNotFound) || (err == nil && h.Disabled) {
				continue
			} else if err != nil {
				return err
			}
			d.URL, d.Secret = h.URL, h.Secret
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// Attempt is the outcome of one delivery attempt.
type Attempt struct {
	At     time.Time
	Status int    // the receiver's HTTP status, 0 when none came
	Error  string // why it failed ("" when delivered)
	OK     bool
	// Next is when to try again; Dead gives up instead.
	Next time.Time
	Dead bool
}

// WebhookAttempted records an attempt. Once delivered or given up, the
// delivery leaves the pending index and its body (personal data) goes. A
// delivery no longer there (erased, hook deleted) is not an error.
func (db *DB) WebhookAttempted(id uint64, at Attempt) error {
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bWebhookDeliveries)
		d, err := recordTx[WebhookDelivery](b, id)
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		d.Attempts++
		d.LastAttemptAt, d.LastStatus, d.LastError = at.At.UTC(), at.Status, at.Error
		switch {
		case at.OK:
			d.DeliveredAt, d.NextAt = at.At.UTC(), time.Time{}
		case at.Dead:
			d.Dead, d.NextAt = true, time.Time{}
		default:
			d.NextAt = at.Next.UTC()
		}
		if at.OK || at.Dead {
			d.Body = ""
			if err := tx.Bucket(bWebhookPending).Delete(itob(id)); err != nil {
				return err
			}
		}
		return putJSON(b, itob(id), d)
	})
}

// WebhookDeliveries lists up to limit deliveries, newest first.
func (db *DB) WebhookDeliveries(limit int) (out []WebhookDelivery, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bWebhookDeliveries).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var d WebhookDelivery
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// PruneWebhookDeliveries forgets deliveries finished (delivered or given
// up) before before; pending ones stay.
func (db *DB) PruneWebhookDeliveries(before time.Time) error {
	err := db.update(func(tx *bolt.Tx) error {
		var old [][]byte
		if err := eachJSON(tx.Bucket(bWebhookDeliveries), func(k []byte, d *WebhookDelivery) error {
			if d.State() != DeliveryPending && d.LastAttemptAt.Before(before) {
				old = append(old, bytes.Clone(k))
			}
			return nil
		}); err != nil {
			return err
		}
		if len(old) == 0 {
			return errNoChange
		}
		return deleteKeys(tx.Bucket(bWebhookDeliveries), old)
	})
	if errors.Is(err, errNoChange) {
		return nil
	}
	return err
}
