package app

import (
	"sync"
	"time"
)

// Flash is a one-time message shown after a redirect.
type Flash struct {
	Kind string // ok, error, info
	Key  string // locale key
	Args []any
}

// flashStore keeps flashes in memory, keyed by session or visitor secret, so
// that reading one on the next GET writes nothing to the database.
type flashStore struct {
	mu    sync.Mutex
	m     map[string]flashEntry
	now   func() time.Time
	swept time.Time // the last sweep of stale entries
	max   int       // flashMax, smaller in tests
}

type flashEntry struct {
	f  Flash
	at time.Time
}

const flashTTL = 10 * time.Minute

func newFlashStore(now func() time.Time) *flashStore {
	return &flashStore{m: map[string]flashEntry{}, now: now, max: flashMax}
}

func (fs *flashStore) set(owner string, f Flash) {
	if owner == "" {
		return
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	now := fs.now()
	// Drop stale entries, at most once a minute (a sweep on every set
	// past 10,000 entries scanned them all for each new visitor).
	if len(fs.m) > 10000 && now.Sub(fs.swept) >= time.Minute {
		fs.swept = now
		fs.dropOlderThan(now.Add(-flashTTL))
	}
	if _, ok := fs.m[owner]; !ok && len(fs.m) >= fs.max {
		fs.makeRoom(now)
	}
	fs.m[owner] = flashEntry{f: f, at: now}
}

// flashMax bounds the flashes held (about 300 bytes each): visitors who
// never come back for theirs must not grow the process (issue 13).
const flashMax = 20_000

// makeRoom drops the oldest flashes, halving the age kept each pass, until
// a quarter of max is free: a flood of new visitors costs the oldest
// unread messages, never memory.
func (fs *flashStore) makeRoom(now time.Time) {
	for age := flashTTL / 2; len(fs.m) > fs.max*3/4 && age > time.Millisecond; age /= 2 {
		fs.dropOlderThan(now.Add(-age))
	}
	for k := range fs.m { // all younger than a millisecond: any of them
		if len(fs.m) <= fs.max*3/4 {
			break
		}
		delete(fs.m, k)
	}
}

func (fs *flashStore) dropOlderThan(t time.Time) {
	for k, e := range fs.m {
		if e.at.Before(t) {
			delete(fs.m, k)
		}
	}
}

func (fs *flashStore) take(owner string) *Flash {
	if owner == "" {
		return nil
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	e, ok := fs.m[owner]
	if !ok {
		return nil
	}
	delete(fs.m, owner)
	if fs.now().Sub(e.at) > flashTTL {
		return nil
	}
	f := e.f // a copy, so that a miss allocates nothing
	return &f
}
