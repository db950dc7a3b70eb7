package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"accord/store"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// optionalCookies are the cookies that need a consent (CONTRACT.md).
var optionalCookies = []string{usernameCookie, visitorCookie}

// wantNoOptionalCookie fails when the browser holds an optional cookie.
func wantNoOptionalCookie(t *testing.T, b *browser, when string) {
	t.Helper()
	for _, name := range optionalCookies {
		if ck := b.cookie(name); ck != nil {
			t.Errorf("%s: the browser holds %s=%q, want no optional cookie", when, name, ck.Value)
		}
	}
}

// bannerShown reports whether the page shows the banner's choices.
func bannerShown(b *browser) bool {
	b.t.Helper()
	return eval[bool](b, `document.querySelector("#cookie-banner button[value=refuse_all]") !== null`)
}

// wantBannerFirst fails unless the banner is the first element of <body>.
func wantBannerFirst(t *testing.T, b *browser) {
	t.Helper()
	if got := eval[string](b, `document.body.firstElementChild?.id ?? ""`); got != "cookie-banner" {
		t.Errorf("%s: first element of <body> is %q, want the cookie banner", b.path(), got)
	}
}

// focusedControl describes the focused element for a test reading the tab
// order: its id, else name=value (the banner's buttons share a name), else
// its tag and text.
func focusedControl(b *browser) string {
	b.t.Helper()
	return eval[string](b, `(e => !e ? "" : e.id || (e.name ? e.name + "=" + e.value : e.tagName.toLowerCase() + ":" + e.textContent.trim()))(document.activeElement)`)
}

// tabTo presses Tab until the focus is on want, and fails after max presses.
// It returns the controls the focus went through.
func tabTo(t *testing.T, b *browser, want string, max int) []string {
	t.Helper()
	var order []string
	for range max {
		b.press(kb.Tab)
		f := focusedControl(b)
		order = append(order, f)
		if f == want {
			return order
		}
	}
	t.Fatalf("%s: Tab never reached %s; focus went %v", b.path(), want, order)
	return nil
}

// Ensure that a first visit shows the banner first in the body with no
// optional cookie, and that "Refuse all" (htmx) replaces it in place with a
// focused confirmation, sets no optional cookie, and holds after a reload
// and on other pages, in English and in French.
func TestBrowserCookieRefuseAll(t *testing.T) {
	for _, tc := range []struct {
		lang                               string
		title, accept, refuse, custom, end string
		saved, prefsTitle, refused, remOff string
	}{
		{"en", "Your choice of cookies", "Accept all", "Refuse all", "Customise", "Continue without accepting",
			"Your cookie choice is saved.", "Cookie preferences", "refused", "Remember my username"},
		{"fr", "Votre choix de cookies", "Tout accepter", "Tout refuser", "Personnaliser", "Continuer sans accepter",
			"Votre choix de cookies est enregistré.", "Préférences de cookies", "refus", "Se souvenir de mon nom d’utilisateur"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			b := newBrowser(t)
			b.visit("/?lang=" + tc.lang)
			wantLang(t, b, tc.lang)
			wantBannerFirst(t, b)
			if got := b.text("#cookie-banner-title"); got != tc.title {
				t.Errorf("banner title: got %q, want %q", got, tc.title)
			}
			for sel, want := range map[string]string{
				"#cookie-banner button[value=accept_all]": tc.accept,
				"#cookie-banner button[value=refuse_all]": tc.refuse,
				"#cookie-banner summary":                  tc.custom,
				"#cookie-banner button[value=close]":      tc.end,
			} {
				if got := b.text(sel); got != want {
					t.Errorf("%s: got %q, want %q", sel, got, want)
				}
			}
			if b.cookie(consentCookie) != nil {
				t.Errorf("first visit: accord_consent set before any choice")
			}
			wantNoOptionalCookie(t, b, "first visit")

			b.click("#cookie-banner button[value=refuse_all]")
			b.waitText("#cookie-banner", tc.saved)
			if bannerShown(b) {
				t.Errorf("after Refuse all: the banner's choices are still shown")
			}
			if got := b.path(); got != "/?lang="+tc.lang {
				t.Errorf("after Refuse all (htmx): got %s, want to stay on /?lang=%s", got, tc.lang)
			}
			b.waitUntil(`document.activeElement?.id === "cookie-banner"`)
			if b.cookie(consentCookie) == nil {
				t.Errorf("after Refuse all: no accord_consent cookie to remember the refusal")
			}
			wantNoOptionalCookie(t, b, "after Refuse all")

			for _, path := range []string{"/", "/login", "/policies"} {
				b.visit(path)
				if eval[bool](b, `document.getElementById("cookie-banner") !== null`) {
					t.Errorf("%s after Refuse all: the banner is back", path)
				}
				wantLang(t, b, tc.lang)
			}
			// The login page explains why "Remember my username" is off.
			b.visit("/login")
			if !eval[bool](b, `document.getElementById("f-remember_username").disabled`) || !b.has(tc.remOff) {
				t.Errorf("login after Refuse all: want %q disabled with its explanation", tc.remOff)
			}
			b.visit("/cookies")
			if got := b.text("h1"); got != tc.prefsTitle {
				t.Errorf("/cookies heading: got %q, want %q", got, tc.prefsTitle)
			}
			if !strings.Contains(b.text("#cookie-prefs"), tc.refused) {
				t.Errorf("/cookies: want the current choice %q in\n%s", tc.refused, b.text("#cookie-prefs"))
			}
			if eval[bool](b, `[...document.querySelectorAll("#cookie-prefs input[name=category]")].some(e => e.checked)`) {
				t.Errorf("/cookies after Refuse all: an optional category is switched on")
			}
			wantNoOptionalCookie(t, b, "after pages visited")
		})
	}
}

// Ensure that accepting preferences through "Customise" on the login page
// (which reloads it) lets "Remember my username" work (the login page shows the username after sign-out), and
// that withdrawing preferences on /cookies deletes the HttpOnly
// accord_username cookie in the same (htmx) response, so the login page
// no longer fills it in.
func TestBrowserCookieRememberUsername(t *testing.T) {
	b := newBrowser(t)
	const email = "ann@example.org"
	b.env.user(t, email, store.RoleLearner)

	b.visit("/login")
	if !eval[bool](b, `document.getElementById("f-remember_username").disabled`) {
		t.Errorf("login before any choice: Remember my username is enabled, want disabled")
	}
	b.click("#cookie-banner summary")
	b.click("#banner-cat-preferences")
	// Preferences change what the login form offers: the page reloads.
	b.submit("#cookie-banner button[value=custom]")
	if got := b.path(); got != "/login" || bannerShown(b) {
		t.Errorf("after accepting preferences on the login page: got %s, banner %v; want /login without it", got, bannerShown(b))
	}
	if eval[bool](b, `document.getElementById("f-remember_username").disabled`) {
		t.Errorf("login after accepting preferences: Remember my username is still disabled")
	}
	wantNoOptionalCookie(t, b, "after accepting preferences")

	b.fill("#f-email", email)
	b.fill("#f-password", testPassword)
	b.click("#f-remember_username")
	b.submit("#login-form button[type=submit]")
	if got := b.path(); got != "/" {
		t.Fatalf("after sign-in: got %s, want /", got)
	}
	ck := b.cookie(usernameCookie)
	if ck == nil || ck.Value != email || !ck.HTTPOnly || ck.Session {
		t.Fatalf("accord_username after sign-in: got %+v, want %s, HttpOnly, persistent", ck, email)
	}
	if b.cookie(visitorCookie) != nil {
		t.Errorf("accord_visitor set with statistics refused")
	}
	b.logout()
	b.visit("/login")
	if got := b.attr("#f-email", "value"); got != email {
		t.Errorf("login after sign-out: email got %q, want %q", got, email)
	}
	if !eval[bool](b, `document.getElementById("f-remember_username").checked`) {
		t.Errorf("login after sign-out: Remember my username is not ticked")
	}

	b.visit("/cookies")
	b.click("#cat-preferences")
	b.click("#cookie-prefs button[value=custom]")
	b.waitText("#cookie-prefs .flash", "Your cookie choice is saved.")
	// No navigation since the POST: the cookie went with its response.
	if ck := b.cookie(usernameCookie); ck != nil {
		t.Errorf("after withdrawing preferences: accord_username=%q still in the browser", ck.Value)
	}
	if !strings.Contains(b.text("#cookie-prefs"), "consent withdrawn") {
		t.Errorf("/cookies after the withdrawal: want the state %q in\n%s", "consent withdrawn", b.text("#cookie-prefs"))
	}
	b.visit("/login")
	if got := b.attr("#f-email", "value"); got != "" {
		t.Errorf("login after the withdrawal: email got %q, want empty", got)
	}
	if !eval[bool](b, `document.getElementById("f-remember_username").disabled`) {
		t.Errorf("login after the withdrawal: Remember my username is enabled, want disabled")
	}
	wantNoOptionalCookie(t, b, "after the withdrawal")
}

// Ensure that the banner and the preferences page work with the keyboard
// alone: Tab reaches every choice of the banner in order, Enter opens
// "Customise", Space ticks a category, Enter saves (focus on the
// confirmation); on /cookies, Space turns statistics off and Enter saves,
// which deletes accord_visitor at once. In French, so the French texts are
// exercised too.
func TestBrowserCookieKeyboard(t *testing.T) {
	b := newBrowser(t)
	b.visit("/?lang=fr")
	b.visit("/")
	wantLang(t, b, "fr")
	wantBannerFirst(t, b)

	// The banner's choices, in order, before anything else of the page.
	order := tabTo(t, b, "choice=refuse_all", 12)
	b.screenshot("focus-refuse-all") // the focus ring, to look at
	order = append(order, tabTo(t, b, "choice=close", 3)...)
	want := []string{"a:Cookies utilisés et politique de cookies", "a:Politiques pour les visiteurs et les utilisateurs", "choice=accept_all", "choice=refuse_all", "summary:Personnaliser", "choice=close"}
	got := order[len(order)-len(want):]
	if len(order) < len(want) || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("banner tab order: got %v, want it to end with %v", order, want)
	}
	b.press(kb.Tab)
	if got := eval[string](b, `document.activeElement.className`); got != "skip-link" {
		t.Errorf("Tab after the banner: got focus on %s (class %q), want the skip link", focusedControl(b), got)
	}

	// Back into the banner (Shift+Tab is not needed: reload and tab again).
	b.visit("/")
	tabTo(t, b, "summary:Personnaliser", 8)
	b.press(kb.Enter)
	b.waitUntil(`document.querySelector("#cookie-banner details").open`)
	b.press(kb.Tab)
	if got := focusedControl(b); got != "banner-cat-preferences" {
		t.Fatalf("Tab after opening Customise: got %s, want banner-cat-preferences", got)
	}
	b.press(kb.Tab)
	b.press(" ") // statistics
	if !eval[bool](b, `document.getElementById("banner-cat-statistics").checked`) {
		t.Fatalf("Space on the statistics box did not tick it (focus on %s)", focusedControl(b))
	}
	tabTo(t, b, "choice=custom", 3)
	b.press(kb.Enter)
	b.waitText("#cookie-banner", "Votre choix de cookies est enregistré.")
	b.waitUntil(`document.activeElement?.id === "cookie-banner"`)
	wantNoOptionalCookie(t, b, "right after the choice") // counted from the next page on

	b.visit("/")
	if bannerShown(b) {
		t.Errorf("after the keyboard choice: banner shown again")
	}
	if b.cookie(visitorCookie) == nil {
		t.Errorf("statistics accepted: no accord_visitor after a page view")
	}
	if b.cookie(usernameCookie) != nil {
		t.Errorf("preferences refused: accord_username set")
	}

	b.visit("/cookies")
	if got := b.text("h1"); got != "Préférences de cookies" {
		t.Errorf("/cookies heading: got %q", got)
	}
	if !eval[bool](b, `document.getElementById("cat-statistics").checked`) {
		t.Errorf("/cookies: the statistics switch is off, want on")
	}
	tabTo(t, b, "cat-statistics", 30)
	b.press(" ")
	if eval[bool](b, `document.getElementById("cat-statistics").checked`) {
		t.Fatalf("Space on the statistics switch did not turn it off")
	}
	tabTo(t, b, "choice=custom", 3)
	b.press(kb.Enter)
	b.waitText("#cookie-prefs .flash", "Votre choix de cookies est enregistré.")
	b.waitUntil(`document.activeElement?.classList.contains("flash")`)
	b.screenshot("prefs-saved")
	if ck := b.cookie(visitorCookie); ck != nil {
		t.Errorf("statistics turned off: accord_visitor=%q still in the browser", ck.Value)
	}
	if !strings.Contains(b.text("#cookie-prefs"), "retiré") {
		t.Errorf("/cookies after turning statistics off: want the withdrawal in\n%s", b.text("#cookie-prefs"))
	}
}

// Ensure that the banner works without JavaScript: "Continue without
// accepting" is a plain form that records a refusal and comes back to the
// page it was on, with the confirmation and without the banner.
func TestBrowserCookieWithoutScript(t *testing.T) {
	b := newBrowser(t)
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	b.visit("/policies")
	if got := b.submit("#cookie-banner button[value=close]"); got != 200 {
		t.Fatalf("Continue without accepting: got %d, want 200 after the redirect", got)
	}
	if got := b.path(); got != "/policies" {
		t.Errorf("after the plain form: got %s, want back on /policies", got)
	}
	if !b.has("Your cookie choice is saved.") {
		t.Errorf("after the plain form: no confirmation in\n%s", b.text("main"))
	}
	if b.has("Refuse all") || b.cookie(consentCookie) == nil {
		t.Errorf("after the plain form: banner still shown, or no accord_consent (%v)", b.cookie(consentCookie))
	}
	wantNoOptionalCookie(t, b, "after Continue without accepting")
	b.visit("/cookies")
	if !strings.Contains(b.text("#cookie-prefs"), "refused") {
		t.Errorf("/cookies: closing the banner must count as a refusal; got\n%s", b.text("#cookie-prefs"))
	}
}

// clearCookies empties the browser's cookie jar: a new visitor.
func clearCookies(b *browser) {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}))
}

// Ensure that the banner, its Customise panel, /cookies and the staff
// pages fit a phone and a desktop, in both languages and both colour
// schemes, and that the banner's three choices have the same size and look
// (CNIL: refusing as easy as accepting). Screenshots are saved to look at.
func TestBrowserCookieScreens(t *testing.T) {
	b := newBrowser(t)
	b.env.user(t, "ada@example.org", store.RoleAdmin)
	now := time.Now().UTC()
	var days []store.DailyVisits
	for d := 1; d <= 3; d++ {
		days = append(days, store.DailyVisits{Day: now.AddDate(0, 0, -d).Format(time.DateOnly), Views: 40 + d, Visitors: 9 + d})
	}
	if err := b.env.db.AddVisits(days); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ lang, size, scheme string }{
		{"en", "desktop", "light"}, {"en", "phone", "light"}, {"fr", "desktop", "light"}, {"fr", "phone", "light"},
		{"en", "desktop", "dark"}, {"fr", "phone", "dark"},
	} {
		name := tc.lang + "-" + tc.size + "-" + tc.scheme + "-"
		clearCookies(b)
		if tc.size == "phone" {
			b.phone()
		} else {
			b.desktop()
		}
		b.colorScheme(tc.scheme)
		b.visit("/?lang=" + tc.lang)
		wantBannerFirst(t, b)
		wantEqualChoices(t, b, name)
		wantNoSideScroll(t, b, "/ with the banner")
		b.screenshot(name + "banner")
		b.click("#cookie-banner summary")
		b.waitFor("#banner-cat-statistics")
		wantNoSideScroll(t, b, "/ with Customise open")
		b.screenshot(name + "banner-customise")
		b.click("#cookie-banner button[value=custom]")
		b.waitFor("#cookie-banner.flash")
		b.screenshot(name + "banner-saved")

		b.login("ada@example.org")
		for _, page := range []struct{ shot, path string }{
			{"prefs", "/cookies"}, {"admin", "/admin/cookies"}, {"admin-edit", "/admin/cookies/1"}, {"stats", "/admin/cookies/stats"},
		} {
			if got := b.visit(page.path); got != 200 {
				t.Errorf("%s: got %d, want 200", page.path, got)
			}
			wantLang(t, b, tc.lang)
			wantNoSideScroll(t, b, page.path)
			b.screenshot(name + page.shot)
		}
		b.logout()
	}
	// The narrowest phone: the choices still side by side, alike.
	clearCookies(b)
	b.colorScheme("light")
	b.do(chromedp.EmulateViewport(320, 640, chromedp.EmulatePortrait, chromedp.EmulateMobile))
	b.visit("/?lang=fr")
	wantEqualChoices(t, b, "fr-320")
	wantNoSideScroll(t, b, "/ with the banner at 320 px")
	b.screenshot("fr-320-banner")
}

// wantEqualChoices fails unless the banner's Accept all, Refuse all and
// Customise look alike: same height, same colours, same border and font
// weight (and, on a desktop, widths within a few pixels).
func wantEqualChoices(t *testing.T, b *browser, name string) {
	t.Helper()
	type look struct {
		W, H                        int
		BG, FG, Border, Weight, Pad string
	}
	looks := eval[[]look](b, `["button[value=accept_all]", "button[value=refuse_all]", "summary"].map(s => {
		const e = document.querySelector("#cookie-banner " + s), r = e.getBoundingClientRect(), st = getComputedStyle(e);
		return {W: Math.round(r.width), H: Math.round(r.height), BG: st.backgroundColor, FG: st.color,
			Border: st.borderTopWidth + " " + st.borderTopStyle + " " + st.borderTopColor, Weight: st.fontWeight, Pad: st.paddingTop};
	})`)
	for i, l := range looks[1:] {
		a := looks[0]
		if l.H != a.H || l.BG != a.BG || l.FG != a.FG || l.Border != a.Border || l.Weight != a.Weight || l.Pad != a.Pad {
			t.Errorf("%s: banner choice %d looks %+v, Accept all %+v: want equal weight", name, i+1, l, a)
		}
		if d := l.W - a.W; d > 4 || d < -4 {
			t.Errorf("%s: banner choice %d is %d px wide, Accept all %d px: want equal weight", name, i+1, l.W, a.W)
		}
	}
}
