package app

import (
	"strings"

	"accord/store"
)

// What an erasure keeps of protected data, as the person and the officer
// read it (store/erasure_held.go decides what is kept and until when).

// lastMailBody is the rule of what the erased person is told, and when:
//
//   - once, at the erasure, by mail to the address the account had, in the
//     account's language, when mail is configured: that everything is
//     erased (notice.erased.body), or everything but the protected data
//     the mail lists — what, why, until when (notice.erased.body_kept);
//   - never afterwards: keeping their address, or anything else that names
//     them, to announce the later erasure would keep data they asked us to
//     erase and that no protection covers. The kept data go without a
//     message, when the mail said; the request's report records the date;
//   - without mail, nothing: an in-app notice would go with the account.
//
// It returns the body's key, or "" when nothing is sent.
func lastMailBody(mailOn bool, kept []store.Kept) string {
	switch {
	case !mailOn:
		return ""
	case len(kept) > 0:
		return "notice.erased.body_kept"
	}
	return "notice.erased.body"
}

// keptRow is a line of the report's "kept, and why", in the reader's
// language.
type keptRow struct{ Category, Name, Why, Until string }

// keptRows are kept's lines in tr's language.
func keptRows(tr *Translator, kept []store.Kept) []keptRow {
	var out []keptRow
	for _, k := range kept {
		out = append(out, keptRow{k.Category, tr.Pick(k.Name), tr.Pick(k.Why), keptUntil(tr, k)})
	}
	return out
}

// keptLines says, one line each, what kept keeps, why and until when, in
// tr's language.
func keptLines(tr *Translator, kept []store.Kept) string {
	var lines []string
	for _, k := range keptRows(tr, kept) {
		lines = append(lines, "- "+tr.T("erasure.kept.line", "Name", k.Name, "Why", k.Why, "Until", k.Until))
	}
	return strings.Join(lines, "\n")
}

// keptUntil says until when k is kept, in tr's language.
func keptUntil(tr *Translator, k store.Kept) string {
	switch {
	case !k.ErasedAt.IsZero():
		return tr.T("erasure.kept.erased_on", "Date", tr.Date(k.ErasedAt))
	case !k.Later:
		return tr.T("erasure.kept.anonymous")
	case k.Rule == store.RetainCourse:
		return tr.T("erasure.kept.while_enrolled")
	}
	return tr.T("erasure.kept.until", "Date", tr.Date(k.Until))
}

// eraseHeld is the daily review's later step of the erasures that kept
// protected data: each kept category whose retention has ended is erased,
// then the file compacted (store.EraseHeld). What is still kept waits for
// the next review; an error (a compaction that found the database busy)
// is tried again then.
func (a *App) eraseHeld() {
	held, err := a.db.HeldErasures()
	if err != nil {
		a.log.Error("erase kept data", "err", err)
		return
	}
	for _, h := range held {
		done, err := a.db.EraseHeld(h.RequestID)
		if err != nil {
			a.log.Error("erase kept data", "request", h.RequestID, "err", err)
			continue
		}
		if done {
			a.log.Info("kept data erased, the file compacted", "request", h.RequestID)
		}
	}
}
