package consent

import (
	"time"

	"accord/store"
)

// mustAnswer is the rule "pending": a user must still answer an active
// version that is compulsory and not accepted, or optional and never
// answered (declining an optional version is an answer that counts).
// The gate, the consent page, the profile, the report and the dashboard
// all decide with it.
func mustAnswer(optional bool, last kind) bool {
	return last == none || (!optional && last != accepted)
}

// Label is where a user stands on a version, as the report, its CSV and
// the profile name it: "pending" when they must still answer it (the rule
// of mustAnswer), else their latest answer ("accepted", "declined",
// "withdrawn").
func Label(v *store.PolicyVersion, last store.AcceptStatus) string {
	if mustAnswer(v.Optional, kindOf[last]) {
		return "pending"
	}
	return string(last)
}

// MayAct is the rule "who may answer for whom", in the role as:
//   - ActorSelf: a person for themselves, unless they are a minor in a
//     guardian's care (GDPR art. 8, loi 78-17 art. 45: the guardian answers),
//     or waiting for the guardian they named at sign-up (nobody answers yet);
//   - ActorGuardian: the guardian linked to a minor still under the age of
//     digital consent; the right ends when the link is removed or the minor
//     comes of age;
//   - ActorStaff: a privacy officer or an administrator, for anyone else,
//     on their behalf (staff answer for themselves as themselves, so that
//     the record never shows a self-answer as given on someone's behalf).
//
// today is the day it is asked, consentAge the age of digital consent.
func MayAct(as store.ActorKind, actor, subject *store.User, today time.Time, consentAge int) bool {
	if actor == nil || subject == nil {
		return false
	}
	switch as {
	case store.ActorSelf:
		return actor.ID == subject.ID && !guarded(subject, today, consentAge)
	case store.ActorGuardian:
		return actor.ID != subject.ID && subject.GuardianID != 0 && subject.GuardianID == actor.ID && guarded(subject, today, consentAge)
	case store.ActorStaff:
		return actor.ID != subject.ID && (actor.Role == store.RoleDPO || actor.Role == store.RoleAdmin)
	}
	return false
}

// guarded reports whether u is a minor in a guardian's care: linked to a
// guardian, or signed up and waiting for the guardian they named, and under
// the age of digital consent today. A birth date that cannot be read keeps
// the guardian in charge (the safe side).
func guarded(u *store.User, today time.Time, consentAge int) bool {
	if u.GuardianID == 0 && !u.AwaitsGuardian {
		return false
	}
	birth, err := time.Parse("2006-01-02", u.BirthDate)
	if err != nil {
		return true
	}
	return Age(birth, today) < consentAge
}

// Age is the age in whole years on today of someone born on birth.
func Age(birth, today time.Time) int {
	age := today.Year() - birth.Year()
	if today.Month() < birth.Month() || (today.Month() == birth.Month() && today.Day() < birth.Day()) {
		age--
	}
	return age
}
