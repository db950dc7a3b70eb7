package store

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// The search of the users page (ListUsers with a search) reads an
// in-memory index of each account's searchable text instead of decoding
// every account: with 100,000 accounts a search scanned the bucket in
// 0.6–0.7 s. The index is built from one read the first time someone
// searches and kept true by putUser and eraseUser, which change it only
// once their transaction has committed (tx.OnCommit), so a write that
// rolls back never shows.

// userIndex holds, for every account in id order, its role and its
// lower-cased "email first last".
type userIndex struct {
	mu    sync.RWMutex
	built bool
	rows  []userRow // sorted by id
}

type userRow struct {
	id   uint64
	role Role
	text string
}

func searchText(u *User) string {
	return strings.ToLower(u.Email + " " + u.FirstName + " " + u.LastName)
}

// putUser stores u and, after the commit, its searchable text: every write
// that can change an account's email, name or role goes through it (a
// guardian's erasure unlinking a minor changes none of them).
func (db *DB) putUser(tx *bolt.Tx, u *User) error {
	if err := putJSON(tx.Bucket(bUsers), itob(u.ID), u); err != nil {
		return err
	}
	row := userRow{id: u.ID, role: u.Role, text: searchText(u)}
	tx.OnCommit(func() { db.users.set(row) })
	return nil
}

// forgetUser drops an erased account from the index and the count after
// the commit.
func (db *DB) forgetUser(tx *bolt.Tx, id uint64) {
	tx.OnCommit(func() {
		db.users.remove(id)
		db.userCount.Add(-1)
	})
}

func (x *userIndex) find(id uint64) (int, bool) {
	return slices.BinarySearchFunc(x.rows, id, func(r userRow, id uint64) int {
		switch {
		case r.id < id:
			return -1
		case r.id > id:
			return 1
		}
		return 0
	})
}

// set inserts or replaces a row; before the index is built there is
// nothing to keep (the build reads the committed state).
func (x *userIndex) set(r userRow) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.built {
		return
	}
	if i, ok := x.find(r.id); ok {
		x.rows[i] = r
	} else {
		x.rows = slices.Insert(x.rows, i, r)
	}
}

func (x *userIndex) remove(id uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if i, ok := x.find(id); ok && x.built {
		x.rows = slices.Delete(x.rows, i, i+1)
	}
}

// ensure builds the index once from one read. A write committing
// meanwhile either is in that read or applies its row after the build
// (set waits for the lock); rows are replaced by id, so both orders agree.
func (db *DB) ensureUserIndex() error {
	x := &db.users
	x.mu.RLock()
	built := x.built
	x.mu.RUnlock()
	if built {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.built {
		return nil
	}
	var rows []userRow
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bUsers)
		rows = make([]userRow, 0, b.Stats().KeyN)
		return b.ForEach(func(_, v []byte) error {
			var u User
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			rows = append(rows, userRow{id: u.ID, role: u.Role, text: searchText(&u)})
			return nil
		})
	})
	if err != nil {
		return err
	}
	x.rows, x.built = rows, true
	return nil
}

// searchUsers lists the page of accounts whose text contains needle
// (lower case), of one role when role is set, and the total matching.
func (db *DB) searchUsers(needle string, q UserQuery) (users []User, total int, err error) {
	if err := db.ensureUserIndex(); err != nil {
		return nil, 0, err
	}
	var ids []uint64
	db.users.mu.RLock()
	for _, r := range db.users.rows {
		if (q.Role != "" && r.role != q.Role) || !strings.Contains(r.text, needle) {
			continue
		}
		if total >= q.Offset && (q.Limit <= 0 || len(ids) < q.Limit) {
			ids = append(ids, r.id)
		}
		total++
	}
	db.users.mu.RUnlock()
	err = db.view(func(tx *bolt.Tx) error {
		for _, id := range ids {
			u, err := userTx(tx, id)
			if err == ErrNotFound { // erased since the index was read
				continue
			}
			if err != nil {
				return err
			}
			users = append(users, *u)
		}
		return nil
	})
	return users, total, err
}
