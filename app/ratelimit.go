package app

import (
	"sync"
	"time"
)

// limiter counts events per key in sliding windows, in memory.
type limiter struct {
	mu  sync.Mutex
	m   map[string][]time.Time
	now func() time.Time
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{m: map[string][]time.Time{}, now: now}
}

// limit is one threshold checked by take.
type limit struct {
	key string
	max int
}

// take checks every limit and, only when none is reached, records one
// event for each, under one lock: concurrent requests cannot all pass a
// check made before any of them is recorded. It returns the longest wait
// when refused.
func (l *limiter) take(window time.Duration, limits ...limit) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, lim := range limits {
		ts := l.prune(lim.key, now, window)
		if lim.max > 0 && len(ts) >= lim.max {
			wait = max(wait, ts[len(ts)-lim.max].Add(window).Sub(now))
		}
	}
	if wait > 0 {
		return false, wait
	}
	for _, lim := range limits {
		l.m[lim.key] = append(l.m[lim.key], now)
	}
	return true, 0
}

// undo forgets the newest event of key (an attempt that turned out fine).
func (l *limiter) undo(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ts := l.m[key]; len(ts) > 0 {
		l.m[key] = ts[:len(ts)-1]
	}
}

// reset forgets key's events.
func (l *limiter) reset(key string) {
	l.mu.Lock()
	delete(l.m, key)
	l.mu.Unlock()
}

func (l *limiter) prune(key string, now time.Time, window time.Duration) []time.Time {
	ts := l.m[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.m, key)
		return nil
	}
	l.m[key] = ts
	return ts
}

// sweep drops keys whose events are all older than window (background job).
func (l *limiter) sweep(window time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for k := range l.m {
		l.prune(k, now, window)
	}
}
