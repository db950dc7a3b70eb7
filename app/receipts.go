package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// A receipt is what a person keeps of one of their answers (a policy
// answer or a cookie choice): the record, the text's hash and the record's
// place in the hash chain, as JSON (ISO/IEC TS 27560 field names where
// they fit; `accord verify --receipt FILE` checks it) and as a page.
// Only the person, or their guardian for a minor, opens theirs; anyone
// else gets 404. The page writes nothing; the download is audited
// (CONTRACT.md: downloads of personal data).

// policyReceipt is the receipt of :id if it is the viewer's answer or a
// minor's in their care.
func (a *App) policyReceipt(c *fiber.Ctx) (*store.Receipt, error) {
	id, err := strconv.ParseUint(c.Params("id"), 10, 64)
	if err != nil {
		return nil, fiber.ErrNotFound
	}
	r, ans, err := a.db.PolicyReceipt(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fiber.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	if !a.mayReadOf(currentUser(c), ans.UserID) {
		return nil, fiber.ErrNotFound
	}
	return r, nil
}

// cookieReceipt is the receipt of the cookie choice :id among the
// viewer's, or a minor's in their care.
func (a *App) cookieReceipt(c *fiber.Ctx) (*store.Receipt, error) {
	u := currentUser(c)
	id := c.Params("id")
	subjects := []uint64{u.ID}
	minors, err := a.minorsOf(u)
	if err != nil {
		return nil, err
	}
	for _, m := range minors {
		subjects = append(subjects, m.ID)
	}
	for _, s := range subjects {
		r, _, err := a.db.CookieReceipt(s, id)
		if err == nil {
			return r, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return nil, fiber.ErrNotFound
}

// mayReadOf tells whether viewer may read subjectID's records: their own,
// or a minor's in their care.
func (a *App) mayReadOf(viewer *store.User, subjectID uint64) bool {
	if viewer == nil {
		return false
	}
	if viewer.ID == subjectID {
		return true
	}
	m, err := a.db.User(subjectID)
	return err == nil && a.guards(viewer, m)
}

func (a *App) getPolicyReceipt(c *fiber.Ctx) error {
	r, err := a.policyReceipt(c)
	if err != nil {
		return err
	}
	return a.showReceipt(c, r, "/profile/policies/receipts/"+c.Params("id"))
}

func (a *App) getCookieReceipt(c *fiber.Ctx) error {
	r, err := a.cookieReceipt(c)
	if err != nil {
		return err
	}
	return a.showReceipt(c, r, "/cookies/receipts/"+r.RecordID)
}

func (a *App) downloadPolicyReceipt(c *fiber.Ctx) error {
	r, err := a.policyReceipt(c)
	if err != nil {
		return err
	}
	return a.sendReceipt(c, r)
}

func (a *App) downloadCookieReceipt(c *fiber.Ctx) error {
	r, err := a.cookieReceipt(c)
	if err != nil {
		return err
	}
	return a.sendReceipt(c, r)
}

// receiptView is a receipt as its page shows it.
type receiptView struct {
	R        *store.Receipt
	Policy   bool
	Answer   store.Acceptance    // a policy answer's record
	Cookie   store.CookieConsent // a cookie choice's record
	Download string
}

func (a *App) showReceipt(c *fiber.Ctx, r *store.Receipt, base string) error {
	p := a.page(c, "receipt.title")
	v := receiptView{R: r, Policy: r.Chain.Kind == store.ChainPolicyAnswer.String(), Download: base + "/download"}
	var err error
	if v.Policy {
		err = json.Unmarshal(r.Record, &v.Answer)
	} else {
		err = json.Unmarshal(r.Record, &v.Cookie)
	}
	if err != nil {
		return fmt.Errorf("app: receipt: %w", err)
	}
	p.Data = v
	return a.render(c, fiber.StatusOK, "receipts/show", "", p)
}

// sendReceipt downloads r as indented JSON, with the organisation that
// keeps the record, audited.
func (a *App) sendReceipt(c *fiber.Ctx, r *store.Receipt) error {
	s := a.Settings()
	r.Controller = &store.ReceiptController{Name: s.SiteName, Contact: s.DPOEmail}
	r.Issued = a.db.Now().UTC()
	u := currentUser(c)
	var subject struct {
		UserID uint64 `json:"user_id"`
	}
	_ = json.Unmarshal(r.Record, &subject)
	name := fmt.Sprintf("accord-receipt-%s-%d.json", r.Chain.Kind, r.Chain.Position)
	d := download{
		Name:  name,
		Type:  "application/json",
		Audit: store.AuditEvent{Action: store.ActReceiptDownloaded, ActorID: u.ID, SubjectID: subject.UserID, Detail: fmt.Sprintf("%s, chain entry %d", r.RecordID, r.Chain.Position)},
	}
	return a.sendDownload(c, d, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(r)
	})
}
