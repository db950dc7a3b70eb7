package store

import (
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SetupTokenTTL is how long a first-administrator link works.
const SetupTokenTTL = 24 * time.Hour

// ErrTokenGone is returned for a setup token that was used, replaced or expired.
var ErrTokenGone = errors.New("store: token used or expired")

// SetupToken is a one-time link that creates the first administrator.
type SetupToken struct {
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedAt    time.Time `json:"used_at,omitzero"`
	Voided    bool      `json:"voided,omitempty"` // replaced by a newer link
}

// IssueSetupToken voids earlier setup tokens and stores a new one.
func (db *DB) IssueSetupToken() (string, error) {
	token, hash := NewToken()
	now := db.now()
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSetupTokens)
		var old [][]byte
		err := b.ForEach(func(k, v []byte) error {
			old = append(old, append([]byte(nil), k...))
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			var t SetupToken
			if err := getJSON(b, k, &t); err != nil {
				return err
			}
			if !t.Voided && t.UsedAt.IsZero() {
				t.Voided = true
				if err := putJSON(b, k, &t); err != nil {
					return err
				}
			}
		}
		return putJSON(b, hash[:], &SetupToken{CreatedAt: now, ExpiresAt: now.Add(SetupTokenTTL)})
	})
	return token, err
}

// CheckSetupToken reports ErrNotFound for an unknown token, ErrTokenGone for
// a used, voided or expired one, and nil for one that can still be used.
func (db *DB) CheckSetupToken(token string) error {
	return db.view(func(tx *bolt.Tx) error {
		_, err := db.setupTokenTx(tx, token)
		return err
	})
}

func (db *DB) setupTokenTx(tx *bolt.Tx, token string) (*SetupToken, error) {
	h := HashToken(token)
	var t SetupToken
	if err := getJSON(tx.Bucket(bSetupTokens), h[:], &t); err != nil {
		return nil, err
	}
	if t.Voided || !t.UsedAt.IsZero() || !db.now().Before(t.ExpiresAt) {
		return nil, ErrTokenGone
	}
	return &t, nil
}

// CreateFirstAdmin uses token to create u as an administrator, atomically:
// the token is spent only if the account is made, and never twice.
func (db *DB) CreateFirstAdmin(token string, u *User) error {
	return db.update(func(tx *bolt.Tx) error {
		t, err := db.setupTokenTx(tx, token)
		if err != nil {
			return err
		}
		if n, err := countActiveAdmins(tx); err != nil {
			return err
		} else if n > 0 {
			return ErrNotFound
		}
		u.Role = RoleAdmin
		if err := db.createUser(tx, u); err != nil {
			return err
		}
		t.UsedAt = db.now()
		h := HashToken(token)
		if err := putJSON(tx.Bucket(bSetupTokens), h[:], t); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActUserCreated, ActorID: u.ID, SubjectID: u.ID, Detail: "first administrator, setup link"})
	})
}
