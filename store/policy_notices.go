package store

import (
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Telling people of a policy change (issue 12.5). An administrator who
// activates a version may ask that everyone concerned be told: the
// activation and that wish are one transaction (an Announcement), and the
// mail job works through the accounts in batches. Each batch writes its
// notices (in the app, and the mail) together with a mark per person and
// version (PolicyTold) and the announcement's progress, so a restart goes
// on where it stopped and nobody is told twice. Reminders use the same
// marks.
var (
	bPolicyAnnouncements = []byte("policy_announcements")
	bPolicyTold          = []byte("policy_told")
)

// Announcement is a version whose activation is to be told to everyone
// concerned.
type Announcement struct {
	VersionID uint64    `json:"version_id"`
	ActorID   uint64    `json:"actor_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// After is the last account id gone through; Done once every account is.
	After uint64 `json:"after,omitempty"`
	Done  bool   `json:"done,omitempty"`
}

// PolicyTold is what one person was told of one version, and when.
type PolicyTold struct {
	UserID    uint64    `json:"user_id"`
	VersionID uint64    `json:"version_id"`
	Announced time.Time `json:"announced,omitzero"`
	Reminded  time.Time `json:"reminded,omitzero"`
}

// What a batch of notices tells.
const (
	ToldAnnounce = "announce"
	ToldRemind   = "remind"
)

// ActivateVersionAnnounced is ActivateVersion that, when announce is set,
// also stores in the same transaction that everyone concerned is to be told.
func (db *DB) ActivateVersionAnnounced(id, actorID uint64, announce bool) error {
	return db.update(func(tx *bolt.Tx) error {
		if err := db.activateVersionTx(tx, id, actorID); err != nil || !announce {
			return err
		}
		b := tx.Bucket(bPolicyAnnouncements)
		if b.Get(itob(id)) != nil {
			return nil
		}
		return putJSON(b, itob(id), &Announcement{VersionID: id, ActorID: actorID, CreatedAt: db.now()})
	})
}

// PendingAnnouncements lists the announcements not done yet.
func (db *DB) PendingAnnouncements() (out []Announcement, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		return eachJSON(tx.Bucket(bPolicyAnnouncements), func(_ []byte, a *Announcement) error {
			if !a.Done {
				out = append(out, *a)
			}
			return nil
		})
	})
	return out, err
}

// UserBrief is what telling people needs of an account.
type UserBrief struct {
	ID        uint64
	CreatedAt time.Time
	Suspended bool
}

// UsersAfter lists up to limit accounts with an id above after, in id
// order.
func (db *DB) UsersAfter(after uint64, limit int) (out []UserBrief, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bUsers).Cursor()
		for k, v := c.Seek(itob(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			var u User
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			out = append(out, UserBrief{ID: u.ID, CreatedAt: u.CreatedAt, Suspended: u.Suspended})
		}
		return nil
	})
	return out, err
}

// Told reports which of users were already told kind (ToldAnnounce,
// ToldRemind) of versionID.
func (db *DB) Told(versionID uint64, kind string, users []uint64) (map[uint64]bool, error) {
	out := map[uint64]bool{}
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bPolicyTold)
		for _, id := range users {
			var t PolicyTold
			if err := getJSON(b, pairKey(id, itob(versionID)), &t); err == ErrNotFound {
				continue
			} else if err != nil {
				return err
			}
			out[id] = t.marked(kind)
		}
		return nil
	})
	return out, err
}

func (t *PolicyTold) marked(kind string) bool {
	if kind == ToldAnnounce {
		return !t.Announced.IsZero()
	}
	return !t.Reminded.IsZero()
}

// TellPolicy writes, in one transaction, the notices of a batch that tell
// kind of versionID, each with its person's mark (the person it is about:
// AboutID when set, else the recipient), skipping a person already
// marked (and their notice: its ID stays 0). For an announcement it also
// records the batch's progress: after, and done once every account was
// gone through.
func (db *DB) TellPolicy(versionID uint64, kind string, notices []Notice, after uint64, done bool) error {
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bPolicyTold)
		now := db.now()
		for _, nt := range notices {
			if nt.Notification == nil {
				continue
			}
			// A notice about someone else (a minor's, told to their
			// guardian) marks the person it is about.
			who := nt.Notification.UserID
			if nt.Notification.AboutID != 0 {
				who = nt.Notification.AboutID
			}
			key := pairKey(who, itob(versionID))
			t := PolicyTold{UserID: who, VersionID: versionID}
			if err := getJSON(b, key, &t); err != nil && err != ErrNotFound {
				return err
			}
			if t.marked(kind) {
				continue
			}
			if err := db.addNoticesTx(tx, []Notice{nt}); err != nil {
				return err
			}
			if kind == ToldAnnounce {
				t.Announced = now
			} else {
				t.Reminded = now
			}
			if err := putJSON(b, key, &t); err != nil {
				return err
			}
		}
		if kind != ToldAnnounce {
			return nil
		}
		ab := tx.Bucket(bPolicyAnnouncements)
		var a Announcement
		if err := getJSON(ab, itob(versionID), &a); err != nil {
			return err
		}
		a.After, a.Done = max(a.After, after), done
		return putJSON(ab, itob(versionID), &a)
	})
}

func init() {
	registerBuckets(
		BucketInfo{Name: string(bPolicyAnnouncements), Class: NotPersonal,
			Holds: "versions whose activation is told to everyone concerned, and how far the telling went"},
		BucketInfo{Name: string(bPolicyTold), Class: Personal,
			Holds: "which person was told of which policy version (announcement, reminder), and when",
			Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
				c := tx.Bucket(bPolicyTold).Cursor()
				p := itob(userID)
				for k, v := c.Seek(p); len(k) == 16 && btoi(k[:8]) == userID; k, v = c.Next() {
					var t PolicyTold
					if err := json.Unmarshal(v, &t); err != nil {
						return err
					}
					if err := emit(&t); err != nil {
						return err
					}
				}
				return nil
			},
			Erase: func(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
				b := tx.Bucket(bPolicyTold)
				return nil, deleteKeys(b, prefixKeys(b, itob(userID)))
			}},
	)
}
