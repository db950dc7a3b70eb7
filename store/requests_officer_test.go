package store

import (
	"errors"
	"testing"
)

// Ensure that only a rejected request of a person, not yet resubmitted,
// may be filed again.
func TestResubmittable(t *testing.T) {
	for _, c := range []struct {
		rule string
		r    DataRequest
		want bool
	}{
		{"a rejected request may be filed again", DataRequest{UserID: 1, Status: StatusRejected}, true},
		{"once only", DataRequest{UserID: 1, Status: StatusRejected, ResubmittedAs: 7}, false},
		{"not one still waiting", DataRequest{UserID: 1, Status: StatusAwaitingApproval}, false},
		{"not a cancelled one: the person withdrew it", DataRequest{UserID: 1, Status: StatusCancelled}, false},
		{"not a completed one", DataRequest{UserID: 1, Status: StatusComplete}, false},
		{"not the record of an erased person", DataRequest{Status: StatusRejected, Anonymous: true}, false},
	} {
		if got := c.r.Resubmittable(); got != c.want {
			t.Errorf("%s: got %v, want %v", c.rule, got, c.want)
		}
	}
}

// Ensure that a resubmission links both requests in one transaction and
// that the store refuses another person's or type's request, a second
// resubmission, and courses on anything but an export, writing nothing.
func TestResubmitLinks(t *testing.T) {
	db, _ := openClockTest(t)
	ann, bob := &User{Email: "ann@example.org"}, &User{Email: "bob@example.org"}
	for _, u := range []*User{ann, bob} {
		if err := db.CreateUser(u, 0); err != nil {
			t.Fatal(err)
		}
	}
	old, err := db.CreateRequest(NewRequest{UserID: ann.ID, Type: RequestExport, DueDays: 30, Courses: []uint64{3}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ChangeRequest(Change{ID: old.ID, To: StatusRejected}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []NewRequest{
		{UserID: bob.ID, Type: RequestExport, ResubmitOf: old.ID},
		{UserID: ann.ID, Type: RequestOther, ResubmitOf: old.ID},
	} {
		if _, err := db.CreateRequest(bad); !errors.Is(err, ErrNotResubmittable) {
			t.Errorf("%+v: got %v, want ErrNotResubmittable", bad, err)
		}
	}
	if _, err := db.CreateRequest(NewRequest{UserID: ann.ID, Type: RequestDelete, Courses: []uint64{3}}); err == nil {
		t.Errorf("a deletion limited to courses was filed")
	}
	nr, err := db.CreateRequest(NewRequest{UserID: ann.ID, Type: RequestExport, DueDays: 30, Courses: old.Courses, ResubmitOf: old.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Request(old.ID); got.ResubmittedAs != nr.ID || got.Status != StatusRejected {
		t.Errorf("the old request: got %+v", got)
	}
	if nr.ResubmitOf != old.ID || len(nr.Courses) != 1 {
		t.Errorf("the new request: got %+v", nr)
	}
	if _, err := db.ChangeRequest(Change{ID: nr.ID, To: StatusCancelled}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateRequest(NewRequest{UserID: ann.ID, Type: RequestExport, ResubmitOf: old.ID}); !errors.Is(err, ErrNotResubmittable) {
		t.Errorf("a second resubmission: got %v, want ErrNotResubmittable", err)
	}
	if _, n, _ := db.ListRequests(RequestQuery{}); n != 2 {
		t.Errorf("got %d requests, want 2 (refusals write nothing)", n)
	}
}
