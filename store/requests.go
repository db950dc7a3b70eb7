package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// RequestType is what a data request asks for.
type RequestType string

// The request types.
const (
	RequestExport RequestType = "export" // access and portability (GDPR art. 15, 20)
	RequestDelete RequestType = "delete" // erasure (GDPR art. 17)
	RequestOther  RequestType = "other"
)

// RequestTypes lists every request type, in the order forms show them.
var RequestTypes = []RequestType{RequestExport, RequestDelete, RequestOther}

// Valid reports whether t is a known request type.
func (t RequestType) Valid() bool {
	return t == RequestExport || t == RequestDelete || t == RequestOther
}

// RequestStatus is where a data request is in its lifecycle.
type RequestStatus string

// The request statuses (DESIGN.md "Data requests").
const (
	StatusAwaitingApproval RequestStatus = "awaiting_approval"
	StatusApproved         RequestStatus = "approved"
	StatusProcessing       RequestStatus = "processing"
	StatusDownloadReady    RequestStatus = "download_ready"
	StatusExpired          RequestStatus = "expired"
	StatusComplete         RequestStatus = "complete"
	StatusRejected         RequestStatus = "rejected"
	StatusCancelled        RequestStatus = "cancelled"
)

// RequestStatuses lists every status in lifecycle order.
var RequestStatuses = []RequestStatus{StatusAwaitingApproval, StatusApproved, StatusProcessing,
	StatusDownloadReady, StatusExpired, StatusComplete, StatusRejected, StatusCancelled}

// Valid reports whether s is a known status.
func (s RequestStatus) Valid() bool {
	for _, v := range RequestStatuses {
		if s == v {
			return true
		}
	}
	return false
}

// Ongoing reports whether a request in status s still waits for an answer
// (it counts for "one ongoing request per user and type", and can be overdue).
func (s RequestStatus) Ongoing() bool {
	return s == StatusAwaitingApproval || s == StatusApproved || s == StatusProcessing
}

// Cancellable reports whether the person may still cancel: not once work
// began. The lifecycle table decides; cancelling does not depend on the type.
func (s RequestStatus) Cancellable() bool { return CanTransition(RequestOther, s, StatusCancelled) }

// Filer says who filed a request.
type Filer string

// Who may file a request.
const (
	FiledBySelf     Filer = "self"
	FiledByGuardian Filer = "guardian"
	FiledByStaff    Filer = "staff"
	FiledByContact  Filer = "contact" // the person, without signing in, from /contact
)

// DataRequest is a request about a person's data. Once the person is erased
// it is an anonymous record: id, type, dates, outcome and the erasure report.
type DataRequest struct {
	ID          uint64        `json:"id"`
	UserID      uint64        `json:"user_id,omitempty"`
	Type        RequestType   `json:"type"`
	Status      RequestStatus `json:"status"`
	Comments    string        `json:"comments,omitempty"`
	FiledBy     Filer         `json:"filed_by,omitempty"`
	FiledByID   uint64        `json:"filed_by_id,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
	DueAt       time.Time     `json:"due_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
	DecidedByID uint64        `json:"decided_by_id,omitempty"`
	DecidedAt   time.Time     `json:"decided_at,omitzero"`
	Note        string        `json:"note,omitempty"` // the officer's note, shown to the person
	ReadyAt     time.Time     `json:"ready_at,omitzero"`
	ExpiresAt   time.Time     `json:"expires_at,omitzero"` // exports: downloadable until then
	ClosedAt    time.Time     `json:"closed_at,omitzero"`
	Anonymous   bool          `json:"anonymous,omitempty"`
	// Kept is what the erasure kept of protected categories, why and
	// until when (erasure_held.go).
	Kept    []Kept        `json:"kept,omitempty"`
	Erasure []ErasureLine `json:"erasure,omitempty"`
	// Courses limits an export to these courses' enrolments and progress
	// (the person asked for part of their data); empty: everything.
	Courses []uint64 `json:"courses,omitempty"`
	// ResubmitOf is the rejected request this one files again;
	// ResubmittedAs, on that rejected request, is the new one.
	ResubmitOf    uint64 `json:"resubmit_of,omitempty"`
	ResubmittedAs uint64 `json:"resubmitted_as,omitempty"`
	// EmailVerified: filed without signing in, from /contact, once the
	// link mailed to the account's address was opened.
	EmailVerified bool `json:"email_verified,omitempty"`
}

// Resubmittable reports whether r may be filed again as a new request: it
// was rejected and has not been resubmitted yet.
func (r DataRequest) Resubmittable() bool {
	return r.Status == StatusRejected && r.ResubmittedAs == 0 && r.UserID != 0 && !r.Anonymous
}

// Overdue reports whether the request is still ongoing after its due date.
func (r *DataRequest) Overdue(now time.Time) bool { return r.Status.Ongoing() && now.After(r.DueAt) }

// Expired reports whether an export can no longer be downloaded at now.
func (r *DataRequest) Expired(now time.Time) bool {
	return r.Status == StatusExpired || (r.Status == StatusDownloadReady && !now.Before(r.ExpiresAt))
}

// Errors of the request lifecycle.
var (
	// ErrOngoingRequest: the user already has an ongoing request of the type.
	ErrOngoingRequest = errors.New("store: an ongoing request of this type exists")
	// ErrBadTransition: the request cannot move to that status from where it is.
	ErrBadTransition = errors.New("store: the request cannot change to this status")
	// ErrNotResubmittable: the request to file again is not a rejected
	// one of the same person and type, or was resubmitted already.
	ErrNotResubmittable = errors.New("store: the request cannot be resubmitted")
	// ErrStale: the request changed since the caller read it, so the notices
	// it rendered may no longer be true; read it again and retry.
	ErrStale = errors.New("store: the request changed meanwhile")
)

// CanTransition is the lifecycle's table: whether a request of type t may
// go from status from to status to.
func CanTransition(t RequestType, from, to RequestStatus) bool {
	switch from {
	case StatusAwaitingApproval:
		return to == StatusApproved || to == StatusRejected || to == StatusCancelled
	case StatusApproved:
		return to == StatusProcessing || to == StatusCancelled
	case StatusProcessing:
		return (t == RequestExport && to == StatusDownloadReady) || (t != RequestExport && to == StatusComplete)
	case StatusDownloadReady:
		return t == RequestExport && to == StatusExpired
	}
	return false
}

// Audited actions of data requests: one per status a request reaches.
const (
	ActRequestFiled         Action = "request_filed"
	ActRequestApproved      Action = "request_approved"
	ActRequestRejected      Action = "request_rejected"
	ActRequestCancelled     Action = "request_cancelled"
	ActRequestProcessing    Action = "request_processing"
	ActRequestDownloadReady Action = "request_download_ready"
	ActRequestExpired       Action = "request_expired"
	ActRequestComplete      Action = "request_complete"
	ActExportDownloaded     Action = "export_downloaded"
	ActUserErased           Action = "user_erased"
)

var statusActions = map[RequestStatus]Action{
	StatusApproved:      ActRequestApproved,
	StatusRejected:      ActRequestRejected,
	StatusCancelled:     ActRequestCancelled,
	StatusProcessing:    ActRequestProcessing,
	StatusDownloadReady: ActRequestDownloadReady,
	StatusExpired:       ActRequestExpired,
	StatusComplete:      ActRequestComplete,
}

var (
	bRequests         = []byte("data_requests")
	bRequestsByUser   = []byte("data_requests_by_user")
	bRequestsByStatus = []byte("data_requests_by_status")
)

func init() {
	registerBuckets(
		BucketInfo{Name: string(bRequests), Class: Personal,
			Holds:   "data requests: type, status, comments, who filed and decided, dates, the officer's note",
			Records: requestRecords, Erase: eraseRequests, Category: CategoryRequests, Anonymous: true},
		BucketInfo{Name: string(bRequestsByUser), Class: Index, IndexOf: string(bRequests), Holds: "account → data requests, with type and status"},
		BucketInfo{Name: string(bRequestsByStatus), Class: Index, IndexOf: string(bRequests), Holds: "status → data requests, with type and due date"},
	)
}

func requestDetail(r *DataRequest) string { return fmt.Sprintf("request %d (%s)", r.ID, r.Type) }

// lastAdminCheck refuses to erase the last active administrator
// (LastActiveAdmin).
func lastAdminCheck(tx *bolt.Tx, u *User) error {
	if !u.activeAdmin() {
		return nil
	}
	n, err := countActiveAdmins(tx)
	if err != nil {
		return err
	}
	if LastActiveAdmin(u, n) {
		return ErrLastAdmin
	}
	return nil
}

// putRequest saves r and moves its status index entry from oldStatus.
func putRequest(tx *bolt.Tx, r *DataRequest, oldStatus RequestStatus) error {
	idx := tx.Bucket(bRequestsByStatus)
	if oldStatus != "" {
		if err := idx.Delete(indexKey([]byte(oldStatus), r.ID)); err != nil {
			return err
		}
	}
	if err := idx.Put(indexKey([]byte(r.Status), r.ID), statusIndexValue(r)); err != nil {
		return err
	}
	if r.UserID != 0 {
		// The per-user index carries type and status, so the "one ongoing
		// request per type" check decodes nothing.
		v := append([]byte{r.Type[0]}, r.Status...)
		if err := tx.Bucket(bRequestsByUser).Put(pairKey(r.UserID, itob(r.ID)), v); err != nil {
			return err
		}
	}
	return putJSON(tx.Bucket(bRequests), itob(r.ID), r)
}

// statusIndexValue lets listings filter by type and due date without
// decoding requests: type byte, then BE(due unix seconds).
func statusIndexValue(r *DataRequest) []byte {
	v := make([]byte, 9)
	v[0] = r.Type[0]
	binary.BigEndian.PutUint64(v[1:], uint64(r.DueAt.Unix()))
	return v
}

func requestTx(tx *bolt.Tx, id uint64) (*DataRequest, error) {
	return recordTx[DataRequest](tx.Bucket(bRequests), id)
}

// Request finds a request by id.
func (db *DB) Request(id uint64) (*DataRequest, error) {
	var r *DataRequest
	err := db.view(func(tx *bolt.Tx) (err error) {
		r, err = requestTx(tx, id)
		return err
	})
	return r, err
}

// ongoingOfType reports whether userID has an ongoing request of type t.
func ongoingOfType(tx *bolt.Tx, userID uint64, t RequestType) bool {
	prefix := itob(userID)
	c := tx.Bucket(bRequestsByUser).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(v) > 1 && v[0] == t[0] && RequestStatus(v[1:]).Ongoing() {
			return true
		}
	}
	return false
}

func eachUserRequest(tx *bolt.Tx, userID uint64, fn func(r *DataRequest) error) error {
	return eachOwned(tx.Bucket(bRequestsByUser), userID, false, func(id []byte) error {
		r, err := requestTx(tx, btoi(id))
		if err != nil {
			return err
		}
		return fn(r)
	})
}
