package store

import (
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// Class says whether a bucket holds personal data.
type Class string

// The classes of the data inventory.
const (
	NotPersonal Class = "not_personal"
	Personal    Class = "personal"
	// Index buckets only point into another bucket; they are exported and
	// erased through it.
	Index Class = "index"
)

// BucketInfo describes one bucket for the data inventory: the records of
// processing (GDPR art. 30), the export (art. 15, 20) and erasure (art. 17).
type BucketInfo struct {
	Name  string
	Class Class
	// Holds says what the bucket holds, in English, for the erasure report.
	Holds string
	// IndexOf names the bucket an Index bucket points into.
	IndexOf string
	// Records calls emit with each record of the bucket about userID, as it
	// goes in the export. Required for Personal buckets.
	Records func(tx *bolt.Tx, userID uint64, emit func(v any) error) error
	// Erase removes (or makes anonymous) what the bucket and its indexes
	// hold about userID and says what it kept and why ("" when nothing).
	// Required for Personal buckets.
	Erase func(tx *bolt.Tx, userID uint64) (kept *ErasureKept, err error)
	// Category is the data category (records of processing) of the
	// bucket's records, where a protection can keep them past an erasure
	// (erasure_held.go); "" for the rest.
	Category string
	// Anonymous: Erase keeps the records as anonymous ones (the category's
	// protection is met by those).
	Anonymous bool
}

// inventory has every bucket of the file; Open creates exactly these.
var inventory = map[string]BucketInfo{}

// registerBuckets adds buckets to the inventory (from each feature file's
// init, so that a bucket cannot exist without a class).
func registerBuckets(infos ...BucketInfo) {
	for _, in := range infos {
		if _, dup := inventory[in.Name]; dup {
			panic("store: bucket registered twice: " + in.Name)
		}
		switch in.Class {
		case Personal:
			if in.Records == nil || in.Erase == nil {
				panic("store: personal bucket without Records and Erase: " + in.Name)
			}
		case Index:
			if in.IndexOf == "" {
				panic("store: index bucket without IndexOf: " + in.Name)
			}
		case NotPersonal:
		default:
			panic(fmt.Sprintf("store: bucket %s has no class", in.Name))
		}
		inventory[in.Name] = in
	}
}

// Inventory lists every bucket with its class, by name.
func Inventory() []BucketInfo {
	out := make([]BucketInfo, 0, len(inventory))
	for _, in := range inventory {
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// BucketNames lists the buckets present in the file (for the inventory test).
func (db *DB) BucketNames() (names []string, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, string(name))
			return nil
		})
	})
	return names, err
}
