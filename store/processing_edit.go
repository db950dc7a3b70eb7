package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Editing the records of processing: each change is one transaction that
// writes the records and an audit event holding the item before and after.

// Audited changes of the records of processing.
const (
	ActProcessingChanged Action = "processing_changed"
)

// Errors of the records of processing (422 with a message in the app).
var (
	ErrUnknownCategory = errors.New("store: unknown data category")
	ErrCategoryTaken   = errors.New("store: a data category has this key")
	ErrCategoryInUse   = errors.New("store: the data category is used by a purpose")
	ErrCategoryBuiltin = errors.New("store: a built-in data category cannot be removed")
	ErrBadRecord       = errors.New("store: invalid record of processing")
)

// processingChange is the audit detail of a change: which item, before
// and after (nil for a creation or a removal).
type processingChange struct {
	Item   string `json:"item"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// changeProcessing applies fn to the stored records and audits the item
// fn changed, with its value before and after; also runs in the same
// transaction.
func (db *DB) changeProcessing(actorID uint64, fn func(r *ProcessingRecords) (item string, before, after any, err error), also ...func(tx *bolt.Tx) error) error {
	return db.update(func(tx *bolt.Tx) error {
		r, err := processingTx(tx)
		if err != nil {
			return err
		}
		item, before, after, err := fn(r)
		if err != nil {
			return err
		}
		if acc := r.Category(CategoryAccount); acc != nil {
			if err := saveAccountPeriod(tx, acc.Days); err != nil {
				return err
			}
		}
		for _, f := range also {
			if err := f(tx); err != nil {
				return err
			}
		}
		if err := putJSON(tx.Bucket(bProcessing), recordsKey, r); err != nil {
			return err
		}
		detail, err := json.Marshal(processingChange{Item: item, Before: before, After: after})
		if err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActProcessingChanged, ActorID: actorID, Detail: string(detail)})
	})
}

// saveAccountPeriod keeps the settings' period without enrolment equal to
// the account category's (the settings page edits the same value).
func saveAccountPeriod(tx *bolt.Tx, days int) error {
	var s Settings
	if err := getJSON(tx.Bucket(bSettings), settingsKey, &s); err != nil {
		return err
	}
	if s.InactiveRetentionDays == days {
		return nil
	}
	s.InactiveRetentionDays = days
	return putJSON(tx.Bucket(bSettings), settingsKey, s)
}

// SaveController stores the controller and the DPO's name and address
// (the latter in the settings, where the footer reads them).
func (db *DB) SaveController(c Controller, dpoName, dpoEmail string, actorID uint64) error {
	return db.changeProcessing(actorID, func(r *ProcessingRecords) (string, any, any, error) {
		type ctrl struct {
			Controller
			DPOName  string `json:"dpo_name"`
			DPOEmail string `json:"dpo_email"`
		}
		before := ctrl{r.Controller, r.DPOName, r.DPOEmail}
		r.Controller = c
		return "controller", before, ctrl{c, dpoName, dpoEmail}, nil
	}, func(tx *bolt.Tx) error {
		var s Settings
		if err := getJSON(tx.Bucket(bSettings), settingsKey, &s); err != nil {
			return err
		}
		s.DPOName, s.DPOEmail = dpoName, dpoEmail
		return putJSON(tx.Bucket(bSettings), settingsKey, s)
	})
}

// SavePurpose stores p: a new purpose when p.ID is 0 (its id is set), else
// the purpose of that id (ErrNotFound when there is none). Every category
// it names must exist (ErrUnknownCategory).
func (db *DB) SavePurpose(p *Purpose, actorID uint64) error {
	if !p.Basis.Valid() || len(p.Categories) == 0 {
		return ErrBadRecord
	}
	return db.changeProcessing(actorID, func(r *ProcessingRecords) (string, any, any, error) {
		for _, k := range p.Categories {
			if r.Category(k) == nil {
				return "", nil, nil, fmt.Errorf("%w: %q", ErrUnknownCategory, k)
			}
		}
		if p.ID == 0 {
			r.NextID++
			p.ID = r.NextID
			r.Purposes = append(r.Purposes, *p)
			return fmt.Sprintf("purpose %d", p.ID), nil, p, nil
		}
		old := r.Purpose(p.ID)
		if old == nil {
			return "", nil, nil, ErrNotFound
		}
		before := *old
		*old = *p
		return fmt.Sprintf("purpose %d", p.ID), before, p, nil
	})
}

// DeletePurpose removes the purpose numbered id.
func (db *DB) DeletePurpose(id uint64, actorID uint64) error {
	return db.changeProcessing(actorID, func(r *ProcessingRecords) (string, any, any, error) {
		i := slices.IndexFunc(r.Purposes, func(p Purpose) bool { return p.ID == id })
		if i < 0 {
			return "", nil, nil, ErrNotFound
		}
		before := r.Purposes[i]
		r.Purposes = slices.Delete(r.Purposes, i, i+1)
		return fmt.Sprintf("purpose %d", id), before, nil, nil
	})
}

// SaveCategory stores c: a new category when create is set (its key must
// be free, ErrCategoryTaken; a new category is kept with the account),
// else the category of that key (ErrNotFound). A built-in category keeps
// its rule; the days count only where the rule has a period.
func (db *DB) SaveCategory(c DataCategory, create bool, actorID uint64) error {
	if c.Key == "" {
		return ErrBadRecord
	}
	return db.changeProcessing(actorID, func(r *ProcessingRecords) (string, any, any, error) {
		old := r.Category(c.Key)
		item := "category " + c.Key
		if create {
			if old != nil {
				return "", nil, nil, ErrCategoryTaken
			}
			c.Rule, c.Days = RetainAccount, 0
			r.Categories = append(r.Categories, c)
			return item, nil, c, nil
		}
		if old == nil {
			return "", nil, nil, ErrNotFound
		}
		before := *old
		c.Rule = old.Rule
		if !c.UsesDays() {
			c.Days = 0
		} else if c.Days <= 0 {
			return "", nil, nil, ErrBadRecord
		}
		*old = c
		return item, before, c, nil
	})
}

// DeleteCategory removes a category an administrator added, when no
// purpose names it.
func (db *DB) DeleteCategory(key string, actorID uint64) error {
	if Builtin(key) {
		return ErrCategoryBuiltin
	}
	return db.changeProcessing(actorID, func(r *ProcessingRecords) (string, any, any, error) {
		i := slices.IndexFunc(r.Categories, func(c DataCategory) bool { return c.Key == key })
		if i < 0 {
			return "", nil, nil, ErrNotFound
		}
		for _, p := range r.Purposes {
			if slices.Contains(p.Categories, key) {
				return "", nil, nil, ErrCategoryInUse
			}
		}
		before := r.Categories[i]
		r.Categories = slices.Delete(r.Categories, i, i+1)
		return "category " + key, before, nil, nil
	})
}
