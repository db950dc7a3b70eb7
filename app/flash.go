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
}

type flashEntry struct {
	f  Flash
	at time.Time
}

const flashTTL = 10 * time.Minute

func newFlashStore(now func() time.Time) *flashStore {
	return &flashStore{m: map[string]flashEntry{}, now: now}
}

func (fs *flashStore) set(owner string, f Flash) {
	if owner == "" {
		return
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	now := fs.now()
	// Bound memory: drop stale entries, at most once a minute (a sweep on
	// every set past 10,000 entries scanned them all for each new visitor).
	if len(fs.m) > 10000 && now.Sub(fs.swept) >= time.Minute {
		fs.swept = now
		for k, e := range fs.m {
			if now.Sub(e.at) > flashTTL {
				delete(fs.m, k)
			}
		}
	}
	fs.m[owner] = flashEntry{f: f, at: now}
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
