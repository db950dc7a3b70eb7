package cookieconsent

import (
	"container/list"

	"accord/store"
)

// DefaultMaxBrowsers bounds how many browsers' latest choices the service
// keeps in memory (about 1 KiB each, see BENCHMARKS.md): new visitors who
// choose and never come back must not grow the process for ever (issue 13).
const DefaultMaxBrowsers = 50_000

// browserCache is the bounded memory of browsers' latest choices. Entries
// are kept in the order they entered; when full, the one in it longest is
// evicted — an expired choice replaced in place keeps its (early) position,
// so expired choices go first. Every evicted choice is still in the store:
// once any was evicted, a miss must ask the store (Service.browser).
// The Service's mutex guards it.
type browserCache struct {
	max     int
	byID    map[string]*list.Element // of *browserEntry
	order   *list.List               // front: in the cache longest
	evicted int                      // how many were evicted for room
}

type browserEntry struct {
	id string
	r  *store.CookieConsent
}

func newBrowserCache(max int) *browserCache {
	if max <= 0 {
		max = DefaultMaxBrowsers
	}
	return &browserCache{max: max, byID: map[string]*list.Element{}, order: list.New()}
}

func (c *browserCache) get(id string) (*store.CookieConsent, bool) {
	if el, ok := c.byID[id]; ok {
		return el.Value.(*browserEntry).r, true
	}
	return nil, false
}

// put makes r browser id's latest choice, entering it at the back.
func (c *browserCache) put(id string, r *store.CookieConsent) {
	if el, ok := c.byID[id]; ok {
		el.Value.(*browserEntry).r = r
		c.order.MoveToBack(el)
		return
	}
	c.byID[id] = c.order.PushBack(&browserEntry{id: id, r: r})
	for c.order.Len() > c.max {
		front := c.order.Front()
		delete(c.byID, front.Value.(*browserEntry).id)
		c.order.Remove(front)
		c.evicted++
	}
}

// replace swaps id's choice for r where it stands (an expiry record).
func (c *browserCache) replace(id string, r *store.CookieConsent) {
	if el, ok := c.byID[id]; ok {
		el.Value.(*browserEntry).r = r
	}
}

func (c *browserCache) remove(id string) {
	if el, ok := c.byID[id]; ok {
		delete(c.byID, id)
		c.order.Remove(el)
	}
}

// each calls fn with every entry, longest in the cache first; fn may remove
// the entry it is given.
func (c *browserCache) each(fn func(id string, r *store.CookieConsent)) {
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		e := el.Value.(*browserEntry)
		fn(e.id, e.r)
		el = next
	}
}

func (c *browserCache) len() int { return c.order.Len() }
