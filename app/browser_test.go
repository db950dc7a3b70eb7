package app

// Browser tests drive the real App, served on 127.0.0.1, with a headless
// Debian Chromium through chromedp. Put them in app/<feature>_browser_test.go.
//
//	b := newBrowser(t)                 // real app (b.env: db, e.user) + fresh browser profile
//	b.env.user(t, "ann@example.org", store.RoleLearner)
//	b.login("ann@example.org")         // through the form, with testPassword
//	b.visit("/profile")                // navigate; returns the HTTP status
//	b.fill("#f-first_name", "Ann")     // clear the field and type into it
//	b.choose("#f-lang", "fr")          // pick an option of a <select>
//	b.submit("#profile-form button")   // click, wait for the next page; returns its status
//	b.click("button.x"); b.waitText("#target", "Saved")  // htmx swap: no new page
//	b.waitUntil(`document.title.includes("x")`)  // any JavaScript condition
//	b.press(kb.Tab + "secret" + kb.Enter)  // key events to the focused element
//	b.text("h1"), b.has("some text"), b.attr("html", "lang"), b.path(), b.focused()
//	eval[int](b, "window.innerWidth")  // any JavaScript expression, decoded
//	b.cookie("accord_session")         // *network.Cookie or nil (HttpOnly ones too)
//	b.phone(); b.desktop()             // 375x740 (mobile) or 1280x800
//	b.colorScheme("dark")              // prefers-color-scheme for the CSS
//	b.screenshot("login")              // full-page PNG with $ACCORD_SCREENSHOTS, path logged
//	b.do(chromedp actions...)          // anything else
//
// Every helper fails the test (with a screenshot named "failed") when the
// browser does not get there within actionTimeout. A script error or a
// console error (a CSP refusal, say) fails the test when it ends.
// b.screenshot takes a picture only when $ACCORD_SCREENSHOTS names a
// directory (to look at; nothing checks them). The failure picture is
// always taken and kept: in $ACCORD_SCREENSHOTS, else in a directory the
// test does not remove ($TMPDIR/accord-screenshots), its path in the log.
//
// Browser tests are the slow tier: `go test -short` skips them. Chromium:
// /usr/bin/chromium (or $ACCORD_CHROMIUM). Without it the tests skip,
// except when $CI is set: there a missing browser fails.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// actionTimeout bounds every browser step: a broken page fails, not hangs.
const actionTimeout = 15 * time.Second

// browser is one headless Chromium with a throw-away profile, looking at a
// real App served on a loopback port.
type browser struct {
	t    *testing.T
	env  *testEnv
	base string // http://127.0.0.1:port
	ctx  context.Context

	mu       sync.Mutex
	problems []string // uncaught script errors and console errors (CSP refusals)
}

// newBrowser serves a fresh App (like newEnv, clock set to now) and starts
// a browser in desktop size. Both stop when the test ends.
func newBrowser(t *testing.T) *browser { return newBrowserWith(t, nil) }

// newBrowserWith is newBrowser with the configuration changed by set (mail
// to a test SMTP server, say).
func newBrowserWith(t *testing.T, set func(*Config)) *browser {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: not in -short")
	}
	exe := os.Getenv("ACCORD_CHROMIUM")
	if exe == "" {
		exe = "/usr/bin/chromium"
	}
	if _, err := os.Stat(exe); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("browser tests need Chromium at %s (CI must not skip them): %v", exe, err)
		}
		t.Skipf("no Chromium at %s: browser test skipped (apt-get install chromium)", exe)
	}

	e := newEnvWith(t, set)
	e.mu.Lock()
	e.now = time.Now().UTC() // cookies' expiry dates are real to the browser
	e.mu.Unlock()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- e.app.web.Listener(ln) }()
	t.Cleanup(func() {
		if err := e.app.web.ShutdownWithTimeout(5 * time.Second); err != nil {
			t.Errorf("server shutdown: %v", err)
		}
		<-served
	})

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("lang", "en-US"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// The first Do starts the browser and binds it to ctx, which must have
	// no deadline: bound the wait here instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start chromium: %v", err)
		}
	case <-time.After(30 * time.Second):
		cancelCtx()
		t.Fatalf("start chromium: no answer within 30 s")
	}
	b := &browser{t: t, env: e, base: "http://" + ln.Addr().String(), ctx: ctx}
	b.watchConsole()
	b.desktop()
	return b
}

// watchConsole records uncaught script errors and console errors, such as
// a refusal by the CSP, and fails the test with them at its end. HTTP error
// statuses are not problems: tests visit error pages on purpose.
func (b *browser) watchConsole() {
	b.t.Helper()
	err := chromedp.Listen(b.ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError && ev.Entry.Source != "network" {
				msg = fmt.Sprintf("console %s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		case *runtime.EventExceptionThrown:
			msg = fmt.Sprintf("uncaught: %s %s", ev.ExceptionDetails.Text, ev.ExceptionDetails.URL)
			if ex := ev.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
		}
		if msg != "" {
			b.mu.Lock()
			b.problems = append(b.problems, msg)
			b.mu.Unlock()
		}
	})
	if err == nil {
		_, err = chromedp.Call(b.ctx, cdplog.Enable, cdp.Empty{})
	}
	if err != nil {
		b.t.Fatalf("watch the console: %v", err)
	}
	b.t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, p := range b.problems {
			b.t.Errorf("browser %s", p)
		}
	})
}

// url makes an absolute URL of a path, or of the path and query of an
// absolute URL (such as the setup link, which names the configured base).
func (b *browser) url(path string) string {
	if u, err := url.Parse(path); err == nil && u.IsAbs() {
		path = u.RequestURI()
	}
	return b.base + path
}

// run runs one action with actionTimeout and fails the test on error.
func run[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fail(what, err)
	}
	return v
}

func (b *browser) fail(what string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	where, lerr := chromedp.Run(ctx, chromedp.Location())
	if lerr != nil {
		where = "unknown: " + lerr.Error()
	}
	if png, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr != nil {
		b.t.Errorf("no screenshot of the failure: %v", serr)
	} else {
		b.save(failedDir(), "failed", png)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("nothing happened within %s", actionTimeout)
	}
	b.t.Fatalf("browser: %s (at %s): %v", what, where, err)
}

// do runs chromedp actions, for what the helpers do not cover.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	run(b, "actions", chromedp.Steps(actions...))
}

// visit opens path and waits for the page to load; it returns the status.
func (b *browser) visit(path string) int {
	b.t.Helper()
	res := run(b, "visit "+path, chromedp.NavigateResponse(b.url(path)))
	if res == nil {
		return 0
	}
	return int(res.Status)
}

// fill clears the field sel and types text into it, key by key.
func (b *browser) fill(sel, text string) {
	b.t.Helper()
	run(b, "fill "+sel, chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(sel)),
		setValue(sel, ""),
		chromedp.SendKeys(chromedp.CSS(sel), text),
	))
}

// setValue sets the value of the form control sel as a script would, with
// the input and change events. (chromedp.SetValue refuses an empty value.)
func setValue(sel, value string) chromedp.Action[chromedp.Void] {
	js := fmt.Sprintf(`(e => { e.value = %q; e.dispatchEvent(new Event("input", {bubbles: true}));
		e.dispatchEvent(new Event("change", {bubbles: true})); return e.value === %q })(document.querySelector(%q))`, value, value, sel)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		ok, err := chromedp.Evaluate[bool](js)(ctx, t)
		if err == nil && !ok {
			err = fmt.Errorf("%s refused the value %q", sel, value)
		}
		return err
	})
}

// choose selects value in the <select> sel.
func (b *browser) choose(sel, value string) {
	b.t.Helper()
	run(b, "choose "+value+" in "+sel, chromedp.Steps(chromedp.WaitVisible(chromedp.CSS(sel)), setValue(sel, value)))
}

// click clicks sel and returns at once (an htmx swap: wait with waitText).
func (b *browser) click(sel string) {
	b.t.Helper()
	run(b, "click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// submit clicks sel (a submit button or link) and waits until the next page
// has loaded, by plain navigation or htmx's HX-Redirect; it returns its status.
func (b *browser) submit(sel string) int {
	b.t.Helper()
	return b.navigation("submit "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// press sends key events to the focused element (see package
// chromedp/kb for Tab, Enter and the rest) and returns at once.
func (b *browser) press(keys string) {
	b.t.Helper()
	run(b, fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys))
}

// pressAndWait is press for keys that load a new page (Enter in a form).
func (b *browser) pressAndWait(keys string) int {
	b.t.Helper()
	return b.navigation(fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys))
}

func (b *browser) navigation(what string, a chromedp.Action[chromedp.Void]) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, a)
	if err != nil {
		b.fail(what+" (waiting for the next page)", err)
	}
	if res == nil {
		return 0
	}
	return int(res.Status)
}

// waitFor waits until sel is visible.
func (b *browser) waitFor(sel string) {
	b.t.Helper()
	run(b, "wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// waitText waits until the text of sel contains text.
func (b *browser) waitText(sel, text string) {
	b.t.Helper()
	b.waitUntil(fmt.Sprintf(`(document.querySelector(%q)?.innerText ?? "").includes(%q)`, sel, text))
}

// waitUntil waits until the JavaScript expression js is truthy.
func (b *browser) waitUntil(js string) {
	b.t.Helper()
	run(b, "wait until "+js, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond)))
}

// text is the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return run(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// has reports whether the page's visible text contains s.
func (b *browser) has(s string) bool {
	b.t.Helper()
	return strings.Contains(b.text("body"), s)
}

// attr is the attribute name of the first element matching sel ("" if absent).
func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	res := run(b, "attribute "+name+" of "+sel, chromedp.AttributeValue(chromedp.CSS(sel), name))
	return res.Value
}

// path is the path (and query) of the page shown.
func (b *browser) path() string {
	b.t.Helper()
	loc := run(b, "location", chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatalf("location %q: %v", loc, err)
	}
	return u.RequestURI()
}

// focused describes the element that has the keyboard focus: its id, else
// its name, else its tag.
func (b *browser) focused() string {
	b.t.Helper()
	return run(b, "focused element", chromedp.Evaluate[string](
		`(e => e ? (e.id || e.getAttribute("name") || e.tagName.toLowerCase()) : "")(document.activeElement)`))
}

// eval runs a JavaScript expression in the page and decodes its value.
func eval[T any](b *browser, js string) T {
	b.t.Helper()
	return run(b, "eval "+js, chromedp.Evaluate[T](js))
}

// cookies lists the browser's cookies for the site, HttpOnly ones included.
func (b *browser) cookies() []*network.Cookie {
	b.t.Helper()
	res := run(b, "cookies", func(ctx context.Context, t *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	})
	return res.Cookies
}

// cookie is the browser's cookie name, or nil.
func (b *browser) cookie(name string) *network.Cookie {
	b.t.Helper()
	for _, c := range b.cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// phone makes the window a 375x740 phone (mobile viewport rules apply).
func (b *browser) phone() {
	b.t.Helper()
	run(b, "phone size", chromedp.EmulateViewport(375, 740, chromedp.EmulatePortrait, chromedp.EmulateMobile))
}

// desktop makes the window 1280x800.
func (b *browser) desktop() {
	b.t.Helper()
	run(b, "desktop size", chromedp.EmulateViewport(1280, 800))
}

// colorScheme makes the page see prefers-color-scheme: "dark" or "light".
func (b *browser) colorScheme(scheme string) {
	b.t.Helper()
	run(b, "color scheme "+scheme, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	}))
}

// screenshot saves a full-page PNG of the page shown in $ACCORD_SCREENSHOTS
// and returns its path; without it, it does nothing and returns "".
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	dir := os.Getenv("ACCORD_SCREENSHOTS")
	if dir == "" {
		return ""
	}
	png := run(b, "screenshot "+name, chromedp.FullScreenshot(100))
	return b.save(dir, name, png)
}

// failedDir is where the picture of a failure goes: $ACCORD_SCREENSHOTS,
// else a directory that outlives the test.
func failedDir() string {
	if dir := os.Getenv("ACCORD_SCREENSHOTS"); dir != "" {
		return dir
	}
	return filepath.Join(os.TempDir(), "accord-screenshots")
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (b *browser) save(dir, name string, png []byte) string {
	b.t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	file := filepath.Join(dir, unsafeName.ReplaceAllString(b.t.Name()+"-"+name, "_")+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", file)
	return file
}

// login signs in through the login form with testPassword and waits for
// the page it leads to.
func (b *browser) login(email string) {
	b.t.Helper()
	b.visit("/login")
	b.fill("#f-email", email)
	b.fill("#f-password", testPassword)
	if status := b.submit("#login-form button[type=submit]"); status != 200 {
		b.t.Fatalf("login %s: got status %d at %s, want 200", email, status, b.path())
	}
}

// logout signs out with the header's button and waits for the home page.
func (b *browser) logout() {
	b.t.Helper()
	b.submit(".user-state button[type=submit]")
}
