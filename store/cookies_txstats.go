package store

import bolt "go.etcd.io/bbolt"

// CommittedTxID is the id of the last committed write transaction. It
// rises with every write, so tests use it to prove a page view wrote nothing.
func (db *DB) CommittedTxID() (id int, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		id = tx.ID()
		return nil
	})
	return id, err
}

// ReadTxCount is how many read transactions the file has started; tests
// use it to prove a decision was taken from memory.
func (db *DB) ReadTxCount() int {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.bolt.Stats().TxN
}
