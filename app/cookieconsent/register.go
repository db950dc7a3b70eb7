package cookieconsent

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"accord/store"
)

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
	log, err := s.db.RegisterChanges()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.register, s.changes = reg, log
	s.mu.Unlock()
	return nil
}

// ChangesSince is what the register changed after revision rev, for the
// banner that asks again: one entry per cookie still in the register, with
// its current name and category, Added when it was added since, else every
// field changed since (in ChangedFields order). Revisions made before the
// change log existed tell nothing: then it may be empty although the
// revision rose.
func (s *Service) ChangesSince(rev uint64) []store.CookieChange {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.CookieChange
	at := map[uint64]int{} // cookie id → index in out
	for _, rc := range s.changes {
		if rc.Revision <= rev {
			continue
		}
		for _, ch := range rc.Changes {
			cur := s.register.Find(ch.Name)
			if cur == nil || cur.ID != ch.CookieID {
				continue // removed (or renamed) since: the newer change tells
			}
			i, seen := at[ch.CookieID]
			if !seen {
				at[ch.CookieID], i = len(out), len(out)
				out = append(out, store.CookieChange{CookieID: ch.CookieID})
			}
			out[i].Added = out[i].Added || ch.Added
			out[i].Fields = mergeFields(out[i].Fields, ch.Fields)
		}
	}
	for i := range out {
		for _, c := range s.register.Cookies {
			if c.ID == out[i].CookieID {
				out[i].Name, out[i].Category = c.Name, c.Category
			}
		}
		if out[i].Added {
			out[i].Fields = nil
		}
	}
	return out
}

// mergeFields adds the fields of more to have, keeping ChangedFields order.
func mergeFields(have, more []string) []string {
	set := map[string]bool{}
	for _, f := range append(have, more...) {
		set[f] = true
	}
	var out []string
	for _, f := range []string{"name", "category", "purpose_en", "purpose_fr", "duration_en", "duration_fr", "provider"} {
		if set[f] {
			out = append(out, f)
		}
	}
	return out
}

// RegisterDigest is the SHA-256 (hex) of the register as the cookie policy
// and the preferences page show it in language lang: its revision and, per
// cookie in display order, name, category, purpose, duration and provider.
// It changes with the revision and with any rewording (a minor fix keeps
// the revision, not the digest). A policy text shown with the register
// table folds it into its hash, so the proof covers the table too.
func (s *Service) RegisterDigest(lang string) string {
	reg := s.Register()
	var b strings.Builder
	fmt.Fprintf(&b, "accord cookie register\nrevision %d\nlang %s\n", reg.Revision, lang)
	for _, c := range reg.Cookies {
		fmt.Fprintf(&b, "%q %q %q %q %q\n", c.Name, c.Category, c.Purpose(lang), c.Duration(lang), c.Provider)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}
