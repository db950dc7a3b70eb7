package store

import (
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// APIScope is what an API token may do.
type APIScope string

// The scopes: read answers GETs and status lookups; write also creates
// learners, enrolments and progress; metrics reads /metrics and nothing
// else (a scraper learns no one's consent).
const (
	ScopeRead    APIScope = "read"
	ScopeWrite   APIScope = "write"
	ScopeMetrics APIScope = "metrics"
)

// Valid reports whether s is a known scope.
func (s APIScope) Valid() bool { return s == ScopeRead || s == ScopeWrite || s == ScopeMetrics }

// Allows reports whether a token of scope s may use a route that needs need.
func (s APIScope) Allows(need APIScope) bool { return s == ScopeWrite || s == need }

// Audited actions of the API.
const (
	ActTokenCreated Action = "api_token_created"
	ActTokenRevoked Action = "api_token_revoked"
)

// APIToken is a bearer token of the JSON API. Only the SHA-256 of the
// secret is kept: the secret is shown once, when it is created.
type APIToken struct {
	ID         uint64    `json:"id"`
	Name       string    `json:"name"`
	Scope      APIScope  `json:"scope"`
	Hash       string    `json:"hash"`   // hex SHA-256 of the secret
	Prefix     string    `json:"prefix"` // the secret's first characters, to recognise it
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// Revoked reports whether the token was revoked.
func (t *APIToken) Revoked() bool { return !t.RevokedAt.IsZero() }

// apiTokenPrefix starts every secret, so that a leaked one is easy to spot
// in a repository or a log.
const apiTokenPrefix = "acc_"

var bAPITokens = []byte("api_tokens")

func init() {
	registerBuckets(BucketInfo{Name: string(bAPITokens), Class: NotPersonal,
		Holds: "API tokens: name, scope, SHA-256 of the secret, creation, last use, revocation"})
}

// CreateAPIToken stores a new token and returns its secret, which is not
// kept anywhere: the caller shows it once.
func (db *DB) CreateAPIToken(name string, scope APIScope, actorID uint64) (secret string, t *APIToken, err error) {
	if !scope.Valid() {
		return "", nil, fmt.Errorf("store: unknown API scope %q", scope)
	}
	raw, _ := NewToken()
	secret = apiTokenPrefix + raw
	hash := HashToken(secret)
	err = db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAPITokens)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		t = &APIToken{ID: id, Name: name, Scope: scope, Hash: hex.EncodeToString(hash[:]),
			Prefix: secret[:len(apiTokenPrefix)+4], CreatedAt: db.now()}
		if err := putJSON(b, itob(id), t); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActTokenCreated, ActorID: actorID, Detail: fmt.Sprintf("%s (%s, %s…)", name, scope, t.Prefix)})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// ErrRevoked is returned when a token is revoked twice.
var ErrRevoked = errors.New("store: the token is already revoked")

// RevokeAPIToken revokes a token for good.
func (db *DB) RevokeAPIToken(id, actorID uint64) (*APIToken, error) {
	var t *APIToken
	err := db.update(func(tx *bolt.Tx) (err error) {
		b := tx.Bucket(bAPITokens)
		if t, err = recordTx[APIToken](b, id); err != nil {
			return err
		}
		if t.Revoked() {
			return ErrRevoked
		}
		t.RevokedAt = db.now()
		if err := putJSON(b, itob(id), t); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActTokenRevoked, ActorID: actorID, Detail: fmt.Sprintf("%s (%s, %s…)", t.Name, t.Scope, t.Prefix)})
	})
	return t, err
}

// APITokens lists every token, oldest first.
func (db *DB) APITokens() (out []APIToken, err error) {
	err = db.view(func(tx *bolt.Tx) (err error) {
		out, err = allJSON[APIToken](tx.Bucket(bAPITokens))
		return err
	})
	return out, err
}

// TouchAPITokens records last-use times gathered in memory, in one write
// (an API call itself writes nothing for it). Unknown tokens are skipped.
func (db *DB) TouchAPITokens(used map[uint64]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAPITokens)
		for id, at := range used {
			t, err := recordTx[APIToken](b, id)
			if errors.Is(err, ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			if !at.After(t.LastUsedAt) {
				continue
			}
			t.LastUsedAt = at.UTC()
			if err := putJSON(b, itob(id), t); err != nil {
				return err
			}
		}
		return nil
	})
}
