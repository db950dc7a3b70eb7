package app

import (
	"errors"
	"html/template"
	"strconv"
	"strings"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// versionForm is a policy version as the administrator edits it.
type versionForm struct {
	Revision  string `form:"revision" validate:"required,max=40"`
	Type      string `form:"type" validate:"required,oneof=site privacy third_party other"`
	Audience  string `form:"audience" validate:"required,oneof=all authenticated guests"`
	Style     string `form:"style" validate:"required,oneof=consent_page own_page"`
	Optional  string `form:"optional"`
	Minor     string `form:"minor"`
	NameEN    string `form:"name_en" validate:"max=200"`
	NameFR    string `form:"name_fr" validate:"max=200"`
	SummaryEN string `form:"summary_en" validate:"max=2000"`
	SummaryFR string `form:"summary_fr" validate:"max=2000"`
	ContentEN string `form:"content_en" validate:"max=200000"`
	ContentFR string `form:"content_fr" validate:"max=200000"`
}

func (in *versionForm) apply(v *store.PolicyVersion, full bool) {
	if full {
		v.Type, v.Audience, v.Style = store.PolicyType(in.Type), store.Audience(in.Audience), store.Style(in.Style)
		v.Optional = in.Optional == "on"
	}
	v.Revision = in.Revision
	v.Texts = map[string]store.PolicyText{
		"en": {Name: in.NameEN, Summary: in.SummaryEN, Content: in.ContentEN},
		"fr": {Name: in.NameFR, Summary: in.SummaryFR, Content: in.ContentFR},
	}
}

// lf is the text as typed with LF line ends, cleaned as every multi-line
// field is (cleanText).
func lf(s string) string { t, _ := cleanText(s, true); return t }

func versionValues(v *store.PolicyVersion) *Form {
	f := &Form{Values: map[string][]string{
		"revision": {v.Revision}, "type": {string(v.Type)}, "audience": {string(v.Audience)}, "style": {string(v.Style)},
	}}
	if v.Optional {
		f.Values["optional"] = []string{"on"}
	}
	for _, l := range store.PolicyLangs {
		t := v.Texts[l]
		f.Values["name_"+l], f.Values["summary_"+l], f.Values["content_"+l] = []string{t.Name}, []string{t.Summary}, []string{t.Content}
	}
	return f
}

// policyRow is one line of /admin/policies.
type policyRow struct {
	Entry    *store.PolicyEntry
	Shown    *store.PolicyVersion // the active version, else the newest
	Name     string
	Accepted int
	Total    int
	Percent  int
}

// getAdminPolicies lists the policies with their agreement counts.
func (a *App) getAdminPolicies(c *fiber.Ctx) error {
	f := &Form{Values: map[string][]string{"revision": {"1.0"}, "type": {"other"}, "audience": {"authenticated"}, "style": {"consent_page"}}}
	return a.showAdminPolicies(c, f)
}

func (a *App) showAdminPolicies(c *fiber.Ctx, f *Form) error {
	p := a.page(c, "admin.policies.title")
	p.Form = f
	total, err := a.db.CountUsers()
	if err != nil {
		return err
	}
	counts := a.consent.AcceptedCounts()
	entries := a.consent.Snapshot().Entries()
	rows := make([]policyRow, 0, len(entries))
	for i := range entries {
		e := &entries[i]
		r := policyRow{Entry: e, Shown: e.Active(), Total: total}
		if r.Shown == nil {
			r.Shown = e.Latest()
		}
		t, _ := r.Shown.Text(p.Lang)
		r.Name = t.Name
		r.Accepted = counts[r.Shown.ID]
		if total > 0 {
			r.Percent = r.Accepted * 100 / total
		}
		rows = append(rows, r)
	}
	p.Data = map[string]any{"Rows": rows}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "policies/admin_list", "", p)
}

// postAdminPolicy creates a policy whose first version is a draft.
func (a *App) postAdminPolicy(c *fiber.Ctx) error {
	var in versionForm
	f := a.bind(c, &in)
	if in.NameEN == "" && in.NameFR == "" {
		f.fail("name_en", a.translator(c).T("validation.required"))
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showAdminPolicies(c, f)
	}
	v := &store.PolicyVersion{}
	in.apply(v, true)
	if err := a.db.CreatePolicy(v, currentUser(c).ID); err != nil {
		return err
	}
	if err := a.consent.Reload(); err != nil {
		return err
	}
	a.flash(c, "ok", "admin.policies.created")
	return a.redirect(c, "/admin/versions/"+strconv.FormatUint(v.ID, 10)+"/edit")
}

// getAdminPolicy shows a policy's versions and what can be done with them.
func (a *App) getAdminPolicy(c *fiber.Ctx) error {
	id, _ := strconv.ParseUint(c.Params("id"), 10, 64)
	e := a.consent.Snapshot().Entry(id)
	if e == nil {
		return fiber.ErrNotFound
	}
	return a.showAdminPolicy(c, e, &Form{})
}

func (a *App) showAdminPolicy(c *fiber.Ctx, e *store.PolicyEntry, f *Form) error {
	p := a.page(c, "admin.policies.title")
	p.Form = f
	views := make([]versionView, 0, len(e.Versions))
	for i := range e.Versions {
		views = append(views, a.viewOf(&e.Versions[i], p.Lang))
	}
	p.Title = views[0].Text.Name
	p.Data = map[string]any{"Entry": e, "Versions": views}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "policies/admin_policy", "", p)
}

// adminVersion is the version named by :id.
func (a *App) adminVersion(c *fiber.Ctx) (*store.PolicyVersion, error) {
	id, _ := strconv.ParseUint(c.Params("id"), 10, 64)
	if v := a.consent.Snapshot().Version(id); v != nil {
		return v, nil
	}
	return nil, fiber.ErrNotFound
}

// getEditVersion edits a version: EN and FR side by side, with previews.
func (a *App) getEditVersion(c *fiber.Ctx) error {
	v, err := a.adminVersion(c)
	if err != nil {
		return err
	}
	if v.Status == store.StatusInactive {
		return fiber.NewError(fiber.StatusConflict)
	}
	return a.showEditVersion(c, v, versionValues(v))
}

func (a *App) showEditVersion(c *fiber.Ctx, v *store.PolicyVersion, f *Form) error {
	p := a.page(c, "admin.policies.edit")
	p.Form = f
	p.Data = map[string]any{"V": v, "Entry": a.consent.Snapshot().Entry(v.PolicyID),
		"PreviewEN": renderMarkdown(f.Get("content_en")), "PreviewFR": renderMarkdown(f.Get("content_fr"))}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "policies/admin_edit", "", p)
}

// postVersion saves a draft, or a minor change of the active version
// (minor=on: agreements carry over).
func (a *App) postVersion(c *fiber.Ctx) error {
	v, err := a.adminVersion(c)
	if err != nil {
		return err
	}
	var in versionForm
	f := a.bind(c, &in)
	// The texts as sent, not trimmed, with LF line ends: a text saved
	// untouched keeps its hash, so nobody is shown a change that is none.
	in.SummaryEN, in.SummaryFR = lf(c.FormValue("summary_en")), lf(c.FormValue("summary_fr"))
	in.ContentEN, in.ContentFR = lf(c.FormValue("content_en")), lf(c.FormValue("content_fr"))
	minor := in.Minor == "on"
	tr := a.translator(c)
	if v.Status == store.StatusActive && !minor {
		f.fail("minor", tr.T("admin.policies.minor_needed"))
	}
	if v.Status == store.StatusActive && in.Revision != v.Revision && f.Err("revision") == "" {
		f.fail("revision", tr.T("admin.policies.minor_texts_only"))
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showEditVersion(c, v, f)
	}
	_, err = a.db.SaveVersion(v.ID, currentUser(c).ID, minor, func(sv *store.PolicyVersion) {
		in.apply(sv, sv.Status == store.StatusDraft)
	})
	if errors.Is(err, store.ErrMinorTextsOnly) {
		f.fail("revision", tr.T("admin.policies.minor_texts_only"))
		f.Status = fiber.StatusUnprocessableEntity
		return a.showEditVersion(c, v, f)
	} else if err != nil {
		return policyErr(err)
	}
	if err := a.consent.Reload(); err != nil {
		return err
	}
	a.flash(c, "ok", "admin.policies.saved")
	return a.redirect(c, "/admin/versions/"+strconv.FormatUint(v.ID, 10)+"/edit")
}

// postNewDraft starts a draft from the policy's current text.
func (a *App) postNewDraft(c *fiber.Ctx) error {
	id, _ := strconv.ParseUint(c.Params("id"), 10, 64)
	if a.consent.Snapshot().Entry(id) == nil {
		return fiber.ErrNotFound
	}
	v, err := a.db.NewDraft(id, currentUser(c).ID)
	if err != nil {
		return err
	}
	if err := a.consent.Reload(); err != nil {
		return err
	}
	return a.redirect(c, "/admin/versions/"+strconv.FormatUint(v.ID, 10)+"/edit")
}

// postVersionAction activates, deactivates or deletes a version (:action).
func (a *App) postVersionAction(c *fiber.Ctx) error {
	v, err := a.adminVersion(c)
	if err != nil {
		return err
	}
	actor := currentUser(c).ID
	back := "/admin/policies/" + strconv.FormatUint(v.PolicyID, 10)
	switch c.Params("action") {
	case "activate":
		// notify=on: everyone concerned is told, by the mail job
		// (policy_notices.go); the wish is stored with the activation.
		err = a.db.ActivateVersionAnnounced(v.ID, actor, c.FormValue("notify") == "on")
	case "deactivate":
		err = a.db.DeactivateVersion(v.ID, actor)
	case "delete":
		var gone bool
		if gone, err = a.db.DeleteVersion(v.ID, actor); gone {
			back = "/admin/policies"
		}
	default:
		return fiber.ErrNotFound
	}
	var inc *store.IncompleteError
	if errors.As(err, &inc) {
		tr := a.translator(c)
		names := make([]string, len(inc.Missing))
		for i, m := range inc.Missing {
			names[i] = tr.T("admin.policies.field." + m)
		}
		f := &Form{Status: fiber.StatusUnprocessableEntity}
		f.fail("", tr.T("admin.policies.incomplete", "Missing", strings.Join(names, ", ")))
		return a.showAdminPolicy(c, a.consent.Snapshot().Entry(v.PolicyID), f)
	} else if err != nil {
		return policyErr(err)
	}
	if err := a.consent.Reload(); err != nil {
		return err
	}
	a.flash(c, "ok", "admin.policies.done_"+c.Params("action"))
	return a.redirect(c, back)
}

// postMovePolicy moves a policy up or down the display order.
func (a *App) postMovePolicy(c *fiber.Ctx) error {
	id, _ := strconv.ParseUint(c.Params("id"), 10, 64)
	delta := 1
	if c.FormValue("direction") == "up" {
		delta = -1
	}
	if err := a.db.MovePolicy(id, delta, currentUser(c).ID); err != nil {
		return err
	}
	if err := a.consent.Reload(); err != nil {
		return err
	}
	return a.redirect(c, "/admin/policies")
}

// postPreview renders Markdown as the public page would (live preview).
func (a *App) postPreview(c *fiber.Ctx) error {
	src := c.FormValue("content")
	if f := c.Query("field"); src == "" && (f == "content_en" || f == "content_fr") {
		src = c.FormValue(f)
	}
	if len(src) > 200000 {
		return fiber.ErrRequestEntityTooLarge
	}
	id := "preview"
	if f := c.Query("field"); f == "content_en" || f == "content_fr" {
		id += "-" + f[len(f)-2:]
	}
	c.Vary("HX-Request")
	return c.Render("policies/_preview", map[string]any{"ID": id, "HTML": renderMarkdown(src)})
}

// diffLang is one language of a diff between two versions.
type diffLang struct {
	Lang                   string
	Name, Summary, Content template.HTML
}

// getVersionDiff shows what changed from version a to version b, per language.
func (a *App) getVersionDiff(c *fiber.Ctx) error {
	st := a.consent.Snapshot()
	ida, _ := strconv.ParseUint(c.Params("a"), 10, 64)
	idb, _ := strconv.ParseUint(c.Params("b"), 10, 64)
	va, vb := st.Version(ida), st.Version(idb)
	if va == nil || vb == nil {
		return fiber.ErrNotFound
	}
	var langs []diffLang
	for _, l := range store.PolicyLangs {
		ta, tb := va.Texts[l], vb.Texts[l]
		langs = append(langs, diffLang{Lang: l, Name: wordDiff(ta.Name, tb.Name), Summary: wordDiff(ta.Summary, tb.Summary), Content: wordDiff(ta.Content, tb.Content)})
	}
	p := a.page(c, "admin.policies.diff")
	p.Data = map[string]any{"A": va, "B": vb, "Langs": langs, "Entry": st.Entry(va.PolicyID)}
	return a.render(c, fiber.StatusOK, "policies/admin_diff", "", p)
}
