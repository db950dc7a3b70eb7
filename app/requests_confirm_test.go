package app

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"accord/store"
)

// Ensure, in words, which decisions ask for a confirmation first: only
// approving a deletion.
func TestNeedsConfirmation(t *testing.T) {
	for _, tc := range []struct {
		t    store.RequestType
		to   store.RequestStatus
		want bool
	}{
		{store.RequestDelete, store.StatusApproved, true},
		{store.RequestDelete, store.StatusRejected, false},
		{store.RequestExport, store.StatusApproved, false},
		{store.RequestOther, store.StatusApproved, false},
		{store.RequestDelete, store.StatusCancelled, false},
	} {
		if got := needsConfirmation(tc.t, tc.to); got != tc.want {
			t.Errorf("%s → %s: got %v, want %v", tc.t, tc.to, got, tc.want)
		}
	}
}

// deleteRequest files a deletion for u (as staff would) and returns it.
func deleteRequest(t *testing.T, e *testEnv, u *store.User) *store.DataRequest {
	t.Helper()
	r, err := e.db.CreateRequest(store.NewRequest{UserID: u.ID, Type: store.RequestDelete, FiledBy: store.FiledBySelf, FiledByID: u.ID, DueDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Ensure that approving a deletion shows a confirmation page naming the
// account, that the page sent back without its box is the page again
// (422, a translated message) with nothing written, and that with the box
// ticked the account is erased.
func TestApproveDeletionAsksConfirmation(t *testing.T) {
	e := newEnv(t)
	e.user(t, "dpo@example.org", store.RoleDPO)
	ann := e.person(t, "ann@example.org", store.RoleLearner, "Ann", "Archer", "en")
	r := deleteRequest(t, e, ann)
	s := e.client(t)
	s.login("dpo@example.org")
	s.get(reqPath("/admin/requests", r, ""))
	path := reqPath("/admin/requests", r, "/approve")

	before := commitID(t, e.db)
	res := s.post(path, url.Values{"note": {"As asked"}}).want(t, http.StatusOK)
	if !res.has(`id="to-erase"`) || !res.has("Ann Archer") || !res.has("ann@example.org") || !res.has(`name="confirm"`) || !res.has(`value="As asked"`) {
		t.Errorf("the confirmation page does not name the account or keep the note:\n%s", res.Body)
	}
	res = s.post(path+"?lang=fr", url.Values{"note": {"As asked"}, "step": {"confirm"}}).want(t, http.StatusUnprocessableEntity)
	if !res.has("Cochez la case pour confirmer l’effacement\u00a0: rien n’a été effacé.") || !res.has(`id="to-erase"`) {
		t.Errorf("without the box: want the confirmation page again with the French message:\n%s", res.Body)
	}
	if got := commitID(t, e.db); got != before {
		t.Errorf("the confirmation step wrote to the database")
	}
	if got := e.status(t, r.ID); got != store.StatusAwaitingApproval {
		t.Fatalf("without the confirmation: got %s, want awaiting_approval", got)
	}
	s.post(path, url.Values{"note": {"As asked"}, "step": {"confirm"}, "confirm": {"on"}}).want(t, http.StatusSeeOther)
	e.settle()
	if got := e.status(t, r.ID); got != store.StatusComplete {
		t.Errorf("confirmed: got %s, want complete", got)
	}
	if _, err := e.db.User(ann.ID); err == nil {
		t.Errorf("confirmed: the account is still there")
	}
}

// Ensure that a privacy officer cannot approve the erasure of a staff
// account (403, a clear message, nothing changed), even with the box
// ticked; that an administrator can, through the confirmation; and that
// the last active administrator is never erased (422).
func TestStaffErasureNeedsAnAdministrator(t *testing.T) {
	e := newEnv(t)
	e.user(t, "dpo@example.org", store.RoleDPO)
	boss := e.user(t, "boss@example.org", store.RoleAdmin)
	dora := e.person(t, "dora@example.org", store.RoleDPO, "Dora", "Second", "en")
	deputy := e.person(t, "deputy@example.org", store.RoleAdmin, "Dep", "Uty", "en")
	r := deleteRequest(t, e, dora)
	s := e.client(t)
	s.login("dpo@example.org")
	if res := s.get(reqPath("/admin/requests", r, "")).want(t, http.StatusOK); !res.has(`id="approve-refusal"`) || res.has(`>Approve</button>`) {
		t.Errorf("the request page offers the officer the approval of a staff erasure:\n%s", res.Body)
	}
	before := commitID(t, e.db)
	for _, form := range []url.Values{{}, {"confirm": {"on"}, "step": {"confirm"}}} {
		res := s.post(reqPath("/admin/requests", r, "/approve"), form).want(t, http.StatusForbidden)
		if !res.has("Only an administrator can approve the erasure of a staff account") || res.has(`id="to-erase"`) {
			t.Errorf("officer approving a staff erasure (%v): want the refusal, no confirmation page:\n%s", form, res.Body)
		}
	}
	res := s.post(reqPath("/admin/requests", r, "/approve")+"?lang=fr", url.Values{"confirm": {"on"}}).want(t, http.StatusForbidden)
	if !res.has("Seul un administrateur peut approuver l’effacement d’un compte du personnel") {
		t.Errorf("the French refusal is missing:\n%s", res.Body)
	}
	if got := commitID(t, e.db); got != before || e.status(t, r.ID) != store.StatusAwaitingApproval {
		t.Fatalf("a refused approval changed something")
	}

	a := e.client(t)
	a.login("boss@example.org")
	if res := a.get(reqPath("/admin/requests", r, "")).want(t, http.StatusOK); res.has(`id="approve-refusal"`) || !res.has(`id="approve-hint"`) || !res.has(`>Approve</button>`) {
		t.Errorf("the request page does not offer the administrator the approval:\n%s", res.Body)
	}
	if res := a.post(reqPath("/admin/requests", r, "/approve"), nil).want(t, http.StatusOK); !res.has("Dora Second") || !res.has("Data Protection Officer") {
		t.Errorf("the administrator's confirmation page does not name the officer:\n%s", res.Body)
	}
	a.post(reqPath("/admin/requests", r, "/approve"), url.Values{"confirm": {"on"}}).want(t, http.StatusSeeOther)
	e.settle()
	if got := e.status(t, r.ID); got != store.StatusComplete {
		t.Errorf("an administrator approved the officer's erasure: got %s, want complete", got)
	}

	// The deputy asks to be erased; then the other administrator is
	// suspended, so the deputy is the last active one.
	last := deleteRequest(t, e, deputy)
	if _, err := e.db.UpdateUser(boss.ID, store.AuditEvent{Action: store.ActUserUpdated}, func(u *store.User) error {
		u.Suspended = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	d := e.client(t)
	d.login("deputy@example.org")
	d.get(reqPath("/admin/requests", last, ""))
	before = commitID(t, e.db)
	if res := d.post(reqPath("/admin/requests", last, "/approve"), url.Values{"confirm": {"on"}}).want(t, http.StatusUnprocessableEntity); !res.has("The last active administrator cannot be erased.") {
		t.Errorf("the last administrator's erasure: want the refusal:\n%s", res.Body)
	}
	if got := commitID(t, e.db); got != before || e.status(t, last.ID) != store.StatusAwaitingApproval {
		t.Errorf("the refused erasure of the last administrator changed something")
	}
}

// Ensure that a bulk approval with deletions among the checked requests
// shows the confirmation page naming the accounts to erase and those
// skipped (a staff account, for a privacy officer), writes nothing without
// the box, and with it approves all but the skipped one.
func TestBulkApprovalAsksConfirmation(t *testing.T) {
	e := newEnv(t)
	e.user(t, "dpo@example.org", store.RoleDPO)
	ann := e.person(t, "ann@example.org", store.RoleLearner, "Ann", "Archer", "en")
	bob := e.person(t, "bob@example.org", store.RoleLearner, "Bob", "Baker", "en")
	dora := e.person(t, "dora@example.org", store.RoleDPO, "Dora", "Second", "en")
	other, err := e.db.CreateRequest(store.NewRequest{UserID: bob.ID, Type: store.RequestOther, DueDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	reqs := []*store.DataRequest{deleteRequest(t, e, ann), deleteRequest(t, e, dora), other}
	var ids []string
	for _, r := range reqs {
		ids = append(ids, strconv.FormatUint(r.ID, 10))
	}
	s := e.client(t)
	s.login("dpo@example.org")
	s.get("/admin/requests")
	before := commitID(t, e.db)
	res := s.post("/admin/requests/bulk", url.Values{"id": ids, "action": {"approve"}}).want(t, http.StatusOK)
	erase, skip, _ := strings.Cut(res.Body, `id="to-skip"`)
	if !strings.Contains(erase, "Ann Archer") || strings.Contains(erase, "Dora Second") || !strings.Contains(skip, "Dora Second") ||
		!strings.Contains(skip, "Only an administrator can approve") || !res.has("1 other request is approved with them.") ||
		strings.Count(res.Body, `type="hidden" name="id"`) != 3 {
		t.Errorf("the bulk confirmation page: want Ann to erase, Dora skipped with why, one other request, all 3 ids kept:\n%s", res.Body)
	}
	s.post("/admin/requests/bulk", url.Values{"id": ids, "action": {"approve"}, "step": {"confirm"}}).want(t, http.StatusUnprocessableEntity)
	if got := commitID(t, e.db); got != before {
		t.Fatalf("the bulk confirmation step wrote to the database")
	}
	s.post("/admin/requests/bulk", url.Values{"id": ids, "action": {"approve"}, "step": {"confirm"}, "confirm": {"on"}}).want(t, http.StatusSeeOther)
	e.settle()
	for i, want := range []store.RequestStatus{store.StatusComplete, store.StatusAwaitingApproval, store.StatusComplete} {
		if got := e.status(t, reqs[i].ID); got != want {
			t.Errorf("request %d: got %s, want %s", reqs[i].ID, got, want)
		}
	}
	if res := s.get("/admin/requests"); !res.has("Requests changed: 2. Skipped (already decided or not allowed): 1.") {
		t.Errorf("bulk flash:\n%s", res.Body)
	}
	// Rejecting needs no confirmation.
	s.post("/admin/requests/bulk", url.Values{"id": ids[1:2], "action": {"reject"}}).want(t, http.StatusSeeOther)
	if got := e.status(t, reqs[1].ID); got != store.StatusRejected {
		t.Errorf("bulk rejection: got %s, want rejected", got)
	}
}
