package app

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// CSV import of enrolments and progress (issue 11.3), for administrators:
// the upload is read and checked row by row here (import_parse.go), kept
// whole in the store with its job, then applied in batches by the job
// (store/imports.go) while the import's page polls its progress.

const (
	// importBatch rows are applied per transaction: a commit writes every
	// page its rows touched, and rows spread over many learners touch
	// many, so fewer and larger batches cost less (BENCHMARKS.md); 5,000
	// hold the write lock a fraction of a second.
	importBatch       = 5000
	importShownErrors = 50                  // refused rows listed on the page; all are in the report
	importsKeep       = 30 * 24 * time.Hour // an ended import and its error report are kept so long
)

// errJobStopped ends a job cut short by shutdown: it stays running, and
// the next start resumes it (ResumeJobs).
var errJobStopped = errors.New("app: job stopped by shutdown")

// importColumn documents one column on the page.
type importColumn struct {
	Name     string
	Required bool
}

// importKindView is a kind with its columns, for the page.
type importKindView struct {
	Kind    store.ImportKind
	Columns []importColumn
}

// getImports shows the upload form, each kind's columns and the latest
// imports.
func (a *App) getImports(c *fiber.Ctx) error { return a.showImports(c, &Form{}) }

func (a *App) showImports(c *fiber.Ctx, f *Form) error {
	list, err := a.db.RecentImports(20)
	if err != nil {
		return err
	}
	var kinds []importKindView
	for _, k := range importKinds {
		v := importKindView{Kind: k}
		for _, n := range importColumns[k].Required {
			v.Columns = append(v.Columns, importColumn{Name: n, Required: true})
		}
		for _, n := range importColumns[k].Optional {
			v.Columns = append(v.Columns, importColumn{Name: n})
		}
		kinds = append(kinds, v)
	}
	p := a.page(c, "import.title")
	p.Form = f
	p.Data = map[string]any{"Imports": list, "Kinds": kinds, "MaxMB": importMaxBytes >> 20, "MaxRows": importMaxRows}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "courses/import", "", p)
}

// postImport reads the uploaded file (fields kind and file), stores it with
// its job and shows its progress. A file that cannot be read as a CSV of
// the kind is refused whole: 422, nothing stored.
func (a *App) postImport(c *fiber.Ctx) error {
	tr := a.translator(c)
	f := &Form{Values: map[string][]string{"kind": {c.FormValue("kind")}}}
	kind := store.ImportKind(f.Get("kind"))
	if _, ok := importColumns[kind]; !ok {
		f.fail("kind", tr.T("validation.oneof"))
	}
	data, name, err := importUpload(c)
	if err != nil {
		f.fail("file", tr.T(err.Key, err.Args...))
	}
	var parsed *parsedImport
	if !f.Invalid() {
		if parsed, err = parseImport(a.api.validate, kind, data); err != nil {
			f.fail("file", tr.T(err.Key, err.Args...))
		}
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showImports(c, f)
	}
	im := &store.Import{Kind: kind, FileName: name, Columns: parsed.Columns, ByID: currentUser(c).ID}
	if err := a.db.CreateImport(im, parsed.Rows, parsed.Refused); err != nil {
		return err
	}
	a.kickJobs()
	return a.redirect(c, importPath(im.ID))
}

// importUpload is the uploaded file's content and its name, cleaned.
func importUpload(c *fiber.Ctx) ([]byte, string, *fileError) {
	fh, err := c.FormFile("file")
	if err != nil {
		return nil, "", &fileError{Key: "import.file.missing"}
	}
	if fh.Size > importMaxBytes {
		return nil, "", &fileError{Key: "import.file.too_large", Args: []any{"Max", importMaxBytes >> 20}}
	}
	r, err := fh.Open()
	if err != nil {
		return nil, "", &fileError{Key: "import.file.missing"}
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, importMaxBytes+1))
	if err != nil || len(data) > importMaxBytes {
		return nil, "", &fileError{Key: "import.file.too_large", Args: []any{"Max", importMaxBytes >> 20}}
	}
	name := strings.Map(func(r rune) rune {
		if !clean(string(r)) || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, filepath.Base(strings.ReplaceAll(fh.Filename, `\`, "/")))
	return data, cutText(name, 100), nil
}

func importPath(id uint64) string { return "/admin/courses/import/" + strconv.FormatUint(id, 10) }

// importErrorView is a refused row as the page shows it.
type importErrorView struct {
	Line          int
	Column, Value string
	Reason        string
}

// targetImport is the import named by the :id parameter.
func (a *App) targetImport(c *fiber.Ctx) (*store.Import, error) {
	id, err := strconv.ParseUint(c.Params("id"), 10, 64)
	if err != nil {
		return nil, fiber.ErrNotFound
	}
	return a.db.FindImport(id)
}

// getImport shows an import's progress and its first refused rows; for
// htmx, only the progress fragment, which polls while rows are left.
func (a *App) getImport(c *fiber.Ctx) error {
	im, err := a.targetImport(c)
	if err != nil {
		return err
	}
	p := a.page(c, "import.one.title")
	var shown []importErrorView
	if im.State == store.ImportDone {
		err = a.db.EachImportError(im.ID, importShownErrors, func(e *store.ImportError) error {
			shown = append(shown, importErrorView{Line: e.Line, Column: e.Field, Value: errorValue(im, e), Reason: importReason(p.Translator, e)})
			return nil
		})
		if err != nil {
			return err
		}
	}
	p.Data = map[string]any{"Import": im, "Errors": shown, "More": im.Failed > len(shown)}
	return a.render(c, fiber.StatusOK, "courses/import_show", "courses/_import_status", p)
}

// errorValue is the cell at fault in a refused row, if one is.
func errorValue(im *store.Import, e *store.ImportError) string {
	for i, col := range im.Columns {
		if col == e.Field && i < len(e.Cells) {
			return e.Cells[i]
		}
	}
	return ""
}

// importReason is why a row was refused, in tr's language.
func importReason(tr *Translator, e *store.ImportError) string {
	if store.ItemRefusal(e.Code) {
		return tr.T("api.error." + e.Code)
	}
	switch e.Code {
	case "malformed", "cells", "boolean", "integer", "number", "oneof":
		return tr.T("import.reason."+e.Code, "Param", e.Param)
	}
	return problemMessage(tr, problem{Field: e.Field, Code: e.Code, Param: e.Param})
}

// getImportErrorsCSV downloads every refused row of an import: its line,
// column and reason, then its cells as uploaded, in the file's columns
// (audited: it holds personal data).
func (a *App) getImportErrorsCSV(c *fiber.Ctx) error {
	im, err := a.targetImport(c)
	if err != nil {
		return err
	}
	tr := a.translator(c)
	d := download{Name: fmt.Sprintf("import-%d-errors.csv", im.ID), Audit: store.AuditEvent{
		Action: store.ActImportReportDownloaded, ActorID: currentUser(c).ID, Detail: fmt.Sprintf("import %d: %d refused rows", im.ID, im.Failed)}}
	return a.sendCSV(c, d, func(cw *csvWriter) error {
		head := append([]string{tr.T("import.report.line"), tr.T("import.report.column"), tr.T("import.report.reason")}, im.Columns...)
		if err := cw.row(head...); err != nil {
			return err
		}
		return a.db.EachImportError(im.ID, 0, func(e *store.ImportError) error {
			cells := e.Cells
			for len(cells) < len(im.Columns) { // a line that could not be read has none
				cells = append(cells, "")
			}
			return cw.row(append([]string{strconv.Itoa(e.Line), e.Field, importReason(tr, e)}, cells...)...)
		})
	})
}

// runImport applies the import's rows, a batch per transaction, until none
// is left or the server stops.
func (a *App) runImport(id uint64) error {
	detail := "import " + strconv.FormatUint(id, 10)
	for {
		select {
		case <-a.stop:
			return errJobStopped
		default:
		}
		im, err := a.db.ApplyImportBatch(id, importBatch, detail)
		if err != nil {
			return err
		}
		if im.State == store.ImportDone {
			return nil
		}
	}
}

// pruneImports forgets ended imports and their error reports after
// importsKeep.
func (a *App) pruneImports() {
	if err := a.db.PruneImports(importsKeep); err != nil {
		a.log.Error("prune imports", "err", err)
	}
}
