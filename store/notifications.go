package store

import (
	"encoding/json"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bNotifications       = []byte("notifications")
	bNotificationsByUser = []byte("notifications_by_user")
)

// Notification is something the app told a user. Subject and body are
// locale keys with their placeholders, so it reads in the language the user
// views it in.
type Notification struct {
	ID        uint64    `json:"id"`
	UserID    uint64    `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
	Subject   string    `json:"subject"` // locale key
	Body      string    `json:"body"`    // locale key
	Args      []any     `json:"args,omitempty"`
	Link      string    `json:"link,omitempty"`
	Read      bool      `json:"read,omitempty"`
	// AboutID is the user the notification speaks of, when not the
	// recipient (a learner's message told to the officer): erasing that
	// user deletes it too.
	AboutID uint64 `json:"about_id,omitempty"`
}

// Notice is what a change tells one person, rendered by the caller before
// the transaction (STYLE.md: no templates in a transaction) and written in
// the same transaction as the change it reports.
type Notice struct {
	// Notification is the in-app notice; nil for a mail to an address
	// that has no account (an erased person's last message).
	Notification *Notification
	// Mail is its mail; nil when mail is off or the notice is in-app only.
	Mail *OutMail
}

// AddNotification stores n and, when mail is not nil, queues mail in the
// outbox, in one transaction.
func (db *DB) AddNotification(n *Notification, mail *OutMail) error {
	return db.update(func(tx *bolt.Tx) error { return db.addNoticesTx(tx, []Notice{{Notification: n, Mail: mail}}) })
}

// addNoticesTx writes notices in tx. A notification to an account that no
// longer exists is skipped with its mail (its ID stays 0); a written one
// gets its ID.
func (db *DB) addNoticesTx(tx *bolt.Tx, notices []Notice) error {
	for _, nt := range notices {
		if n := nt.Notification; n != nil {
			if _, err := userTx(tx, n.UserID); errors.Is(err, ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			if err := db.putNotificationTx(tx, n); err != nil {
				return err
			}
		}
		if nt.Mail != nil {
			if err := db.enqueueMailTx(tx, nt.Mail); err != nil {
				return err
			}
		}
	}
	return nil
}

func (db *DB) putNotificationTx(tx *bolt.Tx, n *Notification) error {
	b := tx.Bucket(bNotifications)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	n.ID = id
	n.CreatedAt = db.now()
	if err := tx.Bucket(bNotificationsByUser).Put(pairKey(n.UserID, itob(id)), nil); err != nil {
		return err
	}
	return putJSON(b, itob(id), n)
}

// Notifications returns the newest limit notifications of userID, and how
// many there are in all.
func (db *DB) Notifications(userID uint64, limit int) (out []Notification, total int, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		return eachNotification(tx, userID, true, func(n *Notification) error {
			if limit <= 0 || len(out) < limit {
				out = append(out, *n)
			}
			total++
			return nil
		})
	})
	return out, total, err
}

// eachNotification visits userID's notifications, newest first when
// newest is set.
func eachNotification(tx *bolt.Tx, userID uint64, newest bool, fn func(n *Notification) error) error {
	b := tx.Bucket(bNotifications)
	return eachOwned(tx.Bucket(bNotificationsByUser), userID, newest, func(id []byte) error {
		var n Notification
		if err := getJSON(b, id, &n); err != nil {
			return err
		}
		return fn(&n)
	})
}

// MarkNotificationsRead marks every notification of userID read and says
// how many were not.
func (db *DB) MarkNotificationsRead(userID uint64) (n int, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		n = 0
		var unread []Notification
		err := eachNotification(tx, userID, false, func(x *Notification) error {
			if !x.Read {
				x.Read = true
				unread = append(unread, *x)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i := range unread {
			if err := putJSON(tx.Bucket(bNotifications), itob(unread[i].ID), &unread[i]); err != nil {
				return err
			}
		}
		n = len(unread)
		return nil
	})
	return n, err
}

// UnreadNotificationCounts counts the unread notifications of every user
// (read once at start; the app keeps the counts in memory).
func (db *DB) UnreadNotificationCounts() (map[uint64]int, error) {
	out := map[uint64]int{}
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bNotifications).ForEach(func(_, v []byte) error {
			var n struct {
				UserID uint64 `json:"user_id"`
				Read   bool   `json:"read"`
			}
			if err := json.Unmarshal(v, &n); err != nil {
				return err
			}
			if !n.Read {
				out[n.UserID]++
			}
			return nil
		})
	})
	return out, err
}

func init() {
	registerBuckets(
		BucketInfo{Name: string(bNotifications), Class: Personal, Holds: "in-app notifications: what the user was told, when, read or not",
			Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
				return eachNotification(tx, userID, false, func(n *Notification) error { return emit(n) })
			},
			Erase: eraseNotifications, Category: CategoryNotifications},
		BucketInfo{Name: string(bNotificationsByUser), Class: Index, IndexOf: string(bNotifications), Holds: "account → notifications"},
	)
}

// eraseNotifications deletes the notifications to userID and those about
// userID sent to others (one pass over the bucket).
func eraseNotifications(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
	var gone []Notification
	err := tx.Bucket(bNotifications).ForEach(func(_, v []byte) error {
		var n Notification
		if err := json.Unmarshal(v, &n); err != nil {
			return err
		}
		if n.UserID == userID || n.AboutID == userID {
			gone = append(gone, n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, n := range gone {
		if err := tx.Bucket(bNotifications).Delete(itob(n.ID)); err != nil {
			return nil, err
		}
		if err := tx.Bucket(bNotificationsByUser).Delete(pairKey(n.UserID, itob(n.ID))); err != nil {
			return nil, err
		}
	}
	return nil, nil
}
