// Package consent decides who must answer which policy version, and
// records the answers. Its Service owns the snapshot of every policy and
// version and the in-memory index of each user's latest answer to each
// version: nothing else holds them, and every answer is recorded through
// Record, which writes the store and then the index, so the consent gate,
// the consent page, the profile and the report never drift from the
// database.
//
// The rules live in rules.go, one function each: mustAnswer ("pending"),
// Label (how the report names it) and MayAct (who answers for whom).
package consent

import (
	"sync/atomic"

	"accord/store"
)

// Service is the consent desk's memory and its only way to record answers.
type Service struct {
	db      *store.DB
	snap    atomic.Pointer[Snapshot]
	answers index
}

// New seeds the default policies on a first start, then loads every
// policy and every answer into memory.
func New(db *store.DB) (*Service, error) {
	if err := db.SeedPolicies(); err != nil {
		return nil, err
	}
	s := &Service{db: db}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	err := db.EachAnswer(func(userID, versionID uint64, st store.AcceptStatus) {
		s.answers.set(userID, versionID, kindOf[st])
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Reload takes a new snapshot of the policies: call it after every change
// to a policy or a version.
func (s *Service) Reload() error {
	entries, err := s.db.ListPolicies()
	if err != nil {
		return err
	}
	s.snap.Store(newSnapshot(entries))
	return nil
}

// Snapshot is the policies as they stand (immutable: read only).
func (s *Service) Snapshot() *Snapshot { return s.snap.Load() }

// Record stores the answers durably (store.DB.RecordAnswers: one event per
// answer that changes something) and puts the events in memory. It
// returns the events recorded; on error nothing is recorded.
func (s *Service) Record(answers []store.Answer) ([]store.Acceptance, error) {
	events, err := s.db.RecordAnswers(answers)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		s.answers.set(e.UserID, e.VersionID, kindOf[e.Status])
	}
	return events, nil
}

// Forget drops an erased user's answers from memory (the store erased them).
func (s *Service) Forget(userID uint64) { s.answers.clear(userID) }

// Pending reports whether the user has an active version to answer. It is
// the gate's check: a few lookups, no allocation.
func (s *Service) Pending(userID uint64) bool {
	ans := s.answers.get(userID)
	for _, g := range s.snap.Load().gate {
		if mustAnswer(g.optional, statusIn(ans, g.id)) {
			return true
		}
	}
	return false
}

// PendingVersions lists the user's pending versions: those agreed to on
// their own page first, then those of the consent page, in display order.
func (s *Service) PendingVersions(userID uint64) []*store.PolicyVersion {
	ans := s.answers.get(userID)
	var own, page []*store.PolicyVersion
	for _, v := range s.snap.Load().forUsers {
		if !mustAnswer(v.Optional, statusIn(ans, v.ID)) {
			continue
		}
		if v.Style == store.StyleOwnPage {
			own = append(own, v)
		} else {
			page = append(page, v)
		}
	}
	return append(own, page...)
}

// Status is the user's latest answer to a version ("" when none).
func (s *Service) Status(userID, versionID uint64) store.AcceptStatus {
	return statusOf[statusIn(s.answers.get(userID), versionID)]
}

// AcceptedCounts counts, per version, the users whose latest answer is
// accepted.
func (s *Service) AcceptedCounts() map[uint64]int {
	out := map[uint64]int{}
	s.answers.each(func(_ uint64, ans []answer) {
		for _, x := range ans {
			if x.status == accepted {
				out[x.version]++
			}
		}
	})
	return out
}

// PendingUsers is how many of the accounts (users in all) have something
// pending: those who never answered anything, and those with answers who
// still must answer a version.
func (s *Service) PendingUsers(users int) int {
	if len(s.snap.Load().forUsers) == 0 {
		return 0
	}
	done := 0
	s.answers.each(func(id uint64, _ []answer) {
		if !s.Pending(id) {
			done++
		}
	})
	return max(0, users-done)
}
