package store

import (
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Action names an audited event.
type Action string

// Audited actions of the foundation; features add their own.
const (
	ActLoginOK          Action = "login_ok"
	ActLoginFailed      Action = "login_failed"
	ActLogout           Action = "logout"
	ActUserCreated      Action = "user_created"
	ActUserUpdated      Action = "user_updated"
	ActRoleChanged      Action = "role_changed"
	ActUserSuspended    Action = "user_suspended"
	ActUserReactivated  Action = "user_reactivated"
	ActPasswordChanged  Action = "password_changed"
	ActSettingsChanged  Action = "settings_changed"
	ActGuardianChanged  Action = "guardian_changed"
	ActSetupLinkIssued  Action = "setup_link_issued"
	ActBackupDownloaded Action = "backup_downloaded"
	ActBackupRefused    Action = "backup_refused"
)

// AuditEvent is one line of the append-only audit log. ActorID is who acted
// (0: the system or a visitor), SubjectID whom it concerns (0: nobody).
type AuditEvent struct {
	ID        uint64    `json:"id"`
	Time      time.Time `json:"time"`
	Action    Action    `json:"action"`
	ActorID   uint64    `json:"actor_id,omitempty"`
	SubjectID uint64    `json:"subject_id,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}

// Audit appends one event.
func (db *DB) Audit(e AuditEvent) error {
	return db.update(func(tx *bolt.Tx) error { return db.auditTx(tx, &e) })
}

// auditTx appends e inside a larger transaction, so a change and its audit
// line commit together.
func (db *DB) auditTx(tx *bolt.Tx, e *AuditEvent) error {
	b := tx.Bucket(bAudit)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.ID = id
	if e.Time.IsZero() {
		e.Time = db.now()
	}
	idx := tx.Bucket(bAuditByUser)
	for _, u := range []uint64{e.ActorID, e.SubjectID} {
		if u != 0 {
			if err := idx.Put(pairKey(u, itob(id)), nil); err != nil {
				return err
			}
		}
	}
	if err := putJSON(b, itob(id), e); err != nil {
		return err
	}
	_, err = appendChain(tx, ChainAudit, id, CanonicalAudit(e), e.ActorID, e.SubjectID)
	return err
}

// AuditQuery filters ListAudit.
type AuditQuery struct {
	UserID uint64 // actor or subject; 0 for everyone
	Action Action
	Offset int
	Limit  int
}

// ListAudit returns events newest first, and the total matching.
func (db *DB) ListAudit(q AuditQuery) (events []AuditEvent, total int, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		return eachAudit(tx, q.UserID, func(e *AuditEvent) error {
			if q.Action != "" && e.Action != q.Action {
				return nil
			}
			if total >= q.Offset && (q.Limit <= 0 || len(events) < q.Limit) {
				events = append(events, *e)
			}
			total++
			return nil
		})
	})
	return events, total, err
}

// EachAudit calls fn for every event matching userID (0: all), newest first,
// from one read transaction (for CSV and exports).
func (db *DB) EachAudit(userID uint64, fn func(e *AuditEvent) error) error {
	return db.view(func(tx *bolt.Tx) error { return eachAudit(tx, userID, fn) })
}

func eachAudit(tx *bolt.Tx, userID uint64, fn func(e *AuditEvent) error) error {
	b := tx.Bucket(bAudit)
	visit := func(v []byte) error {
		var e AuditEvent
		if err := json.Unmarshal(v, &e); err != nil {
			return err
		}
		return fn(&e)
	}
	if userID == 0 {
		c := b.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if err := visit(v); err != nil {
				return err
			}
		}
		return nil
	}
	return eachOwned(tx.Bucket(bAuditByUser), userID, true, func(id []byte) error { return visit(b.Get(id)) })
}

func init() {
	registerBuckets(
		BucketInfo{Name: string(bAudit), Class: Personal, Holds: "the audit log: who did what, when",
			Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
				return eachAudit(tx, userID, func(e *AuditEvent) error { return emit(e) })
			},
			Erase: eraseAudit, Category: CategoryAudit, Anonymous: true},
		BucketInfo{Name: string(bAuditByUser), Class: Index, IndexOf: string(bAudit), Holds: "account → audit events"},
	)
}

// eraseAudit keeps the events about userID for accountability but makes
// them anonymous: no account id, no detail.
func eraseAudit(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
	b := tx.Bucket(bAudit)
	idx := tx.Bucket(bAuditByUser)
	keys := prefixKeys(idx, itob(userID))
	for _, k := range keys {
		var e AuditEvent
		if err := getJSON(b, k[8:], &e); err != nil {
			return nil, err
		}
		if e.ActorID == userID {
			e.ActorID = 0
		}
		if e.SubjectID == userID {
			e.SubjectID = 0
		}
		e.Detail = ""
		if err := putJSON(b, k[8:], &e); err != nil {
			return nil, err
		}
		if err := idx.Delete(k); err != nil {
			return nil, err
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	return &ErasureKept{Kind: KeptAudit, Count: len(keys)}, nil
}
