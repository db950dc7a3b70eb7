package app

import (
	"errors"
	"sync"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

const sessionCookie = "accord_session"

// sessionCache keeps sessions in memory so that a page view reads the
// database at most once per session and never writes it: last-seen times
// gather here and are flushed in one transaction by a background job.
type sessionCache struct {
	mu   sync.Mutex
	m    map[[32]byte]*store.Session
	seen map[[32]byte]time.Time
	// dead remembers ended sessions for a while, so that a request that read
	// one from the store just before it was deleted cannot put it back.
	dead map[[32]byte]time.Time
}

// deadTTL outlives any request that could still hold an ended session.
const deadTTL = 10 * time.Minute

func newSessionCache() *sessionCache {
	return &sessionCache{m: map[[32]byte]*store.Session{}, seen: map[[32]byte]time.Time{}, dead: map[[32]byte]time.Time{}}
}

func (sc *sessionCache) get(h [32]byte) (store.Session, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	s, ok := sc.m[h]
	if !ok {
		return store.Session{}, false
	}
	return *s, true
}

// put caches s unless it has ended meanwhile; it reports whether s is live.
func (sc *sessionCache) put(s store.Session) bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if _, ended := sc.dead[s.Hash]; ended {
		return false
	}
	sc.m[s.Hash] = &s
	return true
}

func (sc *sessionCache) touch(h [32]byte, t time.Time) {
	sc.mu.Lock()
	if s, ok := sc.m[h]; ok {
		s.LastSeen = t
	}
	sc.seen[h] = t
	sc.mu.Unlock()
}

// forget drops ended sessions and remembers that they ended.
func (sc *sessionCache) forget(hs ...[32]byte) {
	sc.mu.Lock()
	now := time.Now()
	for _, h := range hs {
		delete(sc.m, h)
		delete(sc.seen, h)
		sc.dead[h] = now
	}
	sc.mu.Unlock()
}

// pruneDead forgets ended sessions older than deadTTL.
func (sc *sessionCache) pruneDead() {
	sc.mu.Lock()
	for h, t := range sc.dead {
		if time.Since(t) > deadTTL {
			delete(sc.dead, h)
		}
	}
	sc.mu.Unlock()
}

// takeSeen hands over the last-seen times gathered since the last call.
func (sc *sessionCache) takeSeen() map[[32]byte]time.Time {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	seen := sc.seen
	sc.seen = map[[32]byte]time.Time{}
	return seen
}

// loadSession finds the signed-in user of the request, if any, and puts the
// session and user in the context. Expired or refused sessions read as signed
// out. It writes nothing to the database.
func (a *App) loadSession(c *fiber.Ctx) error {
	token := c.Cookies(sessionCookie)
	if token == "" {
		return c.Next()
	}
	h := store.HashToken(token)
	s, ok := a.sessions.get(h)
	if !ok {
		ps, err := a.db.Session(h)
		if errors.Is(err, store.ErrNotFound) {
			a.clearCookie(c, sessionCookie)
			return c.Next()
		} else if err != nil {
			return err
		}
		s = *ps
		if !a.sessions.put(s) {
			a.clearCookie(c, sessionCookie)
			return c.Next()
		}
	}
	now := a.db.Now()
	set := a.Settings()
	if now.Sub(s.LastSeen) > time.Duration(set.SessionIdleMinutes)*time.Minute ||
		now.Sub(s.CreatedAt) > time.Duration(set.SessionAbsoluteHours)*time.Hour {
		a.sessions.forget(h) // the sweep deletes it from the store
		a.clearCookie(c, sessionCookie)
		return c.Next()
	}
	u, err := a.db.User(s.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Suspended) {
		a.clearCookie(c, sessionCookie)
		return c.Next()
	} else if err != nil {
		return err
	}
	a.sessions.touch(h, now)
	c.Locals(ctxSession, s)
	c.Locals(ctxUser, u)
	return c.Next()
}

// signIn starts a new session for u, ending the request's old one (the id
// changes at every sign-in: no session fixation).
func (a *App) signIn(c *fiber.Ctx, u *store.User) error {
	if old, ok := c.Locals(ctxSession).(store.Session); ok {
		a.endSession(old.Hash)
	}
	token, s, err := a.db.CreateSession(u.ID)
	if err != nil {
		return err
	}
	a.sessions.put(*s)
	c.Locals(ctxSession, *s)
	c.Locals(ctxUser, u)
	a.setCookie(c, sessionCookie, token, 0)
	return nil
}

// endSession destroys a session in the store, then in memory (the other
// order would let a concurrent request cache it again from the store).
func (a *App) endSession(h [32]byte) {
	if err := a.db.DeleteSession(h); err != nil {
		a.log.Error("end session", "err", err)
	}
	a.sessions.forget(h)
}

// endUserSessions signs a user out everywhere (suspension, erasure, role
// change, password change), keeping keep (zero: none).
func (a *App) endUserSessions(userID uint64, keep [32]byte) error {
	gone, err := a.db.DeleteUserSessions(userID, keep)
	a.sessions.forget(gone...)
	return err
}

// flushSessions writes gathered last-seen times and drops expired sessions.
func (a *App) flushSessions(sweep bool) {
	if err := a.db.TouchSessions(a.sessions.takeSeen()); err != nil {
		a.log.Error("flush sessions", "err", err)
	}
	if !sweep {
		return
	}
	set := a.Settings()
	now := a.db.Now()
	gone, err := a.db.DeleteExpiredSessions(now.Add(-time.Duration(set.SessionIdleMinutes)*time.Minute),
		now.Add(-time.Duration(set.SessionAbsoluteHours)*time.Hour))
	a.sessions.forget(gone...)
	a.sessions.pruneDead()
	if err != nil {
		a.log.Error("sweep sessions", "err", err)
	} else if len(gone) > 0 {
		a.log.Info("expired sessions removed", "count", len(gone))
	}
}
