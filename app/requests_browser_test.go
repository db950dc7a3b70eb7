package app

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"accord/store"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// Ensure that a learner asks for an export on /profile/requests, that the
// officer sees it among the requests (an overdue one stands out) and
// approves it on its page with a note, that the learner's page then offers
// the download, and that the ZIP's index.html opens in Chromium showing the
// learner's name, translated labels and values and local dates in their
// language, in English and in French.
func TestBrowserExport(t *testing.T) {
	for _, tc := range []struct {
		lang, name, first, last                    string
		awaiting, ready, overdue, title, generated string
	}{
		{"en", "Ann Archer", "Ann", "Archer", "Awaiting approval", "Ready to download", "Overdue", "Your data", "Made on"},
		{"fr", "Zoé Lefèvre", "Zoé", "Lefèvre", "En attente d’approbation", "Prête à télécharger", "En retard", "Vos données", "Faite le"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			b := newBrowser(t)
			b.env.realDPO(t)
			learner := b.env.person(t, "learner@example.org", store.RoleLearner, tc.first, tc.last, tc.lang)
			b.env.person(t, "dora@example.org", store.RoleDPO, "Dora", "Officer", tc.lang)
			b.env.oldRequest(t, "late@example.org")
			officer := b.other()

			b.login("learner@example.org")
			b.refuseCookies()
			b.visit("/profile/requests")
			wantLang(t, b, tc.lang)
			b.click("#f-type-export")
			b.fill("#f-comments", "Everything, please.")
			if status := b.submit("#request-form button[type=submit]"); status != 200 || b.path() != "/profile/requests" {
				t.Fatalf("file the export: got %d at %s, want 200 at /profile/requests", status, b.path())
			}
			id := b.env.lastRequest(t, learner.ID)
			status := fmt.Sprintf("#request-status-%d", id)
			if got := b.text(status); !strings.Contains(got, tc.awaiting) {
				t.Errorf("learner's status: got %q, want %q", got, tc.awaiting)
			}
			b.shots("requests-awaiting")

			officer.login("dora@example.org")
			officer.refuseCookies()
			officer.visit("/admin/requests")
			if n := eval[int](officer, `document.querySelectorAll("tr.overdue").length`); n != 1 {
				t.Errorf("overdue rows: got %d, want 1", n)
			}
			if got := officer.text("tr.overdue"); !strings.Contains(got, tc.overdue) {
				t.Errorf("overdue row: got %q, want the %q badge", got, tc.overdue)
			}
			officer.shots("admin-requests")
			officer.submit(fmt.Sprintf(`a[href="/admin/requests/%d"]`, id))
			if !officer.has(tc.name) || !officer.has("Everything, please.") {
				t.Errorf("request page: want the learner's name and comments in\n%s", officer.text("main"))
			}
			officer.shots("admin-request")
			officer.fill("#f-note", "Here is your copy.")
			officer.submit(fmt.Sprintf(`form[action="/admin/requests/%d/approve"] button.primary`, id))
			officer.waitText(status, tc.ready) // at once, or after a poll
			officer.shots("admin-request-approved")

			b.visit("/profile/requests")
			b.waitText(status, tc.ready)
			if got := b.text("main table"); !strings.Contains(got, "Here is your copy.") {
				t.Errorf("learner's requests: got %q, want the officer's note", got)
			}
			b.shots("requests-ready")

			index := b.download(status+" a[download]", "index.html")
			if !bytes.Contains(index, []byte(tc.name)) {
				t.Errorf("index.html does not name %q", tc.name)
			}
			file := filepath.Join(t.TempDir(), "index.html")
			if err := os.WriteFile(file, index, 0o600); err != nil {
				t.Fatal(err)
			}
			b.do(chromedp.Navigate("file://" + file))
			wantLang(t, b, tc.lang)
			if got := b.text("h1"); !strings.Contains(got, tc.title) {
				t.Errorf("export heading: got %q, want %q", got, tc.title)
			}
			if !b.has(tc.name) || !b.has(tc.generated) {
				t.Errorf("export page: want %q and %q in\n%s", tc.name, tc.generated, b.text("body"))
			}
			// Labels, values and dates in the person's language, never
			// field names, codes or ISO timestamps.
			tr := b.env.app.tr[tc.lang]
			body := b.text("body")
			for _, want := range []string{tr.T("export.field.status"), tr.T("agreements.status.accepted"), tr.Date(b.env.clock())} {
				if !strings.Contains(body, want) {
					t.Errorf("export page in %s: want %q in\n%s", tc.lang, want, body)
				}
			}
			if m := regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|awaiting_approval|export\.field\.`).FindString(body); m != "" {
				t.Errorf("export page in %s: shows %q, a timestamp, code or key for a person to read", tc.lang, m)
			}
			b.shots("export-index")

			b.visit("/notifications")
			b.shots("notifications")
		})
	}
}

// Ensure that the learner's page polls an approved export's status (and
// only then) and shows the download link when the job is done, without
// reloading the page.
func TestBrowserRequestStatusPolls(t *testing.T) {
	b := newBrowser(t)
	learner := b.env.person(t, "learner@example.org", store.RoleLearner, "Ann", "Archer", "en")
	officer := b.env.person(t, "dora@example.org", store.RoleDPO, "Dora", "Officer", "en")
	r, err := b.env.db.CreateRequest(store.NewRequest{UserID: learner.ID, Type: store.RequestExport,
		FiledBy: store.FiledBySelf, FiledByID: learner.ID, DueDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	// Approved with its job queued, as between two ticks of the runner.
	if _, err := b.env.db.ChangeRequest(store.Change{ID: r.ID, To: store.StatusApproved, ActorID: officer.ID}); err != nil {
		t.Fatal(err)
	}
	status := fmt.Sprintf("#request-status-%d", r.ID)

	b.login("learner@example.org")
	b.visit("/profile/requests")
	if got := b.text(status); !strings.Contains(got, "Approved") {
		t.Fatalf("before the job: got %q, want Approved", got)
	}
	if got := b.attr(status, "hx-trigger"); got == "" {
		t.Errorf("approved status: no polling")
	}
	eval[bool](b, `(window.notReloaded = true)`)
	b.env.app.kickJobs()
	b.waitText(status, "Ready to download")
	if !eval[bool](b, `window.notReloaded === true`) {
		t.Errorf("the page was reloaded; want an htmx swap")
	}
	if got := b.attr(status, "hx-trigger"); got != "" {
		t.Errorf("ready status: still polling (%q)", got)
	}
	if got := b.attr(status+" a[download]", "href"); got != fmt.Sprintf("/profile/requests/%d/download", r.ID) {
		t.Errorf("download link: got %q", got)
	}
}

// Ensure that a learner asks for the deletion of their account, that the
// officer approves it through the confirmation page naming the account
// (sent first without its box: the page again, nothing erased), and that
// the learner is signed out and can no longer sign in (the generic
// message), in English and in French.
func TestBrowserErasure(t *testing.T) {
	for _, tc := range []struct {
		lang, complete, refused, tick string
	}{
		{"en", "Complete", "The email or the password is wrong, or the account is suspended.", "Tick the box to confirm the erasure"},
		{"fr", "Terminée", "L’adresse e-mail ou le mot de passe est incorrect, ou le compte est suspendu.", "Cochez la case pour confirmer l’effacement"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			b := newBrowser(t)
			learner := b.env.person(t, "learner@example.org", store.RoleLearner, "Ann", "Archer", tc.lang)
			b.env.person(t, "dora@example.org", store.RoleDPO, "Dora", "Officer", tc.lang)
			officer := b.other()

			b.visit("/login?lang=" + tc.lang)
			b.login("learner@example.org")
			b.visit("/profile/requests")
			b.click("#f-type-delete")
			b.submit("#request-form button[type=submit]")
			id := b.env.lastRequest(t, learner.ID)

			officer.login("dora@example.org")
			officer.refuseCookies()
			officer.visit(fmt.Sprintf("/admin/requests/%d", id))
			officer.submit(fmt.Sprintf(`form[action="/admin/requests/%d/approve"] button.primary`, id))
			// The confirmation page names the account; sent without its box
			// it comes back with a message, and nothing is erased.
			if got := officer.text("#to-erase"); !strings.Contains(got, "Ann Archer") || !strings.Contains(got, "learner@example.org") {
				t.Errorf("the confirmation page names %q, want Ann Archer <learner@example.org>", got)
			}
			if status := officer.submit("#confirm-erasure button.danger"); status != http.StatusUnprocessableEntity {
				t.Errorf("confirmation sent without its box: got %d, want 422", status)
			}
			officer.waitText("#confirm-error", tc.tick)
			if _, err := b.env.db.User(learner.ID); err != nil {
				t.Fatalf("the account went without the confirmation: %v", err)
			}
			officer.shots("admin-request-confirm-erasure")
			officer.click("#f-confirm")
			officer.submit("#confirm-erasure button.danger")
			b.env.settle() // erasure and compaction
			officer.visit(fmt.Sprintf("/admin/requests/%d", id))
			if got := officer.text(fmt.Sprintf("#request-status-%d", id)); !strings.Contains(got, tc.complete) {
				t.Errorf("officer's status: got %q, want %q", got, tc.complete)
			}
			officer.shots("admin-request-erased")

			b.visit("/profile")
			if got := b.path(); !strings.HasPrefix(got, "/login") {
				t.Errorf("after the erasure: got %s, want the sign-in page", got)
			}
			wantLang(t, b, tc.lang)
			b.fill("#f-email", "learner@example.org")
			b.fill("#f-password", testPassword)
			b.click("#login-form button[type=submit]")
			b.waitText("#login-form", tc.refused)
			if b.cookie(sessionCookie) != nil {
				t.Errorf("signed in after the erasure")
			}
			if _, err := b.env.db.UserByEmail("learner@example.org"); err == nil {
				t.Errorf("the account is still in the store")
			}
		})
	}
}

// realDPO names a Data Protection Officer in the settings, as a real site does.
func (e *testEnv) realDPO(t testing.TB) {
	t.Helper()
	s := e.app.Settings()
	s.DPOName, s.DPOEmail = "Claire Martin", "dpo@example.org"
	if err := e.db.SaveSettings(s, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.app.reloadSettings(); err != nil {
		t.Fatal(err)
	}
}

// oldRequest files an "other" request for a new learner 31 days ago, so
// that it is overdue now.
func (e *testEnv) oldRequest(t testing.TB, email string) {
	t.Helper()
	u := e.person(t, email, store.RoleLearner, "Lou", "Late", "en")
	e.advance(-31 * 24 * time.Hour)
	defer e.advance(31 * 24 * time.Hour)
	if _, err := e.db.CreateRequest(store.NewRequest{UserID: u.ID, Type: store.RequestOther, Comments: "Where do my marks go?",
		FiledBy: store.FiledBySelf, FiledByID: u.ID, DueDays: 30}); err != nil {
		t.Fatal(err)
	}
}

// lastRequest is the id of the user's latest request.
func (e *testEnv) lastRequest(t testing.TB, userID uint64) uint64 {
	t.Helper()
	rs, err := e.db.UserRequests(userID)
	if err != nil || len(rs) == 0 {
		t.Fatalf("requests of user %d: got %d, %v", userID, len(rs), err)
	}
	var id uint64
	for _, r := range rs {
		id = max(id, r.ID)
	}
	return id
}

// refuseCookies answers the cookie banner, so that it leaves the screenshots.
func (b *browser) refuseCookies() {
	b.t.Helper()
	b.click(`#cookie-banner button[value="refuse_all"]`)
	b.waitUntil(`!document.querySelector('#cookie-banner button[value="refuse_all"]')`)
}

// download clicks the link sel, waits for the ZIP Chromium saves, and
// returns the content of the file name inside it.
func (b *browser) download(sel, name string) []byte {
	b.t.Helper()
	dir := b.t.TempDir()
	run(b, "allow downloads", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return err
	}))
	b.click(sel)
	var zipFile string
	for deadline := time.Now().Add(actionTimeout); zipFile == "" && time.Now().Before(deadline); {
		found, _ := filepath.Glob(filepath.Join(dir, "*.zip"))
		if len(found) == 1 {
			zipFile = found[0]
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if zipFile == "" {
		b.fail("download "+sel, fmt.Errorf("no ZIP in %s", dir))
	}
	data, err := os.ReadFile(zipFile)
	if err != nil {
		b.t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		b.t.Fatalf("%s: %v", filepath.Base(zipFile), err)
	}
	f, err := zr.Open(name)
	if err != nil {
		b.t.Fatalf("%s in %s: %v", name, filepath.Base(zipFile), err)
	}
	defer f.Close()
	out, err := io.ReadAll(f)
	if err != nil {
		b.t.Fatal(err)
	}
	return out
}
