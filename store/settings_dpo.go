package store

import (
	"errors"

	bolt "go.etcd.io/bbolt"
)

// DPOContactMissing reports whether the DPO's published contact lacks its
// name or its address (GDPR art. 37(7) wants both published).
func (s Settings) DPOContactMissing() bool { return s.DPOName == "" || s.DPOEmail == "" }

// NameDPOIfUnset publishes name and email as the DPO's contact when
// neither is set, in one transaction, audited as a settings change by
// actorID; lang is the default language of a site whose settings are not
// stored yet. A contact already named (even in part) is left alone. It
// reports whether it named one.
func (db *DB) NameDPOIfUnset(name, email, lang string, actorID uint64) (bool, error) {
	named := false
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSettings)
		s := DefaultSettings(lang)
		if err := getJSON(b, settingsKey, &s); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if s.DPOName != "" || s.DPOEmail != "" {
			return nil
		}
		s.DPOName, s.DPOEmail = name, email
		if err := putJSON(b, settingsKey, s); err != nil {
			return err
		}
		named = true
		return db.auditTx(tx, &AuditEvent{Action: ActSettingsChanged, ActorID: actorID, Detail: "dpo contact"})
	})
	return named, err
}
