package app

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// The export (GDPR art. 15 and 20) is built generically from the data
// inventory: one JSON file per Personal bucket, whatever features add, plus
// index.html, a letter in the person's language (export_letter.go), the
// texts they answered (texts/<sha-256>.txt) and README.txt naming every
// field (export_readme.go).
//
// The ZIP is written from ONE bbolt read transaction (one consistent
// snapshot) and sent under the download rule of download.go: copied out to
// a spool first, so a slow client never holds the transaction open, and a
// failure gives an error page instead of a cut download.

// exportSample caps how many records of each kind index.html shows; the
// JSON files always hold every record.
const exportSample = 100

// flateWriters are reused across the files of an export and across
// exports: a new flate writer costs about 1 MB, and an export has a file
// per kind of data (most of what an export allocated, issue 13).
var flateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed) // BestSpeed is a valid level: no error
	return w
}}

// pooledFlate gives its writer back to flateWriters once closed.
type pooledFlate struct{ *flate.Writer }

func (p *pooledFlate) Close() error {
	err := p.Writer.Close()
	flateWriters.Put(p.Writer)
	p.Writer = nil
	return err
}

// writeExport writes to out the ZIP of everything Accord holds about userID
// (or, when courses is not empty, only their enrolments and progress in
// those courses, which index.html says), its index.html and README.txt in
// tr's language. The records come from one read transaction; the letter is
// put together after it ended.
func (a *App) writeExport(out io.Writer, userID uint64, courses []uint64, tr *Translator) error {
	zw := zip.NewWriter(out)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		fw := flateWriters.Get().(*flate.Writer)
		fw.Reset(w)
		return &pooledFlate{fw}, nil
	})
	now := a.db.Now()
	file := func(name string) (io.Writer, error) {
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: now})
	}
	l := newLetter(tr)
	var (
		w     io.Writer
		count int
		buf   bytes.Buffer // one encoding buffer for every record
		enc   = json.NewEncoder(&buf)
	)
	closeArray := func() error {
		if w == nil {
			return nil
		}
		sep := "\n]\n"
		if count == 0 {
			sep = "]\n"
		}
		_, err := io.WriteString(w, sep)
		return err
	}
	start := func(in store.BucketInfo) error {
		if err := closeArray(); err != nil {
			return err
		}
		l.start(in)
		count = 0
		var err error
		if w, err = file(l.cur.File); err != nil {
			return err
		}
		_, err = io.WriteString(w, "[")
		return err
	}
	emit := func(v any) error {
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("app: export: encode %s: %w", l.cur.Bucket, err)
		}
		sep := ",\n"
		if count == 0 {
			sep = "\n"
		}
		count++
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		if _, err := w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))); err != nil {
			return err
		}
		l.add(v)
		return nil
	}
	if err := a.db.ExportUserCourses(userID, courses, start, emit); err != nil {
		return err
	}
	if err := closeArray(); err != nil {
		return err
	}
	page := a.finishLetter(l, now)
	if len(courses) > 0 {
		page.Courses = a.courseTitles(courses, tr.Lang)
		if page.User == nil { // the account is not in a limited export: greet them still
			page.User, _ = a.db.User(userID)
		}
	}
	for _, t := range page.Texts {
		tw, err := file(t.File)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(tw, t.Content); err != nil {
			return err
		}
	}
	iw, err := file("index.html")
	if err != nil {
		return err
	}
	if err := a.views.Render(iw, "requests/export", page); err != nil {
		return fmt.Errorf("app: export: render index: %w", err)
	}
	rw, err := file("README.txt")
	if err != nil {
		return err
	}
	if _, err := io.WriteString(rw, l.readme(page)); err != nil {
		return err
	}
	return zw.Close()
}

// sendExportZIP sends the export of request r (an export ready to download)
// to the client, audited as downloaded by the signed-in user.
func (a *App) sendExportZIP(c *fiber.Ctx, r *store.DataRequest) error {
	tr := a.translator(c)
	d := download{
		Name: fmt.Sprintf("accord-export-%d-%s.zip", r.ID, a.db.Now().UTC().Format("20060102")),
		Type: "application/zip",
		Audit: store.AuditEvent{Action: store.ActExportDownloaded, ActorID: currentUser(c).ID, SubjectID: r.UserID,
			Detail: fmt.Sprintf("request %d", r.ID)},
	}
	return a.sendDownload(c, d, func(w io.Writer) error { return a.writeExport(w, r.UserID, r.Courses, tr) })
}

// kindLabel names a kind of data in the reader's language, or by what the
// inventory says it holds when no translation exists (buckets of features
// added later are still exported, described in English).
func kindLabel(tr *Translator, in store.BucketInfo) string {
	key := "export.kind." + in.Name
	if s := tr.T(key); s != key {
		return s
	}
	return in.Holds
}
