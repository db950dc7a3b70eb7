package app

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// csvWriter writes a spreadsheet-safe CSV: UTF-8 with a byte-order mark (so
// spreadsheet apps read accents right) and no cell that a spreadsheet would
// run as a formula.
type csvWriter struct {
	w *csv.Writer
}

// startCSV sets the download headers of a CSV named filename and returns a
// writer over the response body. Call flush when done.
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

// safeCell defuses formula injection (OWASP): a cell starting with = + - @,
// tab or carriage return gets a leading apostrophe, which spreadsheets show
// as text.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
