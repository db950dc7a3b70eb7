package consent

import (
	"testing"
	"time"

	"accord/store"
)

// Ensure that staff accept only what is pending, decline only a pending
// optional version, withdraw only an optional version accepted, and act
// only where MayAct lets them.
func TestDecideOnBehalf(t *testing.T) {
	compulsory, optional := &store.PolicyVersion{ID: 1}, &store.PolicyVersion{ID: 2, Optional: true}
	for _, tc := range []struct {
		name    string
		act     Act
		v       *store.PolicyVersion
		pending bool
		last    store.AcceptStatus
		may     bool
		want    Skip
	}{
		{"accept a pending compulsory version: recorded", ActAccept, compulsory, true, "", true, ""},
		{"accept a compulsory version declined (still pending): recorded", ActAccept, compulsory, true, store.Declined, true, ""},
		{"accept a version already accepted: skipped, answered", ActAccept, compulsory, false, store.Accepted, true, SkipAnswered},
		{"accept an optional version declined: skipped, the person's answer counts", ActAccept, optional, false, store.Declined, true, SkipAnswered},
		{"accept an optional version withdrawn: skipped, the person's answer counts", ActAccept, optional, false, store.Withdrawn, true, SkipAnswered},
		{"accept a version not answerable now: skipped, not pending", ActAccept, nil, false, "", true, SkipNotPending},
		{"decline a pending optional version: recorded", ActDecline, optional, true, "", true, ""},
		{"decline a compulsory version: skipped, compulsory", ActDecline, compulsory, true, "", true, SkipCompulsory},
		{"decline an optional version already accepted: skipped, answered", ActDecline, optional, false, store.Accepted, true, SkipAnswered},
		{"withdraw an optional version accepted: recorded", ActWithdraw, optional, false, store.Accepted, true, ""},
		{"withdraw an optional version never answered: skipped, not accepted", ActWithdraw, optional, true, "", true, SkipNotAccepted},
		{"withdraw an optional version declined: skipped, not accepted", ActWithdraw, optional, false, store.Declined, true, SkipNotAccepted},
		{"withdraw a compulsory version: skipped, compulsory", ActWithdraw, compulsory, false, store.Accepted, true, SkipCompulsory},
		{"withdraw a retired version: skipped, not pending", ActWithdraw, nil, false, store.Accepted, true, SkipNotPending},
		{"anything for someone staff may not act for: skipped, not allowed", ActAccept, compulsory, true, "", false, SkipNotAllowed},
	} {
		if got := decide(tc.act, tc.v, tc.pending, tc.last, tc.may); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Ensure that OnBehalf decides each person × version on its own (two
// people, two policies, one already answered), once per pair, and that
// only the decisions not skipped become answers, by staff, that Record
// then stores.
func TestOnBehalfPicksAndRecord(t *testing.T) {
	s, db := openService(t)
	news := addPolicy(t, s, db, "News", true, store.StyleConsentPage)
	ann, bob := learner(t, db, "ann@example.org"), learner(t, db, "bob@example.org")
	staff := &store.User{Email: "dpo@example.org", Role: store.RoleDPO}
	if err := db.CreateUser(staff, 0); err != nil {
		t.Fatal(err)
	}
	site, privacy := s.Snapshot().ForUsers()[0], s.Snapshot().ForUsers()[1]
	if _, err := s.Record(answersFor(bob, true, site)); err != nil {
		t.Fatal(err)
	}
	today := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	picks := []Pick{{ann, privacy.ID}, {bob, site.ID}, {ann, news.ID}, {ann, privacy.ID}, {bob, 999}, {staff, site.ID}}
	ds := s.OnBehalf(staff, ActAccept, picks, today, 15)
	want := []struct {
		user    *store.User
		version uint64
		skip    Skip
	}{{ann, privacy.ID, ""}, {bob, site.ID, SkipAnswered}, {ann, news.ID, ""}, {bob, 999, SkipNotPending}, {staff, site.ID, SkipNotAllowed}}
	if len(ds) != len(want) {
		t.Fatalf("got %d decisions, want %d (the pair given twice decided once)", len(ds), len(want))
	}
	for i, w := range want {
		if ds[i].User.ID != w.user.ID || ds[i].Skip != w.skip || (w.version != 999 && ds[i].Version.ID != w.version) || (w.version == 999 && ds[i].Version != nil) {
			t.Errorf("decision %d: got user %d version %v skip %q, want user %d version %d skip %q", i, ds[i].User.ID, ds[i].Version, ds[i].Skip, w.user.ID, w.version, w.skip)
		}
	}
	answers := Answers(ds, ActAccept, staff, "Paper form")
	if len(answers) != 2 || answers[0].ActorKind != store.ActorStaff || answers[0].ActorID != staff.ID || answers[0].Note != "Paper form" || answers[0].TextHash == "" {
		t.Fatalf("got answers %+v, want two by staff with the remark and the text's hash", answers)
	}
	if _, err := s.Record(answers); err != nil {
		t.Fatal(err)
	}
	if s.Status(ann.ID, privacy.ID) != store.Accepted || s.Status(ann.ID, news.ID) != store.Accepted || s.Status(bob.ID, privacy.ID) != "" {
		t.Errorf("after Record: got ann privacy %q, ann news %q, bob privacy %q; want accepted, accepted, none",
			s.Status(ann.ID, privacy.ID), s.Status(ann.ID, news.ID), s.Status(bob.ID, privacy.ID))
	}
	ds = s.OnBehalf(staff, ActWithdraw, []Pick{{ann, news.ID}}, today, 15)
	if _, err := s.Record(Answers(ds, ActWithdraw, staff, "Asked by phone")); err != nil || s.Status(ann.ID, news.ID) != store.Withdrawn {
		t.Errorf("withdraw: got %q, %v; want withdrawn", s.Status(ann.ID, news.ID), err)
	}
}
