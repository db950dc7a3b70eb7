package consent

import (
	"time"

	"accord/store"
)

// Act is what staff answer on a person's behalf.
type Act string

// The answers staff may give for someone: accept a pending version,
// decline a pending optional one, withdraw an optional one accepted.
const (
	ActAccept   Act = "accept"
	ActDecline  Act = "decline"
	ActWithdraw Act = "withdraw"
)

// Valid reports whether a is one of the acts.
func (a Act) Valid() bool { return a == ActAccept || a == ActDecline || a == ActWithdraw }

// Skip says why one person × version of an on-behalf answer is not
// recorded ("" when it is).
type Skip string

// The reasons, as the confirmation and the result message name them.
const (
	// SkipAnswered: the person already answered it (not pending).
	SkipAnswered Skip = "answered"
	// SkipNotPending: the version is not one users answer now (retired,
	// a draft, for guests only, unknown).
	SkipNotPending Skip = "not_pending"
	// SkipCompulsory: a compulsory version cannot be declined or withdrawn.
	SkipCompulsory Skip = "compulsory"
	// SkipNotAccepted: nothing to withdraw, the version is not accepted.
	SkipNotAccepted Skip = "not_accepted"
	// SkipNotAllowed: the staff member may not act for this person (MayAct).
	SkipNotAllowed Skip = "not_allowed"
)

// Pick is one person × version that staff ticked.
type Pick struct {
	User      *store.User
	VersionID uint64
}

// Decision is a pick with what would become of it: recorded when Skip is
// "", else skipped for that reason. Version is nil for an unknown id.
type Decision struct {
	User      *store.User
	VersionID uint64
	Version   *store.PolicyVersion
	Skip      Skip
}

// OnBehalf decides, for each pick, whether staff may give the answer act
// on the person's behalf now. It is the one rule of on-behalf answers:
//   - MayAct(ActorStaff) decides who may act for whom;
//   - accept: only a version PendingVersions lists for the person;
//   - decline: only an optional version PendingVersions lists (a
//     compulsory one cannot be declined);
//   - withdraw: only an optional version whose latest answer is accepted.
//
// A pick given twice is decided once. Nothing is recorded here: Answers
// turns the decisions into answers for Record.
func (s *Service) OnBehalf(staff *store.User, act Act, picks []Pick, today time.Time, consentAge int) []Decision {
	snap := s.snap.Load()
	pending := map[uint64]map[uint64]bool{}
	type key struct{ u, v uint64 }
	seen := map[key]bool{}
	out := make([]Decision, 0, len(picks))
	for _, p := range picks {
		if p.User == nil || seen[key{p.User.ID, p.VersionID}] {
			continue
		}
		seen[key{p.User.ID, p.VersionID}] = true
		d := Decision{User: p.User, VersionID: p.VersionID, Version: snap.Version(p.VersionID)}
		if pending[p.User.ID] == nil {
			pending[p.User.ID] = map[uint64]bool{}
			for _, v := range s.PendingVersions(p.User.ID) {
				pending[p.User.ID][v.ID] = true
			}
		}
		d.Skip = decide(act, snap.Answerable(p.VersionID), pending[p.User.ID][p.VersionID], s.Status(p.User.ID, p.VersionID),
			MayAct(store.ActorStaff, staff, p.User, today, consentAge))
		out = append(out, d)
	}
	return out
}

// decide is OnBehalf's rule for one pick: v is the version if users may
// answer it now (else nil), pending whether the person must still answer
// it, last their latest answer, mayAct whether the staff member may act.
func decide(act Act, v *store.PolicyVersion, pending bool, last store.AcceptStatus, mayAct bool) Skip {
	switch {
	case !mayAct:
		return SkipNotAllowed
	case v == nil:
		return SkipNotPending
	case act != ActAccept && !v.Optional:
		return SkipCompulsory
	case act == ActWithdraw && last != store.Accepted:
		return SkipNotAccepted
	case act == ActWithdraw:
		return ""
	case !pending:
		return SkipAnswered
	}
	return ""
}

// Answers are the answers of the decisions to record (those not skipped),
// given by staff with the remark note, each in the person's language
// (or the version's fallback) with the hash of that text.
func Answers(ds []Decision, act Act, staff *store.User, note string) []store.Answer {
	var out []store.Answer
	for _, d := range ds {
		if d.Skip != "" {
			continue
		}
		t, lang := d.Version.Text(d.User.Lang)
		out = append(out, store.Answer{UserID: d.User.ID, VersionID: d.Version.ID, Accept: act == ActAccept, Lang: lang, TextHash: t.Hash,
			ActorID: staff.ID, ActorKind: store.ActorStaff, Note: note, Where: store.WhereReport})
	}
	return out
}
