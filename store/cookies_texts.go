package store

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// The texts of the cookie banner and preferences page an administrator
// wrote in place of the shipped ones, per language. A text not here is the
// shipped default; resetting a language deletes its texts.

var bCookieTexts = []byte("cookie_texts")

// Audited actions of the banner's texts.
const (
	ActCookieTextsChanged Action = "cookie_texts_changed"
	ActCookieTextsReset   Action = "cookie_texts_reset"
)

func init() {
	registerBuckets(BucketInfo{Name: string(bCookieTexts), Class: NotPersonal, Holds: "the cookie banner's and preferences page's texts written by an administrator, per language"})
}

func cookieTextKey(lang, name string) []byte { return []byte(lang + "/" + name) }

// CookieTexts returns every text written by an administrator, keyed
// "lang/name".
func (db *DB) CookieTexts() (map[string]string, error) {
	out := map[string]string{}
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bCookieTexts).ForEach(func(k, _ []byte) error {
			var s string
			if err := getJSON(tx.Bucket(bCookieTexts), k, &s); err != nil {
				return err
			}
			out[string(k)] = s
			return nil
		})
	})
	return out, err
}

// SetCookieTexts saves language lang's texts by name; an empty text goes
// back to the default. It audits which texts changed, with before and after.
func (db *DB) SetCookieTexts(lang string, texts map[string]string, actorID uint64) error {
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bCookieTexts)
		names := make([]string, 0, len(texts))
		for name := range texts {
			names = append(names, name)
		}
		sort.Strings(names)
		var diffs []string
		for _, name := range names {
			k := cookieTextKey(lang, name)
			var old string
			if err := getJSON(b, k, &old); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			if old == texts[name] {
				continue
			}
			diffs = append(diffs, fmt.Sprintf("%s %q → %q", name, old, texts[name]))
			if texts[name] == "" {
				if err := b.Delete(k); err != nil {
					return err
				}
			} else if err := putJSON(b, k, texts[name]); err != nil {
				return err
			}
		}
		if len(diffs) == 0 {
			return nil
		}
		return db.auditTx(tx, &AuditEvent{Action: ActCookieTextsChanged, ActorID: actorID, Detail: lang + ": " + strings.Join(diffs, "; ")})
	})
}

// ResetCookieTexts deletes language lang's texts (back to the defaults) and
// audits it.
func (db *DB) ResetCookieTexts(lang string, actorID uint64) error {
	return db.update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCookieTexts).Cursor()
		prefix := []byte(lang + "/")
		for k, _ := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, _ = c.Seek(prefix) {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return db.auditTx(tx, &AuditEvent{Action: ActCookieTextsReset, ActorID: actorID, Detail: lang})
	})
}
