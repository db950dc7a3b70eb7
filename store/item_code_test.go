package store

import (
	"errors"
	"fmt"
	"testing"
)

// Ensure that an item's own refusals have one list: each error, wrapped or
// not, has its code, which ItemRefusal knows and itemError tells from a
// store failure; any other error is "invalid", no refusal of the item.
func TestItemCodes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		code    string
		refusal bool
	}{
		{"the learner's email is no account", ErrUnknownUser, "unknown_user", true},
		{"the course code is no course, the error wrapped", fmt.Errorf("row 3: %w", ErrUnknownCourse), "unknown_course", true},
		{"progress in a course the learner is not enrolled in", ErrNotEnrolled, "not_enrolled", true},
		{"a failure of the store", errors.New("disk full"), ItemInvalid, false},
		{"no error", nil, ItemInvalid, false},
	} {
		if got := ItemCode(tc.err); got != tc.code {
			t.Errorf("%s: code %q, want %q", tc.name, got, tc.code)
		}
		if got := itemError(tc.err); got != tc.refusal {
			t.Errorf("%s: itemError %v, want %v", tc.name, got, tc.refusal)
		}
		if got := ItemRefusal(ItemCode(tc.err)); got != tc.refusal {
			t.Errorf("%s: ItemRefusal(%q) %v, want %v", tc.name, ItemCode(tc.err), got, tc.refusal)
		}
	}
	for _, code := range []string{"required", "malformed", ""} {
		if ItemRefusal(code) {
			t.Errorf("ItemRefusal(%q): true, want false (a check's code, not the store's)", code)
		}
	}
}
