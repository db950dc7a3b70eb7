package app

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// The records of processing (GDPR art. 30) as everyone reads them: the
// public page /processing (no personal data: purposes, bases, categories,
// recipients, retention, the controller and the DPO), its CSV, and the
// summary the privacy policy's page includes.

// processingView is what the records' pages show, in the reader's language.
type processingView struct {
	Records  *store.ProcessingRecords
	Purposes []purposeRow
	Cats     []categoryRow
}

type purposeRow struct {
	store.Purpose
	Basis      string // translated, with the article's point
	Categories []string
}

type categoryRow struct {
	store.DataCategory
	Retention string // translated rule with its period
}

// processingRows translates the records for p's reader.
func processingRows(p *Page, r *store.ProcessingRecords) processingView {
	v := processingView{Records: r}
	for _, c := range r.Categories {
		v.Cats = append(v.Cats, categoryRow{c, categoryRetention(p.Translator, c)})
	}
	for _, pu := range r.Purposes {
		row := purposeRow{Purpose: pu, Basis: p.T("processing.basis." + string(pu.Basis))}
		for _, k := range pu.Categories {
			if c := r.Category(k); c != nil {
				row.Categories = append(row.Categories, p.Pick(c.Name))
			}
		}
		v.Purposes = append(v.Purposes, row)
	}
	return v
}

// categoryRetention says how long the category is kept, in tr's language.
func categoryRetention(tr *Translator, c store.DataCategory) string {
	return tr.T("processing.rule."+string(c.Rule), "Days", c.Days)
}

// getPublicProcessing shows the records of processing to everyone.
func (a *App) getPublicProcessing(c *fiber.Ctx) error {
	r, err := a.db.Processing()
	if err != nil {
		return err
	}
	p := a.page(c, "processing.title")
	p.Data = processingRows(p, r)
	return a.render(c, fiber.StatusOK, "processing/index", "", p)
}

// processingSummary is the records' summary for the privacy policy's page
// (nil for other policies).
func (a *App) processingSummary(p *Page, t store.PolicyType) (*processingView, error) {
	if t != store.TypePrivacy {
		return nil, nil
	}
	r, err := a.db.Processing()
	if err != nil {
		return nil, err
	}
	v := processingRows(p, r)
	return &v, nil
}

// getProcessingCSV sends the records of processing as a CSV, one row per
// purpose and category, in the reader's language. It holds no personal
// data, so it is not audited (a visitor's GET writes nothing); its cells go
// through the CSV helper's neutralisation all the same, because
// administrators write them.
func (a *App) getProcessingCSV(c *fiber.Ctx) error {
	r, err := a.db.Processing()
	if err != nil {
		return err
	}
	p := a.page(c, "processing.title")
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	cw := &csvWriter{w: csv.NewWriter(&buf)}
	if err := cw.row(p.T("processing.purpose"), p.T("processing.description"), p.T("processing.basis"),
		p.T("processing.category"), p.T("processing.category_description"), p.T("processing.recipients"),
		p.T("processing.retention"), p.T("processing.category_retention"), p.T("processing.protected")); err != nil {
		return err
	}
	for _, pu := range r.Purposes {
		for _, k := range pu.Categories {
			cat := r.Category(k)
			if cat == nil {
				continue
			}
			prot := ""
			if cat.Protected {
				prot = p.Pick(cat.ProtectedWhy)
			}
			if err := cw.row(p.Pick(pu.Name), p.Pick(pu.Description), p.T("processing.basis."+string(pu.Basis)),
				p.Pick(cat.Name), p.Pick(cat.Description), p.Pick(pu.Recipients), p.Pick(pu.Retention),
				categoryRetention(p.Translator, *cat), prot); err != nil {
				return err
			}
		}
	}
	if err := cw.flush(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename=%q`, "accord-processing-"+p.Lang+".csv"))
	return c.Send(buf.Bytes())
}

// categoryKey is a new category's key: lower-case letters, digits and
// underscores, 2 to 32 of them.
func categoryKey(s string) bool {
	if len(s) < 2 || len(s) > 32 {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == ""
}

// purposeID is the :id parameter (0 when it is not a number).
func purposeID(c *fiber.Ctx) uint64 {
	id, _ := strconv.ParseUint(c.Params("id"), 10, 64)
	return id
}
