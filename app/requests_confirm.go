package app

import (
	"errors"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// The confirmation step of approving deletions: the page names each
// account about to be erased, and those that will be skipped with why.

// needsConfirmation is the rule of which decisions ask for a confirmation
// first: approving a deletion (the erasure cannot be undone).
func needsConfirmation(t store.RequestType, to store.RequestStatus) bool {
	return t == store.RequestDelete && to == store.StatusApproved
}

// confirmed reports whether the confirmation page's box was ticked.
func confirmed(v string) bool { return v == "on" }

// erasureConfirm is what the confirmation page shows and posts again.
type erasureConfirm struct {
	Action string   // where the confirmed form goes
	Back   string   // where cancel goes
	Note   string   // the officer's note, kept
	IDs    []uint64 // bulk: every request checked, deletions or not
	Bulk   bool
	Erase  []erasureRow // the accounts to erase
	Skip   []erasureRow // deletions that will be skipped, with why
	Others int          // other requests approved with them
}

// erasureRow is one account on the confirmation page.
type erasureRow struct {
	RequestID   uint64
	Name, Email string
	Role        store.Role
	Reason      string // a skipped one: the message key
}

// erasureConfirmation sorts the requests ids for approverID: each
// deletion awaiting approval names its account, to erase or to skip (the
// rules' refusal); other requests awaiting approval are counted. Unknown or
// decided requests are left out (the approval skips them too).
func (a *App) erasureConfirmation(approverID uint64, ids []uint64) (*erasureConfirm, error) {
	conf := &erasureConfirm{}
	for _, id := range ids {
		r, err := a.db.Request(id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		if r.Status != store.StatusAwaitingApproval {
			continue
		}
		if !needsConfirmation(r.Type, store.StatusApproved) {
			conf.Others++
			continue
		}
		u, err := a.db.User(r.UserID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		row := erasureRow{RequestID: r.ID, Name: u.Name(), Email: u.Email, Role: u.Role}
		err = a.db.CheckErasureApproval(r.ID, approverID)
		if _, key := approvalRefusal(err); key != "" {
			row.Reason = key
			conf.Skip = append(conf.Skip, row)
			continue
		} else if err != nil {
			return nil, err
		}
		conf.Erase = append(conf.Erase, row)
	}
	return conf, nil
}

// showErasureConfirm renders the confirmation page: 200 on the way from
// the approve button, 422 with a message when the page itself was sent
// back without its box ticked (nothing was erased either way).
func (a *App) showErasureConfirm(c *fiber.Ctx, f *Form, again bool, conf *erasureConfirm) error {
	status := fiber.StatusOK
	if again {
		status = fiber.StatusUnprocessableEntity
		f.fail("confirm", a.translator(c).T("requests.confirm.required"))
	}
	p := a.page(c, "requests.confirm.title")
	p.Form = f
	p.Data = conf
	return a.render(c, status, "requests/admin_confirm", "", p)
}
