package app

import (
	"strconv"

	"accord/app/consent"
	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// agreementRow is one policy on /profile/policies: the active version, the
// latest answer about this policy, and who gave it.
type agreementRow struct {
	View      versionView
	Last      *store.Acceptance // latest event about this policy, any version
	Current   bool              // Last is about the active version
	ActorName string
	Answered  versionView // the text Last answered, when it differs
	Status    string      // accepted, declined, withdrawn, pending
}

// agreementRows lists the active policies for subject with their answers.
func (a *App) agreementRows(subject *store.User, lang string) ([]agreementRow, error) {
	events, err := a.db.UserAcceptances(subject.ID)
	if err != nil {
		return nil, err
	}
	st := a.consent.Snapshot()
	var rows []agreementRow
	names := map[uint64]string{}
	for _, v := range st.ForUsers() {
		row := agreementRow{View: a.viewOf(v, lang), Status: consent.Label(v, a.consent.Status(subject.ID, v.ID))}
		for i := range events { // newest first
			if e := &events[i]; e.PolicyID == v.PolicyID {
				row.Last = e
				row.Current = e.VersionID == v.ID
				break
			}
		}
		if e := row.Last; e != nil {
			if e.ActorID != 0 && e.ActorID != subject.ID {
				if _, ok := names[e.ActorID]; !ok {
					if actor, err := a.db.User(e.ActorID); err == nil {
						names[e.ActorID] = actor.Name()
					}
				}
				row.ActorName = names[e.ActorID]
			}
			if old := st.Version(e.VersionID); old != nil {
				row.Answered = versionView{V: old, Lang: e.Lang}
				row.Answered.Text, _ = old.Text(e.Lang)
			}
			if text, err := a.db.PolicyText(e.TextHash); err == nil {
				row.Answered.HTML = a.policyHTMLFor(store.PolicyText{Content: text, Hash: e.TextHash})
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// getMyPolicies shows the user's agreements.
func (a *App) getMyPolicies(c *fiber.Ctx) error {
	return a.showAgreements(c, currentUser(c), "/profile/policies", &Form{}, 0, "")
}

// minorOf is the minor named by :userID whose guardian is the signed-in
// user; anyone else is 404.
func (a *App) minorOf(c *fiber.Ctx) (*store.User, error) {
	id, _ := strconv.ParseUint(c.Params("userID"), 10, 64)
	m, err := a.db.User(id)
	if err != nil || !a.guards(currentUser(c), m) {
		return nil, fiber.ErrNotFound
	}
	return m, nil
}

// getMinorPolicies shows a minor's agreements to their guardian.
func (a *App) getMinorPolicies(c *fiber.Ctx) error {
	m, err := a.minorOf(c)
	if err != nil {
		return err
	}
	return a.showAgreements(c, m, "/profile/minors/"+strconv.FormatUint(m.ID, 10)+"/policies", &Form{}, 0, "")
}

// showAgreements renders the agreements of subject. card, when not 0, is
// the version acted on: its card holds the form's error, or done (what the
// action changed, for htmx; a plain POST redirects to the card's anchor
// with a flash instead).
func (a *App) showAgreements(c *fiber.Ctx, subject *store.User, base string, f *Form, card uint64, done string) error {
	p := a.page(c, "agreements.mine.title")
	p.Form = f
	rows, err := a.agreementRows(subject, p.Lang)
	if err != nil {
		return err
	}
	self := subject.ID == currentUser(c).ID
	if !self {
		p.Title = p.T("agreements.minor.title", "Name", subject.Name())
	}
	// A minor sees their agreements; their guardian answers (GDPR art. 8).
	canAnswer := !(self && a.guardianAnswers(subject))
	data := map[string]any{"Rows": rows, "Base": base, "Subject": subject, "Self": self, "CanAnswer": canAnswer, "Card": card, "Done": done}
	if !canAnswer {
		if data["Guardian"], err = a.guardianOf(subject); err != nil {
			return err
		}
	}
	p.Data = data
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "policies/agreements", "policies/_agreements", p)
}

// postMyAnswer accepts or declines a version from the profile.
func (a *App) postMyAnswer(c *fiber.Ctx) error {
	u := currentUser(c)
	if a.guardianAnswers(u) { // the guardian answers for a minor (GDPR art. 8)
		return fiber.ErrForbidden
	}
	return a.answerFor(c, u, "/profile/policies", store.ActorSelf)
}

// postMinorAnswer accepts or declines a version for a minor.
func (a *App) postMinorAnswer(c *fiber.Ctx) error {
	m, err := a.minorOf(c)
	if err != nil {
		return err
	}
	return a.answerFor(c, m, "/profile/minors/"+strconv.FormatUint(m.ID, 10)+"/policies", store.ActorGuardian)
}

// answerFor records accept or decline (:answer) of :versionID for subject.
// Declining an accepted optional version records "withdrawn"; a
// compulsory one cannot be declined (422).
func (a *App) answerFor(c *fiber.Ctx, subject *store.User, base string, kind store.ActorKind) error {
	if ans := c.Params("answer"); ans != "accept" && ans != "decline" {
		return fiber.ErrNotFound
	}
	id, _ := strconv.ParseUint(c.Params("versionID"), 10, 64)
	v := a.answerable(id)
	if v == nil {
		return fiber.NewError(fiber.StatusConflict)
	}
	accept := c.Params("answer") == "accept"
	if !accept && !v.Optional {
		f := &Form{Status: fiber.StatusUnprocessableEntity}
		f.fail("", a.translator(c).T("agreements.compulsory"))
		return a.showAgreements(c, subject, base, f, id, "")
	}
	what := "declined"
	if accept {
		what = "accepted"
	} else if a.consent.Status(subject.ID, id) == store.Accepted {
		what = "withdrawn"
	}
	ans := map[uint64]string{id: "decline"}
	if accept {
		ans[id] = "accept"
	}
	if err := a.record(c, subject, ans, kind, currentUser(c).ID, "", store.WhereProfile); err != nil {
		return err
	}
	// The message names what changed; focus and scroll come back to the
	// card acted on (htmx: the fragment, its message focused; else the
	// card's anchor, which accord.js focuses).
	key, args := answerDone(a.translator(c), v, what, subject, kind)
	if isHTMX(c) {
		return a.showAgreements(c, subject, base, &Form{}, id, a.translator(c).T(key, args...))
	}
	a.flash(c, "ok", key, args...)
	return a.redirect(c, base+"#"+agreementCard(id))
}

// agreementCard is the id of a version's card on the agreements pages.
func agreementCard(versionID uint64) string {
	return "agreement-" + strconv.FormatUint(versionID, 10)
}

// answerDone is the message saying what an answer from the agreements page
// changed: accepted, declined or withdrawn, which policy and revision, and
// for whom when a guardian answered.
func answerDone(tr *Translator, v *store.PolicyVersion, what string, subject *store.User, kind store.ActorKind) (string, []any) {
	t, _ := v.Text(tr.Lang)
	args := []any{"Name", t.Name, "Revision", v.Revision}
	if kind == store.ActorGuardian {
		return "agreements.done_minor." + what, append(args, "Minor", subject.Name())
	}
	return "agreements.done." + what, args
}
