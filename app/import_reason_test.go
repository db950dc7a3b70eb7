package app

import (
	"testing"

	"accord/store"
)

// Ensure that an import row the store refused reads as the API's message
// for the same refusal, in each language, and a row the checks refused as
// its check's message.
func TestImportReason(t *testing.T) {
	e := newEnv(t)
	for _, lang := range Langs {
		tr := e.app.tr[lang]
		for _, tc := range []struct {
			name string
			e    store.ImportError
			want string
		}{
			{"no account with that email", store.ImportError{Code: store.ItemCode(store.ErrUnknownUser)}, tr.T("api.error.unknown_user")},
			{"no course with that code", store.ImportError{Code: store.ItemCode(store.ErrUnknownCourse)}, tr.T("api.error.unknown_course")},
			{"progress without an enrolment", store.ImportError{Code: store.ItemCode(store.ErrNotEnrolled)}, tr.T("api.error.not_enrolled")},
			{"a cell that is no number", store.ImportError{Field: "percent", Code: "number"}, tr.T("import.reason.number", "Param", "")},
			{"an email cell left empty", store.ImportError{Field: "email", Code: "required"}, tr.T("validation.required", "Param", "")},
		} {
			if got := importReason(tr, &tc.e); got != tc.want || got == "" {
				t.Errorf("%s, %s: got %q, want %q", lang, tc.name, got, tc.want)
			}
		}
	}
}
