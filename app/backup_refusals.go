package app

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"accord/store"
)

// Refused attempts at /admin/backup are counted in memory and audited as one
// event per client address (and account, when signed in) per interval, with
// the count (CONTRACT.md): an anonymous flood must not fill the disk with
// one audit row per request (issue 10, point 3).

// refusalInterval is how often the counted refusals are written.
const refusalInterval = 5 * time.Minute

// maxRefusalKeys bounds the addresses counted in one interval; the rest
// share one line, so a flood from many addresses cannot grow memory.
const maxRefusalKeys = 10_000

// refusalKey is who was refused: a client address, and the account if any.
type refusalKey struct {
	addr    string
	actorID uint64
}

// refusalCount is what is known of one key in the current interval.
type refusalCount struct {
	n           int
	first, last time.Time
}

// refusals counts refused backup attempts until the next flush. The zero
// value is ready to use.
type refusals struct {
	mu     sync.Mutex
	counts map[refusalKey]*refusalCount
}

// add counts one refusal of addr (actorID 0 for a visitor) at now.
func (r *refusals) add(addr string, actorID uint64, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[refusalKey]*refusalCount{}
	}
	k := refusalKey{addr, actorID}
	if _, ok := r.counts[k]; !ok && len(r.counts) >= maxRefusalKeys {
		k = refusalKey{addr: "other"}
	}
	c := r.counts[k]
	if c == nil {
		c = &refusalCount{first: now}
		r.counts[k] = c
	}
	c.n++
	c.last = now
}

// take empties the counter and returns its events, in address order.
func (r *refusals) take() []store.AuditEvent {
	r.mu.Lock()
	counts := r.counts
	r.counts = nil
	r.mu.Unlock()
	events := make([]store.AuditEvent, 0, len(counts))
	for k, c := range counts {
		events = append(events, store.AuditEvent{Action: store.ActBackupRefused, ActorID: k.actorID,
			Detail: fmt.Sprintf("address=%s count=%d first=%s last=%s", k.addr, c.n,
				c.first.UTC().Format(time.RFC3339), c.last.UTC().Format(time.RFC3339))})
	}
	sort.Slice(events, func(i, j int) bool { return events[i].Detail < events[j].Detail })
	return events
}

// flushBackupRefusals writes one audit event per address counted since the
// last flush (a job every refusalInterval, and at shutdown).
func (a *App) flushBackupRefusals() {
	for _, ev := range a.backupRefusals.take() {
		if err := a.db.Audit(ev); err != nil {
			a.log.Error("audit backup refusals", "detail", ev.Detail, "err", err)
		}
	}
}
