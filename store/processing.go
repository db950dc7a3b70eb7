package store

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

var bProcessing = []byte("processing_records")

// recordsKey holds the whole record of processing activities: it is small
// (a few kilobytes) and always read and shown whole.
var recordsKey = []byte("records")

func init() {
	registerBuckets(BucketInfo{Name: string(bProcessing), Class: NotPersonal, Holds: "the records of processing activities (GDPR art. 30)"})
}

// LawfulBasis is a point of GDPR art. 6(1), "a" to "f".
type LawfulBasis string

// LawfulBases lists the points of art. 6(1) in order: consent, contract,
// legal obligation, vital interests, public task, legitimate interests.
var LawfulBases = []LawfulBasis{"a", "b", "c", "d", "e", "f"}

// Valid reports whether b is one of art. 6(1)'s points.
func (b LawfulBasis) Valid() bool { return slices.Contains(LawfulBases, b) }

// RetentionRule says what ends the keeping of a data category.
type RetentionRule string

// Retention rules. Only the built-in categories use enrolled, course and
// days: the daily review acts on them.
const (
	// RetainEnrolled: kept while the person is enrolled in any course; an
	// account with no enrolment for Days is flagged for erasure.
	RetainEnrolled RetentionRule = "enrolled"
	// RetainCourse: destroyed with the course, or with the account.
	RetainCourse RetentionRule = "course"
	// RetainDays: purged by the daily review Days after it was recorded.
	RetainDays RetentionRule = "days"
	// RetainAccount: kept as long as the account, erased with it.
	RetainAccount RetentionRule = "account"
)

// The built-in data categories: the daily review knows what each holds.
const (
	CategoryAccount       = "account"
	CategoryCourses       = "courses"
	CategoryAgreements    = "agreements"
	CategoryCookies       = "cookie_choices"
	CategoryRequests      = "requests"
	CategoryDPOThreads    = "dpo_threads"
	CategoryNotifications = "notifications"
	CategoryAudit         = "audit"
	CategoryStatistics    = "statistics"
)

// builtinRules fixes the rule of each built-in category: it is what the
// code does with it, so an administrator cannot change it, only its period.
var builtinRules = map[string]RetentionRule{
	CategoryAccount: RetainEnrolled, CategoryCourses: RetainCourse, CategoryAgreements: RetainAccount,
	CategoryCookies: RetainAccount, CategoryRequests: RetainAccount, CategoryDPOThreads: RetainDays,
	CategoryNotifications: RetainDays, CategoryAudit: RetainDays, CategoryStatistics: RetainDays,
}

// Builtin reports whether key names a category the daily review acts on.
func Builtin(key string) bool { _, ok := builtinRules[key]; return ok }

// DataCategory is a kind of personal data (GDPR art. 30(1)(c)) with how
// long it is kept (art. 30(1)(f)). Protected data are kept past an erasure
// until their retention ends (a running course's enrolment, a legal
// obligation), which the erasure report says.
type DataCategory struct {
	Key          string            `json:"key"`
	Name         map[string]string `json:"name"`
	Description  map[string]string `json:"description"`
	Rule         RetentionRule     `json:"rule"`
	Days         int               `json:"days,omitempty"`
	Protected    bool              `json:"protected,omitempty"`
	ProtectedWhy map[string]string `json:"protected_why,omitempty"`
}

// UsesDays reports whether the category's retention is a number of days.
func (c *DataCategory) UsesDays() bool { return c.Rule == RetainEnrolled || c.Rule == RetainDays }

// Purpose is one processing activity (GDPR art. 30(1)(b)): why data are
// processed, on which basis (art. 6(1)), which categories, who receives
// them and how long they are kept.
type Purpose struct {
	ID          uint64            `json:"id"`
	Name        map[string]string `json:"name"`
	Description map[string]string `json:"description"`
	Basis       LawfulBasis       `json:"basis"`
	Categories  []string          `json:"categories"`
	Recipients  map[string]string `json:"recipients"`
	Retention   map[string]string `json:"retention"`
	Protected   bool              `json:"protected,omitempty"`
}

// Controller is the organisation responsible for the processing (GDPR art.
// 30(1)(a)). The DPO's name and address are the site's settings (they are
// also in the footer); the records show them from there.
type Controller struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Email   string `json:"email"`
	Phone   string `json:"phone,omitempty"`
}

// ProcessingRecords is the record of processing activities (GDPR art. 30):
// the controller, the data categories and the purposes, in display order.
type ProcessingRecords struct {
	Controller Controller     `json:"controller"`
	Categories []DataCategory `json:"categories"`
	Purposes   []Purpose      `json:"purposes"`
	NextID     uint64         `json:"next_id"`
	// DPOName and DPOEmail come from the settings when read.
	DPOName  string `json:"-"`
	DPOEmail string `json:"-"`
}

// Category is the category named key, or nil.
func (r *ProcessingRecords) Category(key string) *DataCategory {
	for i := range r.Categories {
		if r.Categories[i].Key == key {
			return &r.Categories[i]
		}
	}
	return nil
}

// Purpose is the purpose numbered id, or nil.
func (r *ProcessingRecords) Purpose(id uint64) *Purpose {
	for i := range r.Purposes {
		if r.Purposes[i].ID == id {
			return &r.Purposes[i]
		}
	}
	return nil
}

// Protected lists the protected categories, in order.
func (r *ProcessingRecords) Protected() []DataCategory {
	var out []DataCategory
	for _, c := range r.Categories {
		if c.Protected {
			out = append(out, c)
		}
	}
	return out
}

// Processing returns the records of processing, with the DPO and the
// account's retention period from the settings.
func (db *DB) Processing() (r *ProcessingRecords, err error) {
	err = db.view(func(tx *bolt.Tx) (err error) {
		r, err = processingTx(tx)
		return err
	})
	return r, err
}

// processingTx reads the records; the account's period and the DPO are the
// settings' (one value each, edited from either page).
func processingTx(tx *bolt.Tx) (*ProcessingRecords, error) {
	var r ProcessingRecords
	if err := getJSON(tx.Bucket(bProcessing), recordsKey, &r); errors.Is(err, ErrNotFound) {
		def, err := DefaultProcessing() // not seeded yet (a store opened alone)
		if err != nil {
			return nil, err
		}
		r = *def
	} else if err != nil {
		return nil, fmt.Errorf("store: read records of processing: %w", err)
	}
	var s Settings
	if err := getJSON(tx.Bucket(bSettings), settingsKey, &s); err == nil {
		r.DPOName, r.DPOEmail = s.DPOName, s.DPOEmail
		if c := r.Category(CategoryAccount); c != nil {
			c.Days = s.InactiveRetentionDays
		}
	}
	return &r, nil
}

//go:embed seed/processing.json
var processingSeed []byte

// DefaultProcessing is the records of processing a new site starts with:
// they say what Accord does, as the privacy policy promises it.
func DefaultProcessing() (*ProcessingRecords, error) {
	var r ProcessingRecords
	if err := json.Unmarshal(processingSeed, &r); err != nil {
		return nil, fmt.Errorf("store: processing seed: %w", err)
	}
	for i := range r.Purposes {
		r.NextID++
		r.Purposes[i].ID = r.NextID
	}
	return &r, nil
}

// SeedDefaultProcessing stores the default records of processing unless
// records exist. Records of the first format (one fixed text per key,
// never editable) are replaced by the defaults, which say the same.
func (db *DB) SeedDefaultProcessing() error {
	def, err := DefaultProcessing()
	if err != nil {
		return err
	}
	var present bool
	if err := db.view(func(tx *bolt.Tx) error {
		present = tx.Bucket(bProcessing).Get(recordsKey) != nil
		return nil
	}); err != nil || present {
		return err
	}
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bProcessing)
		if b.Get(recordsKey) != nil {
			return nil
		}
		if err := deleteKeys(b, prefixKeys(b, nil)); err != nil {
			return err
		}
		return putJSON(b, recordsKey, def)
	})
}
