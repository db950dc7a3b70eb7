package app

import (
	"html/template"
	"slices"
	"strconv"

	"accord/app/consent"
	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// agreementsData is what policies/agreements and policies/_agreements show:
// filled once per view from the consent service's snapshot and index, the
// subject's events (one read) and the texts' HTML remembered by hash.
type agreementsData struct {
	Rows      []agreementRow
	Base      string // where the answers are posted
	Subject   *store.User
	Self      bool // the subject is the signed-in user
	CanAnswer bool // false: a minor, whose guardian answers
	Card      uint64
	Done      string
	Guardian  *guardianView   // when !CanAnswer
	rows      [4]agreementRow // Rows' storage for the usual few policies: one allocation with the data
}

// agreementRow is one policy on /profile/policies: the active version, the
// latest answer about this policy, and who gave it.
type agreementRow struct {
	View      versionView       // the active version, without its HTML (not shown here)
	Last      *store.Acceptance // latest event about this policy, any version
	ActorName string
	Answered  versionView // the version Last answered and the HTML of its exact text
	Status    string      // accepted, declined, withdrawn, pending
}

// agreementRows lists the active policies for subject with their answers.
// The only store reads are the subject's events and, for an answer given by
// someone else, the actor's name; texts come from memory (answeredHTML).
// The rows go into dst (its length 0), which grows when it is short.
func (a *App) agreementRows(dst []agreementRow, subject *store.User, lang string) ([]agreementRow, error) {
	events, err := a.db.UserAcceptances(subject.ID)
	if err != nil {
		return nil, err
	}
	st := a.consent.Snapshot()
	active := st.ForUsers()
	rows := slices.Grow(dst, len(active))[:len(active)]
	for i, v := range active {
		t, got := v.Text(lang)
		row := &rows[i]
		row.View = versionView{V: v, Text: t, Lang: got, Fallback: got != lang}
		row.Status = consent.Label(v, a.consent.Status(subject.ID, v.ID))
		for j := range events { // newest first
			if e := &events[j]; e.PolicyID == v.PolicyID {
				row.Last = e
				break
			}
		}
		e := row.Last
		if e == nil {
			continue
		}
		if e.ActorID != 0 && e.ActorID != subject.ID {
			row.ActorName = a.actorName(rows[:i], e.ActorID)
		}
		row.Answered.V = st.Version(e.VersionID)
		row.Answered.HTML = a.answeredHTML(row.Answered.V, e)
	}
	return rows, nil
}

// actorName is the name of who answered for the subject, from an earlier
// row when it names the same person, else from the store ("" when the
// account is gone).
func (a *App) actorName(earlier []agreementRow, id uint64) string {
	for i := range earlier {
		if e := earlier[i].Last; e != nil && e.ActorID == id {
			return earlier[i].ActorName
		}
	}
	if actor, err := a.db.User(id); err == nil {
		return actor.Name()
	}
	return ""
}

// answeredHTML is the exact text event e answered, as HTML: remembered by
// its hash, else the text of version v it names, else (a text replaced by
// a minor change) read from the store; "" when there is none.
func (a *App) answeredHTML(v *store.PolicyVersion, e *store.Acceptance) template.HTML {
	if e.TextHash == "" {
		return ""
	}
	if h, ok := a.texts.html.Load(e.TextHash); ok {
		return h.(template.HTML)
	}
	if v != nil {
		for _, t := range v.Texts {
			if t.Hash == e.TextHash {
				return a.policyHTMLFor(t)
			}
		}
	}
	text, err := a.db.PolicyText(e.TextHash)
	if err != nil {
		return ""
	}
	return a.policyHTMLFor(store.PolicyText{Content: text, Hash: e.TextHash})
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
	d := &agreementsData{Base: base, Subject: subject, Self: subject.ID == currentUser(c).ID, Card: card, Done: done}
	var err error
	if d.Rows, err = a.agreementRows(d.rows[:0], subject, p.Lang); err != nil {
		return err
	}
	if !d.Self {
		p.Title = p.T("agreements.minor.title", "Name", subject.Name())
	}
	// A minor sees their agreements; their guardian answers (GDPR art. 8).
	d.CanAnswer = !(d.Self && a.guardianAnswers(subject))
	if !d.CanAnswer {
		if d.Guardian, err = a.guardianOf(subject); err != nil {
			return err
		}
	}
	p.Data = d
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
