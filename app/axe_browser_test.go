package app

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"accord/store"

	"github.com/chromedp/chromedp"
)

// The accessibility test runs axe-core (the engine behind Lighthouse's and
// browsers' accessibility audits) on every main page, as each kind of
// person sees it, in English and French, at 1280 and 360 px, in light and
// dark mode, and fails on any violation of WCAG 2.1 A and AA (in dark
// mode only the contrast is checked again: nothing else changes with it).
//
// axe-core is not vendored: .ci/run fetches the pinned version from npm
// into .ci/cache (see axeVersion); run `bash .ci/axe` once to get it
// locally. Without it the test skips, except in CI.

// axeVersion is the pinned axe-core; .ci/axe fetches exactly this one.
const axeVersion = "4.14.1"

func axeSource(t *testing.T) string {
	t.Helper()
	path := filepath.Join("..", ".ci", "cache", "axe-core-"+axeVersion, "axe.min.js")
	src, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the accessibility test needs axe-core at %s (.ci/axe fetches it): %v", path, err)
		}
		t.Skipf("no axe-core at %s: run `bash .ci/axe` (accessibility test skipped)", path)
	}
	return string(src)
}

// axeViolation is one rule broken on one page, with its first element.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// axeRun checks the page shown and returns what broke: every WCAG 2.1 A
// and AA rule, or only the contrast of colours (all a dark scheme changes).
func (b *browser) axeRun(src string, contrastOnly bool) []axeViolation {
	b.t.Helper()
	if !eval[bool](b, `typeof window.axe === "object"`) {
		run(b, "inject axe-core", chromedp.Evaluate[any](src+";0"))
	}
	only := `{type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}`
	if contrastOnly {
		only = `{type: "rule", values: ["color-contrast"]}`
	}
	return run(b, "axe.run", chromedp.Evaluate[[]axeViolation](
		`axe.run(document, {runOnly: `+only+`, resultTypes: ["violations"]}).then(r => r.violations)`,
		chromedp.EvalAwaitPromise))
}

// Ensure that no page breaks a WCAG 2.1 A or AA rule that axe-core checks,
// for a visitor, a learner, a guardian, a privacy officer and an
// administrator, in both languages, at desktop and phone width, light and
// dark.
func TestAccessibility(t *testing.T) {
	src := axeSource(t)
	b := newBrowser(t)
	if err := b.env.app.Demo(io.Discard); err != nil {
		t.Fatal(err)
	}
	b.env.user(t, "root@example.org", store.RoleAdmin)
	id := func(email string) uint64 {
		u, err := b.env.app.db.UserByEmail(email)
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	alice, minor := id("alice@demo.test"), id("minor@demo.test")
	// A minor waiting for the guardian they named, and the invitation's link.
	hash, err := HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	waiting := &store.User{Email: "waiting@example.org", FirstName: "Lou", LastName: "Petit", Lang: "en", Role: store.RoleLearner, PasswordHash: hash, BirthDate: "2015-03-01"}
	token, tokenHash := store.NewToken()
	if err := b.env.db.CreateMinor(waiting, store.GuardianInvite{Email: "parent@example.org", Name: "Pat Parent"}, tokenHash, nil); err != nil {
		t.Fatal(err)
	}
	people := []struct {
		who, email, password string
		pages                []string
	}{
		{"visitor", "", "", []string{"/", "/policies", "/cookies", "/login", "/signup", guardianInvitePath + "?token=" + token}},
		{"waiting minor", waiting.Email, testPassword, []string{"/consent"}},
		{"learner", "alice@demo.test", demoPassword, []string{"/profile", "/profile/policies", "/profile/dpo", "/profile/requests", "/profile/courses", "/notifications", "/cookies"}},
		{"guardian", "guardian@demo.test", demoPassword, []string{"/profile", fmt.Sprintf("/profile/minors/%d/policies", minor)}},
		{"dpo", "dpo@demo.test", demoPassword, []string{"/admin", "/admin/requests", "/admin/dpo", "/admin/agreements", fmt.Sprintf("/admin/users/%d", alice)}},
		{"admin", "root@example.org", testPassword, []string{"/admin", "/admin/users", fmt.Sprintf("/admin/users/%d", alice), fmt.Sprintf("/admin/users/%d", waiting.ID), "/admin/policies", "/admin/agreements", "/admin/cookies", "/admin/requests", "/admin/dpo", "/admin/audit", "/admin/processing", "/admin/settings", "/admin/courses"}},
	}
	found := map[string]string{} // rule and page -> an example
	runs := 0
	for _, p := range people {
		if p.email != "" {
			b.visit("/login")
			b.fill("#f-email", p.email)
			b.fill("#f-password", p.password)
			b.submit("#login-form button[type=submit]")
		}
		for _, path := range p.pages {
			for _, lang := range Langs {
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				if status := b.visit(path + sep + "lang=" + lang); status != 200 {
					t.Errorf("%s %s (%s): status %d", p.who, path, lang, status)
					continue
				}
				for _, width := range []string{"desktop", "phone"} {
					if width == "phone" {
						b.phone()
					} else {
						b.desktop()
					}
					for _, scheme := range []string{"light", "dark"} {
						b.colorScheme(scheme)
						runs++
						for _, v := range b.axeRun(src, scheme == "dark") {
							key := fmt.Sprintf("%s on %s", v.ID, path)
							if _, seen := found[key]; seen || len(v.Nodes) == 0 {
								continue
							}
							found[key] = fmt.Sprintf("%s, %s, %s, %s (%s): %s — %v %s", p.who, lang, width, scheme, v.Impact, v.Help, v.Nodes[0].Target, v.Nodes[0].HTML)
						}
					}
				}
				b.desktop()
				b.colorScheme("light")
			}
		}
		if p.email != "" {
			b.logout()
		}
	}
	keys := make([]string, 0, len(found))
	for k := range found {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Errorf("axe: %s — %s", k, found[k])
	}
	t.Logf("%d axe runs, %d violations (rule × page)", runs, len(found))
}
