package consent

import (
	"sync"
	"sync/atomic"

	"accord/store"
)

// kind is an answer in memory: one byte.
type kind uint8

const (
	none kind = iota
	accepted
	declined
	withdrawn
)

var kindOf = map[store.AcceptStatus]kind{store.Accepted: accepted, store.Declined: declined, store.Withdrawn: withdrawn}

var statusOf = [...]store.AcceptStatus{none: "", accepted: store.Accepted, declined: store.Declined, withdrawn: store.Withdrawn}

type answer struct {
	version uint64
	status  kind
}

// index is the latest answer of each user to each version, rebuilt from
// the store at start, so that the gate is a lookup. User ids are dense
// sequence numbers, so the index is a table in chunks of users; readers
// take no lock: each user's answers sit behind an atomic pointer and are
// never changed in place (copy on write).
type index struct {
	mu     sync.Mutex // writers
	chunks atomic.Pointer[[]*answerChunk]
}

const chunkBits = 12

type answerChunk [1 << chunkBits]atomic.Pointer[[]answer]

func (ix *index) get(userID uint64) []answer {
	cs := ix.chunks.Load()
	if cs == nil || userID>>chunkBits >= uint64(len(*cs)) {
		return nil
	}
	if p := (*cs)[userID>>chunkBits][userID&(1<<chunkBits-1)].Load(); p != nil {
		return *p
	}
	return nil
}

func (ix *index) set(userID, versionID uint64, st kind) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var cs []*answerChunk
	if p := ix.chunks.Load(); p != nil {
		cs = *p
	}
	if need := int(userID>>chunkBits) + 1; need > len(cs) {
		grown := make([]*answerChunk, need)
		copy(grown, cs)
		for i := len(cs); i < need; i++ {
			grown[i] = new(answerChunk)
		}
		cs = grown
		ix.chunks.Store(&cs)
	}
	slot := &cs[userID>>chunkBits][userID&(1<<chunkBits-1)]
	var old []answer
	if p := slot.Load(); p != nil {
		old = *p
	}
	next := make([]answer, len(old), len(old)+1)
	copy(next, old)
	found := false
	for i := range next {
		if next[i].version == versionID {
			next[i].status, found = st, true
		}
	}
	if !found {
		next = append(next, answer{versionID, st})
	}
	slot.Store(&next)
}

// clear forgets a user's answers.
func (ix *index) clear(userID uint64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if cs := ix.chunks.Load(); cs != nil && userID>>chunkBits < uint64(len(*cs)) {
		(*cs)[userID>>chunkBits][userID&(1<<chunkBits-1)].Store(nil)
	}
}

// each calls fn with every user that has answers.
func (ix *index) each(fn func(userID uint64, ans []answer)) {
	cs := ix.chunks.Load()
	if cs == nil {
		return
	}
	for ci, c := range *cs {
		for i := range c {
			if p := c[i].Load(); p != nil {
				fn(uint64(ci)<<chunkBits|uint64(i), *p)
			}
		}
	}
}

func statusIn(ans []answer, versionID uint64) kind {
	for i := range ans {
		if ans[i].version == versionID {
			return ans[i].status
		}
	}
	return none
}
