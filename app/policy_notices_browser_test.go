package app

import (
	"fmt"
	"testing"

	"accord/store"
)

// Ensure that an administrator who ticks "tell everyone concerned" while
// activating a version has each person told, and that one who does not
// has nobody told.
func TestBrowserActivateAndTell(t *testing.T) {
	b := newBrowser(t)
	e := b.env
	admin := e.user(t, "root@example.org", store.RoleAdmin)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	acceptDialogs(b)
	b.login("root@example.org")

	for _, tell := range []bool{false, true} {
		draft := e.newMajorDraft(t, admin.ID)
		b.visit(fmt.Sprintf("/admin/policies/%d", draft.PolicyID))
		form := fmt.Sprintf(`form[action="/admin/versions/%d/activate"]`, draft.ID)
		if tell {
			b.click(form + ` input[name="notify"]`)
		}
		b.submit(form + " button")
		if got := e.app.consent.Snapshot().Entry(draft.PolicyID).Active(); got == nil || got.ID != draft.ID {
			t.Fatalf("tell=%v: the draft is not active", tell)
		}
		e.app.announcePolicies()
		want := 0
		if tell {
			want = 1
		}
		if ns := e.notices(t, ann); len(ns) != want {
			t.Errorf("tell=%v: ann has %d notifications, want %d", tell, len(ns), want)
		}
	}
}
