package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"accord/store"
)

// Ensure that the export's index.html reads as a letter in the person's
// language: French labels and values (policy names, statuses, course
// titles), dates as French writes them, the texts answered linked with
// their hash and put in the ZIP under it, large kinds summarised; that the
// JSON files keep every record with its codes; and that README.txt names
// every field.
func TestExportLetter(t *testing.T) {
	e := newEnv(t)
	zoe := e.person(t, "zoe@example.org", store.RoleLearner, "Zoé", "Lefèvre", "fr")
	course := &store.Course{Code: "RGPD-1", TitleEN: "Data protection basics", TitleFR: "Les bases de la protection des données"}
	if err := e.db.CreateCourse(course, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Enrol(zoe.ID, course.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.db.AddProgressRows(zoe.ID, course.ID, 250); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.CreateDPOThread(zoe.ID, "Mes données de cours", "Que gardez-vous ?"); err != nil {
		t.Fatal(err)
	}
	e.advance(3*24*time.Hour + 4*time.Hour + 5*time.Minute) // 1 December 2026, 14:05 UTC
	if _, err := e.app.createRequest(store.NewRequest{UserID: zoe.ID, Type: store.RequestExport, DueDays: 30}); err != nil {
		t.Fatal(err)
	}
	var zip bytes.Buffer
	if err := e.app.writeExport(&zip, zoe.ID, nil, e.app.tr["fr"]); err != nil {
		t.Fatal(err)
	}
	files := unzip(t, zip.String())
	idx := files["index.html"]
	for _, want := range []string{
		`<html lang="fr">`, "Bonjour Zoé Lefèvre,", "Contenu de cette archive", // greeting, table of contents
		"1er décembre 2026 à 14\u00a0h\u00a005",                              // the export's date, the request's
		"Les bases de la protection des données",                             // the course by its French title
		"Mes données de cours", "En attente d’approbation", "Copie (export)", // DPO subject, request status and type
		"Acceptée", "texts/", "prefers-color-scheme: dark", "@media print", `data-label="`,
	} {
		if !strings.Contains(idx, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	for _, bad := range []string{"awaiting_approval", "export.field.", "export.letter", "T14:05", "http://", "https://"} {
		if strings.Contains(idx, bad) {
			t.Errorf("index.html shows %q (a code, a key, an ISO time or an external resource)", bad)
		}
	}
	if n := strings.Count(idx, "<tr>"); n > 40 {
		t.Errorf("index.html has %d rows for 250 progress rows and a few records: progress is not summarised", n)
	}
	// The texts answered: linked, and in the ZIP under their SHA-256.
	var agreed int
	for name, content := range files {
		if !strings.HasPrefix(name, "texts/") {
			continue
		}
		agreed++
		sum := sha256.Sum256([]byte(content))
		if hash := hex.EncodeToString(sum[:]); name != textFile(hash) {
			t.Errorf("%s: its SHA-256 is %s", name, hash)
		}
		if !strings.Contains(idx, `href="`+name+`"`) {
			t.Errorf("index.html does not link %s", name)
		}
	}
	if want := len(e.app.consent.Snapshot().ForUsers()); agreed != want || agreed == 0 {
		t.Errorf("texts in the ZIP: got %d, want %d (one per version agreed to)", agreed, want)
	}
	// The JSON files: every record, codes kept.
	var progress []store.Progress
	if err := json.Unmarshal([]byte(files["data/progress.json"]), &progress); err != nil || len(progress) != 250 {
		t.Errorf("data/progress.json: %d records, %v", len(progress), err)
	}
	if !strings.Contains(files["data/data_requests.json"], `"status":"awaiting_approval"`) {
		t.Errorf("data/data_requests.json lost the status code:\n%s", files["data/data_requests.json"])
	}
	// The README names every field of the files, in French.
	readme := files["README.txt"]
	for bucket, typ := range exportTypes {
		for _, f := range jsonFields(typ, "") {
			if !strings.Contains(readme, "- "+f.Name+" (") {
				t.Errorf("README.txt does not name %s of %s", f.Name, bucket)
			}
		}
	}
	for _, want := range []string{"data/enrolments.json", "- course_title_fr (texte)\u00a0: Titre du cours (français)", "- time (date et heure, RFC 3339)\u00a0: Date"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.txt lacks %q:\n%s", want, readme)
		}
	}
}

// Ensure that every field of the export's JSON files has a label in each
// language (index.html's column heads, README.txt).
func TestExportFieldLabels(t *testing.T) {
	e := newEnv(t)
	for bucket, typ := range exportTypes {
		for _, f := range jsonFields(typ, "") {
			for _, lang := range Langs {
				if key := "export.field." + leaf(f.Name); e.app.tr[lang].T(key) == key {
					t.Errorf("%s.%s: no %s in locales/%s.export.json", bucket, f.Name, key, lang)
				}
			}
		}
	}
}
