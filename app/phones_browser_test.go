package app

import (
	"fmt"
	"strings"
	"testing"

	"accord/store"

	"github.com/chromedp/chromedp"
)

// overflowJS lists the visible elements that leave the window sideways or
// scroll sideways themselves (scrollWidth beyond clientWidth), and the page
// when it is wider than the window. Visually hidden helpers (.sr-only, the
// skip link off screen until focused) are not content.
const overflowJS = `(() => {
  const W = document.documentElement.clientWidth, bad = [];
  if (document.documentElement.scrollWidth > W) bad.push('page: ' + document.documentElement.scrollWidth + ' > ' + W);
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const clipped = el => { for (let a = el; a && a !== document.body; a = a.parentElement) if (getComputedStyle(a).clip !== 'auto') return true; return false; };
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.sr-only, .skip-link, [hidden], template') || clipped(el)) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > W + 1 || r.left < -1) { bad.push(name(el) + ' spans ' + Math.round(r.left) + '..' + Math.round(r.right)); continue; }
    if (cs.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) bad.push(name(el) + ' scrolls: ' + el.scrollWidth + ' > ' + el.clientWidth);
  }
  return bad.slice(0, 12);
})()`

// Ensure that at 360 px no element of the main pages, a learner's and the
// staff's, leaves the window or scrolls sideways, in English and French
// (tables become labelled rows), and that at 1280 px in French the
// learner's requests table shows its "cancel" button inside its box.
func TestBrowserPhonesNoOverflow(t *testing.T) {
	b := newBrowser(t)
	e := b.env
	e.realDPO(t)
	e.oldRequest(t, "late@example.org")
	learner := e.person(t, "zoe@example.org", store.RoleLearner, "Zoé", "Lefèvre-Delacroix", "fr")
	r, err := e.app.createRequest(store.NewRequest{UserID: learner.ID, Type: store.RequestOther, Comments: "Quelles notes gardez-vous sur moi et pendant combien de temps ?", DueDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	th, err := e.db.CreateDPOThread(learner.ID, "Conservation de mes résultats d’évaluation", "Bonjour, combien de temps gardez-vous mes résultats ?")
	if err != nil {
		t.Fatal(err)
	}
	e.person(t, "admin@example.org", store.RoleAdmin, "Adèle", "Administratrice", "fr")
	learnerPages := []string{"/", "/policies", "/profile", "/profile/policies", "/profile/requests", fmt.Sprintf("/profile/requests/%d", r.ID),
		"/profile/dpo", fmt.Sprintf("/profile/dpo/%d", th.ID), "/cookies", "/notifications", "/profile/courses"}
	staffPages := []string{"/admin", "/admin/requests", fmt.Sprintf("/admin/requests/%d", r.ID), "/admin/dpo", fmt.Sprintf("/admin/dpo/%d", th.ID),
		"/admin/agreements", "/admin/cookies/stats", "/admin/audit", "/admin/courses/retention", "/admin/processing", "/admin/users",
		fmt.Sprintf("/admin/users/%d", learner.ID), "/admin/settings", "/admin/policies", "/admin/cookies", "/admin/courses"}
	check := func(who string, pages []string) {
		for _, lang := range Langs {
			for _, p := range pages {
				sep := "?"
				if strings.Contains(p, "?") {
					sep = "&"
				}
				b.visit(p + sep + "lang=" + lang)
				if bad := eval[[]string](b, overflowJS); len(bad) > 0 {
					t.Errorf("%s %s at 360 px (%s): %s", who, p, lang, strings.Join(bad, "; "))
				}
			}
		}
	}
	b.visit("/login")
	b.refuseCookies()
	run(b, "phone", chromedp.EmulateViewport(360, 740, chromedp.EmulatePortrait, chromedp.EmulateMobile))
	check("visitor", []string{"/login", "/signup", "/password/forgot"})
	b.login("zoe@example.org")
	check("learner", learnerPages)
	b.logout()
	b.login("admin@example.org")
	check("administrator", staffPages)
	b.logout()

	b.desktop()
	b.login("zoe@example.org")
	b.visit("/profile/requests?lang=fr")
	if bad := eval[[]string](b, overflowJS); len(bad) > 0 {
		t.Errorf("/profile/requests at 1280 px in French: %s", strings.Join(bad, "; "))
	}
	if got := b.text("#main table"); !strings.Contains(got, "Annuler la demande") {
		t.Errorf("no French cancel button in the requests table: %q", got)
	}
	inside := eval[bool](b, `(() => { const btn = document.querySelector('#main table button'), box = btn.closest('.table-wrap').getBoundingClientRect(), r = btn.getBoundingClientRect(); return r.left >= box.left && r.right <= box.right; })()`)
	if !inside {
		t.Errorf("at 1280 px in French the cancel button leaves its table's box")
	}
}
