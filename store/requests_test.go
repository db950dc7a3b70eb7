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

// Ensure that the lifecycle table allows exactly the moves listed here in
// words, and refuses every other (type, from, to).
func TestCanTransition(t *testing.T) {
	all := RequestTypes
	allowed := []struct {
		rule     string
		from, to RequestStatus
		types    []RequestType
	}{
		{"the officer approves a new request", StatusAwaitingApproval, StatusApproved, all},
		{"the officer rejects a new request", StatusAwaitingApproval, StatusRejected, all},
		{"the person cancels a request nobody decided yet", StatusAwaitingApproval, StatusCancelled, all},
		{"the job starts work on an approved request", StatusApproved, StatusProcessing, all},
		{"the person cancels an approved request before work starts", StatusApproved, StatusCancelled, all},
		{"an export, once built, is ready to download", StatusProcessing, StatusDownloadReady, []RequestType{RequestExport}},
		{"a deletion or another request, once carried out, is complete", StatusProcessing, StatusComplete, []RequestType{RequestDelete, RequestOther}},
		{"a ready export expires after its download period", StatusDownloadReady, StatusExpired, []RequestType{RequestExport}},
	}
	// Everything else is refused, for instance: deciding twice, cancelling
	// work under way, reopening a closed request, skipping the approval.
	want := map[[3]string]string{}
	for _, a := range allowed {
		for _, typ := range a.types {
			want[[3]string{string(typ), string(a.from), string(a.to)}] = a.rule
		}
	}
	for _, typ := range RequestTypes {
		for _, from := range RequestStatuses {
			for _, to := range RequestStatuses {
				rule, ok := want[[3]string{string(typ), string(from), string(to)}]
				if got := CanTransition(typ, from, to); got != ok {
					if ok {
						t.Errorf("%s (%s %s → %s): got refused, want allowed", rule, typ, from, to)
					} else {
						t.Errorf("%s %s → %s is not a listed move: got allowed, want refused", typ, from, to)
					}
				}
			}
		}
	}
	for _, s := range RequestStatuses {
		if got, want := s.Cancellable(), s == StatusAwaitingApproval || s == StatusApproved; got != want {
			t.Errorf("%s cancellable: got %v, want %v (only before work starts)", s, got, want)
		}
	}
}

// Ensure that a change writes its notices and mails in its own transaction
// (found after reopening), and that a refused or stale change writes
// neither the status nor any notice nor any mail.
func TestChangeRequestWritesNoticesOrNothing(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	u := testUser(t, db, "ann@example.org", RoleLearner)
	admin := testUser(t, db, "boss@example.org", RoleAdmin)
	tell := func(subject string, to ...uint64) []Notice {
		var out []Notice
		for _, id := range to {
			out = append(out, Notice{Notification: &Notification{UserID: id, Subject: subject, Body: subject},
				Mail: &OutMail{UserID: id, To: "x@example.org", Subject: subject}})
		}
		return out
	}
	next, err := db.NextRequestID()
	if err != nil {
		t.Fatal(err)
	}
	r, err := db.CreateRequest(NewRequest{UserID: u.ID, Type: RequestOther, DueDays: 30, ID: next, Notices: tell("filed", u.ID)})
	if err != nil || r.ID != next {
		t.Fatalf("create: got %+v, %v; want id %d", r, err, next)
	}
	if _, err := db.CreateRequest(NewRequest{UserID: admin.ID, Type: RequestOther, DueDays: 30, ID: next, Notices: tell("stale filing", admin.ID)}); !errors.Is(err, ErrStale) {
		t.Errorf("filing rendered for a taken number: got %v, want ErrStale", err)
	}
	del, err := db.CreateRequest(NewRequest{UserID: admin.ID, Type: RequestDelete, DueDays: 30})
	if !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("delete the last admin: got %+v, %v; want ErrLastAdmin", del, err)
	}
	if _, err := db.ChangeRequest(Change{ID: r.ID, To: StatusApproved, ActorID: admin.ID, From: StatusAwaitingApproval,
		Notices: tell("approved", u.ID, 4242)}); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []struct {
		why string
		ch  Change
		err error
	}{
		{"a move the table refuses", Change{ID: r.ID, To: StatusRejected, From: StatusApproved, Notices: tell("refused", u.ID)}, ErrBadTransition},
		{"notices rendered for another status", Change{ID: r.ID, To: StatusCancelled, From: StatusAwaitingApproval, Notices: tell("stale", u.ID)}, ErrStale},
		{"an unknown request", Change{ID: 999, To: StatusApproved, Notices: tell("unknown", u.ID)}, ErrNotFound},
	} {
		before, _ := db.CommitID()
		if _, err := db.ChangeRequest(ch.ch); !errors.Is(err, ch.err) {
			t.Errorf("%s: got %v, want %v", ch.why, err, ch.err)
		}
		if after, _ := db.CommitID(); after != before {
			t.Errorf("%s: committed %d transactions, want none", ch.why, after-before)
		}
	}
	db.Close()
	if db, err = Open(dir, Options{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, _ := db.Request(r.ID); got.Status != StatusApproved {
		t.Errorf("after reopening: got %s, want approved", got.Status)
	}
	ns, _, _ := db.Notifications(u.ID, 0)
	var subjects []string
	for _, n := range ns {
		subjects = append(subjects, n.Subject)
	}
	if !slices.Equal(subjects, []string{"approved", "filed"}) {
		t.Errorf("notifications after reopening: got %v, want [approved filed]", subjects)
	}
	mails, _ := db.Outbox()
	var mailed []string
	for _, m := range mails {
		mailed = append(mailed, m.Subject)
	}
	// The notice to user 4242 (no such account) is skipped with its mail.
	if !slices.Equal(mailed, []string{"filed", "approved"}) {
		t.Errorf("outbox after reopening: got %v, want [filed approved]", mailed)
	}
	if n, _, _ := db.Notifications(admin.ID, 0); len(n) != 0 {
		t.Errorf("the stale filing left notifications: %+v", n)
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
	if _, err := db.ChangeRequest(Change{ID: r.ID, To: StatusDownloadReady}); !errors.Is(err, ErrBadTransition) {
		t.Errorf("awaiting → download_ready: got %v, want ErrBadTransition", err)
	}
	if r, err = db.ChangeRequest(Change{ID: r.ID, To: StatusApproved, ActorID: 9, Note: "fine"}); err != nil {
		t.Fatal(err)
	}
	if r.Note != "fine" || r.DecidedByID != 9 {
		t.Errorf("decision: got %q by %d, want fine by 9", r.Note, r.DecidedByID)
	}
	jobs, _ := db.Jobs()
	if len(jobs) != 1 || jobs[0].RequestID != r.ID || jobs[0].State != JobPending {
		t.Fatalf("jobs: got %+v, want one pending for request %d", jobs, r.ID)
	}
	if _, err := db.ChangeRequest(Change{ID: r.ID, To: StatusProcessing}); err != nil {
		t.Fatal(err)
	}
	if r, err = db.ChangeRequest(Change{ID: r.ID, To: StatusDownloadReady, ExpiryDays: 7}); err != nil {
		t.Fatal(err)
	}
	*now = now.AddDate(0, 0, 7)
	due, err := db.DueExpiries()
	if err != nil || len(due) != 1 || due[0].ID != r.ID {
		t.Fatalf("due expiries: got %+v, %v; want request %d", due, err, r.ID)
	}
	if _, err := db.ChangeRequest(Change{ID: r.ID, To: StatusExpired, From: StatusDownloadReady}); err != nil {
		t.Fatal(err)
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
	if _, err := db.ChangeRequest(Change{ID: ids[0], To: StatusRejected, ActorID: 1}); err != nil {
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
	if _, err := db.ChangeRequest(Change{ID: r.ID, To: StatusProcessing}); err != nil {
		t.Fatal(err)
	}
	erased, err := db.EraseUser(Erasure{RequestID: r.ID})
	if err != nil {
		t.Fatal(err)
	}
	if erased.Email != u.Email || erased.Request.Status != StatusProcessing || !erased.Request.Anonymous || erased.Request.UserID != 0 || erased.Request.Comments != "" {
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
	if jobs, _ := db.Jobs(); len(jobs) != 1 || jobs[0].Step != JobStepCompact || jobs[0].State != JobPending {
		t.Errorf("the request's job after the erasure: got %+v, want it pending in the compaction step", jobs)
	}
	if data, _ := os.ReadFile(db.Path()); !bytes.Contains(data, []byte(marker)) {
		t.Errorf("the marker is not in the file before the compaction: the check below could not fail")
	}
	done, _, err := db.FinishErasure(r.ID)
	if err != nil || done.Status != StatusComplete {
		t.Fatalf("finish the erasure: got %+v, %v; want it complete", done, err)
	}
	if jobs, _ := db.Jobs(); len(jobs) != 1 || jobs[0].State != JobDone {
		t.Errorf("the request's job after the compaction: got %+v, want it done", jobs)
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
