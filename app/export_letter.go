package app

import (
	"reflect"
	"sort"
	"time"

	"accord/store"
)

// The export's index.html is a letter to the person (GDPR art. 12:
// "concise, transparent, intelligible"): in their language, a table of
// contents, one section per kind of data with translated labels and values
// (policy names, statuses, course titles), dates as people write them, the
// texts they answered linked with their hash. Large kinds are summarised
// (course progress per course) or shown in part; the JSON files hold all.

// letterOrder is the order of the sections: what people look for first.
// Kinds of data not named here follow, in the inventory's order.
var letterOrder = []string{"users", "acceptances", "cookie_consents", "data_requests", "dpo_threads", "dpo_messages",
	"enrolments", "progress", "notifications", "sessions", "password_resets", "outbox", "enrolment_ends",
	"retention_flags", "audit"}

// exportPage is what views/requests/export.html receives.
type exportPage struct {
	*Translator
	User      *store.User
	SiteName  string
	Generated time.Time
	Account   []letterField    // the account, as a list of labelled values
	Sections  []*letterSection // kinds with records, in letterOrder
	Empty     []*letterSection // kinds with nothing about the person
	Texts     []letterText     // the policy texts answered
	Courses   []string         // a limited export: the only courses it holds
}

// letterSection is one kind of data in the letter.
type letterSection struct {
	Bucket string
	File   string
	Title  string
	Count  int
	Note   string   // what the table shows when it is not every record
	Head   []string // column labels
	Rows   [][]letterCell

	kept     []any          // the first exportSample records, built into Rows at the end
	typ      reflect.Type   // the records' type, for the README
	mapKeys  []string       // the keys of map records (no struct to reflect)
	progress *progressTally // course progress, summarised as it streams
}

// letterCell is one value in a table: text, maybe a link, maybe code.
type letterCell struct {
	Text string
	Href string
	Code bool // a hash or an identifier: shown in monospace
}

// letterField is one labelled value of the account.
type letterField struct{ Label, Value string }

// letterText is one policy text the person answered, as put in the ZIP.
type letterText struct {
	Hash, File, Content string
}

// letter gathers the sections while the export streams.
type letter struct {
	tr       *Translator
	cur      *letterSection
	sections map[string]*letterSection
	order    []string // inventory order, for the kinds letterOrder does not name
	user     *store.User
}

func newLetter(tr *Translator) *letter {
	return &letter{tr: tr, sections: map[string]*letterSection{}}
}

// start opens the section of one kind of data.
func (l *letter) start(in store.BucketInfo) {
	l.cur = &letterSection{Bucket: in.Name, File: "data/" + in.Name + ".json", Title: kindLabel(l.tr, in)}
	if in.Name == "progress" {
		l.cur.progress = &progressTally{courses: map[uint64]*courseTally{}}
	}
	l.sections[in.Name] = l.cur
	l.order = append(l.order, in.Name)
}

// add takes one record of the current kind. It runs inside the export's
// read transaction: it only keeps or counts, and looks nothing up.
func (l *letter) add(v any) {
	s := l.cur
	s.Count++
	if s.typ == nil {
		s.typ = reflect.TypeOf(v)
		if m, ok := v.(map[string]any); ok {
			for k := range m {
				s.mapKeys = append(s.mapKeys, k)
			}
			sort.Strings(s.mapKeys)
		}
	}
	if u, ok := v.(*store.User); ok && l.user == nil {
		l.user = u
	}
	if p, ok := v.(*store.Progress); ok && s.progress != nil {
		s.progress.add(p)
		return
	}
	if len(s.kept) < exportSample {
		s.kept = append(s.kept, v)
	}
}

// progressTally sums course progress per course.
type progressTally struct {
	courses map[uint64]*courseTally
}

type courseTally struct {
	activities, completed, started, percent int
	last                                    time.Time
}

func (t *progressTally) add(p *store.Progress) {
	c := t.courses[p.CourseID]
	if c == nil {
		c = &courseTally{}
		t.courses[p.CourseID] = c
	}
	c.activities++
	c.percent += p.Percent
	switch p.Status {
	case store.ProgressCompleted:
		c.completed++
	case store.ProgressInProgress:
		c.started++
	}
	if p.UpdatedAt.After(c.last) {
		c.last = p.UpdatedAt
	}
}

// finish builds the letter's page once the transaction ended: rows with
// names looked up (policies, courses, threads) and the texts answered.
func (a *App) finishLetter(l *letter, now time.Time) *exportPage {
	page := &exportPage{Translator: l.tr, User: l.user, SiteName: a.Settings().SiteName, Generated: now}
	rows := &letterRows{a: a, tr: l.tr, texts: map[string]bool{}, threads: map[uint64]string{}, courses: map[uint64]string{}}
	if t := l.sections["dpo_threads"]; t != nil {
		for _, v := range t.kept {
			if th, ok := v.(*store.DPOThread); ok {
				rows.threads[th.ID] = th.Subject
			}
		}
	}
	seen := map[string]bool{}
	var names []string
	for _, n := range append(append([]string{}, letterOrder...), l.order...) {
		if !seen[n] && l.sections[n] != nil {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, n := range names {
		s := l.sections[n]
		if s.Count == 0 {
			page.Empty = append(page.Empty, s)
			continue
		}
		if n == "users" && l.user != nil {
			page.Account = rows.account(l.user)
			page.Sections = append(page.Sections, s)
			continue
		}
		rows.build(s)
		page.Sections = append(page.Sections, s)
	}
	for _, h := range rows.hashes {
		content, err := a.db.PolicyText(h)
		if err != nil {
			continue // a text never stored (an agreement recorded without one): the hash alone stays
		}
		page.Texts = append(page.Texts, letterText{Hash: h, File: textFile(h), Content: content})
	}
	return page
}

// textFile is where a policy text goes in the ZIP: named by its SHA-256,
// so anyone can check that the file is the text that was shown.
func textFile(hash string) string { return "texts/" + hash + ".txt" }
