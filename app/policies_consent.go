package app

import (
	"errors"
	"html"
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"accord/store"

	"github.com/gofiber/fiber/v2"
	"github.com/sergi/go-diff/diffmatchpatch"
)

// consentGate sends signed-in users with a pending version to /consent
// (htmx: 200 + HX-Redirect), remembering where they were going (GET only).
func (a *App) consentGate(c *fiber.Ctx) error {
	u := currentUser(c)
	if u == nil || !(a.consent.Pending(u.ID) || a.waitsForGuardian(u)) || gateExempt(c.Path()) {
		return c.Next()
	}
	to := "/consent"
	if c.Method() == fiber.MethodGet {
		if next := safeNext(string(c.Request().URI().RequestURI())); next != "" && next != "/" {
			to += "?next=" + url.QueryEscape(next)
		}
	}
	return a.redirect(c, to)
}

// consentItems are the versions the consent page shows now: the first
// pending own-page version alone, else every pending consent-page one.
func (a *App) consentItems(userID uint64) (items []*store.PolicyVersion, ownPage bool) {
	pending := a.consent.PendingVersions(userID)
	if len(pending) > 0 && pending[0].Style == store.StyleOwnPage {
		return pending[:1], true
	}
	return pending, false
}

// getConsent shows what the user still has to answer.
func (a *App) getConsent(c *fiber.Ctx) error {
	return a.showConsent(c, &Form{Values: map[string][]string{"next": {safeNext(c.Query("next"))}}})
}

func (a *App) showConsent(c *fiber.Ctx, f *Form) error {
	u := currentUser(c)
	items, own := a.consentItems(u.ID)
	next := safeNext(f.Get("next"))
	if len(items) == 0 && !a.waitsForGuardian(u) {
		return a.redirect(c, orHome(next))
	}
	p := a.page(c, "consent.title")
	p.Form = f
	if a.guardianAnswers(u) { // the waiting page, naming the guardian
		g, err := a.guardianOf(u)
		if err != nil {
			return err
		}
		p.Data = map[string]any{"Minor": true, "Guardian": g, "Waiting": a.waitsForGuardian(u), "MailOn": a.mailOn(), "InviteURL": a.absURL(guardianInvitePath)}
		return a.render(c, statusOr(f.Status, fiber.StatusOK), "policies/consent", "", p)
	}
	last := a.lastAccepted(u.ID)
	tr := a.translator(c)
	views := make([]versionView, 0, len(items))
	for _, v := range items {
		vv := a.viewOf(v, p.Lang)
		if ev, ok := last[v.PolicyID]; ok {
			vv.Diff = a.changesSince(ev, vv, tr)
			vv.Since = a.consent.Snapshot().Version(ev.VersionID)
		}
		views = append(views, vv)
	}
	p.Data = map[string]any{"Items": views, "OwnPage": own, "Next": next}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "policies/consent", "policies/_consent_form", p)
}

// lastAccepted maps each policy to the user's latest acceptance of it
// (which version, in which language, the hash of the text).
func (a *App) lastAccepted(userID uint64) map[uint64]store.Acceptance {
	out := map[uint64]store.Acceptance{}
	events, err := a.db.UserAcceptances(userID)
	if err != nil {
		return out
	}
	for _, e := range events { // newest first
		if _, seen := out[e.PolicyID]; !seen && e.Status == store.Accepted {
			out[e.PolicyID] = e
		}
	}
	return out
}

// formAnswers reads the v{versionID} fields of a form.
func formAnswers(f *Form) map[uint64]string {
	out := map[uint64]string{}
	for k, vs := range f.Values {
		if len(k) < 2 || k[0] != 'v' || len(vs) == 0 {
			continue
		}
		if id, err := strconv.ParseUint(k[1:], 10, 64); err == nil {
			out[id] = vs[len(vs)-1]
		}
	}
	return out
}

// answerable is the active version id for signed-in users, or nil.
func (a *App) answerable(id uint64) *store.PolicyVersion {
	return a.consent.Snapshot().Answerable(id)
}

// postConsent records the answers to the versions shown. Every version
// shown must be answered (compulsory: accepted), else 422 and nothing is
// recorded; a version not active or not for this user is 409.
func (a *App) postConsent(c *fiber.Ctx) error {
	u := currentUser(c)
	var in struct {
		Next string `form:"next" validate:"max=2048"`
	}
	f := a.bind(c, &in)
	if a.guardianAnswers(u) {
		return fiber.ErrForbidden
	}
	given := formAnswers(f)
	for id, ans := range given {
		if a.answerable(id) == nil {
			return fiber.NewError(fiber.StatusConflict)
		}
		if ans != "accept" && ans != "decline" {
			f.fail("", a.translator(c).T("consent.partial"))
		}
	}
	items, _ := a.consentItems(u.ID)
	shownGiven := false
	tr := a.translator(c)
	for _, v := range items {
		ans, ok := given[v.ID]
		shownGiven = shownGiven || ok
		if !ok || (!v.Optional && ans != "accept") {
			f.fail("", tr.T("consent.partial"))
			f.fail("v"+strconv.FormatUint(v.ID, 10), unansweredMessage(tr, v))
		}
	}
	// The same form sent twice: everything in it is already answered and
	// the page has moved on; nothing to record, nothing to refuse.
	if f.Invalid() && (shownGiven || len(given) == 0 || !a.allAnswered(u.ID, given)) {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showConsent(c, f)
	}
	if err := a.record(c, u, given, store.ActorSelf, u.ID, "", store.WhereConsent); err != nil {
		return err
	}
	next := safeNext(in.Next)
	if a.consent.Pending(u.ID) {
		to := "/consent"
		if next != "" {
			to += "?next=" + url.QueryEscape(next)
		}
		return a.redirect(c, to)
	}
	return a.redirect(c, orHome(next))
}

// unansweredMessage names the version left unanswered on the consent page
// and what answers it: the summary links to it, and it stands by its choice.
func unansweredMessage(tr *Translator, v *store.PolicyVersion) string {
	t, _ := v.Text(tr.Lang)
	if v.Optional {
		return tr.T("consent.unanswered.optional", "Name", t.Name)
	}
	return tr.T("consent.unanswered.compulsory", "Name", t.Name)
}

// allAnswered reports whether every answer is already the user's.
func (a *App) allAnswered(userID uint64, given map[uint64]string) bool {
	for id, g := range given {
		s := a.consent.Status(userID, id)
		if (g == "accept") != (s == store.Accepted) || s == "" {
			return false
		}
	}
	return true
}

// record stores answers for subject in the language of the page, with the
// hash of the exact text shown.
func (a *App) record(c *fiber.Ctx, subject *store.User, given map[uint64]string, kind store.ActorKind, actorID uint64, note string, where store.Where) error {
	lang := a.translator(c).Lang
	answers := make([]store.Answer, 0, len(given))
	for id, g := range given {
		v := a.answerable(id)
		if v == nil {
			return fiber.NewError(fiber.StatusConflict)
		}
		t, got := v.Text(lang)
		answers = append(answers, store.Answer{UserID: subject.ID, VersionID: id, Accept: g == "accept", Lang: got, TextHash: t.Hash,
			ActorID: actorID, ActorKind: kind, Note: note, Where: where})
	}
	if _, err := a.consent.Record(answers); err != nil {
		return policyErr(err)
	}
	return nil
}

// signupPolicies lists the compulsory versions shown at sign-up.
func (a *App) signupPolicies(c *fiber.Ctx) any {
	var out []versionView
	lang := a.translator(c).Lang
	for _, v := range a.consent.Snapshot().ForUsers() {
		if !v.Optional {
			out = append(out, a.viewOf(v, lang))
		}
	}
	return out
}

// checkSignupPolicies refuses a sign-up that did not accept every
// compulsory version.
func (a *App) checkSignupPolicies(c *fiber.Ctx, f *Form) {
	tr := a.translator(c)
	for _, v := range a.consent.Snapshot().ForUsers() {
		if name := "v" + strconv.FormatUint(v.ID, 10); !v.Optional && !f.Has(name, "accept") {
			f.fail(name, tr.T("consent.required"))
		}
	}
}

// recordSignupPolicies records the new user's acceptances; optional
// versions are asked at first sign-in.
func (a *App) recordSignupPolicies(c *fiber.Ctx, f *Form, u *store.User) error {
	given := map[uint64]string{}
	for _, v := range a.consent.Snapshot().ForUsers() {
		if !v.Optional && f.Has("v"+strconv.FormatUint(v.ID, 10), "accept") {
			given[v.ID] = "accept"
		}
	}
	err := a.record(c, u, given, store.ActorSelf, u.ID, "", store.WhereSignup)
	var fe *fiber.Error
	if errors.As(err, &fe) { // a version retired meanwhile: asked at sign-in
		return nil
	}
	return err
}

// wordDiff shows the changes from old to new, word by word, as HTML with
// <del> and <ins>; every piece of text is escaped.
func wordDiff(old, new string) template.HTML {
	dmp := diffmatchpatch.New()
	codes := map[string]rune{}
	var words []string
	encode := func(s string) []rune {
		var out []rune
		for _, w := range splitWords(s) {
			r, ok := codes[w]
			if !ok {
				r = rune(len(words) + 1)
				if r >= 0xD800 { // skip surrogates: they do not survive a string
					r += 0x800
				}
				codes[w] = r
				words = append(words, w)
			}
			out = append(out, r)
		}
		return out
	}
	a, b := encode(old), encode(new)
	decode := map[rune]string{}
	for w, r := range codes {
		decode[r] = w
	}
	var sb strings.Builder
	for _, d := range dmp.DiffMainRunes(a, b, false) {
		var text strings.Builder
		for _, r := range d.Text {
			text.WriteString(decode[r])
		}
		s := html.EscapeString(text.String())
		switch d.Type {
		case diffmatchpatch.DiffInsert:
			sb.WriteString("<ins>" + s + "</ins>")
		case diffmatchpatch.DiffDelete:
			sb.WriteString("<del>" + s + "</del>")
		default:
			sb.WriteString(s)
		}
	}
	return template.HTML(sb.String())
}

// splitWords cuts s into words and the spaces between them.
func splitWords(s string) []string {
	var out []string
	start := 0
	space := false
	for i, r := range s {
		sp := r == ' ' || r == '\n' || r == '\t' || r == '\r'
		if i > 0 && sp != space {
			out = append(out, s[start:i])
			start = i
		}
		space = sp
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
