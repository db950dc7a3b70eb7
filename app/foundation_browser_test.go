package app

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"accord/store"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Ensure that a newcomer gets from the logged setup link to a learner
// signed in, in English and in French (switched with the header's link):
// setup → first administrator → /admin/users creates a learner → sign out
// → the learner signs in with a browser-session cookie.
func TestBrowserFirstRun(t *testing.T) {
	for _, tc := range []struct {
		lang                         string
		setupTitle, created, welcome string
	}{
		{"en", "Create the first administrator", "is created", "Hello Lea"},
		{"fr", "Créer le premier administrateur", "est créé", "Bonjour Lea"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			b := newBrowser(t)
			link, err := b.env.app.IssueSetupLink()
			if err != nil || link == "" {
				t.Fatalf("setup link: got %q, %v", link, err)
			}
			b.visit(link)
			if tc.lang == "fr" {
				b.submit(`.lang-switch a[hreflang="fr"]`)
				if got := b.path(); !strings.HasPrefix(got, "/setup?") || !strings.Contains(got, "token=") {
					t.Errorf("after the language switch: got %s, want the setup page with its token", got)
				}
			}
			wantLang(t, b, tc.lang)
			if got := b.text("h1"); got != tc.setupTitle {
				t.Errorf("setup heading: got %q, want %q", got, tc.setupTitle)
			}

			b.fill("#f-first_name", "Ada")
			b.fill("#f-last_name", "Admin")
			b.fill("#f-email", "ada@example.org")
			b.fill("#f-password", testPassword)
			b.submit("#setup-form button[type=submit]")
			if got := b.path(); got != "/admin" {
				t.Fatalf("after setup: got %s, want /admin", got)
			}

			b.visit("/admin/users")
			b.fill("#new-user #f-email", "lea@example.org")
			b.fill("#new-user #f-first_name", "Lea")
			b.fill("#new-user #f-last_name", "Learner")
			b.fill("#new-user #f-password", "learner password 1")
			b.choose("#f-role", "learner")
			b.choose("#f-lang", tc.lang)
			if status := b.submit("#new-user button[type=submit]"); status != http.StatusOK {
				t.Fatalf("create learner: got %d, want 200 after the redirect", status)
			}
			if !strings.HasPrefix(b.path(), "/admin/users/") || !b.has(tc.created) {
				t.Errorf("after create: got %s without %q", b.path(), tc.created)
			}
			b.screenshot("learner-created")

			b.logout()
			if got := b.path(); got != "/" || b.cookie(sessionCookie) != nil {
				t.Fatalf("after sign-out: got %s with session %v, want / without", got, b.cookie(sessionCookie))
			}
			b.visit("/login")
			b.fill("#f-email", "lea@example.org")
			b.fill("#f-password", "learner password 1")
			b.submit("#login-form button[type=submit]")
			// A new learner agrees to the compulsory policies first.
			if got := b.path(); !strings.HasPrefix(got, "/consent") {
				t.Fatalf("after sign-in: got %s, want the consent page", got)
			}
			wantLang(t, b, tc.lang)
			b.screenshot("consent")
			for _, id := range b.env.activeIDs() {
				b.click(fmt.Sprintf("#f-v%d", id))
			}
			b.submit("#consent-form .actions button[type=submit]")
			if got := b.path(); got != "/" {
				t.Fatalf("after consent: got %s, want /", got)
			}
			wantLang(t, b, tc.lang)
			if !b.has(tc.welcome) {
				t.Errorf("home: want %q in\n%s", tc.welcome, b.text("main"))
			}
			ck := b.cookie(sessionCookie)
			if ck == nil || !ck.HTTPOnly || !ck.Session || ck.SameSite != "Lax" {
				t.Errorf("session cookie: got %+v, want HttpOnly, SameSite=Lax, gone with the browser", ck)
			}
			b.screenshot("learner-home")
		})
	}
}

// Ensure that a wrong password and an unknown email show the same generic
// message in the form (htmx swap), keep the typed email, sign nobody in,
// and put the focus on the message.
func TestBrowserWrongPassword(t *testing.T) {
	b := newBrowser(t)
	b.env.user(t, "ann@example.org", store.RoleLearner)
	const msg = "The email or the password is wrong, or the account is suspended."
	for _, email := range []string{"ann@example.org", "nobody@example.org"} {
		b.visit("/login")
		b.fill("#f-email", email)
		b.fill("#f-password", "not the password")
		b.click("#login-form button[type=submit]")
		b.waitText("#login-form", msg)
		if got := b.attr("#f-email", "value"); got != email {
			t.Errorf("email after refusal: got %q, want %q", got, email)
		}
		b.waitUntil(`document.activeElement?.getAttribute("role") === "alert"`) // accord.js, after htmx settles
		if b.cookie(sessionCookie) != nil || b.path() != "/login" {
			t.Errorf("%s: signed in or moved to %s after a wrong password", email, b.path())
		}
	}
	b.screenshot("refused")
}

// Ensure that the header's language switch keeps the page, answers in the
// other language, and is remembered by the accord_lang cookie.
func TestBrowserLanguageSwitch(t *testing.T) {
	b := newBrowser(t)
	b.env.user(t, "ann@example.org", store.RoleLearner)
	b.login("ann@example.org")
	b.visit("/profile")
	wantLang(t, b, "en")

	b.submit(`.lang-switch a[hreflang="fr"]`)
	if got := b.path(); got != "/profile?lang=fr" {
		t.Errorf("after the switch: got %s, want /profile?lang=fr", got)
	}
	wantLang(t, b, "fr")
	if got := b.text("h1"); got != "Mon profil" {
		t.Errorf("heading: got %q, want %q", got, "Mon profil")
	}
	if ck := b.cookie(langCookie); ck == nil || ck.Value != "fr" {
		t.Errorf("accord_lang: got %+v, want fr", ck)
	}
	b.visit("/profile")
	wantLang(t, b, "fr")

	b.submit(`.lang-switch a[hreflang="en"]`)
	wantLang(t, b, "en")
	if got := b.text("h1"); got != "My profile" {
		t.Errorf("heading: got %q, want %q", got, "My profile")
	}
}

// Ensure that someone using only the keyboard reaches the login form with
// Tab, types, and signs in with Enter.
func TestBrowserKeyboardSignIn(t *testing.T) {
	b := newBrowser(t)
	b.env.user(t, "ann@example.org", store.RoleLearner)
	b.visit("/login")
	// The cookie banner comes first in the page, so the first Tab lands in
	// it: someone on a keyboard answers it, or tabs past it to the skip link.
	b.press(kb.Tab)
	if !eval[bool](b, `document.activeElement.closest("#cookie-banner") !== null`) {
		t.Errorf("first Tab: got focus on %q, want the cookie banner", b.focused())
	}
	var order []string
	for range 20 {
		b.press(kb.Tab)
		if f := b.focused(); len(order) == 0 || order[len(order)-1] != f {
			order = append(order, f)
		}
		if order[len(order)-1] == "f-email" {
			break
		}
	}
	if order[len(order)-1] != "f-email" {
		t.Fatalf("Tab never reached the email field; focus went %v", order)
	}
	b.press("ann@example.org" + kb.Tab)
	if got := b.focused(); got != "f-password" {
		t.Fatalf("Tab from email: got focus on %q, want f-password", got)
	}
	b.press(testPassword)
	b.pressAndWait(kb.Enter)
	if got := b.path(); got != "/" || b.cookie(sessionCookie) == nil {
		t.Fatalf("after Enter: got %s, signed in %v; want / signed in", got, b.cookie(sessionCookie) != nil)
	}
}

// Ensure that the foundation's pages fit a phone (no sideways scrolling)
// and a desktop in both languages, and save their screenshots to look at.
func TestBrowserScreens(t *testing.T) {
	b := newBrowser(t)
	b.env.user(t, "ada@example.org", store.RoleAdmin)
	for _, lang := range []string{"en", "fr"} {
		b.visit("/?lang=" + lang)
		for _, size := range []string{"desktop", "phone"} {
			if size == "phone" {
				b.phone()
			} else {
				b.desktop()
			}
			shoot := func(name, path string, want int) {
				t.Helper()
				if got := b.visit(path); got != want {
					t.Errorf("%s: got %d, want %d", path, got, want)
				}
				wantLang(t, b, lang)
				if size == "phone" {
					wantNoSideScroll(t, b, path)
				}
				b.screenshot(lang + "-" + size + "-" + name)
			}
			shoot("home", "/", 200)
			shoot("login", "/login", 200)
			shoot("signup", "/signup", 200)
			shoot("notfound", "/no-such-page", 404)
			b.login("ada@example.org")
			shoot("home-signed-in", "/", 200)
			shoot("profile", "/profile", 200)
			shoot("admin-users", "/admin/users", 200)
			shoot("settings", "/admin/settings", 200)
			b.logout()
		}
	}
	// The narrowest phones: nothing may need sideways scrolling at 320 px.
	b.do(chromedp.EmulateViewport(320, 640, chromedp.EmulatePortrait, chromedp.EmulateMobile))
	b.login("ada@example.org")
	for _, path := range []string{"/", "/profile", "/admin/users", "/admin/settings", "/no-such-page"} {
		b.visit(path)
		wantNoSideScroll(t, b, path)
	}
	b.logout()
	for _, path := range []string{"/", "/login", "/signup"} {
		b.visit(path)
		wantNoSideScroll(t, b, path)
	}
	b.desktop()

	// Dark mode, by prefers-color-scheme.
	b.colorScheme("dark")
	b.visit("/login?lang=en")
	b.screenshot("en-desktop-dark-login")
	b.login("ada@example.org")
	b.visit("/admin/users")
	b.screenshot("en-desktop-dark-admin-users")
}

// wantLang fails unless the page is in lang.
func wantLang(t *testing.T, b *browser, lang string) {
	t.Helper()
	if got := b.attr("html", "lang"); got != lang {
		t.Errorf("%s: got <html lang=%q>, want %q", b.path(), got, lang)
	}
}

// wantNoSideScroll fails when the page is wider than the window. (On a
// phone, window.innerWidth grows with a too-wide page as Chromium zooms
// out; the root's clientWidth stays the width of the layout viewport.)
func wantNoSideScroll(t *testing.T, b *browser, path string) {
	t.Helper()
	page := eval[int](b, `document.documentElement.scrollWidth`)
	window := eval[int](b, `document.documentElement.clientWidth`)
	if page > window {
		t.Errorf("%s: page is %d px wide in a %d px window", path, page, window)
	}
}
