package store

import (
	"encoding/json"
	"errors"

	bolt "go.etcd.io/bbolt"
)

// DailyVisits are one day's first-party visit statistics: totals only,
// never a per-visit log.
type DailyVisits struct {
	Day      string `json:"day"` // YYYY-MM-DD, UTC
	Views    int    `json:"views"`
	Visitors int    `json:"visitors"`
}

// AddVisits adds counts gathered in memory to the daily totals, in one
// transaction.
func (db *DB) AddVisits(add []DailyVisits) error {
	if len(add) == 0 {
		return nil
	}
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bVisitsDaily)
		for _, d := range add {
			var cur DailyVisits
			if err := getJSON(b, []byte(d.Day), &cur); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			cur.Day = d.Day
			cur.Views += d.Views
			cur.Visitors += d.Visitors
			if err := putJSON(b, []byte(d.Day), &cur); err != nil {
				return err
			}
		}
		return nil
	})
}

// Visits lists the daily totals from day from to day to (YYYY-MM-DD,
// inclusive), oldest first.
func (db *DB) Visits(from, to string) (out []DailyVisits, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bVisitsDaily).Cursor()
		for k, v := c.Seek([]byte(from)); k != nil && string(k) <= to; k, v = c.Next() {
			var d DailyVisits
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// PurgeVisits deletes the daily totals of days before day before
// (YYYY-MM-DD) and says how many went.
func (db *DB) PurgeVisits(before string) (n int, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bVisitsDaily).Cursor()
		for k, _ := c.First(); k != nil && string(k) < before; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
