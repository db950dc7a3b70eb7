package app

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"accord/store"
)

// The export (GDPR art. 15 and 20) is built generically from the data
// inventory: one JSON file per Personal bucket, whatever features add.
//
// Why in memory: the ZIP is built inside ONE bbolt read transaction (one
// consistent snapshot) into a buffer, and only then sent. Streaming to the
// client while holding the View would let a slow client keep the
// transaction open for the whole transfer, blocking the file's remap and,
// behind it, writers (STYLE.md, bbolt traps); writing to a temporary file
// would put personal data on disk. The buffer holds the compressed archive
// only (a few MB for a heavy user, see docs/bench-requests.md), and a
// failure gives a proper error page instead of a cut download.

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

// buildExport returns the ZIP of everything Accord holds about userID, its
// index.html in tr's language.
func (a *App) buildExport(userID uint64, tr *Translator) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
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
		return nil, err
	}
	if err := closeArray(); err != nil {
		return nil, err
	}
	iw, err := file("index.html")
	if err != nil {
		return nil, err
	}
	if err := a.views.Render(iw, "requests/export", page); err != nil {
		return nil, fmt.Errorf("app: export: render index: %w", err)
	}
	rw, err := file("README.txt")
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(rw, tr.T("export.readme", "Site", page.SiteName, "Date", tr.DateTime(now))+"\n"); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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
