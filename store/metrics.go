package store

import (
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// Figures are the store's numbers for /metrics, read in one transaction.
// The queues are walked (delivered work leaves them, so they stay small);
// the totals are bucket sequences, read in constant time: they count every
// record ever written, erased ones included, so they only grow.
type Figures struct {
	MailQueued     int // mails waiting for the SMTP server
	MailDead       int // mails given up, kept for the operator
	JobsQueued     int // data-request jobs pending or running
	WebhooksQueued int // webhook deliveries not yet delivered or given up

	PolicyAnswers uint64 // policy answers recorded since the database was made
	CookieChoices uint64 // cookie choices recorded since the database was made
	ChainEntries  uint64 // entries of the hash chain
}

// Figures reads the store's figures.
func (db *DB) Figures() (f Figures, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bOutbox).ForEach(func(_, v []byte) error {
			var m struct {
				Dead bool `json:"dead"`
			}
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			if m.Dead {
				f.MailDead++
			} else {
				f.MailQueued++
			}
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bJobs).ForEach(func(_, v []byte) error {
			var j struct {
				State JobState `json:"state"`
			}
			if err := json.Unmarshal(v, &j); err != nil {
				return err
			}
			if j.State == JobPending || j.State == JobRunning {
				f.JobsQueued++
			}
			return nil
		}); err != nil {
			return err
		}
		c := tx.Bucket(bWebhookPending).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			f.WebhooksQueued++
		}
		f.PolicyAnswers = tx.Bucket(bAcceptances).Sequence()
		f.CookieChoices = tx.Bucket(bCookieConsents).Sequence()
		head, err := chainHeadTx(tx)
		f.ChainEntries = head.Seq
		return err
	})
	return f, err
}
