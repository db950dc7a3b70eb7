package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

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

// ErrNotMinor is returned when a change called a minor fix changes more
// than wording (WordingOnly).
var ErrNotMinor = errors.New("store: the change is more than a wording fix")

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
	bRegisterChanges   = []byte("cookie_register_changes")
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
		BucketInfo{Name: string(bRegisterChanges), Class: NotPersonal, Holds: "what each revision of the cookie register changed (for the banner)"},
	)
}

// SeedCookies adds to the register every built-in cookie it lacks (by name),
// raising the revision when it adds any: a new release's new cookie is asked
// about. It is idempotent; cookies edited by an administrator stay as edited.
func (db *DB) SeedCookies() error {
	return db.update(func(tx *bolt.Tx) error {
		var changes []CookieChange
		for _, c := range builtinCookies {
			if tx.Bucket(bCookiesByName).Get([]byte(c.Name)) != nil {
				continue
			}
			c.Provider = "Accord"
			if err := db.putCookie(tx, &c); err != nil {
				return err
			}
			if RaisesRevision(nil, &c, false) {
				changes = append(changes, CookieChange{CookieID: c.ID, Name: c.Name, Category: c.Category, Added: true})
			}
		}
		if len(changes) == 0 {
			return nil
		}
		_, err := db.raiseRevision(tx, changes...)
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

// raiseRevision moves the register to its next revision, logging what the
// revision changed.
func (db *DB) raiseRevision(tx *bolt.Tx, changes ...CookieChange) (uint64, error) {
	rev := revisionTx(tx) + 1
	if err := tx.Bucket(bCookieRegister).Put(revisionKey, itob(rev)); err != nil {
		return 0, err
	}
	return rev, putJSON(tx.Bucket(bRegisterChanges), itob(rev), &RevisionChanges{Revision: rev, Time: db.now(), Changes: changes})
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

// AddCookie adds c to the register, raises the revision (RaisesRevision)
// and audits it. It returns the revision the register is now at.
func (db *DB) AddCookie(c *Cookie, actorID uint64) (rev uint64, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bCookiesByName).Get([]byte(c.Name)) != nil {
			return ErrCookieNameTaken
		}
		c.ID = 0
		if err := db.putCookie(tx, c); err != nil {
			return err
		}
		rev = revisionTx(tx)
		if RaisesRevision(nil, c, false) {
			if rev, err = db.raiseRevision(tx, CookieChange{CookieID: c.ID, Name: c.Name, Category: c.Category, Added: true}); err != nil {
				return err
			}
		}
		return db.auditTx(tx, &AuditEvent{Action: ActCookieAdded, ActorID: actorID, Detail: fmt.Sprintf("%s, %s (revision %d)", c.Name, c.Category, rev)})
	})
	return rev, err
}

// UpdateCookie replaces entry id by in, raising the revision when
// RaisesRevision says so, and audits it with each changed field's before
// and after. A change called minor that is not WordingOnly is refused with
// ErrNotMinor, nothing changed. It returns whether the revision rose.
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
		fields := ChangedFields(old, in)
		if minor && len(fields) > 0 && !WordingOnly(old, in) {
			return ErrNotMinor
		}
		in.ID = id
		if err := db.putCookie(tx, &in); err != nil {
			return err
		}
		rev := revisionTx(tx)
		if raised = RaisesRevision(&old, &in, minor); raised {
			if rev, err = db.raiseRevision(tx, CookieChange{CookieID: id, Name: in.Name, Category: in.Category, Fields: fields}); err != nil {
				return err
			}
		}
		return db.auditTx(tx, &AuditEvent{Action: ActCookieUpdated, ActorID: actorID, Detail: changeDetail(old, in, rev, fields)})
	})
	return raised, err
}

// DeleteCookie removes entry id from the register (not a built-in one) and
// audits it; the revision stays (RaisesRevision).
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
		if RaisesRevision(&c, nil, false) {
			if _, err := db.raiseRevision(tx); err != nil {
				return err
			}
		}
		return db.auditTx(tx, &AuditEvent{Action: ActCookieDeleted, ActorID: actorID, Detail: c.Name})
	})
}
