package consent

import "accord/store"

// Snapshot is every policy and version as they stood at the last Reload.
// It is immutable and shared: read it, never change what it returns.
type Snapshot struct {
	entries []store.PolicyEntry
	version map[uint64]*store.PolicyVersion
	entry   map[uint64]*store.PolicyEntry
	// forUsers lists the active versions for signed-in users, in display order.
	forUsers []*store.PolicyVersion
	// gate is forUsers in short, for the gate's lookups.
	gate []gateVersion
}

type gateVersion struct {
	id       uint64
	optional bool
}

func newSnapshot(entries []store.PolicyEntry) *Snapshot {
	s := &Snapshot{entries: entries, version: map[uint64]*store.PolicyVersion{}, entry: map[uint64]*store.PolicyEntry{}}
	for i := range s.entries {
		e := &s.entries[i]
		s.entry[e.ID] = e
		for j := range e.Versions {
			v := &e.Versions[j]
			s.version[v.ID] = v
			if v.Status == store.StatusActive && v.Audience.ForUsers() {
				s.forUsers = append(s.forUsers, v)
				s.gate = append(s.gate, gateVersion{id: v.ID, optional: v.Optional})
			}
		}
	}
	return s
}

// Entries are the policies in display order, each with its versions.
func (s *Snapshot) Entries() []store.PolicyEntry { return s.entries }

// Entry is the policy id, or nil.
func (s *Snapshot) Entry(id uint64) *store.PolicyEntry { return s.entry[id] }

// Version is the version id, whatever its status, or nil.
func (s *Snapshot) Version(id uint64) *store.PolicyVersion { return s.version[id] }

// ForUsers are the active versions signed-in users answer, in display order.
func (s *Snapshot) ForUsers() []*store.PolicyVersion { return s.forUsers }

// Answerable is version id if signed-in users may answer it now (active,
// for users), else nil.
func (s *Snapshot) Answerable(id uint64) *store.PolicyVersion {
	v := s.version[id]
	if v == nil || v.Status != store.StatusActive || !v.Audience.ForUsers() {
		return nil
	}
	return v
}

// Seeded is the seeded policy named key ("site", "privacy", "cookies"), or nil.
func (s *Snapshot) Seeded(key string) *store.PolicyEntry {
	for i := range s.entries {
		if s.entries[i].Key == key {
			return &s.entries[i]
		}
	}
	return nil
}
