package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// PolicyType is what a policy is about.
type PolicyType string

// The policy types.
const (
	TypeSite       PolicyType = "site"
	TypePrivacy    PolicyType = "privacy"
	TypeThirdParty PolicyType = "third_party"
	TypeOther      PolicyType = "other"
)

// Audience is who must agree to a policy.
type Audience string

// The audiences.
const (
	AudienceAll           Audience = "all"
	AudienceAuthenticated Audience = "authenticated"
	AudienceGuests        Audience = "guests"
)

// ForUsers reports whether signed-in users are concerned by the audience.
func (a Audience) ForUsers() bool { return a == AudienceAll || a == AudienceAuthenticated }

// Style is where a version is agreed to.
type Style string

// The agreement styles.
const (
	StyleConsentPage Style = "consent_page"
	StyleOwnPage     Style = "own_page"
)

// VersionStatus is the life stage of a policy version.
type VersionStatus string

// The version statuses: a draft is edited, then activated (one active
// version per policy), then archived as inactive.
const (
	StatusDraft    VersionStatus = "draft"
	StatusActive   VersionStatus = "active"
	StatusInactive VersionStatus = "inactive"
)

// Audited policy actions.
const (
	ActPolicyCreated     Action = "policy_created"
	ActPolicyVersionNew  Action = "policy_version_created"
	ActPolicySaved       Action = "policy_version_saved"
	ActPolicyMinorChange Action = "policy_minor_change"
	ActPolicyActivated   Action = "policy_activated"
	ActPolicyDeactivated Action = "policy_deactivated"
	ActPolicyDeleted     Action = "policy_version_deleted"
	ActPolicyReordered   Action = "policy_reordered"
)

// Errors of the policy rules.
var (
	ErrNotDraft  = errors.New("store: only a draft can be changed this way")
	ErrNotActive = errors.New("store: the policy version is not active")
	ErrMinorOnly = errors.New("store: an active version only takes minor changes")
	// ErrMinorTextsOnly is a minor change that changes more than the texts.
	ErrMinorTextsOnly = errors.New("store: a minor change may only change texts")
	ErrIncomplete     = errors.New("store: the version misses texts")
	errBadPolicyKey   = errors.New("store: unknown seed policy")
)

// PolicyLangs are the languages of every policy text.
var PolicyLangs = []string{"en", "fr"}

// Policy is one policy: its versions follow one another.
type Policy struct {
	ID uint64 `json:"id"`
	// Key names the seeded policies ("site", "privacy", "cookies"); empty
	// for policies created in the browser.
	Key       string    `json:"key,omitempty"`
	Order     int       `json:"order"`
	ActiveID  uint64    `json:"active_id,omitempty"` // the active version, 0 when none
	CreatedAt time.Time `json:"created_at"`
}

// PolicyText is one language of a version. Hash is the SHA-256 (hex) of
// Content: acceptances point at it, and policy_texts keeps every text
// ever shown under it.
type PolicyText struct {
	Name    string `json:"name"`
	Summary string `json:"summary"`
	Content string `json:"content"` // Markdown
	Hash    string `json:"hash"`
}

// MinorChange records a change saved in place on an active version: its
// agreements carry over, and both texts stay on record.
type MinorChange struct {
	Time     time.Time `json:"time"`
	AuthorID uint64    `json:"author_id"`
	Lang     string    `json:"lang"`
	OldHash  string    `json:"old_hash"`
	NewHash  string    `json:"new_hash"`
}

// PolicyVersion is one version of a policy.
type PolicyVersion struct {
	ID          uint64                `json:"id"`
	PolicyID    uint64                `json:"policy_id"`
	Revision    string                `json:"revision"`
	Type        PolicyType            `json:"type"`
	Audience    Audience              `json:"audience"`
	Style       Style                 `json:"style"`
	Optional    bool                  `json:"optional"`
	Status      VersionStatus         `json:"status"`
	AuthorID    uint64                `json:"author_id,omitempty"`
	CreatedAt   time.Time             `json:"created_at"`
	ActivatedAt time.Time             `json:"activated_at,omitzero"`
	ArchivedAt  time.Time             `json:"archived_at,omitzero"`
	Texts       map[string]PolicyText `json:"texts"`
	Changes     []MinorChange         `json:"changes,omitempty"`
}

// Text is the version's text in lang, falling back to the other language
// when lang has no content; got says which language it is in.
func (v *PolicyVersion) Text(lang string) (t PolicyText, got string) {
	if t, ok := v.Texts[lang]; ok && t.Content != "" {
		return t, lang
	}
	for _, l := range PolicyLangs {
		if t, ok := v.Texts[l]; ok && t.Content != "" {
			return t, l
		}
	}
	return v.Texts[lang], lang
}

// Missing lists what activation needs and the version lacks, as
// "name_en", "content_fr"… (the form's field names).
func (v *PolicyVersion) Missing() []string {
	var out []string
	for _, l := range PolicyLangs {
		t := v.Texts[l]
		for _, f := range []struct{ name, val string }{{"name", t.Name}, {"summary", t.Summary}, {"content", t.Content}} {
			if strings.TrimSpace(f.val) == "" {
				out = append(out, f.name+"_"+l)
			}
		}
	}
	return out
}

// HashText is the SHA-256 of a text, in hex.
func HashText(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// PolicyEntry is a policy with its versions, newest first.
type PolicyEntry struct {
	Policy
	Versions []PolicyVersion
}

// Active is the active version, or nil.
func (e *PolicyEntry) Active() *PolicyVersion {
	for i := range e.Versions {
		if e.Versions[i].Status == StatusActive {
			return &e.Versions[i]
		}
	}
	return nil
}

// Latest is the newest version (a policy always has one).
func (e *PolicyEntry) Latest() *PolicyVersion {
	if len(e.Versions) == 0 {
		return nil
	}
	return &e.Versions[0]
}

var (
	bPolicies       = []byte("policies")
	bPolicyVersions = []byte("policy_versions")
	bPolicyTexts    = []byte("policy_texts")
)

func init() {
	registerBuckets(
		BucketInfo{Name: string(bPolicies), Class: NotPersonal, Holds: "policies: display order, active version"},
		BucketInfo{Name: string(bPolicyVersions), Class: NotPersonal, Holds: "policy versions: texts in each language, status, author, dates"},
		BucketInfo{Name: string(bPolicyTexts), Class: NotPersonal, Holds: "every policy text ever shown, under its SHA-256"},
	)
}

// ListPolicies returns every policy in display order with its versions.
func (db *DB) ListPolicies() (out []PolicyEntry, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		out, err = listPolicies(tx)
		return err
	})
	return out, err
}

func listPolicies(tx *bolt.Tx) ([]PolicyEntry, error) {
	var out []PolicyEntry
	idx := map[uint64]int{}
	err := tx.Bucket(bPolicies).ForEach(func(_, v []byte) error {
		var p Policy
		if err := json.Unmarshal(v, &p); err != nil {
			return err
		}
		idx[p.ID] = len(out)
		out = append(out, PolicyEntry{Policy: p})
		return nil
	})
	if err != nil {
		return nil, err
	}
	c := tx.Bucket(bPolicyVersions).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		var pv PolicyVersion
		if err := json.Unmarshal(v, &pv); err != nil {
			return nil, err
		}
		if i, ok := idx[pv.PolicyID]; ok {
			out[i].Versions = append(out[i].Versions, pv)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Order < out[j].Order })
	return out, nil
}

// PolicyVersion finds a version by id.
func (db *DB) PolicyVersion(id uint64) (*PolicyVersion, error) {
	var v PolicyVersion
	err := db.view(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bPolicyVersions), itob(id), &v) })
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// PolicyText returns a text shown once, by its SHA-256.
func (db *DB) PolicyText(hash string) (s string, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bPolicyTexts).Get([]byte(hash))
		if v == nil {
			return ErrNotFound
		}
		s = string(v)
		return nil
	})
	return s, err
}

// putVersion hashes the version's texts, keeps each in policy_texts and
// stores the version.
func putVersion(tx *bolt.Tx, v *PolicyVersion) error {
	texts := tx.Bucket(bPolicyTexts)
	for l, t := range v.Texts {
		t.Hash = HashText(t.Content)
		v.Texts[l] = t
		if t.Content != "" && texts.Get([]byte(t.Hash)) == nil {
			if err := texts.Put([]byte(t.Hash), []byte(t.Content)); err != nil {
				return err
			}
		}
	}
	return putJSON(tx.Bucket(bPolicyVersions), itob(v.ID), v)
}

func policyTx(tx *bolt.Tx, id uint64) (*Policy, error) {
	return recordTx[Policy](tx.Bucket(bPolicies), id)
}

func versionTx(tx *bolt.Tx, id uint64) (*PolicyVersion, error) {
	return recordTx[PolicyVersion](tx.Bucket(bPolicyVersions), id)
}
