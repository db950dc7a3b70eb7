package cookieconsent

import "accord/store"

// The register in memory changes only through these methods: each writes
// the store (which decides the revision, store.RaisesRevision) and then
// reloads the copy the pages are served from.

// Register is the register in memory (a shallow copy: treat it as
// read-only).
func (s *Service) Register() store.CookieRegister {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.register
}

// AddCookie adds c to the register for administrator actorID and returns
// the new revision.
func (s *Service) AddCookie(c *store.Cookie, actorID uint64) (uint64, error) {
	rev, err := s.db.AddCookie(c, actorID)
	if err != nil {
		return 0, err
	}
	return rev, s.reloadRegister()
}

// UpdateCookie replaces entry id by in (minor: the administrator calls it a
// wording fix) and reports whether the revision rose.
func (s *Service) UpdateCookie(id uint64, in store.Cookie, minor bool, actorID uint64) (bool, error) {
	raised, err := s.db.UpdateCookie(id, in, minor, actorID)
	if err != nil {
		return false, err
	}
	return raised, s.reloadRegister()
}

// DeleteCookie removes entry id (not one Accord sets) from the register.
func (s *Service) DeleteCookie(id uint64, actorID uint64) error {
	if err := s.db.DeleteCookie(id, actorID); err != nil {
		return err
	}
	return s.reloadRegister()
}

func (s *Service) reloadRegister() error {
	reg, err := s.db.CookieRegister()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.register = reg
	s.mu.Unlock()
	return nil
}
