package app

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/unicode/norm"
)

// csvWriter writes a spreadsheet-safe CSV: UTF-8 with a byte-order mark (so
// spreadsheet apps read accents right) and no cell that a spreadsheet would
// run as a formula.
type csvWriter struct {
	w *csv.Writer
}

// sendCSV is sendDownload for a CSV: fill writes the rows (header row
// included) through cw from a single store read; the byte-order mark, the
// neutralised cells and the download rule (copy out, then send) are done
// here. Every CSV download goes through it.
func (a *App) sendCSV(c *fiber.Ctx, d download, fill func(cw *csvWriter) error) error {
	d.Type = "text/csv; charset=utf-8"
	return a.sendDownload(c, d, func(w io.Writer) error {
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return err
		}
		cw := &csvWriter{w: csv.NewWriter(w)}
		if err := fill(cw); err != nil {
			return err
		}
		return cw.flush()
	})
}

// startCSV sets the download headers of a CSV named filename and returns a
// writer over the response body. Call flush when done.
//
// Deprecated: it streams while the caller's read transaction is open; use
// sendCSV. Kept until getAgreementsCSV moves to sendCSV.
func startCSV(c *fiber.Ctx, filename string, w *bufio.Writer) *csvWriter {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename=%q`, filename))
	c.Set(fiber.HeaderCacheControl, "no-store")
	w.WriteString("\ufeff")
	return &csvWriter{w: csv.NewWriter(w)}
}

// row writes one record, each cell neutralised.
func (cw *csvWriter) row(cells ...string) error {
	for i, s := range cells {
		cells[i] = safeCell(s)
	}
	return cw.w.Write(cells)
}

func (cw *csvWriter) flush() error {
	cw.w.Flush()
	return cw.w.Error()
}

// safeCell defuses formula injection (OWASP, CSV injection): a cell that a
// spreadsheet could read as a formula gets a leading apostrophe, which
// spreadsheets show as text. That is a cell starting with tab or carriage
// return, or whose first visible character is = + - @ — in ASCII, in a
// full-width or small form (＝ ＋ － ＠ ﹦ ﹢ ﹣ ﹫), or as the minus sign −
// — even behind invisible characters (zero-width spaces and joiners, the
// byte-order mark, bidi marks, controls, spaces; see invisible), which a
// reader cannot see and some spreadsheets drop.
func safeCell(s string) string {
	if formulaLike(s) {
		return "'" + s
	}
	return s
}

// formulaLike reports whether s could start a formula (see safeCell).
func formulaLike(s string) bool {
	if s != "" && (s[0] == '\t' || s[0] == '\r') {
		return true
	}
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		if !invisible(r) {
			return formulaStart(r)
		}
		s = s[size:]
	}
	return false
}

// invisible reports whether r is skipped when looking for a cell's first
// character: anything that is not a letter, digit, punctuation or symbol
// (controls, format characters such as zero-width spaces, joiners, the BOM
// and bidi marks, spaces, combining marks, private-use and unassigned code
// points), and the few letters that draw as blanks.
func invisible(r rune) bool {
	switch r {
	case '\u115f', '\u1160', '\u3164', '\uffa0', '\u2800':
		return true
	}
	return !(unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsPunct(r) || unicode.IsSymbol(r))
}

// formulaStart reports whether r, or its compatibility form, opens a formula.
func formulaStart(r rune) bool {
	if r == '\u2212' { // MINUS SIGN
		return true
	}
	if r < utf8.RuneSelf {
		return strings.ContainsRune("=+-@", r)
	}
	folded := norm.NFKC.String(string(r))
	return len(folded) == 1 && strings.ContainsRune("=+-@", rune(folded[0]))
}
