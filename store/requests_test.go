package store

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"testing"
	"time"
)

// openTest opens a real database in a temp dir with a pinned clock, and
// checks the file on cleanup.
// openClockTest opens a test store whose clock the test moves.
func openClockTest(t testing.TB) (*DB, *time.Time) {
	t.Helper()
	db := openFile(t, Options{NoSync: true})
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	return db, &now
}

// Ensure that the lifecycle table allows exactly the documented moves.
func TestCanTransition(t *testing.T) {
	allowed := map[[2]RequestStatus][]RequestType{
		{StatusAwaitingApproval, StatusApproved}:  RequestTypes,
		{StatusAwaitingApproval, StatusRejected}:  RequestTypes,
		{StatusAwaitingApproval, StatusCancelled}: RequestTypes,
		{StatusApproved, StatusProcessing}:        RequestTypes,
		{StatusApproved, StatusCancelled}:         RequestTypes,
		{StatusProcessing, StatusDownloadReady}:   {RequestExport},
		{StatusProcessing, StatusComplete}:        {RequestDelete, RequestOther},
		{StatusDownloadReady, StatusExpired}:      {RequestExport},
	}
	for _, typ := range RequestTypes {
		for _, from := range RequestStatuses {
			for _, to := range RequestStatuses {
				want := slices.Contains(allowed[[2]RequestStatus{from, to}], typ)
				if got := CanTransition(typ, from, to); got != want {
					t.Errorf("%s %s → %s: got %v, want %v", typ, from, to, got, want)
				}
			}
		}
	}
}

// Ensure that a user has one ongoing request per type, that every
// transition is audited, and that approval queues a job.
func TestRequestLifecycle(t *testing.T) {
	db, now := openClockTest(t)
	u := testUser(t, db, "ann@example.org", RoleLearner)
	r, err := db.CreateRequest(NewRequest{UserID: u.ID, Type: RequestExport, FiledBy: FiledBySelf, FiledByID: u.ID, DueDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusAwaitingApproval || !r.DueAt.Equal(now.AddDate(0, 0, 30)) {
		t.Errorf("got %s due %v, want awaiting_approval due in 30 days", r.Status, r.DueAt)
	}
	if _, err := db.CreateRequest(NewRequest{UserID: u.ID, Type: RequestExport, DueDays: 30}); !errors.Is(err, ErrOngoingRequest) {
		t.Errorf("second ongoing export: got %v, want ErrOngoingRequest", err)
	}
	if _, err := db.CreateRequest(NewRequest{UserID: u.ID, Type: RequestOther, DueDays: 30}); err != nil {
		t.Errorf("an ongoing export must not block another type: %v", err)
	}
	if _, err := db.TransitionRequest(r.ID, StatusDownloadReady, 0, "", nil); !errors.Is(err, ErrBadTransition) {
		t.Errorf("awaiting → download_ready: got %v, want ErrBadTransition", err)
	}
	if r, err = db.TransitionRequest(r.ID, StatusApproved, 9, "fine", nil); err != nil {
		t.Fatal(err)
	}
	if r.Note != "fine" || r.DecidedByID != 9 {
		t.Errorf("decision: got %q by %d, want fine by 9", r.Note, r.DecidedByID)
	}
	jobs, _ := db.Jobs()
	if len(jobs) != 1 || jobs[0].RequestID != r.ID || jobs[0].State != JobPending {
		t.Fatalf("jobs: got %+v, want one pending for request %d", jobs, r.ID)
	}
	if _, err := db.TransitionRequest(r.ID, StatusProcessing, 0, "", nil); err != nil {
		t.Fatal(err)
	}
	if r, err = db.MarkReady(r.ID, 7); err != nil {
		t.Fatal(err)
	}
	*now = now.AddDate(0, 0, 7)
	gone, err := db.ExpireExports()
	if err != nil || len(gone) != 1 {
		t.Fatalf("expire: got %d, %v; want 1", len(gone), err)
	}
	if r, _ = db.Request(r.ID); r.Status != StatusExpired {
		t.Errorf("got %s, want expired", r.Status)
	}
	events, _, _ := db.ListAudit(AuditQuery{UserID: u.ID})
	var acts []Action
	for _, e := range events {
		acts = append(acts, e.Action)
	}
	for _, want := range []Action{ActRequestFiled, ActRequestApproved, ActRequestProcessing, ActRequestDownloadReady, ActRequestExpired} {
		if !slices.Contains(acts, want) {
			t.Errorf("audit: %s missing from %v", want, acts)
		}
	}
	if _, err := db.CreateRequest(NewRequest{UserID: u.ID, Type: RequestExport, DueDays: 30}); err != nil {
		t.Errorf("a new export after the last one expired: %v", err)
	}
}

// Ensure that the officer's list filters by status, type and overdue, and
// pages newest first.
func TestListRequests(t *testing.T) {
	db, now := openClockTest(t)
	var ids []uint64
	for i := 0; i < 5; i++ {
		u := testUser(t, db, string(rune('a'+i))+"@example.org", RoleLearner)
		r, err := db.CreateRequest(NewRequest{UserID: u.ID, Type: RequestTypes[i%3], DueDays: 30 + i})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if _, err := db.TransitionRequest(ids[0], StatusRejected, 1, "", nil); err != nil {
		t.Fatal(err)
	}
	*now = now.AddDate(0, 0, 33) // due in 30..34 days: ids[1], ids[2] late; ids[0] closed; ids[3] due now
	cases := []struct {
		q    RequestQuery
		want []uint64
	}{
		{RequestQuery{}, []uint64{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{RequestQuery{Status: StatusRejected}, []uint64{ids[0]}},
		{RequestQuery{Type: RequestExport}, []uint64{ids[3], ids[0]}},
		{RequestQuery{Overdue: true}, []uint64{ids[2], ids[1]}},
		{RequestQuery{Limit: 2, Offset: 2}, []uint64{ids[2], ids[1]}},
	}
	for _, c := range cases {
		got, total, err := db.ListRequests(c.q)
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs []uint64
		for _, r := range got {
			gotIDs = append(gotIDs, r.ID)
		}
		if !slices.Equal(gotIDs, c.want) {
			t.Errorf("%+v: got %v, want %v", c.q, gotIDs, c.want)
		}
		if c.q.Limit == 0 && total != len(c.want) {
			t.Errorf("%+v: total %d, want %d", c.q, total, len(c.want))
		}
	}
	n, _ := db.CountRequests()
	if n.Awaiting != 4 || n.Overdue != 2 {
		t.Errorf("counts: got %+v, want 4 awaiting, 2 overdue", n)
	}
}

// Ensure that every bucket in the file is in the data inventory, with a
// class: a bucket added without one fails here.
func TestInventoryCoversFile(t *testing.T) {
	db, _ := openClockTest(t)
	names, err := db.BucketNames()
	if err != nil {
		t.Fatal(err)
	}
	classes := map[string]Class{}
	for _, in := range Inventory() {
		classes[in.Name] = in.Class
	}
	for _, n := range names {
		if classes[n] == "" {
			t.Errorf("bucket %s is in the file but not in the inventory", n)
		}
	}
	if len(names) != len(classes) {
		t.Errorf("got %d buckets in the file, want %d (the inventory)", len(names), len(classes))
	}
}

// Ensure that jobs left running by a crash are pending again after a
// reopen, and that claims take each job once.
func TestJobsResume(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	u := testUser(t, db, "ann@example.org", RoleLearner)
	if _, err := db.CreateRequest(NewRequest{UserID: u.ID, Type: RequestExport, DueDays: 30, AutoApprove: true}); err != nil {
		t.Fatal(err)
	}
	j, err := db.ClaimJob()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ClaimJob(); !errors.Is(err, ErrNotFound) {
		t.Errorf("second claim: got %v, want ErrNotFound", err)
	}
	db.Close() // "crash" with the job running
	if db, err = Open(dir, Options{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.ResumeJobs(time.Hour); err != nil || n != 1 {
		t.Fatalf("resume: got %d, %v; want 1", n, err)
	}
	j2, err := db.ClaimJob()
	if err != nil || j2.ID != j.ID || j2.Attempts != 2 {
		t.Fatalf("claim after resume: got %+v, %v; want job %d, attempt 2", j2, err, j.ID)
	}
	if err := db.FinishJob(j2.ID, nil, 0, 5); err != nil {
		t.Fatal(err)
	}
	if jobs, _ := db.Jobs(); jobs[0].State != JobDone {
		t.Errorf("got %s, want done", jobs[0].State)
	}
}

// Ensure that erasure removes the user from every personal bucket in one
// transaction, keeps an anonymous record with its report, refuses the last
// administrator, and that after Compact no byte of the profile is left in
// the file.
func TestEraseAndCompact(t *testing.T) {
	db, _ := openClockTest(t)
	admin := testUser(t, db, "boss@example.org", RoleAdmin)
	const marker = "Zyxwvutsrq-Marker"
	u := &User{Email: "erase-me@example.org", FirstName: marker, LastName: marker, Lang: "fr", Role: RoleLearner}
	if err := db.CreateUser(u, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateSession(u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateUser(u.ID, AuditEvent{Action: ActUserUpdated, ActorID: u.ID, Detail: marker}, func(*User) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateRequest(NewRequest{UserID: u.ID, Type: RequestExport, Comments: marker, DueDays: 30}); err != nil {
		t.Fatal(err)
	}
	r, err := db.CreateRequest(NewRequest{UserID: u.ID, Type: RequestDelete, Comments: marker, FiledBy: FiledBySelf, FiledByID: u.ID, DueDays: 30, AutoApprove: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.TransitionRequest(r.ID, StatusProcessing, 0, "", nil); err != nil {
		t.Fatal(err)
	}
	erased, err := db.EraseUser(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if erased.Email != u.Email || erased.Request.Status != StatusComplete || !erased.Request.Anonymous || erased.Request.UserID != 0 || erased.Request.Comments != "" {
		t.Errorf("anonymous record: got %+v", erased.Request)
	}
	personal := 0
	for _, in := range Inventory() {
		if in.Class == Personal {
			personal++
		}
	}
	if len(erased.Request.Erasure) != personal {
		t.Errorf("report: got %d lines, want %d (one per personal bucket)", len(erased.Request.Erasure), personal)
	}
	if _, err := db.User(u.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("user after erasure: got %v, want ErrNotFound", err)
	}
	if err := db.Compact(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{marker, u.Email} {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("%q is still in the file after erasure and compaction", s)
		}
	}
	if got, err := db.Request(r.ID); err != nil || got.Status != StatusComplete {
		t.Errorf("after compaction: got %v, %v; want the complete record", got, err)
	}
	// Sequences survive compaction: the next id is not reused.
	if r2, err := db.CreateRequest(NewRequest{UserID: admin.ID, Type: RequestOther, DueDays: 30}); err != nil || r2.ID <= r.ID {
		t.Errorf("after compaction: got id %v, %v; want > %d", r2, err, r.ID)
	}
	// The last administrator cannot be erased.
	if _, err := db.CreateRequest(NewRequest{UserID: admin.ID, Type: RequestDelete, DueDays: 30}); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("erase last admin: got %v, want ErrLastAdmin", err)
	}
}

// Ensure that the export walk gives every personal bucket, in one snapshot,
// with the user's records.
func TestExportUser(t *testing.T) {
	db, _ := openClockTest(t)
	u := testUser(t, db, "ann@example.org", RoleLearner)
	if _, err := db.CreateRequest(NewRequest{UserID: u.ID, Type: RequestExport, DueDays: 30}); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	var cur string
	err := db.ExportUser(u.ID, func(in BucketInfo) error { cur = in.Name; counts[cur] = 0; return nil },
		func(v any) error { counts[cur]++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range Inventory() {
		if _, ok := counts[in.Name]; ok != (in.Class == Personal) {
			t.Errorf("bucket %s (%s): exported %v", in.Name, in.Class, ok)
		}
	}
	if counts["users"] != 1 || counts["data_requests"] != 1 || counts["audit"] < 2 {
		t.Errorf("got %v, want 1 user, 1 request, ≥ 2 audit events", counts)
	}
	if err := db.ExportUser(999, func(BucketInfo) error { return nil }, func(any) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: got %v, want ErrNotFound", err)
	}
}
