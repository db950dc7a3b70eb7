package app

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"accord/store"
)

// letterRows turns the records kept for the letter into table rows, in the
// reader's language: codes become words, ids become names.
type letterRows struct {
	a       *App
	tr      *Translator
	texts   map[string]bool
	hashes  []string          // the texts answered, in the order first met
	threads map[uint64]string // DPO thread → subject
	courses map[uint64]string // course → title, looked up once each
}

// code translates a coded value under prefix, or shows the code itself.
func (r *letterRows) code(prefix, v string) string {
	if v == "" {
		return ""
	}
	if s := r.tr.T(prefix + v); s != prefix+v {
		return s
	}
	return v
}

func (r *letterRows) label(field string) string { return fieldLabel(r.tr, field) }

// fieldLabel names a field of the JSON files in the reader's language (also
// for README.txt); a field without a label shows its own name.
func fieldLabel(tr *Translator, field string) string {
	key := "export.field." + field
	if s := tr.T(key); s != key {
		return s
	}
	return field
}

func (r *letterRows) date(t time.Time) letterCell { return letterCell{Text: r.tr.DateTime(t)} }

func (r *letterRows) yesNo(b bool) letterCell {
	if b {
		return letterCell{Text: r.tr.T("export.yes")}
	}
	return letterCell{Text: r.tr.T("export.no")}
}

func text(s string) letterCell { return letterCell{Text: s} }

func (r *letterRows) course(id uint64) string {
	if t, ok := r.courses[id]; ok {
		return t
	}
	t := "#" + strconv.FormatUint(id, 10)
	if c, err := r.a.db.Course(id); err == nil {
		t = c.Title(r.tr.Lang)
	}
	r.courses[id] = t
	return t
}

// policy names the version an answer was about: "Privacy policy (2.0)".
func (r *letterRows) policy(versionID uint64) string {
	v := r.a.consent.Snapshot().Version(versionID)
	if v == nil {
		var err error
		if v, err = r.a.db.PolicyVersion(versionID); err != nil {
			return "#" + strconv.FormatUint(versionID, 10)
		}
	}
	t, _ := v.Text(r.tr.Lang)
	if v.Revision == "" {
		return t.Name
	}
	return t.Name + " (" + v.Revision + ")"
}

// account is the person's account as labelled values.
func (r *letterRows) account(u *store.User) []letterField {
	f := []letterField{
		{r.label("name"), u.Name()},
		{r.label("email"), u.Email},
		{r.label("lang"), r.code("export.lang.", u.Lang)},
		{r.label("role"), r.code("role.", string(u.Role))},
		{r.label("created_at"), r.tr.DateTime(u.CreatedAt)},
	}
	if !u.LastLoginAt.IsZero() {
		f = append(f, letterField{r.label("last_login_at"), r.tr.DateTime(u.LastLoginAt)})
	}
	if u.BirthDate != "" {
		f = append(f, letterField{r.label("birth_date"), u.BirthDate})
	}
	if u.GuardianID != 0 {
		f = append(f, letterField{r.label("guardian_id"), r.guardian(u.GuardianID)})
	}
	if u.Suspended {
		f = append(f, letterField{r.label("suspended"), r.tr.T("export.yes")})
	}
	return f
}

func (r *letterRows) guardian(id uint64) string {
	if g, err := r.a.db.User(id); err == nil {
		return g.Name()
	}
	return "#" + strconv.FormatUint(id, 10)
}

// build fills s.Head and s.Rows from the records kept, by their type;
// a kind this file does not know is shown field by field (generic).
func (r *letterRows) build(s *letterSection) {
	if s.progress != nil {
		r.progress(s)
		return
	}
	if s.Count > len(s.kept) {
		s.Note = r.tr.T("export.shown", "Shown", r.tr.Number(len(s.kept)), "Count", r.tr.Number(s.Count), "File", s.File)
	}
	for _, v := range s.kept {
		head, row := r.row(v)
		if s.Head == nil {
			s.Head = head
		}
		s.Rows = append(s.Rows, row)
	}
}

// row is one record's head and cells.
func (r *letterRows) row(v any) (head []string, row []letterCell) {
	h := func(fields ...string) []string {
		out := make([]string, len(fields))
		for i, f := range fields {
			out[i] = r.label(f)
		}
		return out
	}
	switch x := v.(type) {
	case *store.Acceptance:
		hash := letterCell{Text: x.TextHash, Code: true}
		if x.TextHash != "" {
			hash.Href = textFile(x.TextHash)
			if !r.texts[x.TextHash] {
				r.texts[x.TextHash] = true
				r.hashes = append(r.hashes, x.TextHash)
			}
		}
		return h("policy", "status", "time", "actor_kind", "text_hash"), []letterCell{
			text(r.policy(x.VersionID)), text(r.code("agreements.status.", string(x.Status))), r.date(x.Time),
			text(r.code("agreements.actor.", string(x.ActorKind))), hash}
	case *store.AuditEvent:
		return h("time", "action", "detail"), []letterCell{r.date(x.Time), text(r.code("audit.action.", string(x.Action))), text(x.Detail)}
	case *store.CookieConsent:
		var allowed []string
		for cat, on := range x.Decisions {
			if on {
				allowed = append(allowed, r.code("cookies.category.", string(cat)))
			}
		}
		sort.Strings(allowed)
		return h("time", "state", "decisions", "method", "valid_until"), []letterCell{r.date(x.Time),
			text(r.code("cookies.state.", string(x.State))), text(strings.Join(allowed, ", ")),
			text(r.code("cookies.method.", string(x.Method))), r.date(x.ValidUntil)}
	case *store.DataRequest:
		return h("id", "type", "status", "created_at", "due_at", "note"), []letterCell{text(r.tr.Number(int(x.ID))),
			text(r.code("requests.kind.", string(x.Type))), text(r.code("requests.status.", string(x.Status))),
			r.date(x.CreatedAt), r.date(x.DueAt), text(x.Note)}
	case *store.DPOThread:
		return h("subject", "status", "messages", "created_at", "updated_at"), []letterCell{text(x.Subject),
			text(r.code("dpo.status.", string(x.Status))), text(r.tr.Number(x.Messages)), r.date(x.CreatedAt), r.date(x.UpdatedAt)}
	case *store.DPOMessage:
		from := r.tr.T("dpo.author.you")
		if x.Staff {
			from = r.tr.T("dpo.author.officer")
		}
		subject, ok := r.threads[x.ThreadID]
		if !ok {
			subject = "#" + strconv.FormatUint(x.ThreadID, 10)
		}
		return h("thread_id", "at", "staff", "body"), []letterCell{text(subject), r.date(x.At), text(from), text(x.Body)}
	case *store.Notification:
		return h("created_at", "subject", "read"), []letterCell{r.date(x.CreatedAt), text(r.tr.T(x.Subject, x.Args...)), r.yesNo(x.Read)}
	case *store.Session:
		return h("created_at", "last_seen"), []letterCell{r.date(x.CreatedAt), r.date(x.LastSeen)}
	case *store.PasswordReset:
		return h("created_at", "expires_at", "used_at"), []letterCell{r.date(x.CreatedAt), r.date(x.ExpiresAt), r.date(x.UsedAt)}
	case *store.OutMail:
		return h("created_at", "to", "subject"), []letterCell{r.date(x.CreatedAt), text(x.To), text(x.Subject)}
	case *store.RetentionFlag:
		return h("flagged_at", "reason"), []letterCell{r.date(x.FlaggedAt),
			text(r.tr.T("retention.reason."+x.Reason, "Date", r.tr.Date(x.Since)))}
	}
	return r.generic(v)
}

// generic shows a record of a kind row does not know, field by field:
// labels translated where known, dates written out, course ids named.
func (r *letterRows) generic(v any) (head []string, row []letterCell) {
	data, err := json.Marshal(v)
	if err != nil {
		return []string{r.label("value")}, []letterCell{text(fmt.Sprint(v))}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return []string{r.label("value")}, []letterCell{text(string(data))}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "user_id" && !strings.HasPrefix(k, "course_title_") && k != "course_code" { // the reader; titles shown as "course"
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		head = append(head, r.label(k))
		row = append(row, r.value(k, m[k]))
	}
	return head, row
}

// value writes one JSON value for people.
func (r *letterRows) value(field string, raw json.RawMessage) letterCell {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return r.date(t)
		}
		return text(s)
	}
	var n uint64
	if json.Unmarshal(raw, &n) == nil && field == "course_id" {
		return text(r.course(n))
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return r.yesNo(b)
	}
	return letterCell{Text: string(raw), Code: true}
}

// progress summarises course progress: one row per course.
func (r *letterRows) progress(s *letterSection) {
	ids := make([]uint64, 0, len(s.progress.courses))
	for id := range s.progress.courses {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return r.course(ids[i]) < r.course(ids[j]) })
	s.Head = []string{r.label("course"), r.label("activities"), r.tr.T("courses.status.completed"),
		r.tr.T("courses.status.in_progress"), r.label("percent"), r.label("updated_at")}
	s.Note = r.tr.T("export.summary", "File", s.File)
	for _, id := range ids {
		c := s.progress.courses[id]
		s.Rows = append(s.Rows, []letterCell{text(r.course(id)), text(r.tr.Number(c.activities)),
			text(r.tr.Number(c.completed)), text(r.tr.Number(c.started)),
			text(r.tr.T("export.percent", "Percent", r.tr.Number(c.percent/c.activities))), r.date(c.last)})
	}
}
