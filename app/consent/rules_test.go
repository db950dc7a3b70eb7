package consent

import (
	"testing"
	"time"

	"accord/store"
)

// Ensure that "pending" is: compulsory and not accepted, or optional and
// never answered.
func TestMustAnswer(t *testing.T) {
	for _, tc := range []struct {
		name     string
		optional bool
		last     kind
		want     bool
	}{
		{"a compulsory version never answered is pending", false, none, true},
		{"a compulsory version accepted is not pending", false, accepted, false},
		{"a compulsory version declined is still pending", false, declined, true},
		{"a compulsory version withdrawn is still pending", false, withdrawn, true},
		{"an optional version never answered is pending", true, none, true},
		{"an optional version accepted is not pending", true, accepted, false},
		{"an optional version declined is not pending: the answer counts", true, declined, false},
		{"an optional version withdrawn is not pending: the answer counts", true, withdrawn, false},
	} {
		if got := mustAnswer(tc.optional, tc.last); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Ensure that the report names a version "pending" exactly when the gate
// would ask it, and the latest answer otherwise.
func TestLabel(t *testing.T) {
	compulsory, optional := &store.PolicyVersion{}, &store.PolicyVersion{Optional: true}
	for _, tc := range []struct {
		name string
		v    *store.PolicyVersion
		last store.AcceptStatus
		want string
	}{
		{"never answered reads pending", compulsory, "", "pending"},
		{"a compulsory version accepted reads accepted", compulsory, store.Accepted, "accepted"},
		{"a compulsory version declined reads pending, as the gate asks it", compulsory, store.Declined, "pending"},
		{"an optional version never answered reads pending", optional, "", "pending"},
		{"an optional version declined reads declined", optional, store.Declined, "declined"},
		{"an optional version withdrawn reads withdrawn", optional, store.Withdrawn, "withdrawn"},
	} {
		if got := Label(tc.v, tc.last); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Ensure that people answer for themselves, guardians for their minors
// still under age, and staff on anyone's behalf, and nobody else.
func TestMayAct(t *testing.T) {
	today := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	const age = 15
	adult := &store.User{ID: 1, Role: store.RoleLearner, BirthDate: "1990-01-01"}
	guardian := &store.User{ID: 2, Role: store.RoleLearner}
	minor := &store.User{ID: 3, Role: store.RoleLearner, GuardianID: 2, BirthDate: "2015-01-01"}
	grownUp := &store.User{ID: 4, Role: store.RoleLearner, GuardianID: 2, BirthDate: "2011-11-28"}               // 15 today
	almost := &store.User{ID: 5, Role: store.RoleLearner, GuardianID: 2, BirthDate: "2011-11-29"}                // 15 tomorrow
	unknownBirth := &store.User{ID: 6, Role: store.RoleLearner, GuardianID: 2, BirthDate: ""}                    // no birth date on record
	unlinked := &store.User{ID: 7, Role: store.RoleLearner, BirthDate: "2015-01-01"}                             // a child with no guardian linked
	otherMinor := &store.User{ID: 8, Role: store.RoleLearner, GuardianID: 9, BirthDate: "2015-01-01"}            // someone else's minor
	waiting := &store.User{ID: 12, Role: store.RoleLearner, AwaitsGuardian: true, BirthDate: "2015-01-01"}       // signed up, guardian invited
	waitedTooLong := &store.User{ID: 13, Role: store.RoleLearner, AwaitsGuardian: true, BirthDate: "2011-11-28"} // came of age while waiting
	dpo := &store.User{ID: 10, Role: store.RoleDPO}
	admin := &store.User{ID: 11, Role: store.RoleAdmin}
	selfLinked := &store.User{ID: 14, Role: store.RoleLearner, GuardianID: 14, BirthDate: "2015-01-01"} // a record that names itself
	for _, tc := range []struct {
		name           string
		as             store.ActorKind
		actor, subject *store.User
		want           bool
	}{
		{"an adult answers for themselves", store.ActorSelf, adult, adult, true},
		{"a minor in a guardian's care does not answer for themselves", store.ActorSelf, minor, minor, false},
		{"a minor with an unreadable birth date stays in the guardian's care", store.ActorSelf, unknownBirth, unknownBirth, false},
		{"a minor who came of age today answers for themselves", store.ActorSelf, grownUp, grownUp, true},
		{"a child with no guardian linked answers for themselves", store.ActorSelf, unlinked, unlinked, true},
		{"nobody answers for someone else as themselves", store.ActorSelf, adult, guardian, false},
		{"a guardian answers for their minor", store.ActorGuardian, guardian, minor, true},
		{"a guardian answers for their minor the day before they come of age", store.ActorGuardian, guardian, almost, true},
		{"a guardian no longer answers once the minor comes of age", store.ActorGuardian, guardian, grownUp, false},
		{"a guardian does not answer for someone else's minor", store.ActorGuardian, guardian, otherMinor, false},
		{"a guardian link gone (no guardian on record) gives no right", store.ActorGuardian, guardian, unlinked, false},
		{"a learner is nobody's guardian by being a learner", store.ActorGuardian, adult, minor, false},
		{"a minor is not their own guardian", store.ActorGuardian, minor, minor, false},
		{"a minor waiting for the guardian they named does not answer for themselves", store.ActorSelf, waiting, waiting, false},
		{"a minor who came of age while waiting for a guardian answers for themselves", store.ActorSelf, waitedTooLong, waitedTooLong, true},
		{"the invited guardian answers nothing before they accept the invitation", store.ActorGuardian, guardian, waiting, false},
		{"a minor waiting for a guardian is not their own guardian", store.ActorGuardian, waiting, waiting, false},
		{"staff still answer on behalf of a minor waiting for a guardian", store.ActorStaff, admin, waiting, true},
		{"an adult is not the guardian of themselves, even if linked to themselves", store.ActorGuardian, selfLinked, selfLinked, false},
		{"a privacy officer answers on a learner's behalf", store.ActorStaff, dpo, adult, true},
		{"an administrator answers on a minor's behalf", store.ActorStaff, admin, minor, true},
		{"a learner does not answer as staff", store.ActorStaff, adult, guardian, false},
		{"staff do not answer for themselves on their own behalf", store.ActorStaff, dpo, dpo, false},
		{"nobody signed in acts for anyone", store.ActorSelf, nil, adult, false},
		{"an unknown role of actor gives no right", store.ActorKind("friend"), adult, adult, false},
	} {
		if got := MayAct(tc.as, tc.actor, tc.subject, today, age); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Ensure that an age counts whole years, birthdays included.
func TestAge(t *testing.T) {
	today := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		birth string
		want  int
	}{
		{"born on this day 15 years ago is 15", "2011-11-28", 15},
		{"born tomorrow 15 years ago is still 14", "2011-11-29", 14},
		{"born last month 15 years ago is 15", "2011-10-30", 15},
		{"born next month 15 years ago is 14", "2011-12-01", 14},
	} {
		b, _ := time.Parse("2006-01-02", tc.birth)
		if got := Age(b, today); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
}
