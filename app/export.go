package app

import (
	"archive/zip"
	"compress/flate"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// The export (GDPR art. 15 and 20) is built generically from the data
// inventory: one JSON file per Personal bucket, whatever features add.
//
// The ZIP is written from ONE bbolt read transaction (one consistent
// snapshot) and sent under the download rule of download.go: copied out to
// a spool first, so a slow client never holds the transaction open, and a
// failure gives an error page instead of a cut download.

// exportSample caps how many records of each kind index.html shows in full;
// the JSON files always hold every record.
const exportSample = 100

// exportKind is one kind of data in the export.
type exportKind struct {
	Bucket string
	File   string
	Label  string
	Count  int
	Sample []exportRecord
}

// exportRecord is one record shown in index.html: its fields in name order.
type exportRecord []exportField

type exportField struct{ Key, Value string }

// exportPage is what views/requests/export.html receives.
type exportPage struct {
	*Translator
	User      *store.User
	SiteName  string
	Generated time.Time
	Kinds     []*exportKind
	Sample    int
}

// writeExport writes to out the ZIP of everything Accord holds about userID,
// its index.html in tr's language. The records come from one read
// transaction; index.html is rendered after it ended.
func (a *App) writeExport(out io.Writer, userID uint64, tr *Translator) error {
	zw := zip.NewWriter(out)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	now := a.db.Now()
	file := func(name string) (io.Writer, error) {
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: now})
	}
	page := &exportPage{Translator: tr, SiteName: a.Settings().SiteName, Generated: now, Sample: exportSample}
	var w io.Writer
	var cur *exportKind
	closeArray := func() error {
		if cur == nil {
			return nil
		}
		sep := "\n]\n"
		if cur.Count == 0 {
			sep = "]\n"
		}
		_, err := io.WriteString(w, sep)
		return err
	}
	start := func(in store.BucketInfo) error {
		if err := closeArray(); err != nil {
			return err
		}
		cur = &exportKind{Bucket: in.Name, File: "data/" + in.Name + ".json", Label: kindLabel(tr, in)}
		page.Kinds = append(page.Kinds, cur)
		var err error
		if w, err = file(cur.File); err != nil {
			return err
		}
		_, err = io.WriteString(w, "[")
		return err
	}
	emit := func(v any) error {
		if u, ok := v.(*store.User); ok && page.User == nil {
			page.User = u
		}
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("app: export: encode %s: %w", cur.Bucket, err)
		}
		sep := ",\n"
		if cur.Count == 0 {
			sep = "\n"
		}
		cur.Count++
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
		if len(cur.Sample) < exportSample {
			cur.Sample = append(cur.Sample, flatten(tr, data))
		}
		return nil
	}
	if err := a.db.ExportUser(userID, start, emit); err != nil {
		return err
	}
	if err := closeArray(); err != nil {
		return err
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
	if _, err := io.WriteString(rw, tr.T("export.readme", "Site", page.SiteName, "Date", tr.DateTime(now))+"\n"); err != nil {
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
	return a.sendDownload(c, d, func(w io.Writer) error { return a.writeExport(w, r.UserID, tr) })
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

// valueKeys translate well-known coded values in index.html (the JSON keeps
// the codes): field name → locale key prefix.
var valueKeys = map[string]string{"action": "audit.action.", "status": "requests.status.", "type": "requests.kind.", "role": "role."}

// flatten turns one JSON object into its fields, nested values as JSON,
// coded values followed by their meaning in the reader's language.
func flatten(tr *Translator, data []byte) exportRecord {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return exportRecord{{Key: "value", Value: string(data)}}
	}
	out := make(exportRecord, 0, len(m))
	for k, v := range m {
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v)
		} else if prefix, ok := valueKeys[k]; ok && s != "" {
			if t := tr.T(prefix + s); t != prefix+s {
				s = t + " (" + s + ")"
			}
		}
		out = append(out, exportField{Key: k, Value: s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
