package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

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
// an inactive version takes none. A minor change may change the texts
// (names, summaries, contents) and nothing else: a change of the revision,
// type, audience, style or optionality is ErrMinorTextsOnly, and nothing
// is saved (see minorChangeOK).
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
		was := *v
		status, policyID := v.Status, v.PolicyID
		fn(v)
		v.ID, v.Status, v.PolicyID = id, status, policyID
		if status == StatusActive && !minorChangeOK(&was, v) {
			return ErrMinorTextsOnly
		}
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

// minorChangeOK is the minor-change rule: from was to now, only the texts
// changed. Everything else about a version is what people agreed to
// (its revision, who must agree, how, and whether they may decline), so
// changing it is a new version, which everyone concerned answers again.
func minorChangeOK(was, now *PolicyVersion) bool {
	a, b := *was, *now
	a.Texts, b.Texts = nil, nil
	return reflect.DeepEqual(a, b)
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
	return db.update(func(tx *bolt.Tx) error { return db.activateVersionTx(tx, id, actorID) })
}

func (db *DB) activateVersionTx(tx *bolt.Tx, id, actorID uint64) error {
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
