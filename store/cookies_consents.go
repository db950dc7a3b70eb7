package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// ConsentState is the state of a consent record (ISO/IEC TS 27560).
type ConsentState string

// The consent states.
const (
	ConsentGiven     ConsentState = "given"     // at least one optional category accepted
	ConsentRefused   ConsentState = "refused"   // every optional category refused
	ConsentWithdrawn ConsentState = "withdrawn" // every optional category refused after a consent
	ConsentExpired   ConsentState = "expired"   // the lifetime ran out: asked again
)

// ConsentMethod is how the choice was made.
type ConsentMethod string

// The consent methods (POST /cookies `choice`).
const (
	MethodAcceptAll ConsentMethod = "accept_all"
	MethodRefuseAll ConsentMethod = "refuse_all"
	MethodCustom    ConsentMethod = "custom"
	MethodClose     ConsentMethod = "close" // "continue without accepting": a refusal
)

// ConsentMethods lists the methods, for reports.
var ConsentMethods = []ConsentMethod{MethodAcceptAll, MethodRefuseAll, MethodCustom, MethodClose}

// CookieConsent is one cookie choice, kept as proof (modelled on ISO/IEC TS
// 27560 consent records). The subject is the account (UserID) and/or the
// browser (ConsentID, the random id in the accord_consent cookie). No IP
// address and no user agent are kept (GDPR art. 5(1)(c)). Records are never
// changed: each choice appends one.
type CookieConsent struct {
	ID               string                  `json:"id"` // UUID
	UserID           uint64                  `json:"user_id,omitempty"`
	ConsentID        string                  `json:"consent_id,omitempty"`
	Time             time.Time               `json:"time"`
	State            ConsentState            `json:"state"`
	Method           ConsentMethod           `json:"method"`
	Decisions        map[CookieCategory]bool `json:"decisions"`
	RegisterRevision uint64                  `json:"register_revision"`
	// RegisterDigest is the SHA-256 of the register as shown in Lang (its
	// revision and every entry's texts), so the proof covers the table.
	RegisterDigest  string    `json:"register_digest,omitempty"`
	PolicyVersionID uint64    `json:"policy_version_id,omitempty"`
	PolicyTextHash  string    `json:"policy_text_hash,omitempty"`
	Lang            string    `json:"lang"`
	ValidUntil      time.Time `json:"valid_until"`
	// DerivedFrom is the record this one follows from without a new
	// choice: the browser's record a sign-in carried over to the account
	// (the newer choice wins), or the record that expired.
	DerivedFrom string `json:"derived_from,omitempty"`
}

// Allows reports whether the record accepts category cat.
func (r *CookieConsent) Allows(cat CookieCategory) bool {
	return cat == CookieNecessary || (r.State == ConsentGiven && r.Decisions[cat])
}

// ConsentSubject is the key of a subject in the index: an account or a browser.
func ConsentSubject(userID uint64, consentID string) []byte {
	if userID != 0 {
		return append([]byte{'u'}, itob(userID)...)
	}
	return append([]byte{'v'}, consentID...)
}

// RecordCookieConsent appends r, giving it a UUID (and a time, if it has
// none), indexed under its account and its browser.
func (db *DB) RecordCookieConsent(r *CookieConsent) error {
	return db.RecordCookieConsents([]*CookieConsent{r})
}

// RecordCookieConsents appends several records in one transaction (the
// expiry sweep).
func (db *DB) RecordCookieConsents(rs []*CookieConsent) error {
	now := db.now()
	for _, r := range rs {
		if r.UserID == 0 && r.ConsentID == "" {
			return errors.New("store: a cookie choice needs an account or a browser")
		}
		r.ID = uuid.NewString()
		if r.Time.IsZero() {
			r.Time = now
		}
	}
	return db.update(func(tx *bolt.Tx) error {
		for _, r := range rs {
			if err := appendConsent(tx, r); err != nil {
				return err
			}
			if err := db.enqueueWebhooksTx(tx, cookieEvent(r)); err != nil {
				return err
			}
		}
		return nil
	})
}

func appendConsent(tx *bolt.Tx, r *CookieConsent) error {
	b := tx.Bucket(bCookieConsents)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	idx := tx.Bucket(bConsentsBySubject)
	if r.UserID != 0 {
		if err := idx.Put(indexKey(ConsentSubject(r.UserID, ""), seq), nil); err != nil {
			return err
		}
	}
	if r.ConsentID != "" {
		if err := idx.Put(indexKey(ConsentSubject(0, r.ConsentID), seq), nil); err != nil {
			return err
		}
	}
	if err := putJSON(b, itob(seq), r); err != nil {
		return err
	}
	_, err = appendChain(tx, ChainCookieConsent, seq, CanonicalCookieConsent(r), r.UserID)
	return err
}

// LatestCookieConsents calls fn with every subject's latest record (an
// account's or a browser's), from one read: the app's cache is built from it.
func (db *DB) LatestCookieConsents(fn func(subject string, r *CookieConsent)) error {
	return db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bCookieConsents)
		var subject []byte
		var last []byte
		flush := func() error {
			if subject == nil {
				return nil
			}
			var r CookieConsent
			if err := getJSON(b, last, &r); err != nil {
				return err
			}
			fn(string(subject), &r)
			return nil
		}
		c := tx.Bucket(bConsentsBySubject).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			s := k[:len(k)-9]
			if subject != nil && !bytes.Equal(s, subject) {
				if err := flush(); err != nil {
					return err
				}
			}
			subject = append(subject[:0:0], s...)
			last = append(last[:0:0], k[len(k)-8:]...)
		}
		return flush()
	})
}

// LatestCookieConsent is the latest record of one subject: account userID,
// or with userID 0 browser consentID. ErrNotFound when it has none (for
// the app's bounded cache of browsers, on a miss).
func (db *DB) LatestCookieConsent(userID uint64, consentID string) (*CookieConsent, error) {
	subject := ConsentSubject(userID, consentID)
	var r CookieConsent
	err := db.view(func(tx *bolt.Tx) error {
		// Keys are subject 0x00 BE(seq): the last one before subject 0x01
		// is the subject's newest, if it has the subject's prefix.
		c := tx.Bucket(bConsentsBySubject).Cursor()
		var k []byte
		if k, _ = c.Seek(append(append([]byte(nil), subject...), 1)); k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		prefix := append(append([]byte(nil), subject...), 0)
		if k == nil || len(k) != len(prefix)+8 || !bytes.HasPrefix(k, prefix) {
			return ErrNotFound
		}
		return getJSON(tx.Bucket(bCookieConsents), k[len(prefix):], &r)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// CookieConsentHistory lists an account's cookie choices, newest first.
func (db *DB) CookieConsentHistory(userID uint64) (out []CookieConsent, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		return eachConsentOf(tx, ConsentSubject(userID, ""), func(_ []byte, r *CookieConsent) error {
			out = append(out, *r)
			return nil
		})
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

// eachConsentOf calls fn with the records of subject, oldest first.
func eachConsentOf(tx *bolt.Tx, subject []byte, fn func(seq []byte, r *CookieConsent) error) error {
	prefix := append(append([]byte(nil), subject...), 0)
	b := tx.Bucket(bCookieConsents)
	c := tx.Bucket(bConsentsBySubject).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Next() {
		var r CookieConsent
		if err := getJSON(b, k[len(prefix):], &r); err != nil {
			return err
		}
		if err := fn(k[len(prefix):], &r); err != nil {
			return err
		}
	}
	return nil
}

// EachCookieConsent calls fn with every record, oldest first, from one read
// (for the staff's statistics).
func (db *DB) EachCookieConsent(fn func(r *CookieConsent) error) error {
	return db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bCookieConsents).ForEach(func(_, v []byte) error {
			var r CookieConsent
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			return fn(&r)
		})
	})
}

func cookieConsentRecords(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
	return eachConsentOf(tx, ConsentSubject(userID, ""), func(_ []byte, r *CookieConsent) error { return emit(r) })
}

// eraseCookieConsents deletes an account's cookie choices and their index
// entries (the browser's own earlier records, made before sign-in, hold no
// account id and stay).
func eraseCookieConsents(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
	type hit struct {
		seq []byte
		r   CookieConsent
	}
	var hits []hit
	err := eachConsentOf(tx, ConsentSubject(userID, ""), func(seq []byte, r *CookieConsent) error {
		hits = append(hits, hit{append([]byte(nil), seq...), *r})
		return nil
	})
	if err != nil {
		return nil, err
	}
	idx := tx.Bucket(bConsentsBySubject)
	for _, h := range hits {
		seq := btoi(h.seq)
		if err := idx.Delete(indexKey(ConsentSubject(userID, ""), seq)); err != nil {
			return nil, err
		}
		if h.r.ConsentID != "" {
			if err := idx.Delete(indexKey(ConsentSubject(0, h.r.ConsentID), seq)); err != nil {
				return nil, err
			}
		}
		if err := tx.Bucket(bCookieConsents).Delete(h.seq); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// PurgeVisitorConsents deletes the records of browsers with no account
// (UserID 0) that stopped holding before before, with their index entries,
// and says how many went: proof is kept for a while after a choice ends,
// not for ever (GDPR art. 5(1)(e)).
func (db *DB) PurgeVisitorConsents(before time.Time) (n int, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bCookieConsents)
		var gone [][]byte
		var ids []string
		err := b.ForEach(func(k, v []byte) error {
			var r CookieConsent
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			if r.UserID == 0 && r.ValidUntil.Before(before) {
				gone, ids = append(gone, append([]byte(nil), k...)), append(ids, r.ConsentID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		var seqs []uint64
		for i, k := range gone {
			if err := tx.Bucket(bConsentsBySubject).Delete(indexKey(ConsentSubject(0, ids[i]), btoi(k))); err != nil {
				return err
			}
			if err := b.Delete(k); err != nil {
				return err
			}
			if e, err := chainEntryOf(tx, ChainCookieConsent, btoi(k)); err == nil {
				seqs = append(seqs, e.Seq)
			}
		}
		n = len(gone)
		return db.tombstoneTx(tx, seqs, "visitors' cookie choices past their retention")
	})
	return n, err
}
