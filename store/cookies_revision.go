package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"

	bolt "go.etcd.io/bbolt"
)

// RaisesRevision is the register's revision rule, the one place that
// decides which register change asks everyone for their choice again.
// old is the entry before the change (nil: the cookie is added), new the
// entry after it (nil: the cookie is removed); minor is the administrator
// calling the change a fix of wording. The revision rises when a cookie is
// added, renamed or moved to another category (always), or when its
// purpose, duration or provider changes — unless the change is minor and
// WordingOnly. Removing a cookie does not raise it: consent to more covers
// less.
func RaisesRevision(old, new *Cookie, minor bool) bool {
	switch {
	case new == nil:
		return false
	case old == nil:
		return true
	case old.Name != new.Name || old.Category != new.Category:
		return true
	case minor && WordingOnly(*old, *new):
		return false
	}
	return len(ChangedFields(*old, *new)) > 0
}

// WordingOnly is the rule "may this change be a minor fix?": every text of
// the entry (purpose, duration, provider, in each language) keeps the same
// words and numbers in the same order; only letter case, spaces and the
// punctuation . , ; : ! ? ' ’ " « » ( ) [ ] … - – — may change. A changed
// letter, digit or any other sign (%, /, <, +…) changes the meaning as far
// as Accord can tell, so it asks everyone again.
func WordingOnly(old, new Cookie) bool {
	if old.Name != new.Name || old.Category != new.Category {
		return false
	}
	for _, f := range cookieTextFields {
		if !sameWords(f.get(&old), f.get(&new)) {
			return false
		}
	}
	return true
}

// ChangedFields names the fields of a register entry that differ between
// old and new (name, category, purpose_en, purpose_fr, duration_en,
// duration_fr, provider), in that order.
func ChangedFields(old, new Cookie) []string {
	var out []string
	if old.Name != new.Name {
		out = append(out, "name")
	}
	if old.Category != new.Category {
		out = append(out, "category")
	}
	for _, f := range cookieTextFields {
		if f.get(&old) != f.get(&new) {
			out = append(out, f.name)
		}
	}
	return out
}

// cookieTextFields are the texts of a register entry, by form name.
var cookieTextFields = []struct {
	name string
	get  func(*Cookie) string
}{
	{"purpose_en", func(c *Cookie) string { return c.PurposeEN }},
	{"purpose_fr", func(c *Cookie) string { return c.PurposeFR }},
	{"duration_en", func(c *Cookie) string { return c.DurationEN }},
	{"duration_fr", func(c *Cookie) string { return c.DurationFR }},
	{"provider", func(c *Cookie) string { return c.Provider }},
}

// ignorable is the punctuation a minor fix may change (spaces aside).
const ignorable = ".,;:!?'’‘\"“”«»()[]…-–—"

// sameWords reports whether a and b read as the same words and signs,
// ignoring case, spaces and ignorable punctuation. Punctuation separates
// words like a space does, so "1.2" and "12" differ.
func sameWords(a, b string) bool {
	ta, tb := words(a), words(b)
	if len(ta) != len(tb) {
		return false
	}
	for i := range ta {
		if ta[i] != tb[i] {
			return false
		}
	}
	return true
}

// words splits s into lower-cased runs of letters and digits, and signs
// that are neither space nor ignorable punctuation, each a word of its own.
func words(s string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			cur.WriteRune(unicode.ToLower(r))
		case unicode.IsSpace(r) || strings.ContainsRune(ignorable, r):
			flush()
		default:
			flush()
			out = append(out, string(r))
		}
	}
	flush()
	return out
}

// CookieChange is one change of the register that raised its revision, as
// the banner tells it ("a statistics cookie was added").
type CookieChange struct {
	CookieID uint64         `json:"cookie_id"`
	Name     string         `json:"name"`
	Category CookieCategory `json:"category"` // after the change
	Added    bool           `json:"added,omitempty"`
	Fields   []string       `json:"fields,omitempty"` // ChangedFields of a changed entry
}

// RevisionChanges is what one revision of the register changed (empty for
// revisions made before the log existed).
type RevisionChanges struct {
	Revision uint64         `json:"revision"`
	Time     time.Time      `json:"time"`
	Changes  []CookieChange `json:"changes,omitempty"`
}

// RegisterChanges lists what every logged revision changed, oldest first.
func (db *DB) RegisterChanges() (out []RevisionChanges, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bRegisterChanges).ForEach(func(_, v []byte) error {
			var rc RevisionChanges
			if err := json.Unmarshal(v, &rc); err != nil {
				return err
			}
			out = append(out, rc)
			return nil
		})
	})
	return out, err
}

// changeDetail is the audit detail of an update: each changed field with
// its text before and after.
func changeDetail(old, new Cookie, rev uint64, fields []string) string {
	var diffs []string
	for _, f := range fields {
		diffs = append(diffs, fmt.Sprintf("%s %q → %q", f, fieldValue(&old, f), fieldValue(&new, f)))
	}
	if len(diffs) == 0 {
		diffs = append(diffs, "no change")
	}
	return fmt.Sprintf("%s (revision %d): %s", new.Name, rev, strings.Join(diffs, "; "))
}

func fieldValue(c *Cookie, field string) string {
	switch field {
	case "name":
		return c.Name
	case "category":
		return string(c.Category)
	}
	for _, f := range cookieTextFields {
		if f.name == field {
			return f.get(c)
		}
	}
	return ""
}
