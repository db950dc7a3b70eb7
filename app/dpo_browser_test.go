package app

import (
	"os"
	"strings"
	"testing"

	"accord/store"

	"github.com/chromedp/chromedp"
)

// Ensure that a learner writes to the DPO from /profile/dpo, that the
// officer finds the message unread in /admin/dpo and replies in the thread,
// and that the learner then reads the reply with the thread answered, in
// English and in French.
func TestBrowserDPOThread(t *testing.T) {
	for _, tc := range []struct {
		lang, sent, unread, answered, replied string
	}{
		{"en", "Your message is sent", "Unread", "Answered", "Your reply is sent"},
		{"fr", "Votre message est envoyé", "Non lu", "Répondu", "Votre réponse est envoyée"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			b := newBrowser(t)
			b.env.person(t, "lea@example.org", store.RoleLearner, "Léa", "Learner", tc.lang)
			b.env.person(t, "dora@example.org", store.RoleDPO, "Dora", "Officer", tc.lang)
			b.env.realDPO(t)
			officer := b.other()

			b.login("lea@example.org")
			b.refuseCookies()
			b.visit("/profile/dpo")
			wantLang(t, b, tc.lang)
			b.fill("#f-subject", "Cookies on my phone")
			b.fill("#f-message", "Which cookies do you keep about me?\nThank you.")
			if status := b.submit("#dpo-form button[type=submit]"); status != 200 {
				t.Fatalf("contact: got %d, want 200", status)
			}
			thread := b.path()
			if !strings.HasPrefix(thread, "/profile/dpo/") || !b.has(tc.sent) {
				t.Fatalf("after sending: got %s without %q", thread, tc.sent)
			}
			id := strings.TrimPrefix(thread, "/profile/dpo/")
			b.shots("dpo-thread-open")

			officer.login("dora@example.org")
			officer.refuseCookies()
			officer.visit("/admin/dpo")
			wantLang(t, officer, tc.lang)
			if got := officer.text("#dpo-inbox tbody"); !strings.Contains(got, "Cookies on my phone") || !strings.Contains(got, tc.unread) || !strings.Contains(got, "Léa Learner") {
				t.Errorf("inbox: got %q, want the subject, %q and the learner's name", got, tc.unread)
			}
			officer.shots("dpo-inbox")
			officer.submit(`#dpo-inbox a[href="/admin/dpo/` + id + `"]`)
			if !officer.has("Which cookies do you keep about me?") {
				t.Fatalf("officer's thread: the learner's message is missing:\n%s", officer.text("main"))
			}
			officer.fill("#dpo-admin-thread #f-message", "We keep only the session cookie.")
			officer.click("#dpo-admin-thread form[action$='/reply'] button[type=submit]")
			officer.waitText("#dpo-admin-thread .thread", "We keep only the session cookie.")
			officer.waitText("#dpo-admin-thread", tc.replied)
			if got := officer.text("#dpo-admin-thread .badge"); got != tc.answered {
				t.Errorf("officer's thread status: got %q, want %q", got, tc.answered)
			}
			officer.shots("dpo-admin-thread")

			b.visit("/profile/dpo")
			if got := b.text("#dpo-threads tbody"); !strings.Contains(got, tc.answered) {
				t.Errorf("learner's threads: got %q, want %q", got, tc.answered)
			}
			b.shots("dpo-list")
			b.submit(`#dpo-threads a[href="` + thread + `"]`)
			if got := b.text("#dpo-thread .thread"); !strings.Contains(got, "We keep only the session cookie.") || !strings.Contains(got, "Claire Martin") {
				t.Errorf("learner's thread: got %q, want the officer's reply, signed", got)
			}
			if got := b.text("#dpo-thread .badge"); got != tc.answered {
				t.Errorf("learner's thread status: got %q, want %q", got, tc.answered)
			}
			b.shots("dpo-thread-answered")
			b.visit("/notifications")
			b.shots("notifications")
		})
	}
}

// person creates an account with testPassword, a name and a language, that
// has agreed to every active policy.
func (e *testEnv) person(t testing.TB, email string, role store.Role, first, last, lang string) *store.User {
	t.Helper()
	u, err := AddUser(e.db, NewUser{Email: email, Password: testPassword, Role: string(role), FirstName: first, LastName: last, Lang: lang})
	if err != nil {
		t.Fatal(err)
	}
	e.agreeAll(t, u)
	return u
}

// other opens a second browser on the same App, in its own browser context
// of the same Chromium: it shares no cookie with b, so two people can act
// side by side (a learner and an officer).
func (b *browser) other() *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	// The first Run opens the tab and binds it to ctx: no deadline here.
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("second browser: %v", err)
	}
	o := &browser{t: b.t, env: b.env, base: b.base, ctx: ctx}
	o.watchConsole()
	o.desktop()
	return o
}

// shots checks that the page shown (reloaded at phone size) needs no
// sideways scrolling on a phone, and comes back to the desktop size. With
// $ACCORD_SCREENSHOTS set, it saves a desktop and a phone screenshot too,
// named with the page's language, to look at.
func (b *browser) shots(name string) {
	b.t.Helper()
	keep := os.Getenv("ACCORD_SCREENSHOTS") != ""
	lang := b.attr("html", "lang")
	if keep {
		b.screenshot(lang + "-desktop-" + name)
	}
	b.phone()
	b.do(chromedp.Reload())
	wantNoSideScroll(b.t, b, b.path())
	if keep {
		b.screenshot(lang + "-phone-" + name)
	}
	b.desktop()
}
