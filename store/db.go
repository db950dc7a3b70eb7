// Package store keeps every record of Accord in one bbolt file.
//
// The bucket tree: every bucket Open creates, none nested (values are JSON
// unless said otherwise; ids are 8-byte big-endian sequence numbers; index
// keys are `field 0x00 BE(id)`). TestBucketTreeDocumented fails when a
// bucket of the file is missing here:
//
//	meta                       schema_version → BE uint64; csrf_key → 32 random bytes
//	settings                   "site" → Settings
//	setup_tokens               sha256(token) → SetupToken (first-administrator links)
//	users                      BE(id) → User
//	users_by_email             lower(email) → BE(id)
//	users_by_role              role 0x00 BE(id) → empty
//	users_by_guardian          BE(guardianID) BE(minorID) → empty
//	sessions                   sha256(token) → Session
//	sessions_by_user           BE(userID) sha256(token) → empty
//	password_resets            sha256(token) → PasswordReset
//	password_reset_asks        BE(id) → ResetAsk (an address that asked for a link, until the mail job answers)
//	email_changes              sha256(token) → EmailChange (a new address waiting for its mailed confirmation)
//	guardian_invites           sha256(token) → GuardianInvite (the guardian a minor named, until they link; one per minor)
//	contact_asks               sha256(token) → ContactAsk (a /contact message or request waiting for its mailed confirmation)
//	audit                      BE(id) → AuditEvent (append-only)
//	audit_by_user              BE(userID) BE(eventID) → empty (actor and subject)
//	courses                    BE(id) → Course
//	courses_by_code            lower(code) → BE(courseID)
//	enrolments                 BE(userID) BE(courseID) → Enrolment
//	enrolments_by_course       BE(courseID) BE(userID) → empty
//	progress                   BE(userID) BE(courseID) activityID → Progress
//	progress_by_course         BE(courseID) BE(userID) activityID → empty
//	enrolment_ends             BE(userID) → time the last enrolment ended (JSON)
//	retention_flags            BE(userID) → RetentionFlag
//	retention_flags_by_since   BE(since, unix ns) BE(userID) → reason
//	imports                    BE(id) → Import (an uploaded CSV of enrolments or progress: counts, state)
//	import_rows                BE(importID) BE(line) → ImportRow (accepted rows still to apply; deleted once applied)
//	import_errors              BE(importID) BE(line) → ImportError (refused rows, for the error report)
//	dpo_threads                BE(id) → DPOThread (subject, status, unread mark)
//	dpo_threads_by_user        BE(userID) BE(threadID) → empty
//	dpo_threads_by_status      status 0x00 BE(threadID) → empty
//	dpo_unread                 BE(threadID) → empty (threads the officer has not read)
//	dpo_messages               BE(threadID) BE(n) → DPOMessage
//	notifications              BE(id) → Notification
//	notifications_by_user      BE(userID) BE(id) → empty
//	outbox                     BE(id) → OutMail (deleted once delivered)
//	jobs                       BE(id) → Job (pending/running/done/failed; background work)
//	data_requests              BE(id) → DataRequest (an anonymous record once its person is erased)
//	data_requests_by_user      BE(userID) BE(requestID) → type byte, status
//	data_requests_by_status    status 0x00 BE(requestID) → type byte, BE(due unix seconds)
//	erasures_held              BE(requestID) → HeldErasure (protected data an erasure kept, to erase when its retention ends)
//	processing_records         "records" → ProcessingRecords (GDPR art. 30); "audit_purged_through" → BE(audit id)
//	cookies                    BE(id) → Cookie (the cookie register)
//	cookies_by_name            name → BE(id)
//	cookie_register            "revision" → BE uint64
//	cookie_register_changes    BE(revision) → RevisionChanges (what each revision changed)
//	cookie_texts               "lang/name" → string (banner and preferences texts an administrator wrote)
//	cookie_consents            BE(seq) → CookieConsent (append-only proof of cookie choices)
//	cookie_consents_by_subject ("u" BE(userID) | "v" consentID) 0x00 BE(seq) → empty
//	visits_daily               "YYYY-MM-DD" → DailyVisits (aggregates only)
//	policies                   BE(id) → Policy (display order, active version, seed key)
//	policy_versions            BE(id) → PolicyVersion (per-language texts and their SHA-256)
//	policy_texts               hex SHA-256 → every policy text ever shown (raw Markdown)
//	acceptances                BE(id) → Acceptance (append-only agreement events)
//	policy_announcements       BE(versionID) → Announcement (an activation to tell everyone concerned, and its progress)
//	policy_told                BE(userID) BE(versionID) → PolicyTold (announced, reminded: once per person and version)
//	acceptances_by_user        BE(userID) BE(eventID) → the event in short (binary, see acceptances.go)
//	chain                      BE(n) → the hash chain's entry n (binary, see chain.go): kind, record key, hashes, tombstone
//	chain_refs                 kind BE(record key) → BE(n) (the chain entry of a record)
//	chain_by_user              BE(userID) BE(n) → empty (chain entries of an account's records, until its erasure)
//	api_tokens                 BE(id) → APIToken (SHA-256 of the secret, scope, last use, revocation)
//	webhooks                   BE(id) → Webhook (URL, events, signing secret)
//	webhook_deliveries         BE(id) → WebhookDelivery (the signed body until delivered or given up)
//	webhook_deliveries_pending BE(deliveryID) → empty (deliveries still to attempt)
//
// Each exported method of DB runs at most one transaction. Helpers that take a
// *bolt.Tx let a record and its indexes change atomically.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrInUse is returned by Open when another process holds the database.
var ErrInUse = errors.New("store: the database is in use by another process")

// DB is Accord's database.
type DB struct {
	// mu guards the bolt handle: transactions hold it shared; Compact holds
	// it alone while it swaps the file.
	mu   sync.RWMutex
	bolt *bolt.DB
	opts *bolt.Options
	lock *os.File // held for the life of the process (see lockDir)
	// answers is the group commit of RecordAnswers: the answers queued
	// while a commit runs, and whether a caller is leading one.
	answers groupCommit
	// users is the users page's search index (users_search.go).
	users userIndex
	// userCount is the number of accounts: counted once at Open, then
	// moved by createUser and forgetUser after their commit (CountUsers).
	userCount atomic.Int64
	// Now is the clock every record is stamped with; tests pin it.
	Now func() time.Time
	// compactWaiting, when set (tests), is called once when a compaction
	// finds the store in use and starts waiting for a moment alone.
	compactWaiting func()
	// FaultHook, when set (fault tests only), is called at each named
	// point of an erasure (FaultPoints), a guardian invitation
	// (FaultMinorCreating…) or an import (FaultImportBatch,
	// FaultImportCommitted), where a test may kill the process.
	FaultHook func(point string)
}

// Options tune Open.
type Options struct {
	// Timeout bounds the wait for the file lock (default 1 s).
	Timeout time.Duration
	// NoSync skips fsync; only for benchmarks and throw-away data.
	NoSync bool
}

// Open opens the database in dir/accord.db, creates every bucket and runs
// pending migrations; a compaction copy a crash left beside the file is
// removed. Only a missing file is created: an existing one that
// is empty, unreadable or truncated is refused with ErrDamaged (see
// checkFile) and left as it is.
func Open(dir string, opt Options) (*DB, error) {
	if opt.Timeout == 0 {
		opt.Timeout = time.Second
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data dir: %w", err)
	}
	lock, err := lockDir(filepath.Join(dir, "accord.lock"), opt.Timeout)
	if errors.Is(err, ErrInUse) {
		return nil, fmt.Errorf("%w (%s)", ErrInUse, dir)
	} else if err != nil {
		return nil, fmt.Errorf("store: lock data dir: %w", err)
	}
	path := filepath.Join(dir, "accord.db")
	// A compaction copy left by a crash is only a copy (compact.go).
	if err := removeLeftover(path); err != nil {
		lock.Close()
		return nil, err
	}
	if _, err := os.Lstat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		// An existing file must be a whole database: bbolt would turn an
		// empty one into a new site and fault on a truncated one.
		if err := checkFile(path); err != nil {
			lock.Close()
			return nil, err
		}
	}
	bopts := &bolt.Options{
		Timeout:         opt.Timeout,
		NoSync:          opt.NoSync,
		InitialMmapSize: 256 << 20, // address space, not memory: avoids remaps that block readers
		FreelistType:    bolt.FreelistMapType,
	}
	b, err := bolt.Open(path, 0o600, bopts)
	if err != nil {
		lock.Close()
	}
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w (%s)", ErrInUse, path)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db := &DB{bolt: b, opts: bopts, lock: lock, Now: time.Now}
	if !db.upToDate() {
		if err := db.update(db.migrate); err != nil {
			db.Close()
			return nil, err
		}
	}
	// Counted while no one else can write: a write committing meanwhile
	// would be counted twice.
	if err := db.view(func(tx *bolt.Tx) error {
		db.userCount.Store(int64(tx.Bucket(bUsers).Stats().KeyN))
		return nil
	}); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the database file.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	err := db.bolt.Close()
	if cerr := db.lock.Close(); err == nil {
		err = cerr
	}
	return err
}

// Path is the database file's path.
func (db *DB) Path() string {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.bolt.Path()
}

// view runs fn in a read transaction. Every read of the store goes here.
func (db *DB) view(fn func(*bolt.Tx) error) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.bolt.View(fn)
}

// update runs fn in a write transaction (one fsync'd commit). A commit
// that fails after fn succeeded is an ErrCannotSave.
func (db *DB) update(fn func(*bolt.Tx) error) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return commit(db.bolt.Update, fn)
}

// batch runs fn in a write transaction shared with concurrent callers
// (group commit). fn may run more than once: it must be idempotent.
func (db *DB) batch(fn func(*bolt.Tx) error) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return commit(db.bolt.Batch, fn)
}

// ErrCannotSave is matched (errors.Is) by the error of a write whose commit
// failed although its changes were valid: the disk is full (ENOSPC, EDQUOT)
// or the file cannot be written. Nothing of that transaction is kept, the
// file stays as it was, and reads go on working.
var ErrCannotSave = errors.New("store: the database cannot save right now")

// saveError is a failed commit; it matches ErrCannotSave and its cause.
type saveError struct{ err error }

func (e *saveError) Error() string   { return "store: commit failed: " + e.err.Error() }
func (e *saveError) Unwrap() []error { return []error{ErrCannotSave, e.err} }

// commit runs fn through run (bbolt's Update or Batch) and tells a failed
// commit from fn's own refusal: only an error after fn succeeded comes
// from writing the file.
func commit(run func(func(*bolt.Tx) error) error, fn func(*bolt.Tx) error) error {
	var valid bool
	err := run(func(tx *bolt.Tx) error {
		ferr := fn(tx)
		valid = ferr == nil
		return ferr
	})
	if err != nil && valid {
		return &saveError{err}
	}
	return err
}

// Ping answers whether the database can be read.
func (db *DB) Ping() error {
	return db.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bMeta) == nil {
			return errors.New("store: meta bucket missing")
		}
		return nil
	})
}

// CommitID is the id of the last committed write transaction: it changes
// exactly when something was written (tests use it to prove GETs write
// nothing).
func (db *DB) CommitID() (id uint64, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		id = uint64(tx.ID())
		return nil
	})
	return id, err
}

// Check verifies the file's consistency (for tests and the backup command).
func (db *DB) Check() error {
	return db.view(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return fmt.Errorf("store: check: %w", err)
		}
		return nil
	})
}

// now returns the store clock in UTC, truncated to the microsecond so values
// survive a JSON round trip unchanged.
func (db *DB) now() time.Time { return db.Now().UTC().Truncate(time.Microsecond) }

func itob(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func btoi(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// indexKey builds `field 0x00 BE(id)` keys.
func indexKey(field []byte, id uint64) []byte {
	k := make([]byte, 0, len(field)+9)
	k = append(k, field...)
	k = append(k, 0)
	return append(k, itob(id)...)
}

// pairKey builds `BE(a) BE(b)` keys for per-owner indexes.
func pairKey(a uint64, b []byte) []byte {
	k := make([]byte, 0, 8+len(b))
	k = append(k, itob(a)...)
	return append(k, b...)
}
