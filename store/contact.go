package store

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// People without a usable account write to the DPO from /contact (issue
// 11.6): what they typed waits here, under the SHA-256 of the mailed
// link's token, until the link's page is confirmed; only then is it filed,
// as a DPO thread marked "identity: email verified".

var bContactAsks = []byte("contact_asks")

// Audited action of a confirmed contact.
const ActContactFiled Action = "contact_filed"

// ContactTTL is how long a contact's confirmation link works.
const ContactTTL = 24 * time.Hour

// ContactKind is what a contact asks for.
type ContactKind string

// The contact kinds, in the order the form shows them.
const (
	ContactMessage ContactKind = "message"
	ContactExport  ContactKind = "export" // a copy of one's data (GDPR art. 15)
	ContactDelete  ContactKind = "delete" // erasure (GDPR art. 17)
)

// ContactKinds lists every contact kind.
var ContactKinds = []ContactKind{ContactMessage, ContactExport, ContactDelete}

// Valid reports whether k is a known kind.
func (k ContactKind) Valid() bool {
	return k == ContactMessage || k == ContactExport || k == ContactDelete
}

// ContactAsk is a contact waiting for its address to be confirmed.
type ContactAsk struct {
	Email     string      `json:"email"`
	Name      string      `json:"name"`
	Kind      ContactKind `json:"kind"`
	Subject   string      `json:"subject"` // as filed: the typed one, or the request's name
	Body      string      `json:"body"`
	Lang      string      `json:"lang"`
	CreatedAt time.Time   `json:"created_at"`
	ExpiresAt time.Time   `json:"expires_at"`
}

// AskContact stores ask under token (made by NewToken) for ContactTTL and
// queues mail (the link to token's page) in the same transaction, so a
// crash keeps both or neither. Expired asks are dropped on the way.
func (db *DB) AskContact(ask ContactAsk, token string, mail *OutMail) error {
	if !ask.Kind.Valid() {
		return fmt.Errorf("store: unknown contact kind %q", ask.Kind)
	}
	now := db.now()
	ask.CreatedAt, ask.ExpiresAt = now, now.Add(ContactTTL)
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bContactAsks)
		if err := deleteMatching(b, func(a *ContactAsk) bool { return !now.Before(a.ExpiresAt) }); err != nil {
			return err
		}
		h := HashToken(token)
		if err := putJSON(b, h[:], &ask); err != nil {
			return err
		}
		return db.enqueueMailTx(tx, mail)
	})
}

func (db *DB) contactAskTx(tx *bolt.Tx, token string) (*ContactAsk, error) {
	h := HashToken(token)
	var a ContactAsk
	if err := getJSON(tx.Bucket(bContactAsks), h[:], &a); err != nil {
		return nil, err
	}
	if !db.now().Before(a.ExpiresAt) {
		return nil, ErrTokenGone
	}
	return &a, nil
}

// ContactAskFor returns the waiting contact of token: ErrNotFound for an
// unknown or used token, ErrTokenGone for an expired one.
func (db *DB) ContactAskFor(token string) (a *ContactAsk, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		a, err = db.contactAskTx(tx, token)
		return err
	})
	return a, err
}

// ContactFiled is what a confirmed contact became: a data request, or a
// DPO thread.
type ContactFiled struct {
	Request *DataRequest
	Thread  *DPOThread
}

// ConfirmContact spends token and files its contact, in one transaction.
// A copy or an erasure asked with an account's address (a suspended or a
// former learner included) becomes a data request of that account marked
// email-verified, due in dueDays. Anything else becomes a DPO thread
// marked email-verified, linked to the address's account if any: a
// message; a copy or erasure asked with an address no account has (the
// officer answers that nothing is held, mailed to the address); or one the
// request rules refuse (an ongoing request of the same type, the last
// administrator's erasure), so that the ask is never lost. A used or
// unknown token → ErrNotFound, an expired one → ErrTokenGone.
func (db *DB) ConfirmContact(token string, dueDays int) (*ContactFiled, error) {
	var out ContactFiled
	err := db.update(func(tx *bolt.Tx) error {
		a, err := db.contactAskTx(tx, token)
		if err != nil {
			return err
		}
		h := HashToken(token)
		if err := tx.Bucket(bContactAsks).Delete(h[:]); err != nil {
			return err
		}
		var userID uint64
		if id := tx.Bucket(bUsersByEmail).Get([]byte(NormEmail(a.Email))); id != nil {
			userID = btoi(id)
		}
		if t := contactRequestType(a.Kind); t != "" && userID != 0 {
			r, err := db.createRequestTx(tx, &NewRequest{UserID: userID, Type: t, Comments: a.Body,
				FiledBy: FiledByContact, FiledByID: userID, DueDays: dueDays, EmailVerified: true})
			switch {
			case err == nil:
				out.Request = r
				return db.auditTx(tx, &AuditEvent{Action: ActContactFiled, ActorID: userID, SubjectID: userID,
					Detail: fmt.Sprintf("request %d (%s, identity: email verified)", r.ID, a.Kind)})
			case !errors.Is(err, ErrOngoingRequest) && !errors.Is(err, ErrLastAdmin):
				return err
			}
		}
		b := tx.Bucket(bDPOThreads)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		t := &DPOThread{ID: id, UserID: userID, Subject: a.Subject, Status: DPOOpen, CreatedAt: db.now(),
			ContactEmail: a.Email, ContactName: a.Name, ContactKind: a.Kind, ContactLang: a.Lang, EmailVerified: true}
		if userID != 0 {
			if err := tx.Bucket(bDPOThreadsByUser).Put(pairKey(userID, itob(id)), nil); err != nil {
				return err
			}
		}
		if err := db.addDPOMessage(tx, t, userID, false, a.Body); err != nil {
			return err
		}
		out.Thread = t
		return db.auditTx(tx, &AuditEvent{Action: ActContactFiled, ActorID: userID, SubjectID: userID,
			Detail: fmt.Sprintf("thread %d (%s, identity: email verified)", id, a.Kind)})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// contactRequestType is the data request a contact kind asks for, or "".
func contactRequestType(k ContactKind) RequestType {
	switch k {
	case ContactExport:
		return RequestExport
	case ContactDelete:
		return RequestDelete
	}
	return ""
}

func init() {
	registerBuckets(BucketInfo{Name: string(bContactAsks), Class: Personal,
		Holds: "messages and data requests from /contact waiting for their address to be confirmed (24 h): hashed token, address, name, text",
		Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
			return emitMatching(tx.Bucket(bContactAsks), contactAskMatcher(tx, userID), emit)
		},
		Erase: func(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
			return nil, deleteMatching(tx.Bucket(bContactAsks), contactAskMatcher(tx, userID))
		}})
}

// contactAskMatcher tells the waiting contacts made with userID's address.
func contactAskMatcher(tx *bolt.Tx, userID uint64) func(a *ContactAsk) bool {
	email := ""
	if u, err := userTx(tx, userID); err == nil {
		email = NormEmail(u.Email)
	}
	return func(a *ContactAsk) bool { return email != "" && NormEmail(a.Email) == email }
}
