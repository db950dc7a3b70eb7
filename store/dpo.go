package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bDPOThreads       = []byte("dpo_threads")
	bDPOThreadsByUser = []byte("dpo_threads_by_user")
	bDPOMessages      = []byte("dpo_messages")
	bDPOUnread        = []byte("dpo_unread")
	bDPOByStatus      = []byte("dpo_threads_by_status")
)

// Audited actions of the DPO contact.
const (
	ActDPOThreadOpened Action = "dpo_thread_opened"
	ActDPOReplied      Action = "dpo_replied"
	ActDPOClosed       Action = "dpo_closed"
)

// DPOStatus is where a thread with the Data Protection Officer stands.
type DPOStatus string

// The statuses of a DPO thread.
const (
	DPOOpen     DPOStatus = "open"     // waiting for the officer
	DPOAnswered DPOStatus = "answered" // the officer answered last
	DPOClosed   DPOStatus = "closed"   // closed by the officer
)

// DPOStatuses lists every status, in the order filters show them.
var DPOStatuses = []DPOStatus{DPOOpen, DPOAnswered, DPOClosed}

// DPOEvent is what moves a thread from one status to another.
type DPOEvent string

// The events of a DPO thread.
const (
	DPOLearnerWrote DPOEvent = "learner_wrote" // a new thread or a learner's reply
	DPOStaffReplied DPOEvent = "staff_replied"
	DPOStaffClosed  DPOEvent = "staff_closed"
)

// ErrDPOTransition is returned for an event a thread's status does not allow.
var ErrDPOTransition = errors.New("store: not allowed in this status")

// NextDPOStatus is the status after ev: a learner's message (re)opens the
// thread, a staff reply answers it, and only an open or answered thread can
// be closed.
func NextDPOStatus(from DPOStatus, ev DPOEvent) (DPOStatus, error) {
	switch ev {
	case DPOLearnerWrote:
		return DPOOpen, nil
	case DPOStaffReplied:
		return DPOAnswered, nil
	case DPOStaffClosed:
		if from == DPOOpen || from == DPOAnswered {
			return DPOClosed, nil
		}
	}
	return from, ErrDPOTransition
}

// DPOThread is a conversation between a user and the Data Protection
// Officer. Its messages live in their own bucket, so lists stay light.
type DPOThread struct {
	ID        uint64    `json:"id"`
	UserID    uint64    `json:"user_id"`
	Subject   string    `json:"subject"`
	Status    DPOStatus `json:"status"`
	Messages  int       `json:"messages"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	ClosedAt  time.Time `json:"closed_at,omitzero"`
	// Filed from /contact (store/contact.go): the address confirmed by
	// the mailed link, the name given, and what was asked.
	ContactEmail  string      `json:"contact_email,omitempty"`
	ContactName   string      `json:"contact_name,omitempty"`
	ContactKind   ContactKind `json:"contact_kind,omitempty"`
	ContactLang   string      `json:"contact_lang,omitempty"`
	EmailVerified bool        `json:"email_verified,omitempty"`
	// Unread: the user wrote since the officer last replied or marked the
	// thread read.
	Unread bool `json:"unread,omitempty"`
}

// DPOMessage is one message of a thread.
type DPOMessage struct {
	ThreadID uint64    `json:"thread_id"`
	N        int       `json:"n"`
	AuthorID uint64    `json:"author_id,omitempty"` // 0 once the author is erased
	Staff    bool      `json:"staff"`
	Body     string    `json:"body"`
	At       time.Time `json:"at"`
}

// CreateDPOThread opens a thread for userID with its first message.
func (db *DB) CreateDPOThread(userID uint64, subject, body string) (*DPOThread, error) {
	t := &DPOThread{UserID: userID, Subject: subject, Status: DPOOpen}
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bDPOThreads)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		t.ID = id
		t.CreatedAt = db.now()
		if err := tx.Bucket(bDPOThreadsByUser).Put(pairKey(userID, itob(id)), nil); err != nil {
			return err
		}
		if err := db.addDPOMessage(tx, t, userID, false, body); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActDPOThreadOpened, ActorID: userID, SubjectID: userID, Detail: fmt.Sprintf("thread %d", id)})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// ReplyDPO adds a message to thread id by authorID, as staff or as the
// thread's user, and moves its status.
func (db *DB) ReplyDPO(id, authorID uint64, staff bool, body string) (*DPOThread, error) {
	var t *DPOThread
	err := db.update(func(tx *bolt.Tx) (err error) {
		if t, err = dpoThreadTx(tx, id); err != nil {
			return err
		}
		ev := DPOLearnerWrote
		if staff {
			ev = DPOStaffReplied
		}
		if t.Status, err = NextDPOStatus(t.Status, ev); err != nil {
			return err
		}
		if err := db.addDPOMessage(tx, t, authorID, staff, body); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActDPOReplied, ActorID: authorID, SubjectID: t.UserID, Detail: fmt.Sprintf("thread %d", id)})
	})
	return t, err
}

// addDPOMessage appends a message to t and saves t with its new status,
// times and unread mark.
func (db *DB) addDPOMessage(tx *bolt.Tx, t *DPOThread, authorID uint64, staff bool, body string) error {
	now := db.now()
	t.Messages++
	t.UpdatedAt = now
	t.ClosedAt = time.Time{}
	m := DPOMessage{ThreadID: t.ID, N: t.Messages, AuthorID: authorID, Staff: staff, Body: body, At: now}
	if err := putJSON(tx.Bucket(bDPOMessages), pairKey(t.ID, itob(uint64(m.N))), &m); err != nil {
		return err
	}
	return db.saveDPOThread(tx, t, !staff)
}

// saveDPOThread stores t with its unread mark and keeps both indexes true.
func (db *DB) saveDPOThread(tx *bolt.Tx, t *DPOThread, unread bool) error {
	t.Unread = unread
	if old, err := dpoThreadTx(tx, t.ID); err == nil && old.Status != t.Status {
		if err := tx.Bucket(bDPOByStatus).Delete(indexKey([]byte(old.Status), t.ID)); err != nil {
			return err
		}
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if err := tx.Bucket(bDPOByStatus).Put(indexKey([]byte(t.Status), t.ID), nil); err != nil {
		return err
	}
	idx := tx.Bucket(bDPOUnread)
	var err error
	if unread {
		err = idx.Put(itob(t.ID), nil)
	} else {
		err = idx.Delete(itob(t.ID))
	}
	if err != nil {
		return err
	}
	return putJSON(tx.Bucket(bDPOThreads), itob(t.ID), t)
}

// CloseDPOThread closes thread id (staff only); ErrDPOTransition when it is
// already closed.
func (db *DB) CloseDPOThread(id, actorID uint64) (*DPOThread, error) {
	var t *DPOThread
	err := db.update(func(tx *bolt.Tx) (err error) {
		if t, err = dpoThreadTx(tx, id); err != nil {
			return err
		}
		if t.Status, err = NextDPOStatus(t.Status, DPOStaffClosed); err != nil {
			return err
		}
		t.UpdatedAt = db.now()
		t.ClosedAt = t.UpdatedAt
		if err := db.saveDPOThread(tx, t, false); err != nil {
			return err
		}
		return db.auditTx(tx, &AuditEvent{Action: ActDPOClosed, ActorID: actorID, SubjectID: t.UserID, Detail: fmt.Sprintf("thread %d", id)})
	})
	return t, err
}

// MarkDPORead clears the officer's unread mark of thread id (an explicit
// action: viewing a thread writes nothing).
func (db *DB) MarkDPORead(id uint64) (*DPOThread, error) {
	var t *DPOThread
	err := db.update(func(tx *bolt.Tx) (err error) {
		if t, err = dpoThreadTx(tx, id); err != nil {
			return err
		}
		if !t.Unread {
			return nil
		}
		return db.saveDPOThread(tx, t, false)
	})
	return t, err
}

// DPOThread returns thread id with its messages, oldest first.
func (db *DB) DPOThread(id uint64) (t *DPOThread, msgs []DPOMessage, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		if t, err = dpoThreadTx(tx, id); err != nil {
			return err
		}
		msgs, err = dpoMessagesTx(tx, id)
		return err
	})
	return t, msgs, err
}

func dpoThreadTx(tx *bolt.Tx, id uint64) (*DPOThread, error) {
	return recordTx[DPOThread](tx.Bucket(bDPOThreads), id)
}

func dpoMessagesTx(tx *bolt.Tx, id uint64) ([]DPOMessage, error) {
	var out []DPOMessage
	prefix := itob(id)
	c := tx.Bucket(bDPOMessages).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var m DPOMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// UserDPOThreads lists the threads of userID, newest first.
func (db *DB) UserDPOThreads(userID uint64) (out []DPOThread, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		return eachUserDPOThread(tx, userID, func(t *DPOThread) error {
			out = append(out, *t)
			return nil
		})
	})
	slices.Reverse(out)
	return out, err
}

func eachUserDPOThread(tx *bolt.Tx, userID uint64, fn func(t *DPOThread) error) error {
	return eachOwned(tx.Bucket(bDPOThreadsByUser), userID, false, func(id []byte) error {
		t, err := dpoThreadTx(tx, btoi(id))
		if err != nil {
			return err
		}
		return fn(t)
	})
}

// DPOQuery filters ListDPOThreads.
type DPOQuery struct {
	Status DPOStatus // "" for all
	Unread bool      // only threads the officer has not read
	Offset int
	Limit  int
}

// ListDPOThreads returns one page of threads, newest first, and the total
// matching. It walks index keys and decodes only the page it returns.
func (db *DB) ListDPOThreads(q DPOQuery) (out []DPOThread, total int, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		var ids []uint64 // newest first, when a filter applies
		switch {
		case q.Unread:
			c := tx.Bucket(bDPOUnread).Cursor()
			for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
				ids = append(ids, btoi(k))
			}
		case q.Status != "":
			prefix := append([]byte(q.Status), 0)
			c := tx.Bucket(bDPOByStatus).Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				ids = append(ids, btoi(k[len(prefix):]))
			}
			slices.Reverse(ids)
		default:
			c := tx.Bucket(bDPOThreads).Cursor()
			for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
				ids = append(ids, btoi(k))
			}
		}
		for _, id := range ids {
			if q.Unread && q.Status != "" {
				t, err := dpoThreadTx(tx, id)
				if err != nil {
					return err
				}
				if t.Status != q.Status {
					continue
				}
			}
			if total >= q.Offset && (q.Limit <= 0 || len(out) < q.Limit) {
				t, err := dpoThreadTx(tx, id)
				if err != nil {
					return err
				}
				out = append(out, *t)
			}
			total++
		}
		return nil
	})
	return out, total, err
}

// DPOUnreadCount is how many threads wait for the officer to read them
// (one small index, no thread decoded).
func (db *DB) DPOUnreadCount() (n int, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bDPOUnread).Stats().KeyN
		return nil
	})
	return n, err
}
