package app

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// policyState is an immutable snapshot of every policy and version, swapped
// whole after each change an administrator makes.
type policyState struct {
	entries []store.PolicyEntry
	version map[uint64]*store.PolicyVersion
	entry   map[uint64]*store.PolicyEntry
	// gate lists the active versions for signed-in users, in display order.
	gate []gateVersion
}

type gateVersion struct {
	id       uint64
	optional bool
	ownPage  bool
}

// Answers in memory: one byte each.
const (
	ansNone uint8 = iota
	ansAccepted
	ansDeclined
	ansWithdrawn
)

var ansOf = map[store.AcceptStatus]uint8{store.Accepted: ansAccepted, store.Declined: ansDeclined, store.Withdrawn: ansWithdrawn}

type answer struct {
	version uint64
	status  uint8
}

// consentIndex is the latest answer of each user to each version, rebuilt
// from the store at start, so that the gate is a lookup. User ids are
// dense sequence numbers, so the index is a table in chunks of users;
// readers take no lock: each user's answers sit behind an atomic pointer
// and are never changed in place (copy on write).
type consentIndex struct {
	mu     sync.Mutex // writers
	chunks atomic.Pointer[[]*answerChunk]
}

const chunkBits = 12

type answerChunk [1 << chunkBits]atomic.Pointer[[]answer]

func (ix *consentIndex) get(userID uint64) []answer {
	cs := ix.chunks.Load()
	if cs == nil || userID>>chunkBits >= uint64(len(*cs)) {
		return nil
	}
	if p := (*cs)[userID>>chunkBits][userID&(1<<chunkBits-1)].Load(); p != nil {
		return *p
	}
	return nil
}

func (ix *consentIndex) set(userID, versionID uint64, st uint8) {
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

// clear forgets a user's answers (after an erasure).
func (ix *consentIndex) clear(userID uint64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if cs := ix.chunks.Load(); cs != nil && userID>>chunkBits < uint64(len(*cs)) {
		(*cs)[userID>>chunkBits][userID&(1<<chunkBits-1)].Store(nil)
	}
}

// each calls fn with every user that has answers.
func (ix *consentIndex) each(fn func(userID uint64, ans []answer)) {
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

func statusIn(ans []answer, versionID uint64) uint8 {
	for i := range ans {
		if ans[i].version == versionID {
			return ans[i].status
		}
	}
	return ansNone
}

// policyStore holds the policy feature's memory.
type policyStore struct {
	state   atomic.Pointer[policyState]
	answers consentIndex
	html    sync.Map // SHA-256 of Markdown → rendered, sanitised HTML
}

// initPolicies seeds the default policies and loads them and every answer
// into memory.
func (a *App) initPolicies() error {
	if err := a.db.SeedPolicies(); err != nil {
		return err
	}
	a.pol = &policyStore{}
	if err := a.reloadPolicies(); err != nil {
		return err
	}
	if err := a.db.EachAnswer(func(userID, versionID uint64, st store.AcceptStatus) {
		a.pol.answers.set(userID, versionID, ansOf[st])
	}); err != nil {
		return err
	}
	return nil
}

// demoPolicies has the demo people answer the policies: Alice and the DPO
// for themselves, the guardian for the minor; Bob is left to see the gate.
func (a *App) demoPolicies(out io.Writer) error {
	st := a.pol.state.Load()
	for _, who := range []struct{ email, by string }{{"alice@demo.test", ""}, {"dpo@demo.test", ""}, {"guardian@demo.test", ""}, {"minor@demo.test", "guardian@demo.test"}} {
		u, err := a.db.UserByEmail(who.email)
		if err != nil {
			return err
		}
		kind, actor := store.ActorSelf, u.ID
		if who.by != "" {
			g, err := a.db.UserByEmail(who.by)
			if err != nil {
				return err
			}
			kind, actor = store.ActorGuardian, g.ID
		}
		var answers []store.Answer
		for _, g := range st.gate {
			t, lang := st.version[g.id].Text(u.Lang)
			answers = append(answers, store.Answer{UserID: u.ID, VersionID: g.id, Accept: true, Lang: lang, TextHash: t.Hash,
				ActorID: actor, ActorKind: kind, Where: store.WhereConsent})
		}
		events, err := a.db.RecordAnswers(answers)
		if err != nil {
			return err
		}
		a.noteAnswers(events)
	}
	fmt.Fprintln(out, "demo policies: accepted by alice, dpo, guardian and (by the guardian) minor; bob@demo.test has them pending")
	return nil
}

// reloadPolicies takes a new snapshot of the policies after a change.
func (a *App) reloadPolicies() error {
	entries, err := a.db.ListPolicies()
	if err != nil {
		return err
	}
	st := &policyState{entries: entries, version: map[uint64]*store.PolicyVersion{}, entry: map[uint64]*store.PolicyEntry{}}
	for i := range st.entries {
		e := &st.entries[i]
		st.entry[e.ID] = e
		for j := range e.Versions {
			v := &e.Versions[j]
			st.version[v.ID] = v
			if v.Status == store.StatusActive && v.Audience.ForUsers() {
				st.gate = append(st.gate, gateVersion{id: v.ID, optional: v.Optional, ownPage: v.Style == store.StyleOwnPage})
			}
		}
	}
	a.pol.state.Store(st)
	return nil
}

// noteAnswers puts recorded events in the in-memory index.
func (a *App) noteAnswers(events []store.Acceptance) {
	for _, e := range events {
		a.pol.answers.set(e.UserID, e.VersionID, ansOf[e.Status])
	}
}

// hasPending reports whether the user has an active version to answer:
// compulsory and not accepted, or optional and never answered. It is the
// gate's check: a few lookups, no allocation.
func (a *App) hasPending(userID uint64) bool {
	st := a.pol.state.Load()
	ans := a.pol.answers.get(userID)
	for _, g := range st.gate {
		s := statusIn(ans, g.id)
		if s == ansNone || (!g.optional && s != ansAccepted) {
			return true
		}
	}
	return false
}

// pendingVersions lists the user's pending versions: own-page ones first.
func (a *App) pendingVersions(userID uint64) []*store.PolicyVersion {
	st := a.pol.state.Load()
	ans := a.pol.answers.get(userID)
	var own, page []*store.PolicyVersion
	for _, g := range st.gate {
		s := statusIn(ans, g.id)
		if s == ansNone || (!g.optional && s != ansAccepted) {
			if g.ownPage {
				own = append(own, st.version[g.id])
			} else {
				page = append(page, st.version[g.id])
			}
		}
	}
	return append(own, page...)
}

// pendingFor reports whether u has a policy version to answer.
func (a *App) pendingFor(u *store.User) bool { return u != nil && a.hasPending(u.ID) }

// errStatus maps the store's policy errors to statuses.
func policyErr(err error) error {
	switch {
	case errors.Is(err, store.ErrNotActive), errors.Is(err, store.ErrNotDraft):
		return fiber.NewError(fiber.StatusConflict)
	}
	return err
}

// policyTiles are the staff dashboard's tiles: agreements and how many
// people have something to answer.
func (a *App) policyTiles(c *fiber.Ctx) ([]dashCard, error) {
	tr := a.translator(c)
	total, err := a.db.CountUsers()
	if err != nil {
		return nil, err
	}
	done := 0
	a.pol.answers.each(func(id uint64, _ []answer) {
		if !a.hasPending(id) {
			done++
		}
	})
	pending := max(0, total-done)
	if len(a.pol.state.Load().gate) == 0 {
		pending = 0
	}
	cards := []dashCard{{Title: tr.T("agreements.title"), Text: tr.N("agreements.tile", pending), Href: "/admin/agreements?status=pending", Alert: pending > 0}}
	if currentUser(c).Role == store.RoleAdmin {
		cards = append(cards, dashCard{Title: tr.T("admin.policies.title"), Text: tr.T("admin.policies.help"), Href: "/admin/policies"})
	}
	return cards, nil
}
