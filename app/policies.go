package app

import (
	"errors"
	"fmt"
	"io"

	"accord/app/consent"
	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// initPolicies builds the consent service: the default policies seeded,
// every policy and every answer in memory (package consent owns them).
func (a *App) initPolicies() error {
	s, err := consent.New(a.db)
	if err != nil {
		return err
	}
	a.consent = s
	a.texts = newPolicyTexts()
	return nil
}

// demoPolicies has the demo people answer the policies: Alice and the DPO
// for themselves, the guardian for the minor; Bob is left to see the gate.
func (a *App) demoPolicies(out io.Writer) error {
	vs := a.consent.Snapshot().ForUsers()
	for _, who := range []struct{ email, by string }{{"alice@demo.test", ""}, {"dpo@demo.test", ""}, {"guardian@demo.test", ""}, {"minor@demo.test", "guardian@demo.test"}} {
		u, err := a.db.UserByEmail(who.email)
		if err != nil {
			return err
		}
		kind, actor := store.ActorSelf, u.ID
		if who.by != "" {
			g, err := a.db.UserByEmail(who.by)
			if err != nil {
				return err
			}
			kind, actor = store.ActorGuardian, g.ID
		}
		var answers []store.Answer
		for _, v := range vs {
			t, lang := v.Text(u.Lang)
			answers = append(answers, store.Answer{UserID: u.ID, VersionID: v.ID, Accept: true, Lang: lang, TextHash: t.Hash,
				ActorID: actor, ActorKind: kind, Where: store.WhereConsent})
		}
		if _, err := a.consent.Record(answers); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "demo policies: accepted by alice, dpo, guardian and (by the guardian) minor; bob@demo.test has them pending")
	return nil
}

// mayAct reports whether actor may answer for subject as kind (the rule:
// consent.MayAct), today, under the site's age of digital consent.
func (a *App) mayAct(kind store.ActorKind, actor, subject *store.User) bool {
	return consent.MayAct(kind, actor, subject, a.db.Now(), a.Settings().DigitalConsentAge)
}

// guards reports whether g may act for m as their guardian (requests,
// downloads and agreements all ask this).
func (a *App) guards(g, m *store.User) bool { return a.mayAct(store.ActorGuardian, g, m) }

// guardianAnswers reports whether u's guardian answers for them: u may not
// answer for themselves.
func (a *App) guardianAnswers(u *store.User) bool { return !a.mayAct(store.ActorSelf, u, u) }

// minorsOf lists the minors g may act for.
func (a *App) minorsOf(g *store.User) ([]store.User, error) {
	all, err := a.db.Minors(g.ID)
	var out []store.User
	for _, m := range all {
		if a.guards(g, &m) {
			out = append(out, m)
		}
	}
	return out, err
}

// pendingFor reports whether u has a policy version to answer.
func (a *App) pendingFor(u *store.User) bool { return u != nil && a.consent.Pending(u.ID) }

// policyErr maps the store's policy errors to statuses.
func policyErr(err error) error {
	switch {
	case errors.Is(err, store.ErrNotActive), errors.Is(err, store.ErrNotDraft):
		return fiber.NewError(fiber.StatusConflict)
	}
	return err
}

// policyTiles are the staff dashboard's tiles: agreements and how many
// people have something to answer.
func (a *App) policyTiles(c *fiber.Ctx) ([]dashCard, error) {
	tr := a.translator(c)
	total, err := a.db.CountUsers()
	if err != nil {
		return nil, err
	}
	pending := a.consent.PendingUsers(total)
	cards := []dashCard{{Title: tr.T("agreements.title"), Text: tr.N("agreements.tile", pending), Href: "/admin/agreements?status=pending", Alert: pending > 0}}
	if currentUser(c).Role == store.RoleAdmin {
		cards = append(cards, dashCard{Title: tr.T("admin.policies.title"), Text: tr.T("admin.policies.help"), Href: "/admin/policies"})
	}
	return cards, nil
}
