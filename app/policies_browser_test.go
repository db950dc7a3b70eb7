package app

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"accord/store"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// extraPolicies adds, active, an optional consent-page policy (a
// newsletter) and an own-page policy (partner terms, optional when
// ownOptional) to the three seeded ones.
func extraPolicies(t *testing.T, e *testEnv, author uint64, ownOptional bool) (news, own *store.PolicyVersion) {
	t.Helper()
	news = &store.PolicyVersion{Revision: "1", Type: store.TypeOther, Audience: store.AudienceAll, Style: store.StyleConsentPage, Optional: true,
		Texts: map[string]store.PolicyText{
			"en": {Name: "Newsletter", Summary: "News about the courses by mail, once a month.", Content: "## Newsletter\n\nWe send news about the courses once a month."},
			"fr": {Name: "Lettre d’information", Summary: "Des nouvelles des cours par courriel, une fois par mois.", Content: "## Lettre\n\nNous envoyons des nouvelles des cours une fois par mois."}}}
	own = &store.PolicyVersion{Revision: "1", Type: store.TypeThirdParty, Audience: store.AudienceAuthenticated, Style: store.StyleOwnPage, Optional: ownOptional,
		Texts: map[string]store.PolicyText{
			"en": {Name: "Partner terms", Summary: "The video partner's terms.", Content: "## Our video partner\n\nVideos are served by our partner under its own terms."},
			"fr": {Name: "Conditions du partenaire", Summary: "Les conditions du partenaire vidéo.", Content: "## Notre partenaire vidéo\n\nLes vidéos sont servies par notre partenaire selon ses propres conditions."}}}
	for _, v := range []*store.PolicyVersion{news, own} {
		if err := e.db.CreatePolicy(v, author); err != nil {
			t.Fatal(err)
		}
		if err := e.db.ActivateVersion(v.ID, author); err != nil {
			t.Fatal(err)
		}
	}
	e.reload(t)
	return news, own
}

// seeded is the seeded policy named key ("site", "privacy", "cookies").
func seeded(t testing.TB, e *testEnv, key string) *store.PolicyEntry {
	t.Helper()
	p := e.app.consent.Snapshot().Seeded(key)
	if p == nil {
		t.Fatalf("no seeded %s policy", key)
	}
	return p
}

// lastStatus is the status of u's newest event about version id.
func lastStatus(t *testing.T, e *testEnv, userID, versionID uint64) store.AcceptStatus {
	t.Helper()
	events, err := e.db.UserAcceptances(userID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events { // newest first
		if ev.VersionID == versionID {
			return ev.Status
		}
	}
	return ""
}

// acceptDialogs accepts every window.confirm of the page until the test ends.
func acceptDialogs(b *browser) {
	ctx, cancel := context.WithCancel(b.ctx)
	b.t.Cleanup(cancel)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			// Answered from another goroutine than the one reading events.
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
}

// Ensure that a newcomer meets, in English and in French, the own-page
// policy first (alone, in full, Accept and Decline as it is optional), then
// the consent page: compulsory checkboxes, optional radios none chosen, the
// full text expanding in place, a partial answer refused with what was
// ticked kept; and then lands where they were going.
func TestBrowserConsentGate(t *testing.T) {
	for _, tc := range []struct {
		lang, partial, agree, decline string
	}{
		{"en", "Before continuing you need to acknowledge all these policies.", "I agree", "I do not agree"},
		{"fr", "Avant de continuer, vous devez prendre connaissance de toutes ces politiques et y répondre.", "J’accepte", "Je n’accepte pas"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			b := newBrowser(t)
			e := b.env
			admin := e.user(t, "root@example.org", store.RoleAdmin)
			news, own := extraPolicies(t, e, admin.ID, true)
			ann := e.newcomer(t, "ann@example.org", store.RoleLearner)
			site := seeded(t, e, "site").Active()

			b.visit("/login?lang=" + tc.lang)
			b.login("ann@example.org")
			b.visit("/profile")
			if got := b.path(); got != "/consent?next=%2Fprofile" {
				t.Fatalf("gate: got %s, want /consent?next=%%2Fprofile", got)
			}
			wantLang(t, b, tc.lang)

			// The own-page policy, alone and in full.
			name := own.Texts[tc.lang].Name
			if got := b.text("#consent-form h2"); got != name {
				t.Errorf("own page: got heading %q, want %q", got, name)
			}
			if n := eval[int](b, `document.querySelectorAll("#consent-form section").length`); n != 1 {
				t.Errorf("own page: got %d policies, want 1", n)
			}
			if !b.has(strings.Split(own.Texts[tc.lang].Content, "\n\n")[1]) || b.has(site.Texts[tc.lang].Name) {
				t.Errorf("own page: want the full partner text and no other policy\n%s", b.text("main"))
			}
			if got := b.text(fmt.Sprintf(`button[name="v%d"][value="decline"]`, own.ID)); got != tc.decline {
				t.Errorf("own page: got decline button %q, want %q", got, tc.decline)
			}
			b.screenshot("own-page")
			b.submit(fmt.Sprintf(`button[name="v%d"][value="decline"]`, own.ID))
			if got := b.path(); got != "/consent?next=%2Fprofile" {
				t.Fatalf("after the own page: got %s, want the consent page", got)
			}

			// The consent page: three compulsory checkboxes, one optional question.
			for _, id := range e.activeIDs() {
				v := e.app.consent.Snapshot().Version(id)
				if v.Style == store.StyleOwnPage {
					if n := eval[int](b, fmt.Sprintf(`document.querySelectorAll('[name="v%d"]').length`, id)); n != 0 {
						t.Errorf("consent page: the answered own-page policy is asked again")
					}
					continue
				}
				typ := "checkbox"
				if v.Optional {
					typ = "radio"
				}
				if n := eval[int](b, fmt.Sprintf(`document.querySelectorAll('#consent-form input[type=%s][name="v%d"]').length`, typ, id)); n == 0 {
					t.Errorf("consent page: no %s for %q", typ, v.Texts[tc.lang].Name)
				}
			}
			if n := eval[int](b, `document.querySelectorAll("#consent-form input:checked").length`); n != 0 {
				t.Errorf("consent page: got %d answers preselected, want none", n)
			}
			if got := b.text(fmt.Sprintf(`label[for="f-v%d-accept"]`, news.ID)); got != tc.agree {
				t.Errorf("optional: got %q, want %q", got, tc.agree)
			}

			// The full text, in place, by htmx.
			b.click(fmt.Sprintf(`#consent-form a[hx-get$="version=%d"]`, site.ID))
			b.waitUntil(fmt.Sprintf(`document.querySelector("#full-%d .policy-text")?.innerText.length > 200`, site.ID))
			if got := b.path(); got != "/consent?next=%2Fprofile" {
				t.Errorf("full text: the page moved to %s", got)
			}
			b.screenshot("consent-full-text")

			// One compulsory policy and the optional one left: 422, ticks kept.
			b.click("#f-" + vfield(site.ID))
			b.click("#consent-form .actions button[type=submit]")
			b.waitText("#consent-form", tc.partial)
			if !eval[bool](b, fmt.Sprintf(`document.querySelector("#f-v%d").checked`, site.ID)) {
				t.Errorf("422: the ticked box was not kept")
			}
			if n := eval[int](b, `document.querySelectorAll("#consent-form input:checked").length`); n != 1 {
				t.Errorf("422: got %d answers, want the 1 ticked", n)
			}
			b.screenshot("consent-partial")
			if got := lastStatus(t, e, ann.ID, site.ID); got != "" {
				t.Errorf("422: got a recorded %s, want nothing recorded", got)
			}

			for _, id := range e.activeIDs() {
				v := e.app.consent.Snapshot().Version(id)
				switch {
				case id == site.ID || v.Style == store.StyleOwnPage:
				case v.Optional:
					b.click(fmt.Sprintf("#f-v%d-accept", id))
				default:
					b.click("#f-" + vfield(id))
				}
			}
			b.submit("#consent-form .actions button[type=submit]")
			if got := b.path(); got != "/profile" {
				t.Fatalf("after consent: got %s, want /profile", got)
			}
			wantLang(t, b, tc.lang)
			for id, want := range map[uint64]store.AcceptStatus{own.ID: store.Declined, news.ID: store.Accepted, site.ID: store.Accepted} {
				if got := lastStatus(t, e, ann.ID, id); got != want {
					t.Errorf("version %d: got %q, want %q", id, got, want)
				}
			}
		})
	}
}

// Ensure that an administrator makes a new draft of the site policy,
// edits it with a live, sanitised preview (a script typed in does not run
// and is not shown), activates it through the confirm dialog, and that a
// learner is sent back to the gate and sees what changed.
func TestBrowserAdminEditsPolicy(t *testing.T) {
	b := newBrowser(t)
	e := b.env
	e.user(t, "root@example.org", store.RoleAdmin)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	site := seeded(t, e, "site")
	old := site.Active()
	acceptDialogs(b)

	b.login("root@example.org")
	b.visit(fmt.Sprintf("/admin/policies/%d", site.ID))
	b.submit(fmt.Sprintf(`form[action="/admin/policies/%d/versions"] button`, site.ID))
	if !strings.HasSuffix(b.path(), "/edit") {
		t.Fatalf("new draft: got %s, want its edit page", b.path())
	}
	draft := e.app.consent.Snapshot().Entry(site.ID).Latest()
	if draft.Status != store.StatusDraft || draft.ID == old.ID {
		t.Fatalf("new draft: got %s version %d", draft.Status, draft.ID)
	}
	if got := eval[string](b, `document.querySelector("#f-content_en").value`); strings.TrimSpace(got) != strings.TrimSpace(old.Texts["en"].Content) {
		t.Errorf("the draft does not start from the active text")
	}

	// Type at the end of the English text; the preview follows.
	b.fill("#f-revision", "2.0")
	b.do(chromedp.Evaluate[chromedp.Void](`(t => { t.focus(); t.setSelectionRange(t.value.length, t.value.length) })(document.querySelector("#f-content_en"))`))
	b.press("\n\nA brand new sentence. <script>window.pwned = 1</script> <img src=x onerror=\"window.pwned = 2\">")
	b.waitText("#preview-en", "A brand new sentence.")
	if html := eval[string](b, `document.querySelector("#preview-en").innerHTML`); strings.Contains(html, "<script") || strings.Contains(html, "onerror") {
		t.Errorf("preview keeps the script: %s", html)
	}
	if eval[bool](b, `window.pwned !== undefined`) {
		t.Errorf("the script in the text ran")
	}
	b.screenshot("edit-preview")
	b.submit("#version-form .actions button[type=submit]")
	if !b.has("A brand new sentence.") {
		t.Errorf("after save: the edit page lost the new sentence")
	}
	// The French text, untouched in its textarea, is the same text.
	if saved := e.app.consent.Snapshot().Version(draft.ID); saved.Texts["fr"].Hash != old.Texts["fr"].Hash || strings.Contains(saved.Texts["en"].Content, "\r") {
		t.Errorf("after save: the untouched French text changed (hash %s, was %s)", saved.Texts["fr"].Hash, old.Texts["fr"].Hash)
	}

	// Activate: the confirm dialog is accepted.
	b.visit(fmt.Sprintf("/admin/policies/%d", site.ID))
	b.submit(fmt.Sprintf(`form[action="/admin/versions/%d/activate"] button`, draft.ID))
	if got := e.app.consent.Snapshot().Entry(site.ID).Active(); got == nil || got.ID != draft.ID {
		t.Fatalf("activate: the draft is not the active version")
	}
	b.visit(fmt.Sprintf("/admin/versions/%d/diff/%d", old.ID, draft.ID))
	if got := eval[string](b, `[...document.querySelectorAll("[lang=en] .diff-text ins")].map(e => e.textContent).join("|")`); !strings.Contains(got, "brand new sentence") {
		t.Errorf("diff page: got inserted %q, want the new sentence", got)
	}
	b.screenshot("diff")
	b.visit(fmt.Sprintf("/policies/%d", site.ID))
	if !b.has("A brand new sentence.") || eval[bool](b, `window.pwned !== undefined || document.querySelector("main script, main img[onerror]") !== null`) {
		t.Errorf("public page: want the new sentence, sanitised")
	}
	b.logout()

	// The learner is gated again and sees what changed.
	b.login("ann@example.org")
	if got := b.path(); !strings.HasPrefix(got, "/consent") {
		t.Fatalf("learner: got %s, want the consent page", got)
	}
	b.click(fmt.Sprintf(`#consent-form section[aria-labelledby="v%d-title"] details.changes summary`, draft.ID))
	b.waitText(fmt.Sprintf(`section[aria-labelledby="v%d-title"] details.changes`, draft.ID), "brand")
	if got := eval[string](b, fmt.Sprintf(`[...document.querySelectorAll('section[aria-labelledby="v%d-title"] details.changes ins')].map(e => e.textContent).join("|")`, draft.ID)); !strings.Contains(got, "brand new sentence") {
		t.Errorf("what changed: got inserted %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll("#consent-form section").length`); n != 1 {
		t.Errorf("consent: got %d policies asked, want only the changed one", n)
	}
	b.screenshot("what-changed")
	b.click("#f-" + vfield(draft.ID))
	b.submit("#consent-form .actions button[type=submit]")
	if got := b.path(); got != "/" {
		t.Errorf("after consent: got %s, want /", got)
	}
	if got := lastStatus(t, e, ann.ID, draft.ID); got != store.Accepted {
		t.Errorf("learner: got %q, want accepted", got)
	}
}

// Ensure that a learner withdraws and gives again their consent to an
// optional policy from /profile/policies, in English and in French, that
// focus then lands in the card acted on, on a message naming what changed,
// and that a compulsory policy offers no way to decline.
func TestBrowserWithdrawConsent(t *testing.T) {
	b := newBrowser(t)
	e := b.env
	admin := e.user(t, "root@example.org", store.RoleAdmin)
	news, _ := extraPolicies(t, e, admin.ID, false)
	ann := e.user(t, "ann@example.org", store.RoleLearner) // agrees to all, newsletter too
	card := fmt.Sprintf(`#agreements section[aria-labelledby="ag-%d"]`, news.ID)
	withdraw := fmt.Sprintf(`%s form[action$="/%d/decline"] button`, card, news.ID)
	accept := fmt.Sprintf(`%s form[action$="/%d/accept"] button`, card, news.ID)

	b.login("ann@example.org")
	focus := `(e => (e.closest("section.card")?.id ?? "") + " " + e.textContent.trim())(document.activeElement)`
	for _, tc := range []struct{ lang, withdraw, withdrawn, give, accepted, saidWithdrawn, saidAccepted string }{
		{"en", "Withdraw my consent", "Withdrawn", "I agree", "Accepted", "You withdrew your consent to Newsletter 1.", "You accepted Newsletter 1."},
		{"fr", "Retirer mon consentement", "Retirée", "J’accepte", "Acceptée", "Vous avez retiré votre consentement à «\u00a0Lettre d’information\u00a0» 1.", "Vous avez accepté «\u00a0Lettre d’information\u00a0» 1."},
	} {
		b.visit("/profile/policies?lang=" + tc.lang)
		wantLang(t, b, tc.lang)
		if got := b.text(withdraw); got != tc.withdraw {
			t.Errorf("%s: got button %q, want %q", tc.lang, got, tc.withdraw)
		}
		site := seeded(t, e, "site").Active()
		if n := eval[int](b, fmt.Sprintf(`document.querySelectorAll('form[action$="/%d/decline"]').length`, site.ID)); n != 0 {
			t.Errorf("%s: a compulsory policy can be declined", tc.lang)
		}
		b.click(withdraw) // htmx swaps the agreements in place
		b.waitText(card+" .badge", tc.withdrawn)
		b.waitUntil(`document.activeElement?.matches(".flash")`)
		if got, want := eval[string](b, focus), fmt.Sprintf("agreement-%d %s", news.ID, tc.saidWithdrawn); got != want {
			t.Errorf("%s: focus after withdrawing: got %q, want %q", tc.lang, got, want)
		}
		if got := lastStatus(t, e, ann.ID, news.ID); got != store.Withdrawn {
			t.Errorf("%s: got %q, want withdrawn", tc.lang, got)
		}
		b.screenshot(tc.lang + "-withdrawn")
		if got := b.text(accept); got != tc.give {
			t.Errorf("%s: got button %q, want %q", tc.lang, got, tc.give)
		}
		b.click(accept)
		b.waitText(card+" .badge", tc.accepted)
		b.waitUntil(`document.activeElement?.matches(".flash")`)
		if got, want := eval[string](b, focus), fmt.Sprintf("agreement-%d %s", news.ID, tc.saidAccepted); got != want {
			t.Errorf("%s: focus after accepting: got %q, want %q", tc.lang, got, want)
		}
		if got := lastStatus(t, e, ann.ID, news.ID); got != store.Accepted {
			t.Errorf("%s: got %q, want accepted again", tc.lang, got)
		}
		if got := b.path(); got != "/profile/policies?lang="+tc.lang {
			t.Errorf("%s: the page moved to %s", tc.lang, got) // htmx swapped in place
		}
	}
	// Gone on withdrawal, the gate does not ask again: the answer counts.
	b.click(withdraw)
	b.waitText(card+" .badge", "Retirée")
	b.visit("/profile")
	if got := b.path(); got != "/profile" {
		t.Errorf("after withdrawal: got %s, want no gate", got)
	}
}

// Ensure that staff tick two pending rows of different policies on
// /admin/agreements, with a required remark, see them listed on the
// confirmation step, and that both are recorded for the right versions
// (and nothing else); the learner then sees "given on your behalf" with
// the remark, in English and in French.
func TestBrowserAcceptOnBehalf(t *testing.T) {
	b := newBrowser(t)
	e := b.env
	admin := e.user(t, "root@example.org", store.RoleAdmin)
	ann := e.newcomer(t, "ann@example.org", store.RoleLearner) // everything pending
	news, own := extraPolicies(t, e, admin.ID, false)
	e.agreeAll(t, admin)
	privacy, site := seeded(t, e, "privacy").Active(), seeded(t, e, "site").Active()
	var mine []store.Answer
	for _, v := range e.app.consent.Snapshot().ForUsers() {
		if v.ID != news.ID && v.ID != privacy.ID {
			mine = append(mine, store.Answer{UserID: ann.ID, VersionID: v.ID, Accept: true, Lang: "en", TextHash: v.Texts["en"].Hash, Where: store.WhereConsent})
		}
	}
	if _, err := e.app.consent.Record(mine); err != nil {
		t.Fatal(err)
	}

	b.login("root@example.org")
	report := "/admin/agreements?status=pending&q=ann"
	b.visit(report)
	boxes := []string{fmt.Sprintf("#sel-%d-%d", ann.ID, privacy.ID), fmt.Sprintf("#sel-%d-%d", ann.ID, news.ID)}
	for _, box := range boxes {
		b.click(box)
	}
	// Without a remark the browser refuses to send the form (required);
	// the server's 422 for the same is in TestOnBehalfBadInput.
	b.click("#on-behalf .actions button[type=submit]")
	if !eval[bool](b, `document.querySelector("#f-note").validity.valueMissing`) || b.path() != report {
		t.Errorf("no remark: want the form held back by the required remark")
	}
	b.fill("#f-note", "Paper form of 2 May")
	b.submit("#on-behalf .actions button[type=submit]")
	if got := b.text("#to-record"); !strings.Contains(got, "Privacy policy 1.0") || !strings.Contains(got, "Newsletter 1") || !strings.Contains(got, "ann@example.org") {
		t.Errorf("confirmation: got\n%s\nwant both rows of Ann", got)
	}
	if got := lastStatus(t, e, ann.ID, news.ID); got != "" {
		t.Fatalf("confirmation step: got %q recorded, want nothing yet", got)
	}
	b.screenshot("on-behalf-confirm")
	b.submit("#confirm-answers .actions button[type=submit]")
	for _, v := range []*store.PolicyVersion{privacy, news} {
		if got := lastStatus(t, e, ann.ID, v.ID); got != store.Accepted {
			t.Errorf("version %d: got %q, want accepted", v.ID, got)
		}
	}
	events, _ := e.db.UserAcceptances(ann.ID)
	if len(events) != len(mine)+2 || events[0].ActorKind != store.ActorStaff || events[1].ActorKind != store.ActorStaff {
		t.Errorf("got %d events, want %d: Ann's own and two by staff", len(events), len(mine)+2)
	}
	if got := b.path(); got != report {
		t.Errorf("after confirming: got %s, want back to %s", got, report)
	}
	if !b.has("Accepted on their behalf (2)") {
		t.Errorf("report: no message saying what was recorded")
	}
	b.visit(fmt.Sprintf("/admin/agreements?user=%d", ann.ID))
	if !b.has("Staff, on their behalf: Test root (root@example.org) — Paper form of 2 May") {
		t.Errorf("report: the staff member and the remark are not shown")
	}
	b.screenshot("on-behalf-done")
	b.logout()

	b.login("ann@example.org")
	if got := b.path(); got != "/" {
		t.Errorf("learner: got %s, want no gate after the staff's answer", got)
	}
	card := fmt.Sprintf(`#agreements section[aria-labelledby="ag-%d"]`, news.ID)
	for lang, want := range map[string]string{"en": "Given on your behalf by Test root — remark: Paper form of 2 May", "fr": "Donné en votre nom par Test root — remarque\u00a0: Paper form of 2 May"} {
		b.visit("/profile/policies?lang=" + lang)
		if got := b.text(card); !strings.Contains(got, want) {
			t.Errorf("%s: want %q in\n%s", lang, want, got)
		}
		b.screenshot(lang + "-on-behalf")
	}
	_, _ = own, site
}

// Ensure that the consent page can be answered with the keyboard alone:
// Tab to each control, Space to tick or choose, Enter to send.
func TestBrowserKeyboardConsent(t *testing.T) {
	b := newBrowser(t)
	e := b.env
	admin := e.user(t, "root@example.org", store.RoleAdmin)
	news, _ := extraPolicies(t, e, admin.ID, false)
	ann := e.newcomer(t, "ann@example.org", store.RoleLearner)
	b.login("ann@example.org")
	if got := b.path(); !strings.HasPrefix(got, "/consent") {
		t.Fatalf("got %s, want the consent page", got)
	}
	// First the own-page policy (its Accept button), then the consent page.
	var sent bool
	for range 80 {
		b.press(kb.Tab)
		switch kind := eval[string](b, `(e => !e.closest("#consent-form") ? "" :
			e.type === "checkbox" ? (e.checked ? "" : "box") :
			e.type === "radio" ? (e.value === "accept" ? "yes" : "") :
			e.type === "submit" ? "send" : "")(document.activeElement)`); kind {
		case "box", "yes":
			b.press(" ")
		case "send":
			b.pressAndWait(kb.Enter)
			sent = !strings.HasPrefix(b.path(), "/consent")
		}
		if sent {
			break
		}
	}
	if !sent {
		t.Fatalf("Tab never reached the Continue button")
	}
	if got := b.path(); got != "/" {
		t.Fatalf("after Enter: got %s, want /\n%s", got, b.text("main"))
	}
	for _, id := range e.activeIDs() {
		if got := lastStatus(t, e, ann.ID, id); got != store.Accepted {
			t.Errorf("version %d: got %q, want accepted", id, got)
		}
	}
	_ = news
}

// Ensure that the policy pages fit a phone (no sideways scrolling) and a
// desktop in both languages, and save their screenshots to look at when
// $ACCORD_SCREENSHOTS names a directory.
func TestBrowserPolicyScreens(t *testing.T) {
	b := newBrowser(t)
	e := b.env
	admin := e.user(t, "ada@example.org", store.RoleAdmin)
	news, _ := extraPolicies(t, e, admin.ID, true)
	e.agreeAll(t, admin)
	e.newcomer(t, "nina@example.org", store.RoleLearner)
	site := seeded(t, e, "site")
	old := site.Active()
	draft, err := e.db.NewDraft(site.ID, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.SaveVersion(draft.ID, admin.ID, false, func(v *store.PolicyVersion) {
		v.Revision = "2.0"
		for _, l := range store.PolicyLangs {
			t := v.Texts[l]
			t.Content = strings.Replace(t.Content, "\n\n", "\n\nA brand new sentence here.\n\n", 1) + "\n\nOne more paragraph at the end.\n"
			v.Texts[l] = t
		}
	}); err != nil {
		t.Fatal(err)
	}
	e.reload(t)
	cookies := seeded(t, e, "cookies")
	// Answer the cookie banner (once per account), so that it does not top every shot.
	noBanner := func() {
		t.Helper()
		b.visit("/policies")
		b.click(`#cookie-banner button[value="refuse_all"]`)
		b.waitUntil(`!document.querySelector('#cookie-banner button[value="refuse_all"]')`)
	}
	sizes := []string{"desktop", "phone"}
	// Full-page shots of long policies are slow: saved when someone will
	// look at them ($ACCORD_SCREENSHOTS); the layout checks always run.
	shots := os.Getenv("ACCORD_SCREENSHOTS") != ""
	each := func(pages [][2]string) {
		t.Helper()
		for _, lang := range []string{"en", "fr"} {
			b.visit("/policies?lang=" + lang)
			for _, size := range sizes {
				if size == "phone" {
					b.phone()
				} else {
					b.desktop()
				}
				for _, p := range pages {
					if got := b.visit(p[1]); got != 200 {
						t.Errorf("%s: got %d, want 200", p[1], got)
					}
					wantLang(t, b, lang)
					if size == "phone" {
						wantNoSideScroll(t, b, p[1])
					}
					if shots {
						b.screenshot(lang + "-" + size + "-" + p[0])
					}
				}
			}
		}
		b.desktop()
	}
	b.login("nina@example.org")
	b.submit(`#consent-form .actions button`) // past the own-page policy: Accept
	noBanner()
	each([][2]string{{"consent", "/consent"}})
	b.logout()

	b.login("ada@example.org")
	noBanner()
	each([][2]string{
		{"policies", "/policies"},
		{"cookie-policy", fmt.Sprintf("/policies/%d", cookies.ID)},
		{"profile-policies", "/profile/policies"},
		{"admin-policies", "/admin/policies"},
		{"admin-policy", fmt.Sprintf("/admin/policies/%d", site.ID)},
		{"edit", fmt.Sprintf("/admin/versions/%d/edit", draft.ID)},
		{"diff", fmt.Sprintf("/admin/versions/%d/diff/%d", old.ID, draft.ID)},
		{"agreements", "/admin/agreements"},
	})
	_ = news
}
