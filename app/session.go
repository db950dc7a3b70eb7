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
}

func newSessionCache() *sessionCache {
	return &sessionCache{m: map[[32]byte]*store.Session{}, seen: map[[32]byte]time.Time{}}
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

func (sc *sessionCache) put(s store.Session) {
	sc.mu.Lock()
	sc.m[s.Hash] = &s
	sc.mu.Unlock()
}

func (sc *sessionCache) touch(h [32]byte, t time.Time) {
	sc.mu.Lock()
	if s, ok := sc.m[h]; ok {
		s.LastSeen = t
	}
	sc.seen[h] = t
	sc.mu.Unlock()
}

func (sc *sessionCache) forget(hs ...[32]byte) {
	sc.mu.Lock()
	for _, h := range hs {
		delete(sc.m, h)
		delete(sc.seen, h)
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
		a.sessions.put(s)
	}
	now := a.db.Now()
	set := a.Settings()
	if now.Sub(s.LastSeen) > time.Duration(set.SessionIdleMinutes)*time.Minute ||
		now.Sub(s.CreatedAt) > time.Duration(set.SessionAbsoluteHours)*time.Hour {
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

// endSession destroys a session in memory and in the store.
func (a *App) endSession(h [32]byte) {
	a.sessions.forget(h)
	if err := a.db.DeleteSession(h); err != nil {
		a.log.Error("end session", "err", err)
	}
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
	n, err := a.db.DeleteExpiredSessions(now.Add(-time.Duration(set.SessionIdleMinutes)*time.Minute),
		now.Add(-time.Duration(set.SessionAbsoluteHours)*time.Hour))
	if err != nil {
		a.log.Error("sweep sessions", "err", err)
	} else if n > 0 {
		a.log.Info("expired sessions removed", "count", n)
	}
}
