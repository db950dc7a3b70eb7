package app

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"accord/store"
)

// Ensure that a backup carries the chain head it holds, in its name and in
// X-Accord-Chain-Head, and that the file verifies to that head; and that
// the audit page shows the head to staff, EN and FR, without writing.
func TestBackupAndAuditCarryChainHead(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	c := e.client(t)
	c.login("admin@example.org")
	res := c.get("/admin/backup").want(t, http.StatusOK)
	head := res.Header.Get("X-Accord-Chain-Head")
	if len(head) != 64 || !strings.Contains(res.Header.Get("Content-Disposition"), "-chain-"+head+".db") {
		t.Fatalf("got head %q, disposition %q, want the head in both", head, res.Header.Get("Content-Disposition"))
	}
	file := filepath.Join(t.TempDir(), "b.db")
	if err := os.WriteFile(file, []byte(res.Body), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := store.VerifyFile(file, store.VerifyOptions{})
	if err != nil || rep.Head.HashHex() != head {
		t.Fatalf("verify the backup: got %v, %v; want its head %s", rep, err, head)
	}
	live, err := e.db.ChainHead()
	if err != nil {
		t.Fatal(err)
	}
	before, _ := e.db.CommitID()
	for _, lang := range []string{"en", "fr"} {
		res := c.get("/admin/audit?lang="+lang).want(t, http.StatusOK)
		want := map[string]string{"en": "Tamper-evident history", "fr": "Historique infalsifiable"}[lang]
		if !res.has(want) || !res.has(`<code id="chain-head">`+live.HashHex()+`</code>`) {
			t.Errorf("%s: the audit page does not show the head %s", lang, live.HashHex())
		}
	}
	if after, _ := e.db.CommitID(); after != before {
		t.Errorf("GET /admin/audit wrote to the database")
	}
}
