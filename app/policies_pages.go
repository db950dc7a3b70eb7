package app

import (
	"bytes"
	"html/template"
	"strconv"

	"accord/store"

	"github.com/gofiber/fiber/v2"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

var (
	markdown = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify))
	// policyHTML keeps what Markdown may make of a policy: no script, no
	// event handler, no javascript: link, no raw HTML smuggled through, no
	// image but from /static/.
	policyHTML = policySanitizer()
)

// renderMarkdown is the one way a policy text becomes HTML: goldmark, then
// bluemonday. Public pages, the consent page and the preview all use it.
func renderMarkdown(src string) template.HTML {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(policyHTML.SanitizeBytes(buf.Bytes()))
}

// versionView is a version as a page shows it, in the reader's language.
type versionView struct {
	V        *store.PolicyVersion
	Entry    *store.PolicyEntry
	Text     store.PolicyText
	Lang     string // the language of Text
	Fallback bool   // Text is not in the reader's language
	HTML     template.HTML
	Diff     template.HTML        // what changed since the reader last accepted
	Since    *store.PolicyVersion // the version last accepted, when Diff is set
}

func (a *App) viewOf(v *store.PolicyVersion, lang string) versionView {
	t, got := v.Text(lang)
	return versionView{V: v, Entry: a.consent.Snapshot().Entry(v.PolicyID), Text: t, Lang: got, Fallback: got != lang, HTML: a.policyHTMLFor(t)}
}

// cookiePolicyRef is the active cookie-policy version and the SHA-256 of
// its text in lang, recorded with every cookie choice.
func (a *App) cookiePolicyRef(lang string) (versionID uint64, textHash string) {
	if e := a.consent.Snapshot().Seeded("cookies"); e != nil {
		if v := e.Active(); v != nil {
			t, _ := v.Text(lang)
			return v.ID, t.Hash
		}
	}
	return 0, ""
}

// getPolicies lists the active policies, for visitors too.
func (a *App) getPolicies(c *fiber.Ctx) error {
	p := a.page(c, "policies.title")
	var rows []versionView
	entries := a.consent.Snapshot().Entries()
	for i := range entries {
		if v := entries[i].Active(); v != nil {
			rows = append(rows, a.viewOf(v, p.Lang))
		}
	}
	p.Data = &policiesData{Rows: rows}
	return a.render(c, fiber.StatusOK, "policies/index", "", p)
}

// getPolicy shows a policy's active version in full, or another version
// (?version=); drafts only to administrators.
func (a *App) getPolicy(c *fiber.Ctx) error {
	id, _ := strconv.ParseUint(c.Params("id"), 10, 64)
	st := a.consent.Snapshot()
	e := st.Entry(id)
	if e == nil {
		return fiber.ErrNotFound
	}
	v := e.Active()
	if q := c.Query("version"); q != "" {
		vid, _ := strconv.ParseUint(q, 10, 64)
		v = st.Version(vid)
	}
	u := currentUser(c)
	if v == nil || v.PolicyID != e.ID || (v.Status == store.StatusDraft && (u == nil || u.Role != store.RoleAdmin)) {
		return fiber.ErrNotFound
	}
	p := a.page(c, "policies.title")
	vv := a.viewOf(v, p.Lang)
	p.Title = vv.Text.Name
	data := map[string]any{"View": vv}
	if e.Key == "cookies" {
		data["CookieRegister"] = a.cookieRegisterRows(p.Lang)
	}
	if sum, err := a.processingSummary(p, v.Type); err != nil {
		return err
	} else if sum != nil {
		data["Processing"] = sum
	}
	p.Data = data
	return a.render(c, fiber.StatusOK, "policies/show", "policies/_text", p)
}
