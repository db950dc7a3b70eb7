package app

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var mailedInvite = regexp.MustCompile(`https?://\S+/guardian/invitation\?token=[A-Za-z0-9_-]+`)

// Ensure that a minor who signs up naming a guardian waits at a page that
// names them; that the guardian opens the link of the mail a real SMTP
// server received, creates an account, agrees for the minor; and that the
// minor then gets in, in English and in French.
func TestBrowserGuardianInvitation(t *testing.T) {
	for _, tc := range []struct{ lang, asked, linked, answers string }{
		{"en", "Your guardian, Jane Doe <jane@example.org>, has been asked to agree to your policies", "You are now their guardian",
			"Your guardian, Jane Doe <jane@example.org>, gives or withdraws these agreements for you."},
		{"fr", "Votre représentant légal, Jane Doe <jane@example.org>, a été invité à accepter vos politiques", "Vous êtes désormais son représentant légal",
			"Votre représentant légal, Jane Doe <jane@example.org>, donne ou retire ces accords pour vous."},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			srv := newSMTPServer(t, "127.0.0.1:0")
			b := newBrowserWith(t, func(c *Config) { c.SMTP, c.MailFrom = "smtp://"+srv.addr, "accord@example.org" })

			b.visit("/signup?lang=" + tc.lang)
			b.refuseCookies()
			if !eval[bool](b, `document.querySelector("#guardian-fields").hidden`) {
				t.Errorf("the guardian's fields show before a birth date is typed")
			}
			b.fill("#f-first_name", "Lou")
			b.fill("#f-last_name", "Petit")
			b.fill("#f-email", "lou@example.org")
			b.fill("#f-password", testPassword)
			b.do(setValue("#f-birth_date", "2015-03-01"))
			b.waitUntil(`!document.querySelector("#guardian-fields").hidden`) // accord.js: a minor's date
			b.fill("#f-guardian_email", "jane@example.org")
			b.fill("#f-guardian_name", "Jane Doe")
			b.submit("#signup-form button[type=submit]")
			if got := b.path(); got != "/consent" {
				t.Fatalf("after sign-up: got %s, want the waiting page", got)
			}
			wantLang(t, b, tc.lang)
			if got := b.text("#consent-minor"); !strings.Contains(got, tc.asked) {
				t.Errorf("waiting page: got %q, want %q", got, tc.asked)
			}
			b.shots("guardian-waiting")
			b.visit("/profile")
			if got := b.path(); !strings.HasPrefix(got, "/consent") {
				t.Errorf("the waiting minor reached %s", got)
			}

			b.env.app.deliverMail()
			var link string
			for _, m := range srv.mails() {
				if len(m.To) == 1 && m.To[0] == "jane@example.org" {
					link = mailedInvite.FindString(decodedMail(m.Data))
				}
			}
			if link == "" {
				t.Fatalf("no invitation link in the mails received: %+v", srv.mails())
			}
			u, err := url.Parse(link)
			if err != nil {
				t.Fatal(err)
			}

			g := b.other()
			g.visit(u.RequestURI() + "&lang=" + tc.lang)
			g.refuseCookies()
			if !g.has("Lou Petit") {
				t.Errorf("the invitation does not name the minor:\n%s", g.text("main"))
			}
			g.shots("guardian-invitation")
			g.fill("#guardian-account #f-first_name", "Jane")
			g.fill("#guardian-account #f-last_name", "Doe")
			g.fill("#guardian-account #f-password", testPassword)
			g.submit("#guardian-account button[type=submit]")
			// The new guardian answers their own policies first, then the minor's.
			if got := g.path(); !strings.HasPrefix(got, "/consent") {
				t.Fatalf("after creating the account: got %s, want the consent page", got)
			}
			if !g.has(tc.linked) {
				t.Errorf("after creating the account: no %q", tc.linked)
			}
			for _, id := range b.env.activeIDs() {
				g.click(fmt.Sprintf("#f-v%d", id))
			}
			g.submit("#consent-form .actions button[type=submit]")
			if got := g.path(); !strings.HasPrefix(got, "/profile/minors/") {
				t.Fatalf("after consent: got %s, want the minor's policies", got)
			}
			g.shots("guardian-minor-policies")
			// Each answer swaps the agreements list in place (htmx): wait for
			// one accept form fewer, not for a page load.
			for left := len(b.env.activeIDs()); left > 0; left-- {
				g.click(`#agreements form[action$="/accept"] button[type=submit]`)
				g.waitUntil(fmt.Sprintf(`document.querySelectorAll('#agreements form[action$="/accept"]').length === %d`, left-1))
			}
			if n := eval[int](g, `document.querySelectorAll('#agreements form[action$="/accept"]').length`); n != 0 {
				t.Errorf("%d policies left to accept for the minor", n)
			}

			b.visit("/profile/policies")
			if got := b.path(); got != "/profile/policies" {
				t.Fatalf("the minor is still held: got %s", got)
			}
			if got := b.text("#agreements"); !strings.Contains(got, tc.answers) {
				t.Errorf("minor's agreements: got %q, want %q", got, tc.answers)
			}
		})
	}
}
