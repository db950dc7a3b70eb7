package app

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"accord/store"

	"github.com/go-playground/validator/v10"
	"golang.org/x/text/encoding/charmap"
)

// Reading an uploaded CSV of enrolments or progress (issue 11.3): the
// columns are the API's item fields under the same names (api_bulk.go),
// each row is read into the API's item and checked by the API's rules
// (checkItem), so a row and a JSON item are accepted or refused alike.

const (
	importMaxBytes = 16 << 20 // an upload, in bytes (about 250,000 progress rows)
	importMaxRows  = 200_000  // data rows in one file
)

// importColumns are each kind's columns: the required ones first.
var importColumns = map[store.ImportKind]struct{ Required, Optional []string }{
	store.ImportEnrolments: {Required: []string{"email", "course"}, Optional: []string{"ended"}},
	store.ImportProgress:   {Required: []string{"email", "course", "activity_id", "status"}, Optional: []string{"activity", "percent", "score"}},
}

// importKinds are the kinds, in the order the page shows them.
var importKinds = []store.ImportKind{store.ImportEnrolments, store.ImportProgress}

// fileError refuses a whole file: a locale key and its arguments.
type fileError struct {
	Key  string
	Args []any
}

// parsedImport is a file read row by row.
type parsedImport struct {
	Columns []string // the header as written (lower case, trimmed)
	Rows    []store.ImportRow
	Refused []store.ImportError
}

// parseImport reads data as a CSV of kind: a header naming columns of the
// kind (any order, any case; a byte-order mark, CRLF or CR line ends, and
// commas, semicolons or tabs as separators are all fine), then one row per
// item. A file that is not such a CSV is refused whole; otherwise every row
// is accepted (Rows) or refused (Refused) with its line and the reason.
// Text that is not UTF-8 is read as Windows-1252 (what Excel writes for "CSV
// (separator: semicolon)" in French).
func parseImport(v *validator.Validate, kind store.ImportKind, data []byte) (*parsedImport, *fileError) {
	cols, ok := importColumns[kind]
	if !ok {
		return nil, &fileError{Key: "import.file.kind"}
	}
	text, ferr := importText(data)
	if ferr != nil {
		return nil, ferr
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = sniffSeparator(text)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, &fileError{Key: "import.file.empty"}
	} else if err != nil {
		return nil, &fileError{Key: "import.file.not_csv"}
	}
	out := &parsedImport{}
	if ferr := readHeader(header, cols.Required, cols.Optional, out); ferr != nil {
		return nil, ferr
	}
	for {
		record, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var line int
		var pe *csv.ParseError
		switch {
		case err == nil:
			line, _ = r.FieldPos(0)
		case errors.As(err, &pe):
			line = pe.StartLine
		default:
			return nil, &fileError{Key: "import.file.not_csv"}
		}
		if err == nil && blankRecord(record) {
			continue
		}
		if len(out.Rows)+len(out.Refused) == importMaxRows {
			return nil, &fileError{Key: "import.file.too_many_rows", Args: []any{"Max", importMaxRows}}
		}
		cells := slices.Clone(record)
		switch {
		case err != nil:
			out.refuse(line, cells, problem{Code: "malformed"})
		case len(record) != len(out.Columns):
			out.refuse(line, cells, problem{Code: "cells", Param: strconv.Itoa(len(out.Columns))})
		default:
			row, p := readRow(v, kind, out.Columns, record)
			if p != nil {
				out.refuse(line, cells, *p)
				continue
			}
			row.Line, row.Cells = line, cells
			out.Rows = append(out.Rows, row)
		}
	}
	if len(out.Rows)+len(out.Refused) == 0 {
		return nil, &fileError{Key: "import.file.no_rows"}
	}
	return out, nil
}

// importText is data as text: not a binary file or a spreadsheet, UTF-8
// without its byte-order mark, each line ended by \n or \r\n.
func importText(data []byte) (string, *fileError) {
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return "", &fileError{Key: "import.file.empty"}
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0")):
		return "", &fileError{Key: "import.file.spreadsheet"} // xlsx (zip), xls (OLE)
	case bytes.HasPrefix(data, []byte("\xff\xfe")), bytes.HasPrefix(data, []byte("\xfe\xff")):
		return "", &fileError{Key: "import.file.encoding"} // UTF-16
	case bytes.IndexByte(data, 0) >= 0:
		return "", &fileError{Key: "import.file.not_csv"}
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		dec, err := charmap.Windows1252.NewDecoder().Bytes(data)
		if err != nil {
			return "", &fileError{Key: "import.file.encoding"}
		}
		data = dec
	}
	if bytes.IndexByte(data, '\n') < 0 {
		data = bytes.ReplaceAll(data, []byte("\r"), []byte("\n")) // classic Mac line ends
	}
	return string(data), nil
}

// sniffSeparator is the most frequent of comma, semicolon and tab in the
// first line (comma on a tie).
func sniffSeparator(text string) rune {
	first, _, _ := strings.Cut(text, "\n")
	best, n := ',', strings.Count(first, ",")
	for _, sep := range []rune{';', '\t'} {
		if c := strings.Count(first, string(sep)); c > n {
			best, n = sep, c
		}
	}
	return best
}

// readHeader sets out.Columns from the header, which must name each
// required column once and nothing but the kind's columns.
func readHeader(header, required, optional []string, out *parsedImport) *fileError {
	known := append(slices.Clone(required), optional...)
	for _, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch {
		case !slices.Contains(known, name):
			return &fileError{Key: "import.file.unknown_column", Args: []any{"Column", cutText(name, 40), "Columns", strings.Join(known, ", ")}}
		case slices.Contains(out.Columns, name):
			return &fileError{Key: "import.file.duplicate_column", Args: []any{"Column", name}}
		}
		out.Columns = append(out.Columns, name)
	}
	var missing []string
	for _, name := range required {
		if !slices.Contains(out.Columns, name) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return &fileError{Key: "import.file.missing_columns", Args: []any{"Columns", strings.Join(missing, ", ")}}
	}
	return nil
}

// cutText is s cut to at most n characters.
func cutText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func blankRecord(record []string) bool {
	for _, c := range record {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func (out *parsedImport) refuse(line int, cells []string, p problem) {
	e := store.ImportError{Line: line, Code: p.Code, Field: p.Field, Param: p.Param, Cells: cells}
	if i := slices.Index(out.Columns, "email"); i >= 0 && i < len(cells) {
		e.Email = strings.TrimSpace(cells[i])
	}
	out.Refused = append(out.Refused, e)
}

// readRow reads one row of kind into the store's item, or says why not.
func readRow(v *validator.Validate, kind store.ImportKind, columns, record []string) (store.ImportRow, *problem) {
	cell := func(name string) string {
		if i := slices.Index(columns, name); i >= 0 {
			return strings.TrimSpace(record[i])
		}
		return ""
	}
	var in platformItem
	var p *problem
	switch kind {
	case store.ImportEnrolments:
		e := &apiEnrolmentIn{Email: cell("email"), Course: cell("course")}
		e.Ended, p = cellBool("ended", cell("ended"))
		in = e
	default:
		pr := &apiProgressIn{Email: cell("email"), Course: cell("course"), ActivityID: cell("activity_id"),
			Activity: cell("activity"), Status: strings.ToLower(cell("status"))}
		var pp, ps *problem
		pr.Percent, pp = cellPercent(cell("percent"))
		pr.Score, ps = cellScore(cell("score"))
		p = cmp.Or(pp, ps)
		in = pr
	}
	if problems := checkItem(v, in); len(problems) > 0 {
		p = &problems[0]
	}
	if p != nil {
		return store.ImportRow{}, p
	}
	switch in := in.(type) {
	case *apiEnrolmentIn:
		it := in.item()
		return store.ImportRow{Enrolment: &it}, nil
	case *apiProgressIn:
		it := in.item()
		return store.ImportRow{Progress: &it}, nil
	}
	return store.ImportRow{}, &problem{Code: "invalid"}
}

// cellBool reads yes/no as a spreadsheet may write it; empty is no.
func cellBool(field, s string) (bool, *problem) {
	switch strings.ToLower(s) {
	case "", "0", "false", "no", "non", "faux":
		return false, nil
	case "1", "true", "yes", "oui", "vrai":
		return true, nil
	}
	return false, &problem{Field: field, Code: "boolean"}
}

// cellPercent reads a whole percentage ("80", "80 %"); empty is 0.
func cellPercent(s string) (int, *problem) {
	s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, &problem{Field: "percent", Code: "integer"}
	}
	return n, nil
}

// cellScore reads a score with a decimal point or comma ("12.5", "12,5");
// empty is none.
func cellScore(s string) (*float64, *problem) {
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, &problem{Field: "score", Code: "number"}
	}
	return &f, nil
}
