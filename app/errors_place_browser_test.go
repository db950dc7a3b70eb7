package app

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// summaryPlace says where the page's error summaries are: how many, the
// id of the form holding the first, whether it is inside the cookie
// banner, and what has the focus.
const summaryPlace = `(() => {
  const s = document.querySelectorAll('[role=alert]');
  const f = s[0]?.closest('form');
  return s.length + ' ' + (f?.id || '-') + ' ' + !!s[0]?.closest('#cookie-banner') + ' ' + (document.activeElement === s[0]);
})()`

// Ensure that a visitor who sends the sign-up form wrong while the cookie
// banner shows gets the error summary in the sign-up form alone, never in
// the banner, and the focus on it: after the htmx swap (accord.js moves
// the focus), and on the full page a browser without JavaScript gets.
func TestBrowserErrorSummaryInItsForm(t *testing.T) {
	b := newBrowser(t)
	b.visit("/signup")
	b.waitFor("#cookie-banner")
	b.fill("#f-email", "not-an-address")
	b.click("#signup-form button[type=submit]")
	b.waitUntil(`document.querySelector('#signup-form [role=alert]') && document.activeElement?.getAttribute('role') === 'alert'`)
	if got := eval[string](b, summaryPlace); got != "1 signup-form false true" {
		t.Errorf("htmx 422: got %q, want one summary, in #signup-form, not in the banner, focused", got)
	}
	if !b.has("Some fields need your attention.") || eval[int](b, `document.querySelectorAll('#cookie-banner [role=alert]').length`) != 0 {
		t.Errorf("htmx 422: the summary is missing, or the banner shows one")
	}
	b.screenshot("signup-422-banner")

	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	b.visit("/signup?lang=fr")
	b.waitFor("#cookie-banner")
	if got := b.submit("#signup-form button[type=submit]"); got != 422 {
		t.Fatalf("plain sign-up with nothing typed: got %d, want 422", got)
	}
	if got := eval[string](b, `(() => { const s = document.querySelectorAll('[role=alert]'); return s.length + ' ' + (s[0]?.closest('form')?.id || '-') + ' ' + !!s[0]?.closest('#cookie-banner'); })()`); got != "1 signup-form false" {
		t.Errorf("full-page 422: got %q, want one summary, in #signup-form, not in the banner", got)
	}
	if !b.has("Certains champs demandent votre attention") || b.text("#cookie-banner") == "" {
		t.Errorf("full-page 422: want the French summary and the banner still shown")
	}
}
