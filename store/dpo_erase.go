package store

import (
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// The DPO buckets in the data inventory: what goes in a user's export and
// what erasure removes.

func init() {
	registerBuckets(
		BucketInfo{Name: string(bDPOThreads), Class: Personal, Holds: "threads with the Data Protection Officer: subject, status, times",
			Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
				return eachUserDPOThread(tx, userID, func(t *DPOThread) error { return emit(t) })
			},
			Erase: eraseDPOThreads, Category: CategoryDPOThreads},
		BucketInfo{Name: string(bDPOMessages), Class: Personal, Holds: "messages of the threads with the Data Protection Officer",
			Records: dpoMessageRecords,
			Erase:   eraseDPOMessages, Category: CategoryDPOThreads},
		BucketInfo{Name: string(bDPOThreadsByUser), Class: Index, IndexOf: string(bDPOThreads), Holds: "account → DPO threads"},
		BucketInfo{Name: string(bDPOUnread), Class: Index, IndexOf: string(bDPOThreads), Holds: "DPO threads the officer has not read"},
		BucketInfo{Name: string(bDPOByStatus), Class: Index, IndexOf: string(bDPOThreads), Holds: "status → DPO threads"},
	)
}

// dpoMessageRecords emits the messages of the user's threads and those the
// user wrote in other threads (as staff).
func dpoMessageRecords(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
	own := map[uint64]bool{}
	err := eachUserDPOThread(tx, userID, func(t *DPOThread) error {
		own[t.ID] = true
		return nil
	})
	if err != nil {
		return err
	}
	return tx.Bucket(bDPOMessages).ForEach(func(_, v []byte) error {
		var m DPOMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		if own[m.ThreadID] || m.AuthorID == userID {
			return emit(&m)
		}
		return nil
	})
}

// eraseDPOThreads deletes the user's threads and, first, their messages
// (found through the index this removes; erasing messages again later
// finds nothing left to do).
func eraseDPOThreads(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
	if _, err := eraseDPOMessages(tx, userID); err != nil {
		return nil, err
	}
	var ids []uint64
	err := eachUserDPOThread(tx, userID, func(t *DPOThread) error {
		ids = append(ids, t.ID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		for _, del := range []func() error{
			func() error { return tx.Bucket(bDPOThreads).Delete(itob(id)) },
			func() error { return tx.Bucket(bDPOUnread).Delete(itob(id)) },
			func() error { return deleteDPOStatusKeys(tx, id) },
			func() error { return tx.Bucket(bDPOThreadsByUser).Delete(pairKey(userID, itob(id))) },
		} {
			if err := del(); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}

// eraseDPOMessages deletes the messages of the user's threads and makes the
// replies they wrote as staff in other threads anonymous: those belong to
// the other user's record.
func eraseDPOMessages(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
	own := map[uint64]bool{}
	err := eachUserDPOThread(tx, userID, func(t *DPOThread) error {
		own[t.ID] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	b := tx.Bucket(bDPOMessages)
	var del [][]byte
	var anon []DPOMessage
	err = b.ForEach(func(k, v []byte) error {
		var m DPOMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		switch {
		case own[m.ThreadID]:
			del = append(del, append([]byte(nil), k...))
		case m.AuthorID == userID:
			m.AuthorID = 0
			anon = append(anon, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range del {
		if err := b.Delete(k); err != nil {
			return nil, err
		}
	}
	for _, m := range anon {
		if err := putJSON(b, pairKey(m.ThreadID, itob(uint64(m.N))), &m); err != nil {
			return nil, err
		}
	}
	if len(anon) == 0 {
		return nil, nil
	}
	return &ErasureKept{Kind: KeptDPOMessages, Count: len(anon)}, nil
}

func deleteDPOStatusKeys(tx *bolt.Tx, id uint64) error {
	for _, st := range DPOStatuses {
		if err := tx.Bucket(bDPOByStatus).Delete(indexKey([]byte(st), id)); err != nil {
			return err
		}
	}
	return nil
}
