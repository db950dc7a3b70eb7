package app

import (
	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// What changed in the cookie register since the person's last choice
// (issue 12.6), told by the banner that asks again and by the preferences
// page: one whole sentence per cookie and aspect, in the reader's language.

// maxChangeLines bounds the sentences shown; the rest are counted.
const maxChangeLines = 5

// changeAspect is the sentence a changed field of a register entry takes
// (purpose and duration are one aspect in both languages).
var changeAspect = map[string]string{
	"name": "renamed", "category": "category", "purpose_en": "purpose", "purpose_fr": "purpose",
	"duration_en": "duration", "duration_fr": "duration", "provider": "provider",
}

// registerChanges are the sentences saying what changed since the choice
// the request's person made on an older revision of the register, or nil
// when they are not asked again for that reason.
func (a *App) registerChanges(c *fiber.Ctx) []string {
	var userID uint64
	if u := currentUser(c); u != nil {
		userID = u.ID
	}
	rev, ok := a.cookies.Outdated(userID, browserConsentID(c))
	if !ok {
		return nil
	}
	return changeSentences(a.translator(c), a.cookies.ChangesSince(rev))
}

// changeSentences tells changes in tr's language; with none known (a
// revision older than the change log), one sentence says the list changed.
func changeSentences(tr *Translator, changes []store.CookieChange) []string {
	var out []string
	for _, ch := range changes {
		cat := string(ch.Category)
		if ch.Added {
			out = append(out, tr.T("cookies.changes.added."+cat, "Name", ch.Name))
			continue
		}
		said := map[string]bool{}
		for _, f := range ch.Fields {
			if asp := changeAspect[f]; asp != "" && !said[asp] {
				said[asp] = true
				out = append(out, tr.T("cookies.changes."+asp+"."+cat, "Name", ch.Name))
			}
		}
	}
	if len(out) == 0 {
		return []string{tr.T("cookies.changes.unknown")}
	}
	if len(out) > maxChangeLines {
		more := len(out) - (maxChangeLines - 1)
		out = append(out[:maxChangeLines-1], tr.N("cookies.changes.more", more))
	}
	return out
}
