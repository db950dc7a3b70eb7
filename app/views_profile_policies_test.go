package app

import (
	"html/template"
	"testing"

	"accord/store"
)

// agreementVariants are the cases of the agreements page: a learner who
// agreed to all, one with answers pending, declined and withdrawn (on the
// card just acted on: done, or refused), a minor whose guardian answers
// (named, invited, or nobody yet), a guardian answering for a minor (answers
// given on the minor's behalf, with a remark), and no policy at all.
var agreementVariants = []string{"all agreed", "pending and withdrawn", "refused card", "done card", "minor, named guardian", "minor, nobody", "guardian for a minor", "no policy"}

// agreementsFixture is the page data of variant v, with hostile values in
// everything a person or an administrator can set.
func agreementsFixture(e *testEnv, lang, variant string, u *store.User) (*agreementsData, *Form) {
	now := e.now
	mk := func(id uint64, optional bool, fallback bool) versionView {
		v := &store.PolicyVersion{ID: id, PolicyID: id + 100, Revision: "1." + hostile, Optional: optional}
		l := lang
		if fallback {
			l = "xx" + hostile
		}
		return versionView{V: v, Text: store.PolicyText{Name: "Name " + hostile}, Lang: l, Fallback: fallback}
	}
	answered := func(r *agreementRow, status store.AcceptStatus, actor uint64, note string) {
		old := &store.PolicyVersion{ID: r.View.V.ID - 50, Revision: "0.9 " + hostile}
		r.Last = &store.Acceptance{ID: 4242 + r.View.V.ID, Status: status, Time: now, ActorID: actor, Note: note}
		r.Answered = versionView{V: old, HTML: template.HTML("<p>Text " + template.HTMLEscapeString(hostile) + "</p>")}
		if status == store.Accepted || r.View.V.Optional {
			r.Status = string(status)
		} else {
			r.Status = "pending"
		}
	}
	rows := []agreementRow{{View: mk(1, false, false)}, {View: mk(2, true, true)}, {View: mk(3, true, false)}, {View: mk(4, false, false)}}
	d := &agreementsData{Base: "/profile/policies", Subject: u, Self: true, CanAnswer: true}
	f := &Form{}
	switch variant {
	case "all agreed":
		for i := range rows {
			answered(&rows[i], store.Accepted, 0, "")
		}
	case "pending and withdrawn", "refused card", "done card":
		answered(&rows[0], store.Accepted, 0, "")
		rows[1].Status = "pending"
		answered(&rows[2], store.Withdrawn, 0, "")
		answered(&rows[3], store.Declined, 0, "")
		switch variant {
		case "refused card":
			d.Card = 4
			f.Status = 422
			f.fail("", "Refused "+hostile)
		case "done card":
			d.Card = 3
			d.Done = "Done " + hostile
		}
	case "minor, named guardian", "minor, nobody":
		d.CanAnswer = false
		answered(&rows[0], store.Accepted, 99, "")
		rows[1].Status = "pending"
		answered(&rows[2], store.Declined, 99, "Note "+hostile)
		rows[2].ActorName = "Guardian " + hostile
		rows[3].Status = "pending"
		if variant == "minor, named guardian" {
			d.Guardian = &guardianView{Name: "Guardian " + hostile, Email: "g+" + hostile + "@example.org", Linked: true}
		}
	case "guardian for a minor":
		d.Self, d.Base = false, "/profile/minors/12/policies"
		for i := range rows[:3] {
			answered(&rows[i], store.Accepted, 7, "Remark "+hostile)
			rows[i].ActorName = "Guardian " + hostile
		}
		rows[3].Status = "pending"
		f.fail("", "Whole form "+hostile) // shown above the cards: no card acted on
	case "no policy":
		rows = nil
	}
	d.Rows = rows
	return d, f
}

// Ensure that the Go agreements page writes what its templates write, for
// every variant of agreementVariants, with and without the cookie banner
// and a flash, in both languages.
func TestAgreementsMatchesTemplate(t *testing.T) {
	e := newEnv(t)
	learner := &store.User{ID: 7, Email: "ada@example.org", FirstName: hostile, LastName: "Lovelace", Role: store.RoleLearner}
	minor := &store.User{ID: 12, Email: "m@example.org", FirstName: "Minor " + hostile, Role: store.RoleLearner}
	n := 0
	for _, lang := range Langs {
		for _, variant := range agreementVariants {
			for frame := range 2 {
				subject := learner
				if variant == "guardian for a minor" {
					subject = minor
				}
				p := fastPage(e, lang, "/profile/policies", learner, frame)
				d, f := agreementsFixture(e, lang, variant, subject)
				p.Data, p.Form = d, f
				p.Title = p.T("agreements.minor.title", "Name", subject.Name())
				fastViewCase(t, e, "policies/agreements", p, lang+", "+variant+", frame "+string(rune('0'+frame)))
				n++
			}
		}
	}
	t.Logf("%d agreements pages compared", n)
}
