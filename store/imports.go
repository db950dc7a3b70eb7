package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Imports: a CSV of enrolments or of progress uploaded by an administrator
// (issue 11.3). The upload is kept whole in the file before anything is
// applied — its accepted rows in import_rows, its refused rows in
// import_errors — with a background job queued in the same transaction.
// The job applies the rows in batches (ApplyImportBatch): each batch is one
// transaction that applies its rows through the platform's path
// (applyEnrolment, applyProgress: the API's), records the rows the store
// refuses, deletes the rows it applied and moves the import's counts on.
// So the checkpoint is the rows left: a crash mid-import loses at most the
// batch in flight, which the restart applies again from the start, and no
// row is ever counted or applied twice.

// ImportKind is what an import's rows are.
type ImportKind string

// The import kinds.
const (
	ImportEnrolments ImportKind = "enrolments"
	ImportProgress   ImportKind = "progress"
)

// ImportState is where an import is.
type ImportState string

// The import states.
const (
	ImportRunning ImportState = "running" // rows left to apply
	ImportDone    ImportState = "done"
)

// Audited actions of imports.
const (
	ActImportStarted  Action = "import_started"
	ActImportFinished Action = "import_finished"
	// ActImportReportDownloaded: the refused rows of an import downloaded
	// as CSV (they hold personal data).
	ActImportReportDownloaded Action = "import_report_downloaded"
)

// Import is one uploaded file and how far its application went.
type Import struct {
	ID       uint64      `json:"id"`
	Kind     ImportKind  `json:"kind"`
	FileName string      `json:"file_name"`
	Columns  []string    `json:"columns"` // the file's header, in its order
	ByID     uint64      `json:"by_id"`   // the administrator who uploaded it
	State    ImportState `json:"state"`
	Total    int         `json:"total"` // data rows in the file
	// The outcomes of the rows dealt with so far (Done is their sum).
	Created   int       `json:"created"`
	Updated   int       `json:"updated"`
	Unchanged int       `json:"unchanged"`
	Failed    int       `json:"failed"`
	CreatedAt time.Time `json:"created_at"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
}

// Done counts the rows dealt with: applied, or refused (at upload or by
// the store).
func (im *Import) Done() int { return im.Created + im.Updated + im.Unchanged + im.Failed }

// Percent is how much of the import is done, 0 to 100.
func (im *Import) Percent() int {
	if im.Total == 0 {
		return 100
	}
	return im.Done() * 100 / im.Total
}

// ImportRow is one accepted row of a file, waiting to be applied: exactly
// one of Enrolment and Progress is set, as the import's kind says.
type ImportRow struct {
	Line      int            `json:"line"`
	Enrolment *EnrolmentItem `json:"enrolment,omitempty"`
	Progress  *ProgressItem  `json:"progress,omitempty"`
	Cells     []string       `json:"cells"` // as uploaded, for the error report
}

func (r *ImportRow) email() string {
	if r.Enrolment != nil {
		return r.Enrolment.Email
	}
	if r.Progress != nil {
		return r.Progress.Email
	}
	return ""
}

// ImportError is a refused row: its line, why (Code: a check's name —
// "required", "email", "max"… — or the store's, see ItemCode), the column
// at fault and the check's parameter, and the row's cells as uploaded, for
// the error report.
type ImportError struct {
	Line  int      `json:"line"`
	Email string   `json:"email,omitempty"`
	Code  string   `json:"code"`
	Field string   `json:"field,omitempty"`
	Param string   `json:"param,omitempty"`
	Cells []string `json:"cells,omitempty"`
}

var (
	bImports      = []byte("imports")
	bImportRows   = []byte("import_rows")
	bImportErrors = []byte("import_errors")
)

func init() {
	byEmail := func(tx *bolt.Tx, userID uint64) string {
		if u, err := userTx(tx, userID); err == nil {
			return NormEmail(u.Email)
		}
		return ""
	}
	rowMatch := func(tx *bolt.Tx, userID uint64) func(*ImportRow) bool {
		email := byEmail(tx, userID)
		return func(r *ImportRow) bool { return email != "" && NormEmail(r.email()) == email }
	}
	errMatch := func(tx *bolt.Tx, userID uint64) func(*ImportError) bool {
		email := byEmail(tx, userID)
		return func(e *ImportError) bool { return email != "" && NormEmail(e.Email) == email }
	}
	registerBuckets(
		BucketInfo{Name: string(bImports), Class: NotPersonal,
			Holds: "CSV imports: kind, file name, the administrator who uploaded it, counts, state"},
		BucketInfo{Name: string(bImportRows), Class: Personal,
			Holds: "rows of an uploaded CSV waiting to be applied (email, course, progress); deleted as they are applied",
			Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
				return emitMatching(tx.Bucket(bImportRows), rowMatch(tx, userID), emit)
			},
			Erase: func(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
				return nil, deleteMatching(tx.Bucket(bImportRows), rowMatch(tx, userID))
			}},
		BucketInfo{Name: string(bImportErrors), Class: Personal,
			Holds: "refused rows of CSV imports (line, reason, the cells as uploaded), kept with their import",
			Records: func(tx *bolt.Tx, userID uint64, emit func(v any) error) error {
				return emitMatching(tx.Bucket(bImportErrors), errMatch(tx, userID), emit)
			},
			Erase: func(tx *bolt.Tx, userID uint64) (*ErasureKept, error) {
				return nil, deleteMatching(tx.Bucket(bImportErrors), errMatch(tx, userID))
			}},
	)
}

// importKey is BE(importID) BE(line), the key of a row and of an error.
func importKey(id uint64, line int) []byte { return pairKey(id, itob(uint64(line))) }

// CreateImport stores an uploaded file — im (its ID, state, counts of
// refused rows and time are set here), its accepted rows and its refused
// ones — audits it and queues the job that applies it, in one transaction.
func (db *DB) CreateImport(im *Import, rows []ImportRow, refused []ImportError) error {
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bImports)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		im.ID, im.State, im.CreatedAt = id, ImportRunning, db.now()
		im.Total = len(rows) + len(refused)
		im.Failed = len(refused)
		rb, eb := tx.Bucket(bImportRows), tx.Bucket(bImportErrors)
		// Keys in line order: appends, so bbolt fills its pages.
		rb.FillPercent, eb.FillPercent = 1, 1
		for i := range rows {
			if err := putJSON(rb, importKey(id, rows[i].Line), &rows[i]); err != nil {
				return err
			}
		}
		for i := range refused {
			if err := putJSON(eb, importKey(id, refused[i].Line), &refused[i]); err != nil {
				return err
			}
		}
		if len(rows) == 0 {
			if err := db.endImportTx(tx, im); err != nil {
				return err
			}
		}
		if err := putJSON(b, itob(id), im); err != nil {
			return err
		}
		if err := db.auditTx(tx, &AuditEvent{Action: ActImportStarted, ActorID: im.ByID,
			Detail: fmt.Sprintf("import %d, %s from %q: %d rows, %d refused", id, im.Kind, im.FileName, im.Total, len(refused))}); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		return db.enqueueTx(tx, &Job{Kind: JobImport, ImportID: id})
	})
}

// endImportTx marks im done and audits its outcome.
func (db *DB) endImportTx(tx *bolt.Tx, im *Import) error {
	im.State, im.EndedAt = ImportDone, db.now()
	return db.auditTx(tx, &AuditEvent{Action: ActImportFinished, ActorID: im.ByID,
		Detail: fmt.Sprintf("import %d, %s: %d rows: %d created, %d updated, %d unchanged, %d refused",
			im.ID, im.Kind, im.Total, im.Created, im.Updated, im.Unchanged, im.Failed)})
}

// The named points of an import's batch where a fault test kills the
// process (DB.FaultHook).
const (
	FaultImportBatch     = "import.batch"     // a batch applied, its transaction not committed
	FaultImportCommitted = "import.committed" // a batch committed, the next not begun
)

// ApplyImportBatch applies up to n of the import's rows left, in line
// order, in one transaction (see the top of this file), and returns the
// import as it then stands: done once no row is left. detail says who
// acts, for the audit of each enrolment.
func (db *DB) ApplyImportBatch(id uint64, n int, detail string) (*Import, error) {
	var im *Import
	err := db.update(func(tx *bolt.Tx) error {
		var err error
		if im, err = recordTx[Import](tx.Bucket(bImports), id); err != nil {
			return err
		}
		if im.State == ImportDone {
			return errNoChange
		}
		rb, eb := tx.Bucket(bImportRows), tx.Bucket(bImportErrors)
		prefix := itob(id)
		var keys [][]byte
		var rows []ImportRow
		c := rb.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(rows) < n; k, v = c.Next() {
			var r ImportRow
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			keys, rows = append(keys, bytes.Clone(k)), append(rows, r)
		}
		p := newPlatformTx(tx)
		for i := range rows {
			out, err := db.applyImportRow(p, &rows[i], detail)
			if err != nil && !itemError(err) {
				return fmt.Errorf("store: import %d, line %d: %w", id, rows[i].Line, err)
			}
			im.count(out)
			if err != nil {
				if err := putJSON(eb, importKey(id, rows[i].Line), &ImportError{Line: rows[i].Line, Email: rows[i].email(), Code: ItemCode(err), Cells: rows[i].Cells}); err != nil {
					return err
				}
			}
		}
		if err := deleteKeys(rb, keys); err != nil {
			return err
		}
		if k, _ := rb.Cursor().Seek(prefix); k == nil || !bytes.HasPrefix(k, prefix) {
			if err := db.endImportTx(tx, im); err != nil {
				return err
			}
		}
		if err := putJSON(tx.Bucket(bImports), itob(id), im); err != nil {
			return err
		}
		db.fault(FaultImportBatch)
		return nil
	})
	if errors.Is(err, errNoChange) {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	db.fault(FaultImportCommitted)
	return im, nil
}

func (db *DB) applyImportRow(p *platformTx, r *ImportRow, detail string) (Outcome, error) {
	switch {
	case r.Enrolment != nil:
		return db.applyEnrolment(p, *r.Enrolment, detail)
	case r.Progress != nil:
		return db.applyProgress(p, *r.Progress)
	}
	return OutcomeFailed, errors.New("store: import row without an item")
}

func (im *Import) count(o Outcome) {
	switch o {
	case OutcomeCreated:
		im.Created++
	case OutcomeUpdated:
		im.Updated++
	case OutcomeUnchanged:
		im.Unchanged++
	default:
		im.Failed++
	}
}

// FindImport finds an import by id.
func (db *DB) FindImport(id uint64) (im *Import, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		im, err = recordTx[Import](tx.Bucket(bImports), id)
		return err
	})
	return im, err
}

// RecentImports lists the latest n imports, newest first.
func (db *DB) RecentImports(n int) (out []Import, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bImports).Cursor()
		for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
			var im Import
			if err := json.Unmarshal(v, &im); err != nil {
				return err
			}
			out = append(out, im)
		}
		return nil
	})
	return out, err
}

// EachImportError calls fn with the import's refused rows in line order,
// at most limit of them (0: all), from one read: fn must not do slow I/O.
func (db *DB) EachImportError(id uint64, limit int, fn func(e *ImportError) error) error {
	return db.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bImports).Get(itob(id)) == nil {
			return ErrNotFound
		}
		prefix, n := itob(id), 0
		c := tx.Bucket(bImportErrors).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && (limit == 0 || n < limit); k, v = c.Next() {
			var e ImportError
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			if err := fn(&e); err != nil {
				return err
			}
			n++
		}
		return nil
	})
}

// PruneImports forgets the imports that ended before keep ago, with their
// refused rows (the error report holds personal data: it is not kept
// longer than it is useful).
func (db *DB) PruneImports(keep time.Duration) error {
	err := db.update(func(tx *bolt.Tx) error {
		old := db.now().Add(-keep)
		b, eb := tx.Bucket(bImports), tx.Bucket(bImportErrors)
		var drop [][]byte
		if err := eachJSON(b, func(k []byte, im *Import) error {
			if im.State == ImportDone && im.EndedAt.Before(old) {
				drop = append(drop, bytes.Clone(k))
			}
			return nil
		}); err != nil {
			return err
		}
		if len(drop) == 0 {
			return errNoChange
		}
		for _, k := range drop {
			if err := deleteKeys(eb, prefixKeys(eb, k)); err != nil {
				return err
			}
		}
		return deleteKeys(b, drop)
	})
	if errors.Is(err, errNoChange) {
		err = nil
	}
	return err
}
