package store

import (
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bPasswordResets = []byte("password_resets")

// Audited actions of password reset.
const (
	ActPasswordResetAsked Action = "password_reset_asked"
	ActPasswordReset      Action = "password_reset"
)

// PasswordResetTTL is how long an e-mailed reset link works.
const PasswordResetTTL = time.Hour

// PasswordReset is a one-time link that sets a new password, stored under
// the SHA-256 of its token.
type PasswordReset struct {
	UserID    uint64    `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedAt    time.Time `json:"used_at,omitzero"`
}

// IssuePasswordReset stores a new reset token for userID, valid for
// PasswordResetTTL, and returns it.
func (db *DB) IssuePasswordReset(userID uint64) (string, error) {
	token, hash := NewToken()
	now := db.now()
	err := db.update(func(tx *bolt.Tx) error {
		if err := putJSON(tx.Bucket(bPasswordResets), hash[:], &PasswordReset{UserID: userID, CreatedAt: now, ExpiresAt: now.Add(PasswordResetTTL)}); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActPasswordResetAsked, SubjectID: userID})
	})
	return token, err
}

// PasswordResetFor returns the reset of token if it can still be used:
// ErrNotFound for an unknown token, ErrTokenGone for a used or expired one.
func (db *DB) PasswordResetFor(token string) (r *PasswordReset, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		r, err = db.passwordResetTx(tx, token)
		return err
	})
	return r, err
}

func (db *DB) passwordResetTx(tx *bolt.Tx, token string) (*PasswordReset, error) {
	h := HashToken(token)
	var r PasswordReset
	if err := getJSON(tx.Bucket(bPasswordResets), h[:], &r); err != nil {
		return nil, err
	}
	if !r.UsedAt.IsZero() || !db.now().Before(r.ExpiresAt) {
		return nil, ErrTokenGone
	}
	return &r, nil
}

// ResetPassword spends token and sets the user's password hash, atomically;
// the user's other reset links stop working too.
func (db *DB) ResetPassword(token, hash string) (*User, error) {
	var u *User
	err := db.update(func(tx *bolt.Tx) error {
		r, err := db.passwordResetTx(tx, token)
		if err != nil {
			return err
		}
		if u, err = userTx(tx, r.UserID); err != nil {
			return err
		}
		now := db.now()
		u.PasswordHash, u.UpdatedAt = hash, now
		if err := db.putUser(tx, u); err != nil {
			return err
		}
		if err := spendResets(tx, u.ID, now); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActPasswordReset, ActorID: u.ID, SubjectID: u.ID})
	})
	return u, err
}

// spendResets marks every open reset of userID used, and drops expired ones
// of anybody (the bucket stays small).
func spendResets(tx *bolt.Tx, userID uint64, now time.Time) error {
	b := tx.Bucket(bPasswordResets)
	type kv struct {
		k []byte
		r PasswordReset
	}
	var upd, del []kv
	err := b.ForEach(func(k, v []byte) error {
		var r PasswordReset
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		k = append([]byte(nil), k...)
		switch {
		case !now.Before(r.ExpiresAt.Add(24 * time.Hour)):
			del = append(del, kv{k, r})
		case r.UserID == userID && r.UsedAt.IsZero():
			r.UsedAt = now
			upd = append(upd, kv{k, r})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, x := range del {
		if err := b.Delete(x.k); err != nil {
			return err
		}
	}
	for _, x := range upd {
		if err := putJSON(b, x.k, &x.r); err != nil {
			return err
		}
	}
	return nil
}

func init() {
	registerBuckets(BucketInfo{Name: string(bPasswordResets), Class: Personal,
		Holds: "password reset links: hashed token, account, when asked, used or not",
		Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
			return emitMatching(tx.Bucket(bPasswordResets), func(r *PasswordReset) bool { return r.UserID == userID }, emit)
		},
		Erase: func(tx *bolt.Tx, userID uint64) (string, error) {
			return "", deleteMatching(tx.Bucket(bPasswordResets), func(r *PasswordReset) bool { return r.UserID == userID })
		}})
}
