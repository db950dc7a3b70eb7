package store

import (
	"bytes"
	"encoding/json"
	"fmt"

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

// eachOwned calls fn with the id part (what follows BE(owner)) of each key
// of a `BE(owner) BE(id)` index, oldest first, or newest first when newest
// is set.
func eachOwned(idx *bolt.Bucket, owner uint64, newest bool, fn func(id []byte) error) error {
	prefix := itob(owner)
	c := idx.Cursor()
	var k []byte
	if newest {
		k, _ = seekLast(c, owner)
	} else {
		k, _ = c.Seek(prefix)
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k = step(c, newest) {
		if err := fn(k[8:]); err != nil {
			return err
		}
	}
	return nil
}

func step(c *bolt.Cursor, back bool) []byte {
	if back {
		k, _ := c.Prev()
		return k
	}
	k, _ := c.Next()
	return k
}

// recordTx decodes the record of b stored under BE(id) (ErrNotFound when
// there is none).
func recordTx[T any](b *bolt.Bucket, id uint64) (*T, error) {
	var rec T
	if err := getJSON(b, itob(id), &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// allJSON decodes every value of b, in key order.
func allJSON[T any](b *bolt.Bucket) (out []T, err error) {
	err = eachJSON(b, func(_ []byte, rec *T) error {
		out = append(out, *rec)
		return nil
	})
	return out, err
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode: %w", err)
	}
	return b.Put(key, data)
}

func getJSON(b *bolt.Bucket, key []byte, v any) error {
	data := b.Get(key)
	if data == nil {
		return ErrNotFound
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("store: decode: %w", err)
	}
	return nil
}
