package store

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// AcceptStatus is an answer to a policy version.
type AcceptStatus string

// The answers. Withdrawn is a decline of a version accepted before.
const (
	Accepted  AcceptStatus = "accepted"
	Declined  AcceptStatus = "declined"
	Withdrawn AcceptStatus = "withdrawn"
)

// ActorKind says who gave an answer.
type ActorKind string

// The actors: the user, their guardian, or staff on their behalf.
const (
	ActorSelf     ActorKind = "self"
	ActorGuardian ActorKind = "guardian"
	ActorStaff    ActorKind = "staff"
)

// Where says on which page an answer was given.
type Where string

// The places an answer is given.
const (
	WhereSignup  Where = "signup"
	WhereConsent Where = "consent"
	WhereProfile Where = "profile"
	WhereReport  Where = "report"
)

// Audited acceptance actions (one per event).
const (
	ActPolicyAccepted  Action = "policy_accepted"
	ActPolicyDeclined  Action = "policy_declined"
	ActPolicyWithdrawn Action = "policy_withdrawn"
	// ActAgreementsDownloaded is a CSV of the agreements report.
	ActAgreementsDownloaded Action = "agreements_downloaded"
)

// ErrCompulsory is returned when a compulsory version is declined.
var ErrCompulsory = errors.New("store: a compulsory policy cannot be declined")

// Acceptance is one answer, never overwritten: each change appends one.
type Acceptance struct {
	ID        uint64       `json:"id"`
	UserID    uint64       `json:"user_id"`
	PolicyID  uint64       `json:"policy_id"`
	VersionID uint64       `json:"version_id"`
	Status    AcceptStatus `json:"status"`
	Time      time.Time    `json:"time"`
	Lang      string       `json:"lang"`      // the language of the text shown
	TextHash  string       `json:"text_hash"` // SHA-256 of the exact text shown (policy_texts)
	ActorID   uint64       `json:"actor_id,omitempty"`
	ActorKind ActorKind    `json:"actor_kind"`
	Note      string       `json:"note,omitempty"`
	Where     Where        `json:"where"`
}

// Answer is what a user (or someone for them) answers to a version.
type Answer struct {
	UserID    uint64
	VersionID uint64
	Accept    bool
	Lang      string
	TextHash  string
	ActorID   uint64
	ActorKind ActorKind
	Note      string
	Where     Where
}

var (
	bAcceptances       = []byte("acceptances")
	bAcceptancesByUser = []byte("acceptances_by_user")
)

func init() {
	registerBuckets(
		BucketInfo{Name: string(bAcceptances), Class: Personal,
			Holds: "policy agreements: who answered which version, when, in which language, the text's hash, who acted",
			Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
				return eachUserAcceptance(tx, userID, func(a *Acceptance) error { return emit(a) })
			},
			Erase: eraseAcceptances},
		BucketInfo{Name: string(bAcceptancesByUser), Class: Index, IndexOf: string(bAcceptances),
			Holds: "account → agreement events (value: version and answer)"},
	)
}

// RecordAnswers appends one acceptance event per answer that changes
// something, durably. The same answer given twice records one event. Each
// version must be active (ErrNotActive) and a compulsory one cannot be
// declined (ErrCompulsory); on error nothing of this call is recorded.
//
// Concurrent callers share commits (group commit): while one fsync'd
// commit runs, the answers that arrive queue up, and the next commit takes
// them all, so throughput grows with the number of people answering.
func (db *DB) RecordAnswers(answers []Answer) ([]Acceptance, error) {
	if len(answers) == 0 {
		return nil, nil
	}
	gc := &db.answers
	req := &answerReq{answers: answers, done: make(chan bool, 1)}
	gc.mu.Lock()
	gc.queue = append(gc.queue, req)
	lead := !gc.leading
	gc.leading = true
	gc.mu.Unlock()
	if !lead && !<-req.done {
		return req.out, req.err
	}
	// This caller leads one round: it commits everything queued so far,
	// after letting the callers just released queue their next answers.
	runtime.Gosched()
	gc.mu.Lock()
	round := gc.queue
	gc.queue = nil
	gc.mu.Unlock()
	err := db.update(func(tx *bolt.Tx) error {
		vc := versionCache{}
		for _, r := range round {
			r.out, r.err = nil, nil
			if r.err = db.checkAnswers(tx, r.answers, vc); r.err == nil {
				if err := db.recordAnswers(tx, r.answers, vc, &r.out); err != nil {
					return err
				}
			}
		}
		return nil
	})
	for _, r := range round {
		if err != nil {
			r.out, r.err = nil, err
		}
		if r != req {
			r.done <- false
		}
	}
	gc.mu.Lock()
	if len(gc.queue) > 0 {
		gc.queue[0].done <- true // the next round's leader
	} else {
		gc.leading = false
	}
	gc.mu.Unlock()
	return req.out, req.err
}

// groupCommit queues answers while a commit is running (one per DB:
// DB.answers).
type groupCommit struct {
	mu      sync.Mutex
	queue   []*answerReq
	leading bool
}

type answerReq struct {
	answers []Answer
	out     []Acceptance
	err     error
	done    chan bool // true: lead the next round
}

// versionCache keeps the versions one transaction decoded (a version
// holds its full texts: decoding it for every answer would cost more than
// the answer).
type versionCache map[uint64]*PolicyVersion

func (vc versionCache) get(tx *bolt.Tx, id uint64) (*PolicyVersion, error) {
	if v, ok := vc[id]; ok {
		return v, nil
	}
	v, err := versionTx(tx, id)
	if err == nil {
		vc[id] = v
	}
	return v, err
}

// checkAnswers refuses a set of answers before anything is written, so that
// one caller's refusal does not undo the others' in a shared commit.
func (db *DB) checkAnswers(tx *bolt.Tx, answers []Answer, vc versionCache) error {
	for _, an := range answers {
		v, err := vc.get(tx, an.VersionID)
		if errors.Is(err, ErrNotFound) {
			return ErrNotActive
		} else if err != nil {
			return err
		}
		if v.Status != StatusActive {
			return ErrNotActive
		}
		if !an.Accept && !v.Optional {
			return ErrCompulsory
		}
	}
	return nil
}

// recordAnswers writes the events of answers that checkAnswers accepted.
func (db *DB) recordAnswers(tx *bolt.Tx, answers []Answer, vc versionCache, out *[]Acceptance) error {
	now := db.now()
	for _, an := range answers {
		v, err := vc.get(tx, an.VersionID)
		if err != nil {
			return err
		}
		last := lastStatus(tx, an.UserID, an.VersionID)
		st := Accepted
		if !an.Accept {
			st = Declined
			if last == Accepted {
				st = Withdrawn
			}
		}
		if st == last || (st == Declined && last == Withdrawn) {
			continue
		}
		b := tx.Bucket(bAcceptances)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		e := Acceptance{ID: id, UserID: an.UserID, PolicyID: v.PolicyID, VersionID: v.ID, Status: st, Time: now,
			Lang: an.Lang, TextHash: an.TextHash, ActorID: an.ActorID, ActorKind: an.ActorKind, Note: an.Note, Where: an.Where}
		if e.ActorKind == "" {
			e.ActorKind = ActorSelf
		}
		if e.ActorID == 0 {
			e.ActorID = an.UserID
		}
		if err := putJSON(b, itob(id), &e); err != nil {
			return err
		}
		if _, err := appendChain(tx, ChainPolicyAnswer, id, CanonicalAcceptance(&e), e.UserID, e.ActorID); err != nil {
			return err
		}
		val := encodeRef(&e)
		if err := tx.Bucket(bAcceptancesByUser).Put(pairKey(an.UserID, itob(id)), val); err != nil {
			return err
		}
		act := map[AcceptStatus]Action{Accepted: ActPolicyAccepted, Declined: ActPolicyDeclined, Withdrawn: ActPolicyWithdrawn}[st]
		detail := fmt.Sprintf("version %d (%s), %s, %s, by %s, text %.12s", v.ID, v.Revision, e.Where, e.Lang, e.ActorKind, e.TextHash)
		if err := db.auditTx(tx, &AuditEvent{Action: act, ActorID: e.ActorID, SubjectID: e.UserID, Detail: detail}); err != nil {
			return err
		}
		if err := db.enqueueWebhooksTx(tx, answerEvent(&e)); err != nil {
			return err
		}
		*out = append(*out, e)
	}
	return nil
}
