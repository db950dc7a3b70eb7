package app

import (
	"encoding/hex"
	"errors"
	"strconv"
	"sync"
	"time"

	"accord/store"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"
)

// apiDesk is the API's memory: the live tokens by the hash of their
// secret, and last uses not yet written (an API call writes nothing for
// them; flushTokenUses does, every 30 s and at shutdown).
type apiDesk struct {
	mu       sync.RWMutex
	byHash   map[[32]byte]*store.APIToken // live tokens only
	used     map[uint64]time.Time
	validate *validator.Validate
	// perMinute is each token's rate limit (apiRatePerMinute; 0 = none,
	// for benchmarks of the handlers' own cost).
	perMinute int
}

// allow takes one call of token id from its budget in l.
func (d *apiDesk) allow(l *limiter, id uint64) (bool, time.Duration) {
	if d.perMinute == 0 {
		return true, 0
	}
	return l.take(time.Minute, limit{key: "api:" + strconv.FormatUint(id, 10), max: d.perMinute})
}

// initAPI loads the live tokens.
func (a *App) initAPI() error {
	a.api = &apiDesk{byHash: map[[32]byte]*store.APIToken{}, used: map[uint64]time.Time{}, validate: newValidator("json"), perMinute: apiRatePerMinute}
	list, err := a.db.APITokens()
	if err != nil {
		return err
	}
	for i := range list {
		a.api.put(&list[i])
	}
	return nil
}

func (d *apiDesk) put(t *store.APIToken) {
	var h [32]byte
	if len(t.Hash) != 64 || t.Revoked() {
		return
	}
	if _, err := hex.Decode(h[:], []byte(t.Hash)); err != nil {
		return
	}
	d.mu.Lock()
	d.byHash[h] = t
	d.mu.Unlock()
}

func (d *apiDesk) drop(id uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for h, t := range d.byHash {
		if t.ID == id {
			delete(d.byHash, h)
		}
	}
	delete(d.used, id)
}

// find is the live token of secret, or nil.
func (d *apiDesk) find(secret string) *store.APIToken {
	if secret == "" {
		return nil
	}
	h := store.HashToken(secret)
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.byHash[h]
}

func (d *apiDesk) touch(id uint64, at time.Time) {
	d.mu.Lock()
	d.used[id] = at
	d.mu.Unlock()
}

// pendingUses is a copy of the last uses not yet written.
func (d *apiDesk) pendingUses() map[uint64]time.Time {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make(map[uint64]time.Time, len(d.used))
	for k, v := range d.used {
		out[k] = v
	}
	return out
}

func (d *apiDesk) takeUses() map[uint64]time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	used := d.used
	d.used = map[uint64]time.Time{}
	return used
}

// flushTokenUses writes the tokens' last uses gathered in memory.
func (a *App) flushTokenUses() {
	used := a.api.takeUses()
	if err := a.db.TouchAPITokens(used); err != nil {
		a.log.Error("flush API token uses", "err", err)
		a.api.mu.Lock()
		for id, at := range used { // kept for the next flush
			if at.After(a.api.used[id]) {
				a.api.used[id] = at
			}
		}
		a.api.mu.Unlock()
	}
}

type tokenForm struct {
	Name  string `form:"name" validate:"required,max=100"`
	Scope string `form:"scope" validate:"required,oneof=read write metrics"`
}

// getTokens lists the API tokens and the form to create one.
func (a *App) getTokens(c *fiber.Ctx) error { return a.showTokens(c, &Form{}, "") }

func (a *App) showTokens(c *fiber.Ctx, f *Form, secret string) error {
	list, err := a.db.APITokens()
	if err != nil {
		return err
	}
	used := a.api.pendingUses()
	for i := range list {
		if at, ok := used[list[i].ID]; ok && at.After(list[i].LastUsedAt) {
			list[i].LastUsedAt = at
		}
	}
	p := a.page(c, "api.tokens.title")
	p.Form = f
	p.Data = map[string]any{"Tokens": list, "Secret": secret, "BaseURL": a.cfg.BaseURL}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "admin/tokens", "", p)
}

// postToken creates a token and shows its secret once, on this answer
// (no redirect: the secret is never stored nor put in a flash).
func (a *App) postToken(c *fiber.Ctx) error {
	var in tokenForm
	f := a.bind(c, &in)
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showTokens(c, f, "")
	}
	secret, t, err := a.db.CreateAPIToken(in.Name, store.APIScope(in.Scope), currentUser(c).ID)
	if err != nil {
		return err
	}
	a.api.put(t)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return a.showTokens(c, &Form{}, secret)
}

// postTokenRevoke revokes a token at once: its next call answers 401.
func (a *App) postTokenRevoke(c *fiber.Ctx) error {
	id, err := strconv.ParseUint(c.Params("id"), 10, 64)
	if err != nil {
		return fiber.ErrNotFound
	}
	t, err := a.db.RevokeAPIToken(id, currentUser(c).ID)
	if errors.Is(err, store.ErrRevoked) {
		return a.redirect(c, "/admin/tokens")
	} else if err != nil {
		return err
	}
	a.api.drop(id)
	a.flash(c, "ok", "api.tokens.revoked", "Name", t.Name)
	return a.redirect(c, "/admin/tokens")
}
