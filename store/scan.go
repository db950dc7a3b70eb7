package store

import (
	"bytes"
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// eachJSON decodes every value of b as a T and calls fn with it and its key
// (valid during the call only).
func eachJSON[T any](b *bolt.Bucket, fn func(k []byte, v *T) error) error {
	return b.ForEach(func(k, v []byte) error {
		var rec T
		if err := json.Unmarshal(v, &rec); err != nil {
			return err
		}
		return fn(k, &rec)
	})
}

// emitMatching hands the records of b that match to emit (for the export).
func emitMatching[T any](b *bolt.Bucket, match func(*T) bool, emit func(v any) error) error {
	return eachJSON(b, func(_ []byte, rec *T) error {
		if match(rec) {
			return emit(rec)
		}
		return nil
	})
}

// deleteMatching deletes the records of b that match (for erasure).
func deleteMatching[T any](b *bolt.Bucket, match func(*T) bool) error {
	var del [][]byte
	err := eachJSON(b, func(k []byte, rec *T) error {
		if match(rec) {
			del = append(del, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return deleteKeys(b, del)
}

// prefixKeys copies the keys of b that start with prefix, so that the
// caller may change b while it goes through them.
func prefixKeys(b *bolt.Bucket, prefix []byte) (keys [][]byte) {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	return keys
}

func deleteKeys(b *bolt.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// seekLast puts c on the last key that starts with BE(id), the newest of
// an owner's entries in a `BE(owner) …` index, and returns it (nil when
// there is none). Walk on with c.Prev while the prefix holds.
func seekLast(c *bolt.Cursor, id uint64) (k, v []byte) {
	if k, _ = c.Seek(itob(id + 1)); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k != nil && !bytes.HasPrefix(k, itob(id)) {
		return nil, nil
	}
	return k, v
}
