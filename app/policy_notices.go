package app

import (
	"errors"
	"slices"
	"time"

	"accord/store"
)

// Telling people when a policy changes (issue 12.5). The activation of a
// version may ask that everyone concerned be told (store.Announcement); a
// setting reminds those still pending after N days. Both run in the mail
// job's loop, in batches whose notices (in the app, and by mail in each
// person's language) are written with each person's mark, so a restart
// goes on where it stopped and nobody is told twice.

// policyNoticeBatch is how many accounts one transaction goes through.
const policyNoticeBatch = 500

// announcePolicies tells of the activations that asked for it (a job of
// featureJobs, every minute).
func (a *App) announcePolicies() {
	anns, err := a.db.PendingAnnouncements()
	if err != nil {
		a.log.Error("policy notices: announcements", "err", err)
		return
	}
	for _, an := range anns {
		if err := a.announce(an); err != nil {
			a.log.Error("policy notices: announce", "version", an.VersionID, "err", err)
			return
		}
	}
}

// remindPolicies sends the reminders due (a job of featureJobs, hourly: it
// goes through every account).
func (a *App) remindPolicies() {
	if err := a.remindPending(); err != nil {
		a.log.Error("policy notices: reminders", "err", err)
	}
}

// announce tells everyone concerned by an's version, batch by batch. A
// version no longer active is told to nobody more.
func (a *App) announce(an store.Announcement) error {
	v := a.consent.Snapshot().Version(an.VersionID)
	if v == nil || v.Status != store.StatusActive {
		return a.db.TellPolicy(an.VersionID, store.ToldAnnounce, nil, an.After, true)
	}
	return a.walkUsers(an.After, func(users []store.UserBrief, after uint64, done bool) error {
		var ids []uint64
		for _, u := range users {
			if a.concerned(u, v) {
				ids = append(ids, u.ID)
			}
		}
		return a.tellBatch(v, store.ToldAnnounce, ids, after, done)
	})
}

// remindPending reminds, once per person and version, those who still have
// not answered a version activated at least PolicyReminderDays ago (0:
// never), if their account existed at the activation.
func (a *App) remindPending() error {
	days := a.Settings().PolicyReminderDays
	if days <= 0 {
		return nil
	}
	due := a.db.Now().Add(-time.Duration(days) * 24 * time.Hour)
	for _, v := range a.consent.Snapshot().ForUsers() {
		if v.ActivatedAt.IsZero() || v.ActivatedAt.After(due) {
			continue
		}
		if err := a.walkUsers(0, func(users []store.UserBrief, after uint64, _ bool) error {
			var ids []uint64
			for _, u := range users {
				if !u.CreatedAt.After(v.ActivatedAt) && a.concerned(u, v) {
					ids = append(ids, u.ID)
				}
			}
			return a.tellBatch(v, store.ToldRemind, ids, after, false)
		}); err != nil {
			return err
		}
	}
	return nil
}

// walkUsers reads the accounts after the id after, policyNoticeBatch at a
// time, and gives fn each batch with the last id read and whether it was
// the last batch. It ends early, without error, when the app stops.
func (a *App) walkUsers(after uint64, fn func(users []store.UserBrief, after uint64, done bool) error) error {
	for {
		select {
		case <-a.stop:
			return nil
		default:
		}
		users, err := a.db.UsersAfter(after, policyNoticeBatch)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			after = users[len(users)-1].ID
		}
		done := len(users) < policyNoticeBatch
		if err := fn(users, after, done); err != nil || done {
			return err
		}
	}
}

// concerned: an active account that must still answer v.
func (a *App) concerned(u store.UserBrief, v *store.PolicyVersion) bool {
	return !u.Suspended && slices.ContainsFunc(a.consent.PendingVersions(u.ID), func(p *store.PolicyVersion) bool { return p.ID == v.ID })
}

// tellBatch writes the notices of kind about v to ids not told yet, in one
// transaction with their marks (and the announcement's progress).
func (a *App) tellBatch(v *store.PolicyVersion, kind string, ids []uint64, after uint64, done bool) error {
	told, err := a.db.Told(v.ID, kind, ids)
	if err != nil {
		return err
	}
	var notices []store.Notice
	for _, id := range ids {
		if told[id] {
			continue
		}
		nt, ok, err := a.policyNotice(id, v, kind)
		if err != nil {
			return err
		}
		if ok {
			notices = append(notices, nt)
		}
	}
	if len(notices) == 0 && kind != store.ToldAnnounce {
		return nil
	}
	if err := a.db.TellPolicy(v.ID, kind, notices, after, done); err != nil {
		return err
	}
	a.told(notices...)
	return nil
}

// policyNotice renders the notice of kind about v for userID, in their
// language: the policy's name and the summary of what changed.
func (a *App) policyNotice(userID uint64, v *store.PolicyVersion, kind string) (store.Notice, bool, error) {
	u, err := a.db.User(userID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Notice{}, false, nil // erased meanwhile: nobody to tell
	} else if err != nil {
		return store.Notice{}, false, err
	}
	if a.guardianAnswers(u) {
		return a.guardianPolicyNotice(u, v, kind)
	}
	t, _ := v.Text(u.Lang)
	key := "policies.notice.changed"
	if kind == store.ToldRemind {
		key = "policies.notice.reminder"
	}
	nt, ok, err := a.noticeFor(Notice{UserID: u.ID, Subject: key + ".subject", Body: key + ".body",
		Args: []any{"Policy", t.Name, "Summary", t.Summary, "Site", a.Settings().SiteName}, Link: "/profile/policies"})
	return nt, ok, err
}

// guardianPolicyNotice tells minor m's guardian, in the guardian's language,
// that m waits for them to answer v (issue 12.3); the mark is m's. A minor
// still waiting for the guardian they named has nobody to tell yet: the
// invitation does it.
func (a *App) guardianPolicyNotice(m *store.User, v *store.PolicyVersion, kind string) (store.Notice, bool, error) {
	if m.GuardianID == 0 {
		return store.Notice{}, false, nil
	}
	g, err := a.db.User(m.GuardianID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Notice{}, false, nil
	} else if err != nil {
		return store.Notice{}, false, err
	}
	t, _ := v.Text(g.Lang)
	key := "guardians.notice.changed"
	if kind == store.ToldRemind {
		key = "guardians.notice.reminder"
	}
	return a.noticeFor(Notice{UserID: g.ID, Subject: key + ".subject", Body: key + ".body", AboutID: m.ID,
		Args: []any{"Minor", m.Name(), "Policy", t.Name, "Summary", t.Summary, "Site", a.Settings().SiteName}, Link: minorPoliciesPath(m.ID)})
}
