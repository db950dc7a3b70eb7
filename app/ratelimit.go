package app

import (
	"sync"
	"time"
)

// limiter counts events per key in sliding windows, in memory.
type limiter struct {
	mu      sync.Mutex
	m       map[string][]time.Time
	win     map[string]time.Duration // each key's window, for sweep
	now     func() time.Time
	maxKeys int       // see makeRoom
	roomed  time.Time // the last makeRoom that found nothing to drop
}

// limiterKeys bounds the keys a limiter holds (about 150 bytes each).
const limiterKeys = 100_000

func newLimiter(now func() time.Time) *limiter {
	return &limiter{m: map[string][]time.Time{}, win: map[string]time.Duration{}, now: now, maxKeys: limiterKeys}
}

// limit is one threshold checked by take: max events within the window,
// then none until the oldest leaves it.
type limit struct {
	key string
	max int
}

// rule is a limit as take applies it. With slow set, it slows down instead
// of locking: past max events, each attempt must wait slow after the newest
// one, twice as long at each further event, never more than the window.
type rule struct {
	limit
	slow time.Duration
}

// wait is how long r asks to wait at now, given its events ts in the
// window.
func (r rule) wait(ts []time.Time, now time.Time, window time.Duration) time.Duration {
	if r.max <= 0 || len(ts) < r.max {
		return 0
	}
	if r.slow <= 0 {
		return ts[len(ts)-r.max].Add(window).Sub(now)
	}
	d := r.slow
	for i := r.max; i < len(ts) && d < window; i++ {
		d *= 2
	}
	return ts[len(ts)-1].Add(min(d, window)).Sub(now)
}

// take checks every limit and, only when none is reached, records one
// event for each, under one lock: concurrent requests cannot all pass a
// check made before any of them is recorded. It returns the longest wait
// when refused.
func (l *limiter) take(window time.Duration, limits ...limit) (bool, time.Duration) {
	rules := make([]rule, len(limits))
	for i, lim := range limits {
		rules[i] = rule{limit: lim}
	}
	return l.apply(window, rules)
}

// takeSlow is take where the first limit slows down instead of locking
// (rule.slow).
func (l *limiter) takeSlow(window time.Duration, slowed limit, slow time.Duration, others ...limit) (bool, time.Duration) {
	rules := []rule{{limit: slowed, slow: slow}}
	for _, lim := range others {
		rules = append(rules, rule{limit: lim})
	}
	return l.apply(window, rules)
}

func (l *limiter) apply(window time.Duration, rules []rule) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, r := range rules {
		wait = max(wait, r.wait(l.prune(r.key, now, window), now, window))
	}
	if wait > 0 {
		return false, wait
	}
	for _, r := range rules {
		if _, ok := l.m[r.key]; !ok && len(l.m) >= l.maxKeys {
			l.makeRoom(now)
		}
		l.m[r.key] = append(l.m[r.key], now)
		l.win[r.key] = window
	}
	return true, 0
}

// makeRoom keeps the limiter under maxKeys when a flood of new addresses
// comes (issue 13: memory flat under a soak of new visitors): it drops
// the keys whose window has passed, then, while still over three quarters
// of maxKeys, the keys seen only once, the mark of such a flood. A key
// nearer its limit (an account whose password is being guessed) is kept:
// forgetting one event of a key cannot help anyone past a limit. When
// every key has two events or more, the map grows rather than forget them,
// and the scan waits a second before it is tried again.
func (l *limiter) makeRoom(now time.Time) {
	if now.Sub(l.roomed) < time.Second {
		return
	}
	l.sweepAt(now)
	for k, ts := range l.m {
		if len(l.m) <= l.maxKeys*3/4 {
			return
		}
		if len(ts) == 1 {
			delete(l.m, k)
			delete(l.win, k)
		}
	}
	if len(l.m) >= l.maxKeys {
		l.roomed = now
	}
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
	delete(l.win, key)
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
		delete(l.win, key)
		return nil
	}
	l.m[key] = ts
	return ts
}

// sweep drops the keys whose events have all left their window
// (background job): an address seen once under a one-hour limit is
// forgotten after an hour, not kept a day (issue 13: new visitors must not
// grow the process).
func (l *limiter) sweep() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweepAt(l.now())
}

func (l *limiter) sweepAt(now time.Time) {
	for k := range l.m {
		w := l.win[k]
		if w == 0 {
			w = 24 * time.Hour
		}
		l.prune(k, now, w)
	}
}
