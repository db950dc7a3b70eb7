package store

import (
	"bytes"
	"errors"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Role is what a user may do.
type Role string

// The roles.
const (
	RoleLearner Role = "learner"
	RoleDPO     Role = "dpo"
	RoleAdmin   Role = "admin"
)

// Roles lists every role, least powerful first.
var Roles = []Role{RoleLearner, RoleDPO, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleLearner || r == RoleDPO || r == RoleAdmin }

// Staff reports whether r may use the staff pages.
func (r Role) Staff() bool { return r == RoleDPO || r == RoleAdmin }

// ErrEmailTaken is returned when another account has the email.
var ErrEmailTaken = errors.New("store: email already in use")

// ErrLastAdmin is returned when a change would leave no active administrator.
var ErrLastAdmin = errors.New("store: the last active administrator must stay")

// User is an account.
type User struct {
	ID           uint64 `json:"id"`
	Email        string `json:"email"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Lang         string `json:"lang"`
	Role         Role   `json:"role"`
	PasswordHash string `json:"password_hash"`
	Suspended    bool   `json:"suspended"`
	BirthDate    string `json:"birth_date,omitempty"` // YYYY-MM-DD, only when the age check asked it
	GuardianID   uint64 `json:"guardian_id,omitempty"`
	// AwaitsGuardian: a minor who signed up and whose guardian has not
	// accepted the invitation yet (GuardianInvite); cleared once linked.
	AwaitsGuardian bool      `json:"awaits_guardian,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	LastLoginAt    time.Time `json:"last_login_at,omitzero"`
}

// Name is the user's full name, or the email when there is none.
func (u *User) Name() string {
	n := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if n == "" {
		return u.Email
	}
	return n
}

// NormEmail is the key of the email index.
func NormEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CreateUser stores a new user, assigning its ID and times, and audits who
// created it (actorID 0: the user themself or a command).
func (db *DB) CreateUser(u *User, actorID uint64) error {
	return db.update(func(tx *bolt.Tx) error {
		if err := db.createUser(tx, u); err != nil {
			return err
		}
		if actorID == 0 {
			actorID = u.ID
		}
		return db.auditTx(tx, &AuditEvent{Action: ActUserCreated, ActorID: actorID, SubjectID: u.ID, Detail: string(u.Role)})
	})
}

func (db *DB) createUser(tx *bolt.Tx, u *User) error {
	u.Email = strings.TrimSpace(u.Email)
	idx := tx.Bucket(bUsersByEmail)
	if idx.Get([]byte(NormEmail(u.Email))) != nil {
		return ErrEmailTaken
	}
	b := tx.Bucket(bUsers)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	u.ID = id
	u.CreatedAt = db.now()
	u.UpdatedAt = u.CreatedAt
	if err := idx.Put([]byte(NormEmail(u.Email)), itob(id)); err != nil {
		return err
	}
	if err := tx.Bucket(bUsersByRole).Put(indexKey([]byte(u.Role), id), nil); err != nil {
		return err
	}
	if err := reindexGuardian(tx, 0, u.GuardianID, id); err != nil {
		return err
	}
	tx.OnCommit(func() { db.userCount.Add(1) })
	return db.putUser(tx, u)
}

// User finds a user by id.
func (db *DB) User(id uint64) (*User, error) {
	var u *User
	err := db.view(func(tx *bolt.Tx) (err error) {
		u, err = userTx(tx, id)
		return err
	})
	return u, err
}

func userTx(tx *bolt.Tx, id uint64) (*User, error) { return recordTx[User](tx.Bucket(bUsers), id) }

// UserByEmail finds a user by email, case-insensitively.
func (db *DB) UserByEmail(email string) (*User, error) {
	var u *User
	err := db.view(func(tx *bolt.Tx) (err error) {
		id := tx.Bucket(bUsersByEmail).Get([]byte(NormEmail(email)))
		if id == nil {
			return ErrNotFound
		}
		u, err = userTx(tx, btoi(id))
		return err
	})
	return u, err
}

// UpdateUser applies fn to the stored user and saves it with the audit event
// ev (none when ev.Action is empty), keeping the email index and the
// last-administrator rule true. fn may return an error to abort.
func (db *DB) UpdateUser(id uint64, ev AuditEvent, fn func(u *User) error) (*User, error) {
	var out *User
	err := db.update(func(tx *bolt.Tx) error {
		u, err := userTx(tx, id)
		if err != nil {
			return err
		}
		before := *u
		if err := fn(u); err != nil {
			return err
		}
		u.ID = id
		if err := reindexEmail(tx, before.Email, u.Email, id); err != nil {
			return err
		}
		if err := reindexRole(tx, before.Role, u.Role, id); err != nil {
			return err
		}
		if err := reindexGuardian(tx, before.GuardianID, u.GuardianID, id); err != nil {
			return err
		}
		if before.activeAdmin() && !u.activeAdmin() {
			if n, err := countActiveAdmins(tx); err != nil {
				return err
			} else if n <= 1 {
				return ErrLastAdmin
			}
		}
		u.UpdatedAt = db.now()
		out = u
		if ev.Action != "" {
			ev.SubjectID = id
			if err := db.auditTx(tx, &ev); err != nil {
				return err
			}
		}
		return db.putUser(tx, u)
	})
	return out, err
}

func (u *User) activeAdmin() bool { return u.Role == RoleAdmin && !u.Suspended }

func reindexEmail(tx *bolt.Tx, old, new string, id uint64) error {
	if NormEmail(old) == NormEmail(new) {
		return nil
	}
	idx := tx.Bucket(bUsersByEmail)
	if idx.Get([]byte(NormEmail(new))) != nil {
		return ErrEmailTaken
	}
	if err := idx.Delete([]byte(NormEmail(old))); err != nil {
		return err
	}
	return idx.Put([]byte(NormEmail(new)), itob(id))
}

func reindexRole(tx *bolt.Tx, old, new Role, id uint64) error {
	if old == new {
		return nil
	}
	idx := tx.Bucket(bUsersByRole)
	if err := idx.Delete(indexKey([]byte(old), id)); err != nil {
		return err
	}
	return idx.Put(indexKey([]byte(new), id), nil)
}

func reindexGuardian(tx *bolt.Tx, old, new, id uint64) error {
	if old == new {
		return nil
	}
	idx := tx.Bucket(bUsersByGuardian)
	if old != 0 {
		if err := idx.Delete(pairKey(old, itob(id))); err != nil {
			return err
		}
	}
	if new == 0 {
		return nil
	}
	return idx.Put(pairKey(new, itob(id)), nil)
}

// countActiveAdmins reads only the administrators, through the role index.
func countActiveAdmins(tx *bolt.Tx) (n int, err error) {
	prefix := append([]byte(RoleAdmin), 0)
	c := tx.Bucket(bUsersByRole).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		u, err := userTx(tx, btoi(k[len(prefix):]))
		if err != nil {
			return 0, err
		}
		if u.activeAdmin() {
			n++
		}
	}
	return n, nil
}

// HasAdmin reports whether an active administrator exists. Every start asks
// (for the setup link), so it stops at the first one: usually user 1, the
// administrator the setup link made, rather than decoding every account.
func (db *DB) HasAdmin() (ok bool, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		n, err := countActiveAdmins(tx)
		ok = n > 0
		return err
	})
	return ok, err
}

// UserQuery filters ListUsers.
type UserQuery struct {
	Search string // matched against name and email, case-insensitively
	Role   Role
	Offset int
	Limit  int
}

// ListUsers returns one page of users, oldest first, and the total
// matching. Without a search it decodes only the page shown.
func (db *DB) ListUsers(q UserQuery) (users []User, total int, err error) {
	if needle := strings.ToLower(strings.TrimSpace(q.Search)); needle != "" {
		return db.searchUsers(needle, q)
	}
	return db.pageUsers(q)
}

// pageUsers lists users by id (of one role, through the role index),
// walking keys only and decoding just the page.
func (db *DB) pageUsers(q UserQuery) (users []User, total int, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bUsers).Cursor()
		id := func(k []byte) uint64 { return btoi(k) }
		var prefix []byte
		if q.Role != "" {
			c = tx.Bucket(bUsersByRole).Cursor()
			prefix = append([]byte(q.Role), 0)
			id = func(k []byte) uint64 { return btoi(k[len(prefix):]) }
		}
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if total >= q.Offset && (q.Limit <= 0 || len(users) < q.Limit) {
				u, err := userTx(tx, id(k))
				if err != nil {
					return err
				}
				users = append(users, *u)
			}
			total++
		}
		return nil
	})
	return users, total, err
}

// Minors lists the users whose guardian is guardianID, by name.
func (db *DB) Minors(guardianID uint64) (minors []User, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		return eachOwned(tx.Bucket(bUsersByGuardian), guardianID, false, func(id []byte) error {
			u, err := userTx(tx, btoi(id))
			if err != nil {
				return err
			}
			minors = append(minors, *u)
			return nil
		})
	})
	sort.Slice(minors, func(i, j int) bool { return minors[i].Name() < minors[j].Name() })
	return minors, err
}

func init() {
	registerBuckets(
		BucketInfo{Name: string(bUsers), Class: Personal, Holds: "accounts: name, email, language, role, password hash, birth date, guardian",
			Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
				u, err := userTx(tx, userID)
				if err != nil {
					return err
				}
				u.PasswordHash = "" // a secret, not information about the person
				return emit(u)
			},
			Erase: eraseUser},
		BucketInfo{Name: string(bUsersByEmail), Class: Index, IndexOf: string(bUsers), Holds: "email → account"},
		BucketInfo{Name: string(bUsersByRole), Class: Index, IndexOf: string(bUsers), Holds: "role → accounts"},
		BucketInfo{Name: string(bUsersByGuardian), Class: Index, IndexOf: string(bUsers), Holds: "guardian → the minors in their care"},
	)
}

// eraseUser deletes the account and unlinks the minors it was guardian of.
func eraseUser(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
	u, err := userTx(tx, userID)
	if err != nil {
		return nil, err
	}
	b := tx.Bucket(bUsers)
	for _, k := range prefixKeys(tx.Bucket(bUsersByGuardian), itob(userID)) {
		id := btoi(k[8:])
		m, err := userTx(tx, id)
		if err != nil {
			return nil, err
		}
		if err := reindexGuardian(tx, userID, 0, id); err != nil {
			return nil, err
		}
		m.GuardianID = 0
		if err := putJSON(b, itob(id), m); err != nil {
			return nil, err
		}
	}
	if err := reindexGuardian(tx, u.GuardianID, 0, userID); err != nil {
		return nil, err
	}
	if err := tx.Bucket(bUsersByEmail).Delete([]byte(NormEmail(u.Email))); err != nil {
		return nil, err
	}
	if err := tx.Bucket(bUsersByRole).Delete(indexKey([]byte(u.Role), userID)); err != nil {
		return nil, err
	}
	return nil, b.Delete(itob(userID))
}
