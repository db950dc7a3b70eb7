package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// RequestDue is an ongoing request's place in the queue, read from the
// status index alone (no record decoded): for the officer's dashboard.
type RequestDue struct {
	ID     uint64
	Type   RequestType
	Status RequestStatus
	DueAt  time.Time
}

// OngoingRequests lists the requests still waiting for an answer (awaiting
// approval, approved, processing), the soonest due first.
func (db *DB) OngoingRequests() (out []RequestDue, err error) {
	types := map[byte]RequestType{}
	for _, t := range RequestTypes {
		types[t[0]] = t
	}
	err = db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bRequestsByStatus).Cursor()
		for _, s := range RequestStatuses {
			if !s.Ongoing() {
				continue
			}
			prefix := append([]byte(s), 0)
			for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				out = append(out, RequestDue{ID: btoi(k[len(prefix):]), Type: types[v[0]], Status: s,
					DueAt: time.Unix(int64(binary.BigEndian.Uint64(v[1:])), 0)})
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b RequestDue) int {
		if c := a.DueAt.Compare(b.DueAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, err
}
