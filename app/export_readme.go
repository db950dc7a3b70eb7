package app

import (
	"reflect"
	"strings"
	"time"

	"accord/store"
)

// README.txt names every file of the export and every field of its JSON
// files, with what it means and its type, in the person's language: the
// files are for other software, the README for whoever writes it.

// exportTypes are the records' types of the kinds whose records are
// emitted as exported store types, so README.txt names their fields even
// when the person has none. Other kinds are described from the records
// themselves.
var exportTypes = map[string]reflect.Type{
	"users":            reflect.TypeFor[store.User](),
	"acceptances":      reflect.TypeFor[store.Acceptance](),
	"audit":            reflect.TypeFor[store.AuditEvent](),
	"cookie_consents":  reflect.TypeFor[store.CookieConsent](),
	"data_requests":    reflect.TypeFor[store.DataRequest](),
	"guardian_invites": reflect.TypeFor[store.GuardianInvite](),
	"dpo_threads":      reflect.TypeFor[store.DPOThread](),
	"dpo_messages":     reflect.TypeFor[store.DPOMessage](),
	"notifications":    reflect.TypeFor[store.Notification](),
	"outbox":           reflect.TypeFor[store.OutMail](),
	"password_resets":  reflect.TypeFor[store.PasswordReset](),
	"progress":         reflect.TypeFor[store.Progress](),
	"retention_flags":  reflect.TypeFor[store.RetentionFlag](),
	"sessions":         reflect.TypeFor[store.Session](),
}

// jsonField is one field of a JSON file: its name (nested ones as
// "erasure[].kept") and its kind (a locale key suffix).
type jsonField struct{ Name, Kind string }

var timeType = reflect.TypeFor[time.Time]()

// jsonFields lists the fields t is written with by encoding/json.
func jsonFields(t reflect.Type, prefix string) []jsonField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType {
		return nil
	}
	var out []jsonField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			out = append(out, jsonFields(f.Type, prefix)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		out = append(out, jsonField{prefix + name, jsonKind(ft)})
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			out = append(out, jsonFields(ft.Elem(), prefix+name+"[].")...)
		} else if ft.Kind() == reflect.Struct && ft != timeType {
			out = append(out, jsonFields(ft, prefix+name+".")...)
		}
	}
	return out
}

func jsonKind(t reflect.Type) string {
	switch {
	case t == timeType:
		return "date"
	case t.Kind() == reflect.Bool:
		return "bool"
	case t.Kind() == reflect.String:
		return "text"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64:
		return "number"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "list"
	}
	return "object"
}

// fields lists the fields of a section's JSON file.
func (s *letterSection) fields() []jsonField {
	if s.mapKeys != nil {
		out := make([]jsonField, len(s.mapKeys))
		for i, k := range s.mapKeys {
			out[i] = jsonField{k, "value"}
		}
		return out
	}
	if s.typ != nil {
		return jsonFields(s.typ, "")
	}
	if t, ok := exportTypes[s.Bucket]; ok {
		return jsonFields(t, "")
	}
	return nil
}

// leaf is the last segment of a nested field's name, which its label uses.
func leaf(name string) string {
	if i := strings.LastIndexAny(name, ".]"); i >= 0 {
		return strings.TrimPrefix(name[i+1:], ".")
	}
	return name
}

// readme is README.txt: what each file holds and what each field means.
func (l *letter) readme(page *exportPage) string {
	tr := l.tr
	var b strings.Builder
	b.WriteString(tr.T("export.readme", "Site", page.SiteName, "Date", tr.DateTime(page.Generated)))
	b.WriteString("\n\n")
	b.WriteString(tr.T("export.readme.files"))
	b.WriteString("\n\nindex.html\n    ")
	b.WriteString(tr.T("export.readme.index"))
	b.WriteString("\ntexts/<sha-256>.txt\n    ")
	b.WriteString(tr.T("export.readme.texts"))
	b.WriteString("\n")
	for _, s := range append(append([]*letterSection{}, page.Sections...), page.Empty...) {
		b.WriteString("\n")
		b.WriteString(s.File)
		b.WriteString("\n    ")
		b.WriteString(s.Title)
		b.WriteString(" — ")
		b.WriteString(tr.N("export.count", s.Count))
		b.WriteString("\n")
		for _, f := range s.fields() {
			b.WriteString("    ")
			b.WriteString(tr.T("export.readme.field", "Name", f.Name, "Kind", tr.T("export.kind_of."+f.Kind),
				"Label", fieldLabel(tr, leaf(f.Name))))
			b.WriteString("\n")
		}
	}
	return b.String()
}
