package store

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Session is a signed-in browser. Its key is the SHA-256 of the token in the
// cookie, so a copy of the database cannot be used to sign in.
type Session struct {
	Hash      [32]byte  `json:"-"`
	UserID    uint64    `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen"`
}

// NewToken returns a 256-bit random token, URL-safe, and its SHA-256.
func NewToken() (token string, hash [32]byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is how tokens are stored.
func HashToken(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// CreateSession stores a new session for userID and returns its token.
func (db *DB) CreateSession(userID uint64) (string, *Session, error) {
	token, hash := NewToken()
	now := db.now()
	s := &Session{Hash: hash, UserID: userID, CreatedAt: now, LastSeen: now}
	err := db.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bSessionsByUser).Put(pairKey(userID, hash[:]), nil); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bSessions), hash[:], s)
	})
	return token, s, err
}

// Session finds a session by the hash of its token.
func (db *DB) Session(hash [32]byte) (*Session, error) {
	var s Session
	err := db.view(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bSessions), hash[:], &s)
	})
	if err != nil {
		return nil, err
	}
	s.Hash = hash
	return &s, nil
}

// DeleteSession destroys one session; a missing one is not an error.
func (db *DB) DeleteSession(hash [32]byte) error {
	return db.update(func(tx *bolt.Tx) error { return deleteSessionTx(tx, hash) })
}

func deleteSessionTx(tx *bolt.Tx, hash [32]byte) error {
	var s Session
	if err := getJSON(tx.Bucket(bSessions), hash[:], &s); err != nil {
		if err == ErrNotFound {
			return nil
		}
		return err
	}
	if err := tx.Bucket(bSessionsByUser).Delete(pairKey(s.UserID, hash[:])); err != nil {
		return err
	}
	return tx.Bucket(bSessions).Delete(hash[:])
}

// DeleteUserSessions destroys every session of userID but keep (zero to keep
// none) and returns the hashes destroyed, so caches can forget them.
func (db *DB) DeleteUserSessions(userID uint64, keep [32]byte) (gone [][32]byte, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		gone, err = deleteUserSessionsTx(tx, userID, keep)
		return err
	})
	return gone, err
}

func deleteUserSessionsTx(tx *bolt.Tx, userID uint64, keep [32]byte) (gone [][32]byte, err error) {
	prefix := itob(userID)
	c := tx.Bucket(bSessionsByUser).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		var h [32]byte
		copy(h[:], k[8:])
		if h != keep {
			gone = append(gone, h)
		}
	}
	for _, h := range gone {
		if err := deleteSessionTx(tx, h); err != nil {
			return nil, err
		}
	}
	return gone, nil
}

// TouchSessions records last-seen times gathered in memory, in one write.
// Unknown sessions (ended meanwhile) are skipped.
func (db *DB) TouchSessions(seen map[[32]byte]time.Time) error {
	if len(seen) == 0 {
		return nil
	}
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSessions)
		for h, t := range seen {
			var s Session
			if err := getJSON(b, h[:], &s); err == ErrNotFound {
				continue
			} else if err != nil {
				return err
			}
			if !t.After(s.LastSeen) {
				continue
			}
			s.LastSeen = t.UTC()
			if err := putJSON(b, h[:], &s); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteExpiredSessions removes sessions idle since before idleBefore or
// created before createdBefore, and returns their hashes.
func (db *DB) DeleteExpiredSessions(idleBefore, createdBefore time.Time) (dead [][32]byte, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		err := tx.Bucket(bSessions).ForEach(func(k, v []byte) error {
			var s Session
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			if s.LastSeen.Before(idleBefore) || s.CreatedAt.Before(createdBefore) {
				var h [32]byte
				copy(h[:], k)
				dead = append(dead, h)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, h := range dead {
			if err := deleteSessionTx(tx, h); err != nil {
				return err
			}
		}
		return nil
	})
	return dead, err
}

func init() {
	registerBuckets(
		BucketInfo{Name: string(bSessions), Class: Personal, Holds: "signed-in sessions: hashed id, account, start and last activity",
			Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
				prefix := itob(userID)
				c := tx.Bucket(bSessionsByUser).Cursor()
				for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
					var s Session
					if err := getJSON(tx.Bucket(bSessions), k[8:], &s); err != nil {
						return err
					}
					if err := emit(s); err != nil {
						return err
					}
				}
				return nil
			},
			Erase: func(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
				_, err := deleteUserSessionsTx(tx, userID, [32]byte{})
				return nil, err
			}},
		BucketInfo{Name: string(bSessionsByUser), Class: Index, IndexOf: string(bSessions), Holds: "account → sessions"},
	)
}
