package store

import (
	_ "embed"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

var bProcessing = []byte("processing_records")

func init() {
	registerBuckets(BucketInfo{Name: string(bProcessing), Class: NotPersonal, Holds: "the records of processing activities (GDPR art. 30)"})
}

// Processing is one record of processing activities (GDPR art. 30(1)):
// why personal data are processed, on which legal basis, which data, who
// receives them and how long they are kept. Texts are per language.
type Processing struct {
	ID         uint64            `json:"id"`
	Name       map[string]string `json:"name"`
	Purpose    map[string]string `json:"purpose"`
	LegalBasis map[string]string `json:"legal_basis"`
	Data       map[string]string `json:"data"`
	Subjects   map[string]string `json:"subjects"`
	Recipients map[string]string `json:"recipients"`
	Retention  map[string]string `json:"retention"`
	Buckets    []string          `json:"buckets"` // where Accord keeps these data
}

// ListProcessing returns the records of processing in order.
func (db *DB) ListProcessing() (out []Processing, err error) {
	err = db.view(func(tx *bolt.Tx) (err error) {
		out, err = allJSON[Processing](tx.Bucket(bProcessing))
		return err
	})
	return out, err
}

// SeedProcessing stores records unless some exist (first start).
func (db *DB) SeedProcessing(records []Processing) error {
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bProcessing)
		if k, _ := b.Cursor().First(); k != nil {
			return nil
		}
		for i := range records {
			id, err := b.NextSequence()
			if err != nil {
				return err
			}
			records[i].ID = id
			if err := putJSON(b, itob(id), &records[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

//go:embed seed/processing.json
var processingSeed []byte

// SeedDefaultProcessing stores the default records of processing on first
// start.
func (db *DB) SeedDefaultProcessing() error {
	var records []Processing
	if err := json.Unmarshal(processingSeed, &records); err != nil {
		return fmt.Errorf("store: processing seed: %w", err)
	}
	return db.SeedProcessing(records)
}
