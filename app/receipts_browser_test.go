package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"accord/store"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// Ensure that a learner who accepts the policies opens the receipt from
// their profile, downloads it with Chromium, and that the file verifies
// against a backup of the database (what `accord verify --receipt FILE`
// runs).
func TestBrowserReceipt(t *testing.T) {
	b := newBrowser(t)
	e := b.env
	ann := e.newcomer(t, "ann@example.org", store.RoleLearner)
	b.login("ann@example.org")
	for i := 0; i < 5 && strings.HasPrefix(b.path(), "/consent"); i++ {
		eval[bool](b, `(() => { document.querySelectorAll('#consent-form input[type=checkbox]').forEach(e => { if (!e.checked) e.click() });
			document.querySelectorAll('#consent-form input[type=radio][value=accept]').forEach(e => e.click()); return true })()`)
		b.submit(`#consent-form button[type=submit]`)
	}
	if got := b.path(); strings.HasPrefix(got, "/consent") {
		t.Fatalf("still on %s after accepting:\n%s", got, b.text("main"))
	}
	evs, err := e.db.UserAcceptances(ann.ID)
	if err != nil || len(evs) == 0 {
		t.Fatalf("ann's answers: got %d, %v", len(evs), err)
	}
	b.visit("/profile/policies")
	b.submit(`a.receipt-link`)
	if got := b.path(); !strings.HasPrefix(got, "/profile/policies/receipts/") {
		t.Fatalf("the receipt link led to %s", got)
	}
	b.waitText("h1", "Receipt of your answer")
	dir := t.TempDir()
	run(b, "allow downloads", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return err
	}))
	b.click("#receipt-download")
	var file string
	for deadline := time.Now().Add(actionTimeout); file == "" && time.Now().Before(deadline); {
		if found, _ := filepath.Glob(filepath.Join(dir, "*.json")); len(found) == 1 {
			file = found[0]
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if file == "" {
		b.fail("download the receipt", fmt.Errorf("no JSON in %s", dir))
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := store.VerifyReceiptFile(backupOf(t, e), raw, store.VerifyOptions{})
	if err != nil {
		t.Fatalf("verify --receipt %s: %v\n%s", filepath.Base(file), err, raw)
	}
	if rep.Entry.Kind != store.ChainPolicyAnswer || !strings.Contains(b.text("#receipt-position"), fmt.Sprint(rep.Entry.Seq)) {
		t.Errorf("the receipt matches entry %d (%s); the page shows position %q", rep.Entry.Seq, rep.Entry.Kind, b.text("#receipt-position"))
	}
}
