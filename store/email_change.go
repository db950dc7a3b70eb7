package store

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

var bEmailChanges = []byte("email_changes")

// Audited actions of an email change.
const (
	ActEmailChangeAsked Action = "email_change_asked"
	ActEmailChanged     Action = "email_changed"
)

// EmailChangeTTL is how long the confirmation link of a new address works.
const EmailChangeTTL = 24 * time.Hour

// EmailChange is a new address waiting for its owner to confirm it by the
// mailed link, stored under the SHA-256 of the link's token. Until then the
// account signs in and resets with its old address.
type EmailChange struct {
	UserID    uint64    `json:"user_id"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// RequestEmailChange records email as userID's pending address, replacing
// any earlier pending one, and returns the token of its confirmation link.
func (db *DB) RequestEmailChange(userID uint64, email string) (string, error) {
	token, hash := NewToken()
	now := db.now()
	err := db.update(func(tx *bolt.Tx) error {
		if _, err := userTx(tx, userID); err != nil {
			return err
		}
		b := tx.Bucket(bEmailChanges)
		if err := deleteMatching(b, func(r *EmailChange) bool { return r.UserID == userID || !now.Before(r.ExpiresAt) }); err != nil {
			return err
		}
		if err := putJSON(b, hash[:], &EmailChange{UserID: userID, Email: email, CreatedAt: now, ExpiresAt: now.Add(EmailChangeTTL)}); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActEmailChangeAsked, ActorID: userID, SubjectID: userID})
	})
	return token, err
}

// PendingEmailChange is userID's address waiting for confirmation, or nil.
func (db *DB) PendingEmailChange(userID uint64) (*EmailChange, error) {
	var out *EmailChange
	now := db.now()
	err := db.view(func(tx *bolt.Tx) error {
		return eachJSON(tx.Bucket(bEmailChanges), func(_ []byte, r *EmailChange) error {
			if r.UserID == userID && now.Before(r.ExpiresAt) {
				c := *r
				out = &c
			}
			return nil
		})
	})
	return out, err
}

// ConfirmEmailChange spends token and makes its address the account's,
// atomically: ErrNotFound for an unknown token, ErrTokenGone for an expired
// one, ErrEmailTaken when another account took the address meanwhile. It
// returns the account as changed and its former address.
func (db *DB) ConfirmEmailChange(token string) (*User, string, error) {
	var u *User
	var old string
	err := db.update(func(tx *bolt.Tx) error {
		h := HashToken(token)
		b := tx.Bucket(bEmailChanges)
		var r EmailChange
		if err := getJSON(b, h[:], &r); err != nil {
			return err
		}
		if !db.now().Before(r.ExpiresAt) {
			return ErrTokenGone
		}
		var err error
		if u, err = userTx(tx, r.UserID); err != nil {
			return err
		}
		old = u.Email
		if err := reindexEmail(tx, old, r.Email, u.ID); err != nil {
			return err
		}
		u.Email, u.UpdatedAt = r.Email, db.now()
		if err := db.putUser(tx, u); err != nil {
			return err
		}
		if err := deleteMatching(b, func(c *EmailChange) bool { return c.UserID == u.ID }); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActEmailChanged, ActorID: u.ID, SubjectID: u.ID})
	})
	return u, old, err
}

// CancelEmailChanges drops userID's pending address (the password changed,
// or the account was suspended).
func (db *DB) CancelEmailChanges(userID uint64) error {
	return db.update(func(tx *bolt.Tx) error {
		return deleteMatching(tx.Bucket(bEmailChanges), func(r *EmailChange) bool { return r.UserID == userID })
	})
}

func init() {
	registerBuckets(BucketInfo{Name: string(bEmailChanges), Class: Personal,
		Holds: "new email addresses waiting for confirmation: hashed token, account, the new address, when asked",
		Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
			return emitMatching(tx.Bucket(bEmailChanges), func(r *EmailChange) bool { return r.UserID == userID }, emit)
		},
		Erase: func(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
			return nil, deleteMatching(tx.Bucket(bEmailChanges), func(r *EmailChange) bool { return r.UserID == userID })
		}})
}

// EmailChangeFor returns the pending change of token: ErrNotFound for an
// unknown token, ErrTokenGone for an expired one.
func (db *DB) EmailChangeFor(token string) (*EmailChange, error) {
	var r EmailChange
	err := db.view(func(tx *bolt.Tx) error {
		h := HashToken(token)
		if err := getJSON(tx.Bucket(bEmailChanges), h[:], &r); err != nil {
			return err
		}
		if !db.now().Before(r.ExpiresAt) {
			return ErrTokenGone
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}
