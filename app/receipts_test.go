package app

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"accord/store"
)

// backupOf copies the live database to a file verify can open.
func backupOf(t *testing.T, e *testEnv) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "b.db")
	if _, err := e.db.BackupFile(file); err != nil {
		t.Fatal(err)
	}
	return file
}

// Ensure that a learner opens the receipt of their policy answer (page in
// EN and FR, written nothing) and downloads it (JSON, audited once), that
// `verify --receipt` accepts it against a backup and refuses it edited,
// and that another user's id, an unknown id and a visitor get nothing.
func TestPolicyReceipts(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	e.user(t, "bob@example.org", store.RoleLearner)
	evs, err := e.db.UserAcceptances(ann.ID)
	if err != nil || len(evs) == 0 {
		t.Fatalf("ann's answers: got %d, %v", len(evs), err)
	}
	id := strconv.FormatUint(evs[0].ID, 10)
	path := "/profile/policies/receipts/" + id
	c := e.client(t)
	c.login("ann@example.org")
	if res := c.get("/profile/policies").want(t, http.StatusOK); !res.has(`href="` + path + `"`) {
		t.Errorf("/profile/policies does not link the receipt %s", path)
	}
	before, _ := e.db.CommitID()
	for lang, want := range map[string]string{"en": "Receipt of your answer", "fr": "Reçu de votre réponse"} {
		res := c.get(path+"?lang="+lang).want(t, http.StatusOK)
		if !res.has(want) || !res.has(`href="`+path+`/download"`) || !res.has(`<dd id="receipt-position">`) {
			t.Errorf("%s: the receipt page lacks its title, download link or chain position", lang)
		}
	}
	if after, _ := e.db.CommitID(); after != before {
		t.Errorf("GET %s wrote to the database", path)
	}
	res := c.get(path+"/download").want(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("download: got Content-Type %q, Cache-Control %q", ct, res.Header.Get("Cache-Control"))
	}
	var r store.Receipt
	if err := json.Unmarshal([]byte(res.Body), &r); err != nil {
		t.Fatal(err)
	}
	if r.RecordID != "policy-answer-"+id || r.PIIPrincipalID != "account-"+strconv.FormatUint(ann.ID, 10) || r.Notice.TextSHA256 != evs[0].TextHash || r.Chain.Position == 0 {
		t.Errorf("receipt: got %+v", r)
	}
	if _, n, _ := e.db.ListAudit(store.AuditQuery{Action: store.ActReceiptDownloaded}); n != 1 {
		t.Errorf("downloads audited: got %d, want 1", n)
	}
	file := backupOf(t, e)
	if rep, err := store.VerifyReceiptFile(file, []byte(res.Body), store.VerifyOptions{}); err != nil || rep.Entry.Seq != r.Chain.Position {
		t.Fatalf("verify the receipt: got %v, %v", rep, err)
	}
	for name, edit := range map[string][2]string{
		"record":  {`"status": "accepted"`, `"status": "declined"`},
		"summary": {`"event_state": "given"`, `"event_state": "refused"`},
		"hash":    {`"entry_sha256": "`, `"entry_sha256": "0`},
	} {
		edited := strings.Replace(res.Body, edit[0], edit[1], 1)
		if edited == res.Body {
			t.Fatalf("%s: %q not in the receipt", name, edit[0])
		}
		if _, err := store.VerifyReceiptFile(file, []byte(edited), store.VerifyOptions{}); !errors.Is(err, store.ErrReceipt) {
			t.Errorf("%s edited: got %v, want ErrReceipt", name, err)
		}
	}
	// Someone else's receipt, an unknown one, a visitor: nothing.
	bc := e.client(t)
	bc.login("bob@example.org")
	for _, p := range []string{path, path + "/download", "/profile/policies/receipts/99999"} {
		bc.get(p).want(t, http.StatusNotFound)
	}
	e.client(t).get(path).want(t, http.StatusSeeOther)
}

// Ensure that each cookie choice of an account has its receipt, linked
// from the preferences page, that it verifies, and that another user gets
// 404.
func TestCookieReceipts(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	e.user(t, "bob@example.org", store.RoleLearner)
	c := e.client(t)
	c.login("ann@example.org")
	c.get("/cookies")
	c.post("/cookies", url.Values{"choice": {"custom"}, "category": {"statistics"}}).want(t, http.StatusSeeOther)
	hist, err := e.db.CookieConsentHistory(ann.ID)
	if err != nil || len(hist) == 0 {
		t.Fatalf("ann's cookie choices: got %d, %v", len(hist), err)
	}
	path := "/cookies/receipts/" + hist[0].ID
	if res := c.get("/cookies").want(t, http.StatusOK); !res.has(`href="` + path + `"`) {
		t.Errorf("/cookies does not link the receipt %s", path)
	}
	before, _ := e.db.CommitID()
	for lang, want := range map[string]string{"en": "Cookie choice", "fr": "Choix de cookies"} {
		if res := c.get(path+"?lang="+lang).want(t, http.StatusOK); !res.has(want) {
			t.Errorf("%s: the receipt page does not say %q", lang, want)
		}
	}
	if after, _ := e.db.CommitID(); after != before {
		t.Errorf("GET %s wrote to the database", path)
	}
	res := c.get(path+"/download").want(t, http.StatusOK)
	var r store.Receipt
	if err := json.Unmarshal([]byte(res.Body), &r); err != nil {
		t.Fatal(err)
	}
	want := []store.ReceiptPurpose{{Purpose: "cookies-necessary", Consent: true}, {Purpose: "cookies-preferences", Consent: false}, {Purpose: "cookies-statistics", Consent: true}}
	if r.RecordID != hist[0].ID || len(r.Purposes) != 3 || r.Purposes[0] != want[0] || r.Purposes[1] != want[1] || r.Purposes[2] != want[2] {
		t.Errorf("receipt: got %+v, want purposes %v", r, want)
	}
	file := backupOf(t, e)
	if _, err := store.VerifyReceiptFile(file, []byte(res.Body), store.VerifyOptions{}); err != nil {
		t.Fatalf("verify the receipt: %v", err)
	}
	edited := strings.Replace(res.Body, `"statistics": true`, `"statistics": false`, 1)
	if edited == res.Body {
		t.Fatal("no statistics decision in the receipt")
	}
	if _, err := store.VerifyReceiptFile(file, []byte(edited), store.VerifyOptions{}); !errors.Is(err, store.ErrReceipt) || !strings.Contains(err.Error(), "decisions") {
		t.Errorf("edited: got %v, want ErrReceipt naming the decisions", err)
	}
	bc := e.client(t)
	bc.login("bob@example.org")
	bc.get(path).want(t, http.StatusNotFound)
	bc.get(path+"/download").want(t, http.StatusNotFound)
	_ = os.Remove(file)
}
