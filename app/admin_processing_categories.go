package app

import (
	"errors"
	"strconv"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// getCategory shows a data category's form: /admin/processing/categories/new
// or /:key.
func (a *App) getCategory(c *fiber.Ctx) error {
	r, err := a.db.Processing()
	if err != nil {
		return err
	}
	key := c.Params("key")
	f := &Form{Values: map[string][]string{}}
	var cat *store.DataCategory
	if key != "" {
		if cat = r.Category(key); cat == nil {
			return fiber.ErrNotFound
		}
		f.Values = map[string][]string{"key": {cat.Key}, "name_en": {cat.Name["en"]}, "name_fr": {cat.Name["fr"]},
			"description_en": {cat.Description["en"]}, "description_fr": {cat.Description["fr"]},
			"days":             {strconv.Itoa(cat.Days)},
			"protected_why_en": {cat.ProtectedWhy["en"]}, "protected_why_fr": {cat.ProtectedWhy["fr"]}}
		if cat.Protected {
			f.Values["protected"] = []string{"on"}
		}
	}
	return a.showCategory(c, cat, f)
}

func (a *App) showCategory(c *fiber.Ctx, cat *store.DataCategory, f *Form) error {
	p := a.page(c, "processing.edit_category")
	if cat == nil {
		p.Title = p.T("processing.new_category")
	}
	p.Form = f
	data := map[string]any{"Category": cat}
	if cat != nil {
		data["Rule"] = categoryRetention(p.Translator, *cat)
		data["Builtin"] = store.Builtin(cat.Key)
	}
	p.Data = data
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "admin/processing_category", "", p)
}

// dayLimits are the periods a category's rule accepts: an account is
// flagged 30 days without enrolment at the earliest (as the settings).
func dayLimits(rule store.RetentionRule) (lo, hi int) {
	if rule == store.RetainEnrolled {
		return 30, 3650
	}
	return 1, 3650
}

// postCategory creates (/admin/processing/categories) or saves
// (/admin/processing/categories/:key) a data category.
func (a *App) postCategory(c *fiber.Ctx) error {
	var in categoryForm
	f := a.bind(c, &in)
	tr := a.translator(c)
	r, err := a.db.Processing()
	if err != nil {
		return err
	}
	create := c.Params("key") == ""
	var cat *store.DataCategory
	if create {
		if !categoryKey(in.Key) {
			f.fail("key", tr.T("processing.bad_key"))
		}
	} else if cat = r.Category(c.Params("key")); cat == nil {
		return fiber.ErrNotFound
	} else {
		in.Key = cat.Key
	}
	nc := store.DataCategory{Key: in.Key, Name: langs(in.NameEN, in.NameFR), Description: langs(in.DescriptionEN, in.DescriptionFR),
		Protected: in.Protected == "on"}
	if nc.Protected {
		nc.ProtectedWhy = langs(in.ProtectedWhyEN, in.ProtectedWhyFR)
		if in.ProtectedWhyEN == "" {
			f.fail("protected_why_en", tr.T("processing.why_required"))
		}
		if in.ProtectedWhyFR == "" {
			f.fail("protected_why_fr", tr.T("processing.why_required"))
		}
	}
	if cat != nil && cat.UsesDays() {
		lo, hi := dayLimits(cat.Rule)
		n, err := strconv.Atoi(in.Days)
		if err != nil || n < lo || n > hi {
			f.fail("days", tr.T("processing.bad_days", "Min", lo, "Max", hi))
		}
		nc.Days = n
	}
	if !f.Invalid() {
		err = a.db.SaveCategory(nc, create, currentUser(c).ID)
		switch {
		case errors.Is(err, store.ErrCategoryTaken):
			f.fail("key", tr.T("processing.key_taken"))
		case err != nil:
			return err
		}
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showCategory(c, cat, f)
	}
	if cat != nil && cat.Key == store.CategoryAccount {
		if err := a.reloadSettings(); err != nil {
			return err
		}
	}
	a.flash(c, "ok", "processing.saved")
	return a.redirect(c, "/admin/processing#category-"+nc.Key)
}

// postCategoryDelete removes a category an administrator added, when no
// purpose names it.
func (a *App) postCategoryDelete(c *fiber.Ctx) error {
	err := a.db.DeleteCategory(c.Params("key"), currentUser(c).ID)
	if errors.Is(err, store.ErrCategoryInUse) || errors.Is(err, store.ErrCategoryBuiltin) {
		r, rerr := a.db.Processing()
		if rerr != nil {
			return rerr
		}
		cat := r.Category(c.Params("key"))
		if cat == nil {
			return fiber.ErrNotFound
		}
		key := "processing.category_in_use"
		if errors.Is(err, store.ErrCategoryBuiltin) {
			key = "processing.category_builtin"
		}
		f := &Form{Status: fiber.StatusUnprocessableEntity, Values: map[string][]string{"key": {cat.Key},
			"name_en": {cat.Name["en"]}, "name_fr": {cat.Name["fr"]}, "description_en": {cat.Description["en"]},
			"description_fr": {cat.Description["fr"]}}}
		f.fail("", a.translator(c).T(key))
		return a.showCategory(c, cat, f)
	} else if err != nil {
		return err
	}
	a.flash(c, "ok", "processing.category_deleted")
	return a.redirect(c, "/admin/processing")
}
