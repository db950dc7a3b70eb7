package store

import (
	"errors"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A minor who signs up names a guardian by address (issue 12.3). The
// account, its invitation and the mail that carries the link are written in
// one transaction, so a crash leaves all three or none; linking the guardian
// (or creating their account and linking it) is one transaction too, and
// spends the invitation.
var bGuardianInvites = []byte("guardian_invites")

// Audited actions of a guardian invitation.
const (
	ActGuardianInvited Action = "guardian_invited"
	ActGuardianLinked  Action = "guardian_linked"
)

// The named points of an invitation where a fault test kills the process
// (DB.FaultHook).
const (
	FaultMinorCreating   = "guardian.minor_creating"   // in the transaction: the minor's account written, the invitation and mail not yet
	FaultMinorCreated    = "guardian.minor_created"    // committed: account, invitation and mail; the minor not yet signed in
	FaultGuardianLinking = "guardian.guardian_linking" // in the transaction: the guardian's account written, the link not yet
	FaultGuardianCreated = "guardian.guardian_created" // committed: the guardian's account, the link, the invitation spent; not yet signed in
)

// GuardianInviteTTL is how long an invitation's link works.
const GuardianInviteTTL = 7 * 24 * time.Hour

// ErrNotAwaiting is returned when an invitation is asked for an account
// that does not wait for a guardian (linked already, or never a minor).
var ErrNotAwaiting = errors.New("store: the account does not wait for a guardian")

// ErrNotInvited is returned when an account links itself to a minor whose
// invitation was sent to another address, or to itself.
var ErrNotInvited = errors.New("store: the invitation is for another address")

// GuardianInvite is the invitation of the guardian a minor named, stored
// under the SHA-256 of its link's token; one per minor (a new one replaces
// it). Name is what the minor typed, never an account's name: the minor is
// not told whether the address has an account.
type GuardianInvite struct {
	MinorID   uint64    `json:"minor_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Expired reports whether the invitation's link no longer works at now.
func (inv *GuardianInvite) Expired(now time.Time) bool { return !now.Before(inv.ExpiresAt) }

// CreateMinor stores a new account u waiting for its guardian, with the
// invitation of hash (from NewToken) and its notices (the mail, and the
// in-app notice of an account with the address), in one transaction. The
// notices speak of u: their AboutID is set here.
func (db *DB) CreateMinor(u *User, inv GuardianInvite, hash [32]byte, notices []Notice) error {
	err := db.update(func(tx *bolt.Tx) error {
		u.AwaitsGuardian, u.GuardianID = true, 0
		if err := db.createUser(tx, u); err != nil {
			return err
		}
		if err := db.auditTx(tx, &AuditEvent{Action: ActUserCreated, ActorID: u.ID, SubjectID: u.ID, Detail: string(u.Role)}); err != nil {
			return err
		}
		db.fault(FaultMinorCreating)
		return db.inviteTx(tx, u, inv, hash, u.ID, notices)
	})
	if err == nil {
		db.fault(FaultMinorCreated)
	}
	return err
}

// InviteGuardian replaces minorID's invitation by a new one (sent again,
// or to another address) with its notices, audited as actorID's: the old
// link stops working. ErrNotAwaiting when the minor is not waiting.
func (db *DB) InviteGuardian(minorID uint64, inv GuardianInvite, hash [32]byte, actorID uint64, notices []Notice) error {
	return db.update(func(tx *bolt.Tx) error {
		u, err := userTx(tx, minorID)
		if err != nil {
			return err
		}
		if !u.AwaitsGuardian {
			return ErrNotAwaiting
		}
		return db.inviteTx(tx, u, inv, hash, actorID, notices)
	})
}

func (db *DB) inviteTx(tx *bolt.Tx, u *User, inv GuardianInvite, hash [32]byte, actorID uint64, notices []Notice) error {
	if NormEmail(inv.Email) == NormEmail(u.Email) {
		return ErrNotInvited
	}
	b := tx.Bucket(bGuardianInvites)
	if err := deleteMatching(b, func(r *GuardianInvite) bool { return r.MinorID == u.ID }); err != nil {
		return err
	}
	inv.MinorID, inv.CreatedAt = u.ID, db.now()
	inv.ExpiresAt = inv.CreatedAt.Add(GuardianInviteTTL)
	if err := putJSON(b, hash[:], &inv); err != nil {
		return err
	}
	for i := range notices {
		if n := notices[i].Notification; n != nil {
			n.AboutID = u.ID
		}
		if m := notices[i].Mail; m != nil {
			m.AboutID = u.ID
		}
	}
	if err := db.addNoticesTx(tx, notices); err != nil {
		return err
	}
	return db.auditTx(tx, &AuditEvent{Action: ActGuardianInvited, ActorID: actorID, SubjectID: u.ID})
}

// GuardianInviteOf is minorID's invitation (expired or not): ErrNotFound
// when there is none.
func (db *DB) GuardianInviteOf(minorID uint64) (out *GuardianInvite, err error) {
	err = db.view(func(tx *bolt.Tx) (err error) {
		out, _, err = inviteOfTx(tx, minorID)
		return err
	})
	return out, err
}

// GuardianInviteFor is the invitation of token: ErrNotFound for an unknown
// or spent one, ErrTokenGone for an expired one.
func (db *DB) GuardianInviteFor(token string) (*GuardianInvite, error) {
	var r GuardianInvite
	err := db.view(func(tx *bolt.Tx) error {
		h := HashToken(token)
		if err := getJSON(tx.Bucket(bGuardianInvites), h[:], &r); err != nil {
			return err
		}
		if r.Expired(db.now()) {
			return ErrTokenGone
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// GuardianInvitesTo lists the live invitations sent to email (what an
// account with that address is invited to, in the app).
func (db *DB) GuardianInvitesTo(email string) (out []GuardianInvite, err error) {
	now := db.now()
	err = db.view(func(tx *bolt.Tx) error {
		return eachJSON(tx.Bucket(bGuardianInvites), func(_ []byte, r *GuardianInvite) error {
			if NormEmail(r.Email) == NormEmail(email) && !r.Expired(now) {
				out = append(out, *r)
			}
			return nil
		})
	})
	return out, err
}

// LinkGuardian makes guardianID the guardian of minorID and spends the
// minor's invitation, in one transaction: the account must have the invited
// address (ErrNotInvited), the invitation must be live (ErrNotFound,
// ErrTokenGone). The notices (telling the minor) are written with it.
func (db *DB) LinkGuardian(minorID, guardianID uint64, notices []Notice) error {
	return db.update(func(tx *bolt.Tx) error {
		g, err := userTx(tx, guardianID)
		if err != nil {
			return err
		}
		return db.linkTx(tx, minorID, g, notices)
	})
}

// CreateGuardian creates g's account with the address of minorID's live
// invitation and links it as the minor's guardian, in one transaction
// (ErrEmailTaken when the address has an account by now).
func (db *DB) CreateGuardian(g *User, minorID uint64, notices []Notice) error {
	err := db.update(func(tx *bolt.Tx) error {
		inv, _, err := inviteOfTx(tx, minorID)
		if err != nil {
			return err
		}
		g.Email, g.GuardianID, g.AwaitsGuardian = inv.Email, 0, false
		if err := db.createUser(tx, g); err != nil {
			return err
		}
		if err := db.auditTx(tx, &AuditEvent{Action: ActUserCreated, ActorID: g.ID, SubjectID: g.ID, Detail: string(g.Role)}); err != nil {
			return err
		}
		db.fault(FaultGuardianLinking)
		return db.linkTx(tx, minorID, g, notices)
	})
	if err == nil {
		db.fault(FaultGuardianCreated)
	}
	return err
}

func (db *DB) linkTx(tx *bolt.Tx, minorID uint64, g *User, notices []Notice) error {
	inv, key, err := inviteOfTx(tx, minorID)
	if err != nil {
		return err
	}
	if inv.Expired(db.now()) {
		return ErrTokenGone
	}
	if g.ID == minorID || NormEmail(g.Email) != NormEmail(inv.Email) {
		return ErrNotInvited
	}
	m, err := userTx(tx, minorID)
	if err != nil {
		return err
	}
	if !m.AwaitsGuardian { // staff linked a guardian meanwhile
		return ErrNotAwaiting
	}
	if err := reindexGuardian(tx, m.GuardianID, g.ID, m.ID); err != nil {
		return err
	}
	m.GuardianID, m.AwaitsGuardian, m.UpdatedAt = g.ID, false, db.now()
	if err := db.putUser(tx, m); err != nil {
		return err
	}
	if err := tx.Bucket(bGuardianInvites).Delete(key); err != nil {
		return err
	}
	if err := db.addNoticesTx(tx, notices); err != nil {
		return err
	}
	return db.auditTx(tx, &AuditEvent{Action: ActGuardianLinked, ActorID: g.ID, SubjectID: m.ID, Detail: "guardian #" + strconv.FormatUint(g.ID, 10)})
}

// inviteOfTx finds minorID's invitation and its key.
func inviteOfTx(tx *bolt.Tx, minorID uint64) (*GuardianInvite, []byte, error) {
	var out *GuardianInvite
	var key []byte
	err := eachJSON(tx.Bucket(bGuardianInvites), func(k []byte, r *GuardianInvite) error {
		if r.MinorID == minorID {
			c := *r
			out, key = &c, append([]byte(nil), k...)
		}
		return nil
	})
	if err == nil && out == nil {
		err = ErrNotFound
	}
	return out, key, err
}

func init() {
	registerBuckets(BucketInfo{Name: string(bGuardianInvites), Class: Personal,
		Holds: "invitations of the guardian a minor named: hashed token, the minor's account, the address and name typed, when sent",
		Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
			return emitMatching(tx.Bucket(bGuardianInvites), func(r *GuardianInvite) bool { return r.MinorID == userID }, emit)
		},
		Erase: func(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
			return nil, deleteMatching(tx.Bucket(bGuardianInvites), func(r *GuardianInvite) bool { return r.MinorID == userID })
		}})
}
