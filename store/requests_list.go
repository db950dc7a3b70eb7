package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// Reading data requests: the person's list, the officer's queue and
// dashboard counts, and the inventory's export and erasure of the bucket.

// UserRequests lists the requests about any of userIDs, newest first.
func (db *DB) UserRequests(userIDs ...uint64) (out []DataRequest, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		for _, id := range userIDs {
			if err := eachUserRequest(tx, id, func(r *DataRequest) error {
				out = append(out, *r)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, err
}

// RequestQuery filters ListRequests.
type RequestQuery struct {
	Status  RequestStatus // "" for all
	Type    RequestType   // "" for all
	Overdue bool          // only ongoing requests past their due date
	Offset  int
	Limit   int
}

// ListRequests returns one page of requests, newest first, and the total
// matching. It filters on the status index and decodes only the page.
func (db *DB) ListRequests(q RequestQuery) (out []DataRequest, total int, err error) {
	statuses := RequestStatuses
	if q.Status != "" {
		statuses = []RequestStatus{q.Status}
	}
	err = db.view(func(tx *bolt.Tx) error {
		now := db.now().Unix()
		var ids []uint64
		c := tx.Bucket(bRequestsByStatus).Cursor()
		for _, s := range statuses {
			if q.Overdue && !s.Ongoing() {
				continue
			}
			prefix := append([]byte(s), 0)
			for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				if q.Type != "" && v[0] != q.Type[0] {
					continue
				}
				if q.Overdue && int64(binary.BigEndian.Uint64(v[1:])) >= now {
					continue
				}
				ids = append(ids, btoi(k[len(prefix):]))
			}
		}
		total = len(ids)
		sort.Slice(ids, func(i, j int) bool { return ids[i] > ids[j] })
		if q.Offset >= len(ids) {
			return nil
		}
		ids = ids[q.Offset:]
		if q.Limit > 0 && len(ids) > q.Limit {
			ids = ids[:q.Limit]
		}
		for _, id := range ids {
			r, err := requestTx(tx, id)
			if err != nil {
				return err
			}
			out = append(out, *r)
		}
		return nil
	})
	return out, total, err
}

// RequestCounts are the numbers on the staff dashboard.
type RequestCounts struct {
	Awaiting int
	Overdue  int
}

// CountRequests counts requests awaiting approval and ongoing ones overdue.
func (db *DB) CountRequests() (n RequestCounts, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		now := db.now().Unix()
		c := tx.Bucket(bRequestsByStatus).Cursor()
		for _, s := range []RequestStatus{StatusAwaitingApproval, StatusApproved, StatusProcessing} {
			prefix := append([]byte(s), 0)
			for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				if s == StatusAwaitingApproval {
					n.Awaiting++
				}
				if int64(binary.BigEndian.Uint64(v[1:])) < now {
					n.Overdue++
				}
			}
		}
		return nil
	})
	return n, err
}

// requestRecords emits the requests about userID and those they filed for
// someone else (a guardian's requests for a minor).
func requestRecords(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
	if err := eachUserRequest(tx, userID, func(r *DataRequest) error { return emit(r) }); err != nil {
		return err
	}
	needle := []byte(fmt.Sprintf(`"filed_by_id":%d,`, userID))
	return tx.Bucket(bRequests).ForEach(func(_, v []byte) error {
		if !bytes.Contains(v, needle) { // skip decoding the (many) others
			return nil
		}
		var r DataRequest
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if r.FiledByID == userID && r.UserID != userID {
			return emit(&r)
		}
		return nil
	})
}

// eraseRequests makes the user's requests anonymous records (id, type,
// dates, outcome) and forgets that they filed requests for others.
func eraseRequests(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
	var own []*DataRequest
	if err := eachUserRequest(tx, userID, func(r *DataRequest) error {
		own = append(own, r)
		return nil
	}); err != nil {
		return nil, err
	}
	for _, r := range own {
		r.UserID, r.Comments, r.Note, r.FiledByID, r.Anonymous = 0, "", "", 0, true
		if err := putJSON(tx.Bucket(bRequests), itob(r.ID), r); err != nil {
			return nil, err
		}
		if err := tx.Bucket(bRequestsByUser).Delete(pairKey(userID, itob(r.ID))); err != nil {
			return nil, err
		}
	}
	var filed []DataRequest
	if err := tx.Bucket(bRequests).ForEach(func(_, v []byte) error {
		var r DataRequest
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if r.FiledByID == userID || r.DecidedByID == userID {
			filed = append(filed, r)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for _, r := range filed {
		if r.FiledByID == userID {
			r.FiledByID = 0
		}
		if r.DecidedByID == userID {
			r.DecidedByID = 0
		}
		if err := putJSON(tx.Bucket(bRequests), itob(r.ID), &r); err != nil {
			return nil, err
		}
	}
	if len(own) == 0 {
		return nil, nil
	}
	return &ErasureKept{Kind: KeptRequests, Count: len(own)}, nil
}

// RequestPeople names the people the requests are about, in one read:
// user id → name (absent when the account is gone).
func (db *DB) RequestPeople(reqs []DataRequest) (map[uint64]string, error) {
	out := make(map[uint64]string, len(reqs))
	err := db.view(func(tx *bolt.Tx) error {
		for _, r := range reqs {
			if _, done := out[r.UserID]; done || r.UserID == 0 {
				continue
			}
			u, err := userTx(tx, r.UserID)
			if errors.Is(err, ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			out[r.UserID] = u.Name()
		}
		return nil
	})
	return out, err
}
