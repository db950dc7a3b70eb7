package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// CookieCategory groups cookies for consent (CNIL guidelines 2020-091).
type CookieCategory string

// The cookie categories. Strictly necessary cookies need no consent.
const (
	CookieNecessary   CookieCategory = "necessary"
	CookiePreferences CookieCategory = "preferences"
	CookieStatistics  CookieCategory = "statistics"
)

// CookieCategories lists every category, necessary first.
var CookieCategories = []CookieCategory{CookieNecessary, CookiePreferences, CookieStatistics}

// OptionalCookieCategories are the categories a person may refuse.
var OptionalCookieCategories = []CookieCategory{CookiePreferences, CookieStatistics}

// Valid reports whether c is a known category.
func (c CookieCategory) Valid() bool {
	return c == CookieNecessary || c == CookiePreferences || c == CookieStatistics
}

// Optional reports whether c needs consent.
func (c CookieCategory) Optional() bool { return c == CookiePreferences || c == CookieStatistics }

// Cookie is one entry of the cookie register: what the cookie policy's table
// shows, and what the cookie audit test holds the code to.
type Cookie struct {
	ID         uint64         `json:"id"`
	Name       string         `json:"name"`
	Category   CookieCategory `json:"category"`
	PurposeEN  string         `json:"purpose_en"`
	PurposeFR  string         `json:"purpose_fr"`
	DurationEN string         `json:"duration_en"`
	DurationFR string         `json:"duration_fr"`
	Provider   string         `json:"provider"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// Purpose is the cookie's purpose in lang.
func (c Cookie) Purpose(lang string) string {
	if lang == "fr" {
		return c.PurposeFR
	}
	return c.PurposeEN
}

// Duration is the cookie's lifetime in lang.
func (c Cookie) Duration(lang string) string {
	if lang == "fr" {
		return c.DurationFR
	}
	return c.DurationEN
}

// BuiltIn reports whether Accord's own code sets the cookie: its name and
// category are then fixed, since the code enforces them.
func (c Cookie) BuiltIn() bool { return BuiltInCookie(c.Name) != nil }

// builtinCookies are the cookies Accord sets (CONTRACT.md's table).
var builtinCookies = []Cookie{
	{Name: "accord_session", Category: CookieNecessary,
		PurposeEN:  "Keeps you signed in from page to page; destroyed on the server when you sign out.",
		PurposeFR:  "Maintient votre connexion d'une page à l'autre ; détruit sur le serveur à la déconnexion.",
		DurationEN: "Browser session", DurationFR: "Session de navigation"},
	{Name: "accord_csrf", Category: CookieNecessary,
		PurposeEN:  "Holds a secret that protects the site's forms against forgery.",
		PurposeFR:  "Contient un secret qui protège les formulaires du site contre la falsification.",
		DurationEN: "Browser session", DurationFR: "Session de navigation"},
	{Name: "accord_lang", Category: CookieNecessary,
		PurposeEN:  "Remembers the interface language you chose.",
		PurposeFR:  "Mémorise la langue d'interface que vous avez choisie.",
		DurationEN: "12 months", DurationFR: "12 mois"},
	{Name: "accord_consent", Category: CookieNecessary,
		PurposeEN:  "Identifies the record, kept on the server, of your cookie choice.",
		PurposeFR:  "Identifie l'enregistrement, conservé sur le serveur, de votre choix de cookies.",
		DurationEN: "As long as your cookie choice (6 months by default, 13 at most)", DurationFR: "Autant que votre choix de cookies (6 mois par défaut, 13 au plus)"},
	{Name: "accord_username", Category: CookiePreferences,
		PurposeEN:  "Remembers your username on the sign-in page, if you ask for it.",
		PurposeFR:  "Retient votre nom d'utilisateur sur la page de connexion, si vous le demandez.",
		DurationEN: "12 months", DurationFR: "12 mois"},
	{Name: "accord_visitor", Category: CookieStatistics,
		PurposeEN:  "Random identifier for this site's own visit statistics (daily totals only).",
		PurposeFR:  "Identifiant aléatoire pour les statistiques de visite propres au site (totaux quotidiens seulement).",
		DurationEN: "12 months", DurationFR: "12 mois"},
}

// BuiltInCookie returns the built-in definition of the cookie named name,
// or nil.
func BuiltInCookie(name string) *Cookie {
	for i := range builtinCookies {
		if builtinCookies[i].Name == name {
			c := builtinCookies[i]
			return &c
		}
	}
	return nil
}

// ErrCookieNameTaken is returned when the register already has the name.
var ErrCookieNameTaken = errors.New("store: a cookie of this name is in the register")

// ErrBuiltInCookie is returned when a change would make the register
// disagree with the code: deleting, renaming or recategorising a cookie
// Accord itself sets.
var ErrBuiltInCookie = errors.New("store: a cookie set by Accord keeps its name and category")

// Audited actions of the cookie register.
const (
	ActCookieAdded   Action = "cookie_added"
	ActCookieUpdated Action = "cookie_updated"
	ActCookieDeleted Action = "cookie_deleted"
)

// RaisesRevision is the register's revision rule: changing cookie old into
// new asks everyone again when it renames the cookie or moves it to another
// category (always), or changes its purpose, duration or provider — unless
// the administrator says it is a minor fix (a typo). Adding a cookie always
// raises the revision; deleting one does not (consent to more covers less).
func RaisesRevision(old, new Cookie, minor bool) bool {
	if old.Name != new.Name || old.Category != new.Category {
		return true
	}
	if minor {
		return false
	}
	return old.PurposeEN != new.PurposeEN || old.PurposeFR != new.PurposeFR ||
		old.DurationEN != new.DurationEN || old.DurationFR != new.DurationFR || old.Provider != new.Provider
}

// CookieRegister is the register at one revision.
type CookieRegister struct {
	Revision uint64
	Cookies  []Cookie // by category (necessary first), then name
}

// InCategory lists the register's cookies of category cat.
func (r CookieRegister) InCategory(cat CookieCategory) []Cookie {
	var out []Cookie
	for _, c := range r.Cookies {
		if c.Category == cat {
			out = append(out, c)
		}
	}
	return out
}

// Find returns the cookie named name, or nil.
func (r CookieRegister) Find(name string) *Cookie {
	for i := range r.Cookies {
		if r.Cookies[i].Name == name {
			return &r.Cookies[i]
		}
	}
	return nil
}

var (
	bCookies           = []byte("cookies")
	bCookiesByName     = []byte("cookies_by_name")
	bCookieRegister    = []byte("cookie_register")
	bCookieConsents    = []byte("cookie_consents")
	bConsentsBySubject = []byte("cookie_consents_by_subject")
	bVisitsDaily       = []byte("visits_daily")
	revisionKey        = []byte("revision")
)

func init() {
	registerBuckets(
		BucketInfo{Name: string(bCookies), Class: NotPersonal, Holds: "the cookie register: name, category, purpose, duration, provider"},
		BucketInfo{Name: string(bCookiesByName), Class: Index, IndexOf: string(bCookies), Holds: "cookie name → register entry"},
		BucketInfo{Name: string(bCookieRegister), Class: NotPersonal, Holds: "the cookie register's revision"},
		BucketInfo{Name: string(bCookieConsents), Class: Personal, Holds: "proof of cookie choices (ISO/IEC TS 27560 records), per account or browser",
			Records: cookieConsentRecords, Erase: eraseCookieConsents},
		BucketInfo{Name: string(bConsentsBySubject), Class: Index, IndexOf: string(bCookieConsents), Holds: "account or browser → cookie choices"},
		BucketInfo{Name: string(bVisitsDaily), Class: NotPersonal, Holds: "page views and unique visitors per day (aggregates only)"},
	)
}

// SeedCookies adds to the register every built-in cookie it lacks (by name),
// raising the revision when it adds any: a new release's new cookie is asked
// about. It is idempotent; cookies edited by an administrator stay as edited.
func (db *DB) SeedCookies() error {
	return db.update(func(tx *bolt.Tx) error {
		added := false
		for _, c := range builtinCookies {
			if tx.Bucket(bCookiesByName).Get([]byte(c.Name)) != nil {
				continue
			}
			c.Provider = "Accord"
			if err := db.putCookie(tx, &c); err != nil {
				return err
			}
			added = true
		}
		if !added {
			return nil
		}
		_, err := raiseRevision(tx)
		return err
	})
}

func (db *DB) putCookie(tx *bolt.Tx, c *Cookie) error {
	b := tx.Bucket(bCookies)
	if c.ID == 0 {
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		c.ID = id
	}
	c.UpdatedAt = db.now()
	if err := tx.Bucket(bCookiesByName).Put([]byte(c.Name), itob(c.ID)); err != nil {
		return err
	}
	return putJSON(b, itob(c.ID), c)
}

func revisionTx(tx *bolt.Tx) uint64 {
	if v := tx.Bucket(bCookieRegister).Get(revisionKey); v != nil {
		return btoi(v)
	}
	return 0
}

func raiseRevision(tx *bolt.Tx) (uint64, error) {
	rev := revisionTx(tx) + 1
	return rev, tx.Bucket(bCookieRegister).Put(revisionKey, itob(rev))
}

// CookieRegister returns the whole register and its revision.
func (db *DB) CookieRegister() (reg CookieRegister, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		reg.Revision = revisionTx(tx)
		return tx.Bucket(bCookies).ForEach(func(_, v []byte) error {
			var c Cookie
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			reg.Cookies = append(reg.Cookies, c)
			return nil
		})
	})
	order := map[CookieCategory]int{CookieNecessary: 0, CookiePreferences: 1, CookieStatistics: 2}
	sort.Slice(reg.Cookies, func(i, j int) bool {
		a, b := reg.Cookies[i], reg.Cookies[j]
		if order[a.Category] != order[b.Category] {
			return order[a.Category] < order[b.Category]
		}
		return a.Name < b.Name
	})
	return reg, err
}

// Cookie finds a register entry by id.
func (db *DB) Cookie(id uint64) (*Cookie, error) {
	var c Cookie
	err := db.view(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bCookies), itob(id), &c) })
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// AddCookie adds c to the register, raises the revision and audits it. It
// returns the new revision.
func (db *DB) AddCookie(c *Cookie, actorID uint64) (rev uint64, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bCookiesByName).Get([]byte(c.Name)) != nil {
			return ErrCookieNameTaken
		}
		c.ID = 0
		if err := db.putCookie(tx, c); err != nil {
			return err
		}
		if rev, err = raiseRevision(tx); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActCookieAdded, ActorID: actorID, Detail: fmt.Sprintf("%s (revision %d)", c.Name, rev)})
	})
	return rev, err
}

// UpdateCookie replaces entry id by in, raising the revision when
// RaisesRevision says so, and audits it. It returns whether the revision rose.
func (db *DB) UpdateCookie(id uint64, in Cookie, minor bool, actorID uint64) (raised bool, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		var old Cookie
		if err := getJSON(tx.Bucket(bCookies), itob(id), &old); err != nil {
			return err
		}
		if old.BuiltIn() && (in.Name != old.Name || in.Category != old.Category) {
			return ErrBuiltInCookie
		}
		if in.Name != old.Name {
			idx := tx.Bucket(bCookiesByName)
			if idx.Get([]byte(in.Name)) != nil {
				return ErrCookieNameTaken
			}
			if err := idx.Delete([]byte(old.Name)); err != nil {
				return err
			}
		}
		in.ID = id
		if err := db.putCookie(tx, &in); err != nil {
			return err
		}
		rev := revisionTx(tx)
		if raised = RaisesRevision(old, in, minor); raised {
			if rev, err = raiseRevision(tx); err != nil {
				return err
			}
		}
		return db.auditTx(tx, &AuditEvent{Action: ActCookieUpdated, ActorID: actorID, Detail: fmt.Sprintf("%s (revision %d)", in.Name, rev)})
	})
	return raised, err
}

// DeleteCookie removes entry id from the register (not a built-in one) and
// audits it; the revision stays.
func (db *DB) DeleteCookie(id uint64, actorID uint64) error {
	return db.update(func(tx *bolt.Tx) error {
		var c Cookie
		if err := getJSON(tx.Bucket(bCookies), itob(id), &c); err != nil {
			return err
		}
		if c.BuiltIn() {
			return ErrBuiltInCookie
		}
		if err := tx.Bucket(bCookiesByName).Delete([]byte(c.Name)); err != nil {
			return err
		}
		if err := tx.Bucket(bCookies).Delete(itob(id)); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActCookieDeleted, ActorID: actorID, Detail: c.Name})
	})
}

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
	PolicyVersionID  uint64                  `json:"policy_version_id,omitempty"`
	PolicyTextHash   string                  `json:"policy_text_hash,omitempty"`
	Lang             string                  `json:"lang"`
	ValidUntil       time.Time               `json:"valid_until"`
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
	return putJSON(b, itob(seq), r)
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
func eraseCookieConsents(tx *bolt.Tx, userID uint64) (string, error) {
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
		return "", err
	}
	idx := tx.Bucket(bConsentsBySubject)
	for _, h := range hits {
		seq := btoi(h.seq)
		if err := idx.Delete(indexKey(ConsentSubject(userID, ""), seq)); err != nil {
			return "", err
		}
		if h.r.ConsentID != "" {
			if err := idx.Delete(indexKey(ConsentSubject(0, h.r.ConsentID), seq)); err != nil {
				return "", err
			}
		}
		if err := tx.Bucket(bCookieConsents).Delete(h.seq); err != nil {
			return "", err
		}
	}
	return "", nil
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
		for i, k := range gone {
			if err := tx.Bucket(bConsentsBySubject).Delete(indexKey(ConsentSubject(0, ids[i]), btoi(k))); err != nil {
				return err
			}
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(gone)
		return nil
	})
	return n, err
}

// DailyVisits are one day's first-party visit statistics: totals only,
// never a per-visit log.
type DailyVisits struct {
	Day      string `json:"day"` // YYYY-MM-DD, UTC
	Views    int    `json:"views"`
	Visitors int    `json:"visitors"`
}

// AddVisits adds counts gathered in memory to the daily totals, in one
// transaction.
func (db *DB) AddVisits(add []DailyVisits) error {
	if len(add) == 0 {
		return nil
	}
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bVisitsDaily)
		for _, d := range add {
			var cur DailyVisits
			if err := getJSON(b, []byte(d.Day), &cur); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			cur.Day = d.Day
			cur.Views += d.Views
			cur.Visitors += d.Visitors
			if err := putJSON(b, []byte(d.Day), &cur); err != nil {
				return err
			}
		}
		return nil
	})
}

// Visits lists the daily totals from day from to day to (YYYY-MM-DD,
// inclusive), oldest first.
func (db *DB) Visits(from, to string) (out []DailyVisits, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bVisitsDaily).Cursor()
		for k, v := c.Seek([]byte(from)); k != nil && string(k) <= to; k, v = c.Next() {
			var d DailyVisits
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// PurgeVisits deletes the daily totals of days before day before
// (YYYY-MM-DD) and says how many went.
func (db *DB) PurgeVisits(before string) (n int, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bVisitsDaily).Cursor()
		for k, _ := c.First(); k != nil && string(k) < before; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// CommittedTxID is the id of the last committed write transaction. It
// rises with every write, so tests use it to prove a page view wrote nothing.
func (db *DB) CommittedTxID() (id int, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		id = tx.ID()
		return nil
	})
	return id, err
}

// ReadTxCount is how many read transactions the file has started; tests
// use it to prove a decision was taken from memory.
func (db *DB) ReadTxCount() int {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.bolt.Stats().TxN
}
