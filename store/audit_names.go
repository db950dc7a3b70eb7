package store

import (
	bolt "go.etcd.io/bbolt"
)

// ActAuditExported is audited for every download of the audit log (it
// holds personal data).
const ActAuditExported Action = "audit_exported"

// UserEmails maps each of ids to its account's email (ids of erased
// accounts are left out), from one read.
func (db *DB) UserEmails(ids []uint64) (map[uint64]string, error) {
	out := make(map[uint64]string, len(ids))
	err := db.view(func(tx *bolt.Tx) error {
		for _, id := range ids {
			if _, done := out[id]; done || id == 0 {
				continue
			}
			if u, err := userTx(tx, id); err == nil {
				out[id] = u.Email
			}
		}
		return nil
	})
	return out, err
}

// EachAuditNamed calls fn, newest first, for every event matching q (Offset
// and Limit ignored) with the emails of its actor and subject ("" for none
// or erased), all from one read transaction: one consistent snapshot. fn
// runs inside the transaction, so it must not write to a slow client; copy
// out instead.
func (db *DB) EachAuditNamed(q AuditQuery, fn func(e *AuditEvent, actor, subject string) error) error {
	return db.view(func(tx *bolt.Tx) error {
		emails := map[uint64]string{}
		email := func(id uint64) string {
			if id == 0 {
				return ""
			}
			if e, ok := emails[id]; ok {
				return e
			}
			var e string
			if u, err := userTx(tx, id); err == nil {
				e = u.Email
			}
			emails[id] = e
			return e
		}
		return eachAudit(tx, q.UserID, func(e *AuditEvent) error {
			if q.Action != "" && e.Action != q.Action {
				return nil
			}
			return fn(e, email(e.ActorID), email(e.SubjectID))
		})
	})
}
