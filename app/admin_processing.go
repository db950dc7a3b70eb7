package app

import (
	"errors"
	"strconv"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// Administrators edit the records of processing (GDPR art. 30) in the
// browser: the controller and the DPO on /admin/processing, each purpose
// and data category on its own page. Every change is audited with the item
// before and after (store.changeProcessing).

type controllerForm struct {
	Name     string `form:"controller_name" validate:"required,max=200"`
	Address  string `form:"controller_address" validate:"max=500"`
	Email    string `form:"controller_email" validate:"omitempty,email,max=254"`
	Phone    string `form:"controller_phone" validate:"max=40"`
	DPOName  string `form:"dpo_name" validate:"required,max=200"`
	DPOEmail string `form:"dpo_email" validate:"required,email,max=254"`
}

type purposeForm struct {
	NameEN        string   `form:"name_en" validate:"required,max=200"`
	NameFR        string   `form:"name_fr" validate:"required,max=200"`
	DescriptionEN string   `form:"description_en" validate:"required,max=2000"`
	DescriptionFR string   `form:"description_fr" validate:"required,max=2000"`
	Basis         string   `form:"basis" validate:"required,oneof=a b c d e f"`
	Category      []string `form:"category" validate:"required,min=1,max=50"`
	RecipientsEN  string   `form:"recipients_en" validate:"required,max=1000"`
	RecipientsFR  string   `form:"recipients_fr" validate:"required,max=1000"`
	RetentionEN   string   `form:"retention_en" validate:"required,max=1000"`
	RetentionFR   string   `form:"retention_fr" validate:"required,max=1000"`
	Protected     string   `form:"protected"`
}

type categoryForm struct {
	Key            string `form:"key"`
	NameEN         string `form:"name_en" validate:"required,max=200"`
	NameFR         string `form:"name_fr" validate:"required,max=200"`
	DescriptionEN  string `form:"description_en" validate:"required,max=2000"`
	DescriptionFR  string `form:"description_fr" validate:"required,max=2000"`
	Days           string `form:"days"`
	Protected      string `form:"protected"`
	ProtectedWhyEN string `form:"protected_why_en" validate:"max=1000"`
	ProtectedWhyFR string `form:"protected_why_fr" validate:"max=1000"`
}

// getProcessing lists the records for editing, with the controller's form.
func (a *App) getProcessing(c *fiber.Ctx) error {
	r, err := a.db.Processing()
	if err != nil {
		return err
	}
	f := &Form{Values: map[string][]string{
		"controller_name": {r.Controller.Name}, "controller_address": {r.Controller.Address},
		"controller_email": {r.Controller.Email}, "controller_phone": {r.Controller.Phone},
		"dpo_name": {r.DPOName}, "dpo_email": {r.DPOEmail}}}
	return a.showProcessing(c, r, f)
}

func (a *App) showProcessing(c *fiber.Ctx, r *store.ProcessingRecords, f *Form) error {
	p := a.page(c, "admin.processing.title")
	p.Form = f
	p.Data = processingRows(p, r)
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "admin/processing", "", p)
}

// postController saves the controller and the DPO.
func (a *App) postController(c *fiber.Ctx) error {
	var in controllerForm
	f := a.bind(c, &in)
	if f.Invalid() {
		r, err := a.db.Processing()
		if err != nil {
			return err
		}
		f.Status = fiber.StatusUnprocessableEntity
		return a.showProcessing(c, r, f)
	}
	ctrl := store.Controller{Name: in.Name, Address: in.Address, Email: in.Email, Phone: in.Phone}
	if err := a.db.SaveController(ctrl, in.DPOName, in.DPOEmail, currentUser(c).ID); err != nil {
		return err
	}
	if err := a.reloadSettings(); err != nil {
		return err
	}
	a.flash(c, "ok", "processing.saved")
	return a.redirect(c, "/admin/processing")
}

// getPurpose shows a purpose's form: /admin/processing/purposes/new or /:id.
func (a *App) getPurpose(c *fiber.Ctx) error {
	r, err := a.db.Processing()
	if err != nil {
		return err
	}
	f := &Form{Values: map[string][]string{"basis": {"b"}}}
	id := purposeID(c)
	if id != 0 {
		pu := r.Purpose(id)
		if pu == nil {
			return fiber.ErrNotFound
		}
		f.Values = map[string][]string{"name_en": {pu.Name["en"]}, "name_fr": {pu.Name["fr"]},
			"description_en": {pu.Description["en"]}, "description_fr": {pu.Description["fr"]},
			"basis": {string(pu.Basis)}, "category": pu.Categories,
			"recipients_en": {pu.Recipients["en"]}, "recipients_fr": {pu.Recipients["fr"]},
			"retention_en": {pu.Retention["en"]}, "retention_fr": {pu.Retention["fr"]}}
		if pu.Protected {
			f.Values["protected"] = []string{"on"}
		}
	}
	return a.showPurpose(c, r, id, f)
}

func (a *App) showPurpose(c *fiber.Ctx, r *store.ProcessingRecords, id uint64, f *Form) error {
	p := a.page(c, "processing.edit_purpose")
	if id == 0 {
		p.Title = p.T("processing.new_purpose")
	}
	p.Form = f
	p.Data = map[string]any{"ID": id, "Bases": store.LawfulBases, "Records": processingRows(p, r)}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "admin/processing_purpose", "", p)
}

// postPurpose creates (/admin/processing/purposes) or saves
// (/admin/processing/purposes/:id) a purpose.
func (a *App) postPurpose(c *fiber.Ctx) error {
	var in purposeForm
	f := a.bind(c, &in)
	id := purposeID(c)
	r, err := a.db.Processing()
	if err != nil {
		return err
	}
	if id != 0 && r.Purpose(id) == nil {
		return fiber.ErrNotFound
	}
	for _, k := range in.Category {
		if r.Category(k) == nil {
			f.fail("category", a.translator(c).T("processing.unknown_category"))
		}
	}
	pu := &store.Purpose{ID: id, Basis: store.LawfulBasis(in.Basis), Categories: in.Category, Protected: in.Protected == "on",
		Name: langs(in.NameEN, in.NameFR), Description: langs(in.DescriptionEN, in.DescriptionFR),
		Recipients: langs(in.RecipientsEN, in.RecipientsFR), Retention: langs(in.RetentionEN, in.RetentionFR)}
	if !f.Invalid() {
		err = a.db.SavePurpose(pu, currentUser(c).ID)
		switch {
		case errors.Is(err, store.ErrUnknownCategory), errors.Is(err, store.ErrBadRecord):
			f.fail("category", a.translator(c).T("processing.unknown_category"))
		case err != nil:
			return err
		}
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showPurpose(c, r, id, f)
	}
	a.flash(c, "ok", "processing.saved")
	return a.redirect(c, "/admin/processing#purpose-"+strconv.FormatUint(pu.ID, 10))
}

// postPurposeDelete removes a purpose.
func (a *App) postPurposeDelete(c *fiber.Ctx) error {
	if err := a.db.DeletePurpose(purposeID(c), currentUser(c).ID); err != nil {
		return err
	}
	a.flash(c, "ok", "processing.purpose_deleted")
	return a.redirect(c, "/admin/processing")
}

func langs(en, fr string) map[string]string { return map[string]string{"en": en, "fr": fr} }
