package store

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The index value is the event in short, so that the gate's rebuild reads
// no JSON and the report's CSV none per row:
//
//	[0:8] BE(versionID)  [8] status  [9:17] BE(time, µs since 1970)
//	[17] actor kind  [18] where  [19:21] language  [21:53] SHA-256 of the
//	text shown  [53:61] BE(actorID)  [61:] note
var statusByte = map[AcceptStatus]byte{Accepted: 1, Declined: 2, Withdrawn: 3}
var byteStatus = [4]AcceptStatus{"", Accepted, Declined, Withdrawn}

var actorByte = map[ActorKind]byte{ActorSelf: 1, ActorGuardian: 2, ActorStaff: 3}
var byteActor = [4]ActorKind{"", ActorSelf, ActorGuardian, ActorStaff}
var whereByte = map[Where]byte{WhereSignup: 1, WhereConsent: 2, WhereProfile: 3, WhereReport: 4}
var byteWhere = [8]Where{"", WhereSignup, WhereConsent, WhereProfile, WhereReport}

const refActorAt = 53

func encodeRef(e *Acceptance) []byte {
	b := make([]byte, 61, 61+len(e.Note))
	binary.BigEndian.PutUint64(b[0:], e.VersionID)
	b[8] = statusByte[e.Status]
	binary.BigEndian.PutUint64(b[9:], uint64(e.Time.UnixMicro()))
	b[17], b[18] = actorByte[e.ActorKind], whereByte[e.Where]
	copy(b[19:21], e.Lang)
	hex.Decode(b[21:53], []byte(e.TextHash)) // a malformed hash stays zero
	binary.BigEndian.PutUint64(b[refActorAt:], e.ActorID)
	return append(b, e.Note...)
}

func decodeRef(eventID uint64, v []byte) AnswerRef {
	r := AnswerRef{EventID: eventID, VersionID: btoi(v[:8]), Status: byteStatus[v[8]&3]}
	if len(v) >= 61 {
		r.Time = time.UnixMicro(int64(btoi(v[9:17]))).UTC()
		r.ActorKind, r.Where = byteActor[v[17]&3], byteWhere[v[18]&7]
		r.Lang = strings.TrimRight(string(v[19:21]), "\x00")
		if !allZero(v[21:53]) {
			r.TextHash = hex.EncodeToString(v[21:53])
		}
		r.ActorID = btoi(v[refActorAt:61])
		r.Note = string(v[61:])
	}
	return r
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// lastStatus is the user's latest answer to a version ("" for none).
func lastStatus(tx *bolt.Tx, userID, versionID uint64) AcceptStatus {
	prefix := itob(userID)
	c := tx.Bucket(bAcceptancesByUser).Cursor()
	for k, v := seekLast(c, userID); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
		if len(v) >= 9 && btoi(v[:8]) == versionID {
			return byteStatus[v[8]&3]
		}
	}
	return ""
}

// EachAnswer calls fn with every answer in the order given, from the index
// alone (to rebuild the in-memory consent state at start).
func (db *DB) EachAnswer(fn func(userID, versionID uint64, st AcceptStatus)) error {
	return db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bAcceptancesByUser).ForEach(func(k, v []byte) error {
			if len(k) == 16 && len(v) >= 9 {
				fn(btoi(k[:8]), btoi(v[:8]), byteStatus[v[8]&3])
			}
			return nil
		})
	})
}

// UserAcceptances lists a user's acceptance events, newest first.
func (db *DB) UserAcceptances(userID uint64) (out []Acceptance, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		return eachUserAcceptance(tx, userID, func(a *Acceptance) error {
			out = append(out, *a)
			return nil
		})
	})
	return out, err
}

func eachUserAcceptance(tx *bolt.Tx, userID uint64, fn func(a *Acceptance) error) error {
	b := tx.Bucket(bAcceptances)
	return eachOwned(tx.Bucket(bAcceptancesByUser), userID, true, func(id []byte) error {
		var a Acceptance
		if err := getJSON(b, id, &a); err != nil {
			return err
		}
		return fn(&a)
	})
}

// eraseAcceptances deletes the user's agreement events: proof of consent
// is about an identified person, and once the person is erased there is
// nobody left to prove it about (GDPR art. 17); only their number stays,
// in the erasure report. Events the user gave for others (as a guardian
// or staff) stay with those people, without the actor's id.
func eraseAcceptances(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
	idx := tx.Bucket(bAcceptancesByUser)
	b := tx.Bucket(bAcceptances)
	keys := prefixKeys(idx, itob(userID))
	for _, k := range keys {
		if err := b.Delete(k[8:]); err != nil {
			return nil, err
		}
		if err := idx.Delete(k); err != nil {
			return nil, err
		}
	}
	var acted [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var a Acceptance
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		if a.ActorID == userID && a.UserID != userID {
			acted = append(acted, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range acted {
		var a Acceptance
		if err := getJSON(b, k, &a); err != nil {
			return nil, err
		}
		a.ActorID = 0
		if err := putJSON(b, k, &a); err != nil {
			return nil, err
		}
		ik := pairKey(a.UserID, k)
		if v := idx.Get(ik); len(v) >= 61 {
			v = append([]byte(nil), v...)
			binary.BigEndian.PutUint64(v[refActorAt:], 0)
			if err := idx.Put(ik, v); err != nil {
				return nil, err
			}
		}
	}
	if len(keys) == 0 && len(acted) == 0 {
		return nil, nil
	}
	return &ErasureKept{Kind: KeptAcceptances, Count: len(keys), Others: len(acted)}, nil
}

// AnswerRef is one answer as the index holds it: the event but its ids.
type AnswerRef struct {
	EventID   uint64
	VersionID uint64
	Status    AcceptStatus
	Time      time.Time
	Lang      string
	TextHash  string
	ActorID   uint64
	ActorKind ActorKind
	Note      string
	Where     Where
}

// UserAnswers is one user and their answers, as EachUserAnswers hands them
// over: the account is decoded only when asked for, and everything is
// valid only during the callback.
type UserAnswers struct {
	ID uint64
	// Refs are the answers, oldest first, with only their event, version
	// and status: Full gives the rest.
	Refs []AnswerRef
	vals [][]byte
	raw  []byte
	user *User
	tx   *bolt.Tx
}

// Full is Refs[i] with everything the index holds about it.
func (ua *UserAnswers) Full(i int) AnswerRef { return decodeRef(ua.Refs[i].EventID, ua.vals[i]) }

// User decodes the account (once).
func (ua *UserAnswers) User() (*User, error) {
	if ua.user == nil {
		var u User
		if err := json.Unmarshal(ua.raw, &u); err != nil {
			return nil, fmt.Errorf("store: decode user: %w", err)
		}
		ua.user = &u
	}
	return ua.user, nil
}

// MaybeRole reports whether the account may have role r, without decoding
// it (false: it surely has not).
func (ua *UserAnswers) MaybeRole(r Role) bool {
	return bytes.Contains(ua.raw, []byte(`"role":"`+string(r)+`"`))
}

// EachUserAnswers calls fn for every user, by id, from one read
// transaction (a consistent snapshot for the agreements report and its
// CSV). With refs, ua.Refs holds the user's answers; without, the walk
// reads the accounts alone and LoadRefs reads a user's answers on demand.
func (db *DB) EachUserAnswers(refs bool, fn func(ua *UserAnswers) error) error {
	return db.view(func(tx *bolt.Tx) error {
		ac := tx.Bucket(bAcceptancesByUser).Cursor()
		var ak, av []byte
		if refs {
			ak, av = ac.First()
		}
		ua := &UserAnswers{tx: tx}
		uc := tx.Bucket(bUsers).Cursor()
		for k, v := uc.First(); k != nil; k, v = uc.Next() {
			id := btoi(k)
			ua.ID, ua.raw, ua.user, ua.Refs, ua.vals = id, v, nil, ua.Refs[:0], ua.vals[:0]
			for ; refs && ak != nil && btoi(ak[:8]) < id; ak, av = ac.Next() {
			}
			for ; refs && ak != nil && btoi(ak[:8]) == id; ak, av = ac.Next() {
				ua.add(ak, av)
			}
			if err := fn(ua); err != nil {
				return err
			}
		}
		return nil
	})
}

func (ua *UserAnswers) add(k, v []byte) {
	if len(k) == 16 && len(v) >= 9 {
		ua.Refs = append(ua.Refs, AnswerRef{EventID: btoi(k[8:]), VersionID: btoi(v[:8]), Status: byteStatus[v[8]&3]})
		ua.vals = append(ua.vals, v)
	}
}

// LoadRefs reads the user's answers into Refs (when the walk was without).
func (ua *UserAnswers) LoadRefs() {
	ua.Refs, ua.vals = ua.Refs[:0], ua.vals[:0]
	prefix := itob(ua.ID)
	c := ua.tx.Bucket(bAcceptancesByUser).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		ua.add(k, v)
	}
}

// CountUsers is the number of accounts, kept in memory (DB.userCount): the
// dashboard and the agreements report ask for it on every view, and
// counting the bucket walks every page of it (about 6 ms at 100,000).
func (db *DB) CountUsers() (n int, err error) { return int(db.userCount.Load()), nil }
