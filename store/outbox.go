package store

import (
	"encoding/json"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bOutbox = []byte("outbox")

// OutMail is a message waiting in the outbox. It is rendered when queued
// (in the recipient's language) and deleted once the SMTP server took it:
// the outbox keeps nothing that was delivered.
type OutMail struct {
	ID        uint64    `json:"id"`
	UserID    uint64    `json:"user_id,omitempty"`  // the recipient's account, if any
	AboutID   uint64    `json:"about_id,omitempty"` // the user the mail speaks of, if not the recipient
	To        string    `json:"to"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"` // plain text
	CreatedAt time.Time `json:"created_at"`
	Attempts  int       `json:"attempts,omitempty"`
	NextAt    time.Time `json:"next_at"` // not tried again before
	LastError string    `json:"last_error,omitempty"`
	// Dead: given up after too many failures; kept for the operator.
	Dead bool `json:"dead,omitempty"`
}

// EnqueueMail queues m, due now.
func (db *DB) EnqueueMail(m *OutMail) error {
	return db.update(func(tx *bolt.Tx) error { return db.enqueueMailTx(tx, m) })
}

func (db *DB) enqueueMailTx(tx *bolt.Tx, m *OutMail) error {
	b := tx.Bucket(bOutbox)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	m.ID = id
	m.CreatedAt = db.now()
	m.NextAt = m.CreatedAt
	return putJSON(b, itob(id), m)
}

// DueMails returns up to limit mails that are due at now, oldest first.
func (db *DB) DueMails(now time.Time, limit int) (out []OutMail, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bOutbox).Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			var m OutMail
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			if !m.Dead && !m.NextAt.After(now) {
				out = append(out, m)
			}
		}
		return nil
	})
	return out, err
}

// Outbox lists every mail still in the outbox, oldest first.
func (db *DB) Outbox() (out []OutMail, err error) {
	err = db.view(func(tx *bolt.Tx) (err error) {
		out, err = allJSON[OutMail](tx.Bucket(bOutbox))
		return err
	})
	return out, err
}

// MailDelivered removes a delivered mail from the outbox.
func (db *DB) MailDelivered(id uint64) error {
	return db.update(func(tx *bolt.Tx) error { return tx.Bucket(bOutbox).Delete(itob(id)) })
}

// MailFailed records a failed attempt: tried again at next, or never when
// dead. A mail no longer in the outbox (erased) is not an error.
func (db *DB) MailFailed(id uint64, reason string, next time.Time, dead bool) error {
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bOutbox)
		var m OutMail
		if err := getJSON(b, itob(id), &m); err == ErrNotFound {
			return nil
		} else if err != nil {
			return err
		}
		m.Attempts++
		m.LastError, m.NextAt, m.Dead = reason, next.UTC(), dead
		return putJSON(b, itob(id), &m)
	})
}

func init() {
	registerBuckets(BucketInfo{Name: string(bOutbox), Class: Personal,
		Holds: "mail not yet delivered: address, subject, text (deleted once delivered)",
		Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
			return emitMatching(tx.Bucket(bOutbox), outboxMatcher(tx, userID), emit)
		},
		Erase: func(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
			return nil, deleteMatching(tx.Bucket(bOutbox), outboxMatcher(tx, userID))
		}})
}

// outboxMatcher tells the mails to or about userID: by account, or by
// address while the account is still readable.
func outboxMatcher(tx *bolt.Tx, userID uint64) func(m *OutMail) bool {
	email := ""
	if u, err := userTx(tx, userID); err == nil {
		email = NormEmail(u.Email)
	}
	return func(m *OutMail) bool {
		return m.UserID == userID || m.AboutID == userID || (email != "" && strings.EqualFold(strings.TrimSpace(m.To), email))
	}
}
