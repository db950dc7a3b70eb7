package store

import (
	"errors"

	bolt "go.etcd.io/bbolt"
)

// Settings are the site's options, edited at /admin/settings. Zero values are
// never stored: DefaultSettings fills a new site and Settings fills fields
// added by later versions.
type Settings struct {
	SiteName    string `json:"site_name"`
	DefaultLang string `json:"default_lang"`
	SignupOpen  bool   `json:"signup_open"`
	DPOName     string `json:"dpo_name"`
	DPOEmail    string `json:"dpo_email"`

	SessionIdleMinutes   int `json:"session_idle_minutes"`
	SessionAbsoluteHours int `json:"session_absolute_hours"`

	LoginFailuresPerAccount int `json:"login_failures_per_account"`
	LoginFailuresPerIP      int `json:"login_failures_per_ip"`
	LoginWindowMinutes      int `json:"login_window_minutes"`
	SignupsPerIPPerHour     int `json:"signups_per_ip_per_hour"`
	ContactPerUserPerHour   int `json:"contact_per_user_per_hour"`

	AgeCheck          bool `json:"age_check"`
	DigitalConsentAge int  `json:"digital_consent_age"`

	ConsentLifetimeMonths int `json:"consent_lifetime_months"`

	RequestDueDays        int  `json:"request_due_days"`
	ExportExpiryDays      int  `json:"export_expiry_days"`
	AutoApproveExport     bool `json:"auto_approve_export"`
	AutoApproveDelete     bool `json:"auto_approve_delete"`
	AutoApproveOther      bool `json:"auto_approve_other"`
	InactiveRetentionDays int  `json:"inactive_retention_days"`
	// PolicyReminderDays: remind those still pending this many days after
	// a version's activation, once per person and version (0: never).
	PolicyReminderDays int `json:"policy_reminder_days"`
}

// DefaultSettings are a new site's settings in language lang.
func DefaultSettings(lang string) Settings {
	if lang != "fr" {
		lang = "en"
	}
	return Settings{
		SiteName:    "Accord",
		DefaultLang: lang,
		SignupOpen:  true,
		// The DPO's contact is set with the first administrator (setup) and
		// in the settings; no placeholder is ever published.
		DPOName:                 "",
		DPOEmail:                "",
		SessionIdleMinutes:      120,
		SessionAbsoluteHours:    24,
		LoginFailuresPerAccount: 5,
		LoginFailuresPerIP:      20,
		LoginWindowMinutes:      15,
		SignupsPerIPPerHour:     10,
		ContactPerUserPerHour:   5,
		AgeCheck:                true,
		DigitalConsentAge:       15, // France: loi 78-17 art. 45
		ConsentLifetimeMonths:   6,
		RequestDueDays:          30, // GDPR art. 12(3): one month
		ExportExpiryDays:        7,
		InactiveRetentionDays:   365,
	}
}

var settingsKey = []byte("site")

// Settings returns the stored settings, or the defaults for lang when none are.
func (db *DB) Settings(lang string) (s Settings, err error) {
	s = DefaultSettings(lang)
	err = db.view(func(tx *bolt.Tx) error {
		err := getJSON(tx.Bucket(bSettings), settingsKey, &s)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	})
	return s, err
}

// SaveSettings stores s and audits who changed them.
func (db *DB) SaveSettings(s Settings, actorID uint64) error {
	return db.update(func(tx *bolt.Tx) error {
		if err := putJSON(tx.Bucket(bSettings), settingsKey, s); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActSettingsChanged, ActorID: actorID})
	})
}

// SeedSettings stores s unless settings exist (first start).
func (db *DB) SeedSettings(s Settings) error {
	return db.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bSettings).Get(settingsKey) != nil {
			return nil
		}
		return putJSON(tx.Bucket(bSettings), settingsKey, s)
	})
}
