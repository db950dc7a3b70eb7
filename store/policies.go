package store

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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
	ErrNotDraft     = errors.New("store: only a draft can be changed this way")
	ErrNotActive    = errors.New("store: the policy version is not active")
	ErrMinorOnly    = errors.New("store: an active version only takes minor changes")
	ErrIncomplete   = errors.New("store: the version misses texts")
	errBadPolicyKey = errors.New("store: unknown seed policy")
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
	var p Policy
	if err := getJSON(tx.Bucket(bPolicies), itob(id), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

func versionTx(tx *bolt.Tx, id uint64) (*PolicyVersion, error) {
	var v PolicyVersion
	if err := getJSON(tx.Bucket(bPolicyVersions), itob(id), &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// createPolicy stores a new policy, last in display order, with v as its
// first version (v.Status says which).
func (db *DB) createPolicy(tx *bolt.Tx, key string, v *PolicyVersion) error {
	b := tx.Bucket(bPolicies)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	p := &Policy{ID: id, Key: key, Order: int(id), CreatedAt: db.now()}
	b.ForEach(func(_, raw []byte) error {
		var o Policy
		if json.Unmarshal(raw, &o) == nil && o.Order >= p.Order {
			p.Order = o.Order + 1
		}
		return nil
	})
	vid, err := tx.Bucket(bPolicyVersions).NextSequence()
	if err != nil {
		return err
	}
	v.ID, v.PolicyID, v.CreatedAt = vid, id, p.CreatedAt
	if v.Status == StatusActive {
		p.ActiveID, v.ActivatedAt = vid, p.CreatedAt
	}
	if err := putVersion(tx, v); err != nil {
		return err
	}
	return putJSON(b, itob(id), p)
}

// CreatePolicy stores a new policy whose first version is the draft v.
func (db *DB) CreatePolicy(v *PolicyVersion, actorID uint64) error {
	return db.update(func(tx *bolt.Tx) error {
		v.Status, v.AuthorID = StatusDraft, actorID
		if err := db.createPolicy(tx, "", v); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActPolicyCreated, ActorID: actorID, Detail: versionDetail(v)})
	})
}

func versionDetail(v *PolicyVersion) string {
	return fmt.Sprintf("policy %d, version %d (%s) %q", v.PolicyID, v.ID, v.Revision, v.Texts["en"].Name)
}

// SaveVersion applies fn to a version and stores it. A draft takes any
// change; the active version only a minor change (minor true), which
// keeps its agreements and records each changed text's old and new hash;
// an inactive version takes none.
func (db *DB) SaveVersion(id, actorID uint64, minor bool, fn func(v *PolicyVersion)) (*PolicyVersion, error) {
	var out *PolicyVersion
	err := db.update(func(tx *bolt.Tx) error {
		v, err := versionTx(tx, id)
		if err != nil {
			return err
		}
		switch {
		case v.Status == StatusActive && !minor:
			return ErrMinorOnly
		case v.Status == StatusInactive:
			return ErrNotDraft
		}
		before := map[string]string{}
		for l, t := range v.Texts {
			before[l] = HashText(t.Content)
		}
		status, policyID := v.Status, v.PolicyID
		fn(v)
		v.ID, v.Status, v.PolicyID = id, status, policyID
		act := ActPolicySaved
		if status == StatusActive {
			act = ActPolicyMinorChange
			for _, l := range PolicyLangs {
				if h := HashText(v.Texts[l].Content); h != before[l] {
					v.Changes = append(v.Changes, MinorChange{Time: db.now(), AuthorID: actorID, Lang: l, OldHash: before[l], NewHash: h})
				}
			}
		} else {
			v.AuthorID = actorID
		}
		if err := putVersion(tx, v); err != nil {
			return err
		}
		out = v
		return db.auditTx(tx, &AuditEvent{Action: act, ActorID: actorID, Detail: versionDetail(v)})
	})
	return out, err
}

// NewDraft adds a draft to a policy, copied from its active version (or
// its newest one).
func (db *DB) NewDraft(policyID, actorID uint64) (*PolicyVersion, error) {
	var out *PolicyVersion
	err := db.update(func(tx *bolt.Tx) error {
		p, err := policyTx(tx, policyID)
		if err != nil {
			return err
		}
		all, err := listPolicies(tx)
		if err != nil {
			return err
		}
		var from *PolicyVersion
		for i := range all {
			if all[i].ID == p.ID {
				if from = all[i].Active(); from == nil {
					from = all[i].Latest()
				}
			}
		}
		if from == nil {
			return ErrNotFound
		}
		v := *from
		v.Texts = map[string]PolicyText{}
		for l, t := range from.Texts {
			v.Texts[l] = t
		}
		if v.ID, err = tx.Bucket(bPolicyVersions).NextSequence(); err != nil {
			return err
		}
		v.Status, v.AuthorID, v.CreatedAt = StatusDraft, actorID, db.now()
		v.ActivatedAt, v.ArchivedAt, v.Changes = time.Time{}, time.Time{}, nil
		if err := putVersion(tx, &v); err != nil {
			return err
		}
		out = &v
		return db.auditTx(tx, &AuditEvent{Action: ActPolicyVersionNew, ActorID: actorID, Detail: versionDetail(&v)})
	})
	return out, err
}

// IncompleteError lists what a version misses to be activated.
type IncompleteError struct{ Missing []string }

func (e *IncompleteError) Error() string {
	return "store: the version misses " + strings.Join(e.Missing, ", ")
}

// Unwrap makes errors.Is(err, ErrIncomplete) true.
func (e *IncompleteError) Unwrap() error { return ErrIncomplete }

// ActivateVersion makes a draft (or an inactive version) the policy's
// active version, archiving the one before: a major change, everyone
// concerned agrees again.
func (db *DB) ActivateVersion(id, actorID uint64) error {
	return db.update(func(tx *bolt.Tx) error {
		v, err := versionTx(tx, id)
		if err != nil {
			return err
		}
		if v.Status == StatusActive {
			return nil
		}
		if miss := v.Missing(); len(miss) > 0 {
			return &IncompleteError{Missing: miss}
		}
		p, err := policyTx(tx, v.PolicyID)
		if err != nil {
			return err
		}
		now := db.now()
		if p.ActiveID != 0 {
			old, err := versionTx(tx, p.ActiveID)
			if err != nil {
				return err
			}
			old.Status, old.ArchivedAt = StatusInactive, now
			if err := putVersion(tx, old); err != nil {
				return err
			}
		}
		v.Status, v.ActivatedAt, v.ArchivedAt = StatusActive, now, time.Time{}
		p.ActiveID = v.ID
		if err := putVersion(tx, v); err != nil {
			return err
		}
		if err := putJSON(tx.Bucket(bPolicies), itob(p.ID), p); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActPolicyActivated, ActorID: actorID, Detail: versionDetail(v)})
	})
}

// DeactivateVersion archives the active version: the policy then has none.
func (db *DB) DeactivateVersion(id, actorID uint64) error {
	return db.update(func(tx *bolt.Tx) error {
		v, err := versionTx(tx, id)
		if err != nil {
			return err
		}
		if v.Status != StatusActive {
			return ErrNotActive
		}
		p, err := policyTx(tx, v.PolicyID)
		if err != nil {
			return err
		}
		v.Status, v.ArchivedAt = StatusInactive, db.now()
		p.ActiveID = 0
		if err := putVersion(tx, v); err != nil {
			return err
		}
		if err := putJSON(tx.Bucket(bPolicies), itob(p.ID), p); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActPolicyDeactivated, ActorID: actorID, Detail: versionDetail(v)})
	})
}

// DeleteVersion deletes a draft; a policy left without versions goes too.
// Active and inactive versions are on record for good.
func (db *DB) DeleteVersion(id, actorID uint64) (policyGone bool, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		v, err := versionTx(tx, id)
		if err != nil {
			return err
		}
		if v.Status != StatusDraft {
			return ErrNotDraft
		}
		if err := tx.Bucket(bPolicyVersions).Delete(itob(id)); err != nil {
			return err
		}
		others := false
		tx.Bucket(bPolicyVersions).ForEach(func(_, raw []byte) error {
			var o PolicyVersion
			if json.Unmarshal(raw, &o) == nil && o.PolicyID == v.PolicyID {
				others = true
			}
			return nil
		})
		if !others {
			policyGone = true
			if err := tx.Bucket(bPolicies).Delete(itob(v.PolicyID)); err != nil {
				return err
			}
		}
		return db.auditTx(tx, &AuditEvent{Action: ActPolicyDeleted, ActorID: actorID, Detail: versionDetail(v)})
	})
	return policyGone, err
}

// MovePolicy moves a policy one place up (delta -1) or down (+1) in the
// display order.
func (db *DB) MovePolicy(policyID uint64, delta int, actorID uint64) error {
	return db.update(func(tx *bolt.Tx) error {
		all, err := listPolicies(tx)
		if err != nil {
			return err
		}
		i := -1
		for k := range all {
			if all[k].ID == policyID {
				i = k
			}
		}
		if i < 0 {
			return ErrNotFound
		}
		j := i + delta
		if j < 0 || j >= len(all) || delta == 0 {
			return nil
		}
		all[i], all[j] = all[j], all[i]
		for k := range all {
			all[k].Order = k + 1
			if err := putJSON(tx.Bucket(bPolicies), itob(all[k].ID), &all[k].Policy); err != nil {
				return err
			}
		}
		return db.auditTx(tx, &AuditEvent{Action: ActPolicyReordered, ActorID: actorID, Detail: fmt.Sprintf("policy %d", policyID)})
	})
}

//go:embed seed/*.md seed/summaries.json
var seedFS embed.FS

// defaultPolicies are the seeded policies (CONTRACT.md, "Default data").
var defaultPolicies = []struct {
	key      string
	typ      PolicyType
	audience Audience
}{
	{"site", TypeSite, AudienceAuthenticated},
	{"privacy", TypePrivacy, AudienceAll},
	{"cookies", TypeOther, AudienceAll},
}

// SeedPolicies stores the three default policies (site, privacy, use of
// cookies), active, compulsory, revision 1.0, in English and French, unless
// a policy with their key exists.
func (db *DB) SeedPolicies() error {
	var sums map[string]map[string]struct{ Name, Summary string }
	raw, err := seedFS.ReadFile("seed/summaries.json")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &sums); err != nil {
		return fmt.Errorf("store: read seed summaries: %w", err)
	}
	return db.update(func(tx *bolt.Tx) error {
		have := map[string]bool{}
		tx.Bucket(bPolicies).ForEach(func(_, raw []byte) error {
			var p Policy
			if json.Unmarshal(raw, &p) == nil && p.Key != "" {
				have[p.Key] = true
			}
			return nil
		})
		for _, d := range defaultPolicies {
			if have[d.key] {
				continue
			}
			v := &PolicyVersion{Revision: "1.0", Type: d.typ, Audience: d.audience, Style: StyleConsentPage,
				Status: StatusActive, Texts: map[string]PolicyText{}}
			for _, l := range PolicyLangs {
				content, err := seedFS.ReadFile("seed/" + d.key + "." + l + ".md")
				if err != nil {
					return err
				}
				s, ok := sums[d.key][l]
				if !ok {
					return fmt.Errorf("%w: %s", errBadPolicyKey, d.key)
				}
				v.Texts[l] = PolicyText{Name: s.Name, Summary: s.Summary, Content: string(bytes.TrimSpace(content)) + "\n"}
			}
			if err := db.createPolicy(tx, d.key, v); err != nil {
				return err
			}
			if err := db.auditTx(tx, &AuditEvent{Action: ActPolicyActivated, Detail: "seed: " + versionDetail(v)}); err != nil {
				return err
			}
		}
		return nil
	})
}
