package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// JobKind names the work a job does.
type JobKind string

// The job kinds.
const (
	// JobRequest carries an approved data request to its end.
	JobRequest JobKind = "request"
	// JobImport applies an uploaded CSV (imports.go).
	JobImport JobKind = "import"
)

// JobState is where a job is.
type JobState string

// The job states.
const (
	JobPending JobState = "pending"
	JobRunning JobState = "running"
	JobDone    JobState = "done"
	JobFailed  JobState = "failed" // gave up after too many attempts
)

// JobStep is where a job that takes several steps stands.
type JobStep string

// The job steps.
const (
	// JobStepStart: the job has not begun its work, or has no steps.
	JobStepStart JobStep = ""
	// JobStepCompact: the erasure committed; the file must still be
	// compacted (the erased bytes are in its free pages) before the
	// request is complete. Set in the erasure's transaction; a job in this
	// step is never given up (FinishJob).
	JobStepCompact JobStep = "compact"
)

// Job is a piece of background work kept in the database, so that work
// survives a restart: a job left running by a crash is pending again at the
// next start, and goes on from its step.
type Job struct {
	ID        uint64   `json:"id"`
	Kind      JobKind  `json:"kind"`
	RequestID uint64   `json:"request_id,omitempty"`
	ImportID  uint64   `json:"import_id,omitempty"`
	State     JobState `json:"state"`
	Step      JobStep  `json:"step,omitempty"`
	// Notices are written when the job ends its last step (an erasure:
	// the "complete" notice to the guardian who filed it).
	Notices   []Notice  `json:"notices,omitempty"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	NotBefore time.Time `json:"not_before,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

var bJobs = []byte("jobs")

func init() {
	registerBuckets(BucketInfo{Name: string(bJobs), Class: NotPersonal,
		Holds: "background work: kind, request or import number, state, attempts (no personal data)"})
}

func (db *DB) enqueueJobTx(tx *bolt.Tx, kind JobKind, requestID uint64) error {
	return db.enqueueTx(tx, &Job{Kind: kind, RequestID: requestID})
}

// enqueueTx queues j (its kind and subject set), pending from now.
func (db *DB) enqueueTx(tx *bolt.Tx, j *Job) error {
	b := tx.Bucket(bJobs)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	now := db.now()
	j.ID, j.State, j.CreatedAt, j.UpdatedAt = id, JobPending, now, now
	return putJSON(b, itob(id), j)
}

// ClaimJob marks the oldest pending job that is due as running, counts the
// attempt and returns it; ErrNotFound when there is none.
func (db *DB) ClaimJob() (*Job, error) {
	var j *Job
	err := db.update(func(tx *bolt.Tx) error {
		now := db.now()
		b := tx.Bucket(bJobs)
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if !bytes.Contains(v, pendingMark) { // most jobs are done: skip decoding them
				continue
			}
			var cand Job
			if err := json.Unmarshal(v, &cand); err != nil {
				return err
			}
			if cand.State != JobPending || now.Before(cand.NotBefore) {
				continue
			}
			cand.State, cand.UpdatedAt = JobRunning, now
			cand.Attempts++
			j = &cand
			return putJSON(b, k, &cand)
		}
		return ErrNotFound // rolls back: an idle runner writes nothing
	})
	return j, err
}

var pendingMark = []byte(`"state":"pending"`)

// FinishJob records the outcome of a running job: done, or pending again
// after retry (failed once maxAttempts is reached, except in the
// compaction step: an erasure is never left with its bytes in the file).
func (db *DB) FinishJob(id uint64, runErr error, retry time.Duration, maxAttempts int) error {
	return db.update(func(tx *bolt.Tx) error {
		var j Job
		if err := getJSON(tx.Bucket(bJobs), itob(id), &j); err != nil {
			return err
		}
		j.UpdatedAt = db.now()
		switch {
		case runErr == nil:
			j.State, j.LastError = JobDone, ""
		case j.Attempts >= maxAttempts && j.Step != JobStepCompact:
			j.State, j.LastError = JobFailed, runErr.Error()
		default:
			j.State, j.LastError, j.NotBefore = JobPending, runErr.Error(), j.UpdatedAt.Add(retry)
		}
		return putJSON(tx.Bucket(bJobs), itob(id), &j)
	})
}

// ResumeJobs makes jobs left running (by a crash or a kill) pending again,
// and forgets finished jobs older than keep. It returns how many resume.
// Call it before any runner starts.
func (db *DB) ResumeJobs(keep time.Duration) (n int, err error) {
	return db.sweepJobs(keep, true)
}

// PruneJobs forgets finished jobs older than keep.
func (db *DB) PruneJobs(keep time.Duration) error {
	_, err := db.sweepJobs(keep, false)
	return err
}

func (db *DB) sweepJobs(keep time.Duration, resumeRunning bool) (n int, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		n = 0
		old := db.now().Add(-keep)
		b := tx.Bucket(bJobs)
		var resume []Job
		var drop [][]byte
		if err := b.ForEach(func(k, v []byte) error {
			var j Job
			if err := json.Unmarshal(v, &j); err != nil {
				return err
			}
			switch {
			case j.State == JobRunning && resumeRunning:
				resume = append(resume, j)
			case (j.State == JobDone || j.State == JobFailed) && j.UpdatedAt.Before(old):
				drop = append(drop, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		if len(resume) == 0 && len(drop) == 0 {
			return errNoChange
		}
		for _, j := range resume {
			j.State, j.UpdatedAt = JobPending, db.now()
			if err := putJSON(b, itob(j.ID), &j); err != nil {
				return err
			}
		}
		for _, k := range drop {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(resume)
		return nil
	})
	if errors.Is(err, errNoChange) {
		err = nil
	}
	return n, err
}

// errNoChange ends a periodic write transaction that found nothing to do:
// it rolls back, so an idle sweep costs no commit (no fsync).
var errNoChange = errors.New("store: no change")

// requestJobTx is the latest job of request id that is not finished, or
// nil.
func requestJobTx(tx *bolt.Tx, id uint64) (*Job, error) {
	c := tx.Bucket(bJobs).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		var j Job
		if err := json.Unmarshal(v, &j); err != nil {
			return nil, err
		}
		if j.RequestID == id && (j.State == JobPending || j.State == JobRunning) {
			return &j, nil
		}
	}
	return nil, nil
}

// Jobs lists every job kept, oldest first (for tests and diagnostics).
func (db *DB) Jobs() (out []Job, err error) {
	err = db.view(func(tx *bolt.Tx) (err error) {
		out, err = allJSON[Job](tx.Bucket(bJobs))
		return err
	})
	return out, err
}
