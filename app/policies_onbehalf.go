package app

import (
	"errors"
	"strconv"
	"strings"

	"accord/app/consent"
	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// onBehalfForm is an answer staff give on people's behalf: the rows
// ticked, each "userID:versionID" (a row of the report or of a user's
// page), the answer, the remark, and the page to go back to.
type onBehalfForm struct {
	Rows    []string `form:"row" validate:"max=500,dive,max=41"`
	Answer  string   `form:"answer" validate:"required,oneof=accept decline withdraw"`
	Note    string   `form:"note" validate:"max=1000"`
	Confirm string   `form:"confirm"`
	Back    string   `form:"back" validate:"max=2048"`
}

// behalfRow is one person × version on the confirmation page and in the
// result message.
type behalfRow struct {
	Name, Email string
	Policy      string // name and revision, in the reader's language
	Skip        string // "" (recorded) or a consent.Skip, or "no_account"
}

// skipNoAccount: the row names an account that does not exist (erased
// since the page was shown).
const skipNoAccount = "no_account"

// onBehalfBack is where an on-behalf answer returns: the report or the
// user's page it came from, else the report.
func onBehalfBack(back string) string {
	b := safeNext(back)
	if path, _, _ := strings.Cut(b, "?"); path == "/admin/agreements" || strings.HasPrefix(path, "/admin/users/") {
		return b
	}
	return "/admin/agreements"
}

// readPicks turns "userID:versionID" rows into picks; rows naming an
// account that does not exist come back as missing. A row that cannot be
// read is bad input (ok false).
func (a *App) readPicks(rows []string) (picks []consent.Pick, missing []behalfRow, ok bool, err error) {
	users := map[uint64]*store.User{}
	for _, r := range rows {
		us, vs, found := strings.Cut(r, ":")
		uid, err1 := strconv.ParseUint(us, 10, 64)
		vid, err2 := strconv.ParseUint(vs, 10, 64)
		if !found || err1 != nil || err2 != nil {
			return nil, nil, false, nil
		}
		u, seen := users[uid]
		if !seen {
			u, err = a.db.User(uid)
			if errors.Is(err, store.ErrNotFound) {
				u, err = nil, nil
			} else if err != nil {
				return nil, nil, false, err
			}
			users[uid] = u
		}
		if u == nil {
			missing = append(missing, behalfRow{Name: "#" + us, Email: "—", Policy: "#" + vs, Skip: skipNoAccount})
			continue
		}
		picks = append(picks, consent.Pick{User: u, VersionID: vid})
	}
	return picks, missing, true, nil
}

// postAnswerOnBehalf answers for people, in two steps: without confirm it
// shows what would be recorded and what skipped (consent.Service.OnBehalf
// decides); with confirm and a remark it records and goes back with a
// message naming what was recorded and what skipped. A row not pending
// for its person is skipped and reported, never recorded.
func (a *App) postAnswerOnBehalf(c *fiber.Ctx) error {
	var in onBehalfForm
	f := a.bind(c, &in)
	tr := a.translator(c)
	picks, missing, ok, err := a.readPicks(in.Rows)
	if err != nil {
		return err
	}
	if !ok {
		f.fail("row", tr.T("agreements.answer.bad_row"))
	} else if len(picks)+len(missing) == 0 {
		f.fail("row", tr.T("agreements.answer.pick_rows"))
	}
	note := strings.TrimSpace(in.Note)
	if note == "" && f.Err("note") == "" {
		f.fail("note", tr.T("validation.required"))
	}
	act := consent.Act(in.Answer)
	staff := currentUser(c)
	var ds []consent.Decision
	if act.Valid() {
		ds = a.consent.OnBehalf(staff, act, picks, a.db.Now(), a.Settings().DigitalConsentAge)
	}
	if f.Invalid() || in.Confirm == "" {
		if f.Invalid() {
			f.Status = fiber.StatusUnprocessableEntity
		}
		return a.showOnBehalfConfirm(c, f, in, a.behalfRows(tr.Lang, ds, missing))
	}
	recorded, err := a.consent.Record(consent.Answers(ds, act, staff, note))
	if err != nil {
		return policyErr(err)
	}
	a.flashOnBehalf(c, act, ds, recorded, missing)
	return a.redirect(c, onBehalfBack(in.Back))
}

// showOnBehalfConfirm is the confirmation step: the people and versions
// about to be recorded, those that will be skipped and why, the remark.
func (a *App) showOnBehalfConfirm(c *fiber.Ctx, f *Form, in onBehalfForm, rows []behalfRow) error {
	p := a.page(c, "agreements.answer.title")
	p.Form = f
	var record, skip []behalfRow
	for _, r := range rows {
		if r.Skip == "" {
			record = append(record, r)
		} else {
			skip = append(skip, r)
		}
	}
	p.Data = map[string]any{"Record": record, "Skip": skip, "Rows": in.Rows, "Answer": in.Answer, "Back": onBehalfBack(in.Back)}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "policies/answer_confirm", "", p)
}

// behalfRows names each decision for the reader.
func (a *App) behalfRows(lang string, ds []consent.Decision, missing []behalfRow) []behalfRow {
	out := make([]behalfRow, 0, len(ds)+len(missing))
	for _, d := range ds {
		r := behalfRow{Name: d.User.Name(), Email: d.User.Email, Skip: string(d.Skip), Policy: "#" + strconv.FormatUint(d.VersionID, 10)}
		if v := d.Version; v != nil {
			t, _ := v.Text(lang)
			r.Policy = t.Name + " " + v.Revision
		}
		out = append(out, r)
	}
	return append(out, missing...)
}

// maxListed bounds the people a result message names one by one.
const maxListed = 10

// flashOnBehalf says what was recorded (the events Record returned: a
// decision answered meanwhile by someone else records nothing and is
// skipped as answered) and what was skipped, and why.
func (a *App) flashOnBehalf(c *fiber.Ctx, act consent.Act, ds []consent.Decision, events []store.Acceptance, missing []behalfRow) {
	tr := a.translator(c)
	type pair struct{ u, v uint64 }
	got := map[pair]bool{}
	for _, e := range events {
		got[pair{e.UserID, e.VersionID}] = true
	}
	for i, d := range ds {
		if d.Skip == "" && !got[pair{d.User.ID, d.Version.ID}] {
			ds[i].Skip = consent.SkipAnswered
		}
	}
	var done, skipped []string
	for _, r := range a.behalfRows(tr.Lang, ds, missing) {
		if r.Skip == "" {
			done = append(done, tr.T("agreements.answer.item", "Name", r.Name, "Email", r.Email, "Policy", r.Policy))
		} else {
			skipped = append(skipped, tr.T("agreements.answer.skipped_item", "Name", r.Name, "Email", r.Email, "Policy", r.Policy,
				"Reason", tr.T("agreements.skip."+r.Skip)))
		}
	}
	list := func(items []string) string {
		if len(items) > maxListed {
			return strings.Join(items[:maxListed], "; ") + " " + tr.T("agreements.answer.more", "Count", len(items)-maxListed)
		}
		return strings.Join(items, "; ")
	}
	switch {
	case len(done) == 0:
		a.flash(c, "error", "agreements.answer.none", "Skipped", len(skipped), "SkippedList", list(skipped))
	case len(skipped) == 0:
		a.flash(c, "ok", "agreements.answer.done_"+string(act), "Count", len(done), "List", list(done))
	default:
		a.flash(c, "info", "agreements.answer.done_"+string(act)+"_skipped", "Count", len(done), "List", list(done),
			"Skipped", len(skipped), "SkippedList", list(skipped))
	}
}

// postAcceptOnBehalf is the contract's one-step form (CONTRACT.md: `user`
// repeated as emails, `version`, `note`): the same rule and message as
// the report's, for scripted use; the pages use postAnswerOnBehalf.
func (a *App) postAcceptOnBehalf(c *fiber.Ctx) error {
	var in struct {
		Users   []string `form:"user" validate:"max=500,dive,max=254"`
		Version uint64   `form:"version"`
		Note    string   `form:"note" validate:"required,max=1000"`
	}
	f := a.bind(c, &in)
	tr := a.translator(c)
	if len(in.Users) == 0 {
		f.fail("user", tr.T("agreements.pick_users"))
	}
	var picks []consent.Pick
	for _, email := range in.Users {
		u, err := a.db.UserByEmail(email)
		if errors.Is(err, store.ErrNotFound) {
			f.fail("user", tr.T("agreements.unknown_user", "Email", email))
			continue
		} else if err != nil {
			return err
		}
		picks = append(picks, consent.Pick{User: u, VersionID: in.Version})
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showAgreementsReport(c, f)
	}
	staff := currentUser(c)
	ds := a.consent.OnBehalf(staff, consent.ActAccept, picks, a.db.Now(), a.Settings().DigitalConsentAge)
	events, err := a.consent.Record(consent.Answers(ds, consent.ActAccept, staff, strings.TrimSpace(in.Note)))
	if err != nil {
		return policyErr(err)
	}
	a.flashOnBehalf(c, consent.ActAccept, ds, events, nil)
	return a.redirect(c, "/admin/agreements?version="+strconv.FormatUint(in.Version, 10))
}
