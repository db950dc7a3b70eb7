package store

import (
	"crypto/rand"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

var (
	bMeta            = []byte("meta")
	bUsers           = []byte("users")
	bUsersByEmail    = []byte("users_by_email")
	bUsersByRole     = []byte("users_by_role")
	bUsersByGuardian = []byte("users_by_guardian")
	bSessions        = []byte("sessions")
	bSessionsByUser  = []byte("sessions_by_user")
	bSettings        = []byte("settings")
	bAudit           = []byte("audit")
	bAuditByUser     = []byte("audit_by_user")
	bSetupTokens     = []byte("setup_tokens")
)

func init() {
	registerBuckets(
		BucketInfo{Name: string(bMeta), Class: NotPersonal, Holds: "schema version and the key that signs anti-forgery tokens"},
		BucketInfo{Name: string(bSettings), Class: NotPersonal, Holds: "the site's settings"},
		BucketInfo{Name: string(bSetupTokens), Class: NotPersonal, Holds: "hashes of first-administrator links"},
	)
}

// migrations run in order; migrations[i] brings the schema to version i+1.
// Append only: never edit or reorder a released migration.
var migrations = []func(tx *bolt.Tx) error{
	migrateCSRFKey,
	migrateRoleIndex,
	migrateGuardianIndex,
	migrateChain,
}

// upToDate tells whether every bucket exists and no migration is pending,
// so that Open writes nothing to a file that needs nothing (a server can
// then start on a full disk and serve reads).
func (db *DB) upToDate() bool {
	ok := true
	err := db.view(func(tx *bolt.Tx) error {
		for _, in := range Inventory() {
			if tx.Bucket([]byte(in.Name)) == nil {
				ok = false
				return nil
			}
		}
		v := tx.Bucket(bMeta).Get([]byte("schema_version"))
		ok = v != nil && btoi(v) == uint64(len(migrations))
		return nil
	})
	return err == nil && ok
}

func (db *DB) migrate(tx *bolt.Tx) error {
	for _, in := range Inventory() {
		if _, err := tx.CreateBucketIfNotExists([]byte(in.Name)); err != nil {
			return fmt.Errorf("store: create bucket %s: %w", in.Name, err)
		}
	}
	meta := tx.Bucket(bMeta)
	var version uint64
	if v := meta.Get([]byte("schema_version")); v != nil {
		version = btoi(v)
	}
	if version > uint64(len(migrations)) {
		return fmt.Errorf("store: schema version %d is newer than this binary (%d)", version, len(migrations))
	}
	for i := version; i < uint64(len(migrations)); i++ {
		if err := migrations[i](tx); err != nil {
			return fmt.Errorf("store: migrate to %d: %w", i+1, err)
		}
		if err := meta.Put([]byte("schema_version"), itob(i+1)); err != nil {
			return err
		}
	}
	return nil
}

// migrateCSRFKey creates the key that signs anti-forgery tokens.
func migrateCSRFKey(tx *bolt.Tx) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	return tx.Bucket(bMeta).Put([]byte("csrf_key"), key)
}

// SchemaVersion reports the schema version of the open file.
func (db *DB) SchemaVersion() (v uint64, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		v = btoi(tx.Bucket(bMeta).Get([]byte("schema_version")))
		return nil
	})
	return v, err
}

// CSRFKey returns the secret that signs anti-forgery tokens.
func (db *DB) CSRFKey() (key []byte, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		key = append([]byte(nil), tx.Bucket(bMeta).Get([]byte("csrf_key"))...)
		return nil
	})
	return key, err
}

// migrateRoleIndex indexes users by role, so that finding administrators
// does not read every account.
func migrateRoleIndex(tx *bolt.Tx) error {
	idx := tx.Bucket(bUsersByRole)
	return tx.Bucket(bUsers).ForEach(func(k, v []byte) error {
		var u User
		if err := json.Unmarshal(v, &u); err != nil {
			return err
		}
		return idx.Put(indexKey([]byte(u.Role), u.ID), nil)
	})
}

// migrateGuardianIndex indexes minors by guardian, so that a profile page
// finds the minors in one's care without reading every account.
func migrateGuardianIndex(tx *bolt.Tx) error {
	idx := tx.Bucket(bUsersByGuardian)
	return tx.Bucket(bUsers).ForEach(func(k, v []byte) error {
		var u User
		if err := json.Unmarshal(v, &u); err != nil {
			return err
		}
		if u.GuardianID == 0 {
			return nil
		}
		return idx.Put(pairKey(u.GuardianID, itob(u.ID)), nil)
	})
}
