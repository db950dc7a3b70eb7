package store

import (
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bPasswordResets = []byte("password_resets")
	bResetAsks      = []byte("password_reset_asks")
)

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

// ResetAsk is an address that asked for a reset link, kept until the mail
// job answers it (a link in the outbox, or nothing for an unknown address):
// written before the page answers, so a crash right after loses nothing.
type ResetAsk struct {
	ID      uint64    `json:"id"`
	Email   string    `json:"email"`
	AskedAt time.Time `json:"asked_at"`
}

// AskPasswordReset stores that email asked for a reset link. It is one
// write whether or not an account has that address, so the answer takes
// the same time either way.
func (db *DB) AskPasswordReset(email string) error {
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bResetAsks)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		return putJSON(b, itob(id), &ResetAsk{ID: id, Email: email, AskedAt: db.now()})
	})
}

// ResetAsks returns up to limit unanswered asks, oldest first.
func (db *DB) ResetAsks(limit int) (out []ResetAsk, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bResetAsks).Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			var a ResetAsk
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// DropResetAsk forgets an ask answered with nothing (no such account, a
// suspended one, or asked too often).
func (db *DB) DropResetAsk(id uint64) error {
	return db.update(func(tx *bolt.Tx) error { return tx.Bucket(bResetAsks).Delete(itob(id)) })
}

// AnswerResetAsk answers ask askID with a reset link for userID, in one
// transaction: the ask is removed, token (made by NewToken, the link in
// mail) stored for PasswordResetTTL, the ask audited and mail queued. An
// ask already answered (a second job round) does nothing.
func (db *DB) AnswerResetAsk(askID, userID uint64, token string, mail *OutMail) error {
	return db.update(func(tx *bolt.Tx) error {
		asks := tx.Bucket(bResetAsks)
		if asks.Get(itob(askID)) == nil {
			return nil
		}
		if err := asks.Delete(itob(askID)); err != nil {
			return err
		}
		if err := db.issueResetTx(tx, userID, token); err != nil {
			return err
		}
		return db.enqueueMailTx(tx, mail)
	})
}

// IssuePasswordReset stores a new reset token for userID, valid for
// PasswordResetTTL, and returns it.
func (db *DB) IssuePasswordReset(userID uint64) (string, error) {
	token, _ := NewToken()
	err := db.update(func(tx *bolt.Tx) error { return db.issueResetTx(tx, userID, token) })
	return token, err
}

func (db *DB) issueResetTx(tx *bolt.Tx, userID uint64, token string) error {
	hash, now := HashToken(token), db.now()
	if err := putJSON(tx.Bucket(bPasswordResets), hash[:], &PasswordReset{UserID: userID, CreatedAt: now, ExpiresAt: now.Add(PasswordResetTTL)}); err != nil {
		return err
	}
	return db.auditTx(tx, &AuditEvent{Action: ActPasswordResetAsked, SubjectID: userID})
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
		Erase: func(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
			return nil, deleteMatching(tx.Bucket(bPasswordResets), func(r *PasswordReset) bool { return r.UserID == userID })
		}},
		BucketInfo{Name: string(bResetAsks), Class: Personal,
			Holds: "addresses that asked for a reset link, until the mail job answers (minutes)",
			Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
				return emitMatching(tx.Bucket(bResetAsks), resetAskMatcher(tx, userID), emit)
			},
			Erase: func(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
				return nil, deleteMatching(tx.Bucket(bResetAsks), resetAskMatcher(tx, userID))
			}})
}

// resetAskMatcher tells the asks made with userID's address.
func resetAskMatcher(tx *bolt.Tx, userID uint64) func(a *ResetAsk) bool {
	email := ""
	if u, err := userTx(tx, userID); err == nil {
		email = NormEmail(u.Email)
	}
	return func(a *ResetAsk) bool { return email != "" && NormEmail(a.Email) == email }
}
