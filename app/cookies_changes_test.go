package app

import (
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"accord/store"
)

// cookieForm is the admin edit form of register entry ck, as filled.
func cookieFormOf(ck *store.Cookie) url.Values { return url.Values(cookieValues(ck).Values) }

// Ensure that a change of meaning cannot be saved as a minor fix (422, in
// English and French, nothing saved), that saved as a new revision its
// audit keeps before and after, and that the banner then asks again saying
// what changed, in the reader's language.
func TestCookieMinorRuleAndWhatChanged(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	admin := e.client(t)
	admin.login("admin@example.org")
	visitors := map[string]*client{}
	for _, lang := range []string{"en", "fr"} {
		v := e.client(t)
		v.get("/?lang=" + lang)
		v.post("/cookies", url.Values{"choice": {"accept_all"}}).want(t, http.StatusSeeOther)
		if v.get("/").has(`id="cookie-banner"`) {
			t.Fatalf("%s: banner after a choice", lang)
		}
		visitors[lang] = v
	}
	ck := e.app.cookies.Register().Find(visitorCookie)
	path := "/admin/cookies/" + strconv.FormatUint(ck.ID, 10)
	rev := e.app.cookies.Register().Revision
	form := cookieFormOf(ck)
	form.Set("duration_en", "10 years")
	form.Set("minor", "on")
	for lang, want := range map[string]string{"en": "cannot be a minor fix", "fr": "ce ne peut pas être une correction mineure"} {
		admin.get(path + "?lang=" + lang)
		res := admin.post(path, form).want(t, http.StatusUnprocessableEntity)
		if !strings.Contains(html.UnescapeString(res.Body), want) || !res.has(`value="10 years"`) {
			t.Errorf("%s: 422 without the message or what was typed", lang)
		}
	}
	if got := e.app.cookies.Register(); got.Revision != rev || got.Find(visitorCookie).DurationEN != ck.DurationEN {
		t.Fatalf("a refused minor fix changed the register")
	}
	for _, v := range visitors {
		if v.get("/").has(`id="cookie-banner"`) {
			t.Errorf("asked again after a refused change")
		}
	}
	admin.get(path + "?lang=en")
	form.Del("minor")
	admin.post(path, form).want(t, http.StatusSeeOther)
	if got := e.app.cookies.Register().Revision; got != rev+1 {
		t.Fatalf("10 years: got revision %d, want %d", got, rev+1)
	}
	events, _, err := e.db.ListAudit(store.AuditQuery{Action: store.ActCookieUpdated})
	if err != nil || len(events) != 1 || !strings.Contains(events[0].Detail, `duration_en "12 months" → "10 years"`) {
		t.Errorf("audit: got %+v (%v), want the duration before and after", events, err)
	}
	for lang, want := range map[string]string{
		"en": "The duration of the statistics cookie accord_visitor changed.",
		"fr": "La durée du cookie de statistiques accord_visitor a changé.",
	} {
		res := visitors[lang].get("/").want(t, http.StatusOK)
		if !bannerFirst(res.Body) || !strings.Contains(html.UnescapeString(res.Body), want) {
			t.Errorf("%s: the banner does not ask again saying %q", lang, want)
		}
		prefs := visitors[lang].get("/cookies").want(t, http.StatusOK)
		if !strings.Contains(html.UnescapeString(prefs.Body), want) {
			t.Errorf("%s: the preferences page does not say what changed", lang)
		}
	}
	if res := e.client(t).get("/"); res.has("cookie-changes") {
		t.Errorf("a first visit is told what changed")
	}

	// A punctuation fix stays minor: nobody is asked again for it.
	for _, v := range visitors {
		v.post("/cookies", url.Values{"choice": {"refuse_all"}}).want(t, http.StatusSeeOther)
	}
	form = cookieFormOf(e.app.cookies.Register().Find(visitorCookie))
	form.Set("duration_en", "10 years.")
	form.Set("minor", "on")
	admin.get(path)
	admin.post(path, form).want(t, http.StatusSeeOther)
	for _, v := range visitors {
		if v.get("/").has(`id="cookie-banner"`) {
			t.Errorf("asked again after a punctuation fix")
		}
	}
}

// Ensure that adding a cookie asks again saying a cookie of its category
// was added, in English and French.
func TestCookieBannerSaysAdded(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	e.user(t, "ann@example.org", store.RoleLearner)
	visitor, ann := e.client(t), e.client(t)
	visitor.get("/?lang=fr")
	visitor.post("/cookies", url.Values{"choice": {"refuse_all"}}).want(t, http.StatusSeeOther)
	ann.login("ann@example.org")
	ann.post("/cookies", url.Values{"choice": {"accept_all"}}).want(t, http.StatusSeeOther)
	admin := e.client(t)
	admin.login("admin@example.org")
	admin.get("/admin/cookies")
	admin.post("/admin/cookies", url.Values{"name": {"embed_stats"}, "category": {"statistics"}, "purpose_en": {"Counts video plays."},
		"purpose_fr": {"Compte les lectures de vidéos."}, "duration_en": {"6 months"}, "duration_fr": {"6 mois"}, "provider": {"Accord"}}).want(t, http.StatusSeeOther)
	for _, tc := range []struct {
		who  string
		c    *client
		want string
	}{
		{"a visitor in French", visitor, "Un cookie de statistiques a été ajouté\u00a0: embed_stats."},
		{"a learner in English", ann, "A statistics cookie was added: embed_stats."},
	} {
		res := tc.c.get("/").want(t, http.StatusOK)
		if !bannerFirst(res.Body) || !strings.Contains(html.UnescapeString(res.Body), tc.want) {
			t.Errorf("%s: the banner does not say %q", tc.who, tc.want)
		}
		frag := tc.c.post("/cookies", url.Values{"choice": {"custom"}, "category": {"wrong"}}, "HX-Request", "true", "HX-Target", "cookie-banner").want(t, http.StatusUnprocessableEntity)
		if !strings.Contains(html.UnescapeString(frag.Body), tc.want) {
			t.Errorf("%s: the banner fragment after a 422 forgets what changed", tc.who)
		}
	}
}

// Ensure that administrators rewrite the banner's and preferences page's
// texts per language (422 on an empty text, typed values kept), that each
// language's readers see their own, and that a reset restores the shipped
// texts.
func TestCookieTexts(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	e.user(t, "dpo@example.org", store.RoleDPO)
	dpo := e.client(t)
	dpo.login("dpo@example.org")
	dpo.get("/admin/cookies/texts").want(t, http.StatusForbidden)
	admin := e.client(t)
	admin.login("admin@example.org")
	shipped := map[string]string{"en": e.app.tr["en"].T("cookies.banner.text"), "fr": e.app.tr["fr"].T("cookies.banner.text")}
	for lang, want := range map[string]string{"en": "Banner and preferences texts", "fr": "Textes du bandeau et des préférences"} {
		res := admin.get("/admin/cookies/texts?lang="+lang).want(t, http.StatusOK)
		if !strings.Contains(html.UnescapeString(res.Body), want) || !strings.Contains(html.UnescapeString(res.Body), shipped["fr"]) {
			t.Errorf("%s: the texts page lacks its title or the shipped French text", lang)
		}
	}
	form := url.Values{}
	for _, lang := range Langs {
		for _, n := range cookieTextNames {
			form.Set(n.Name+"_"+lang, e.app.tr[lang].T(n.Default))
		}
	}
	form.Set("banner_text_fr", "")
	form.Set("banner_title_fr", "Vos cookies, votre choix")
	for lang, want := range map[string]string{"en": "This field is required", "fr": "Ce champ est obligatoire"} {
		admin.get("/admin/cookies/texts?lang=" + lang)
		res := admin.post("/admin/cookies/texts", form).want(t, http.StatusUnprocessableEntity)
		if !res.has(want) || !res.has(`value="Vos cookies, votre choix"`) {
			t.Errorf("%s: 422 without %q or without what was typed", lang, want)
		}
	}
	if _, ok := e.app.cookies.Text("fr", "banner_title"); ok {
		t.Fatalf("a refused form saved a text")
	}
	form.Set("banner_text_fr", "Nous utilisons des cookies.\n\nVous pouvez refuser.")
	form.Set("prefs_intro_fr", "Choisissez vos cookies ici.")
	admin.post("/admin/cookies/texts", form).want(t, http.StatusSeeOther)
	if _, ok := e.app.cookies.Text("en", "banner_text"); ok {
		t.Errorf("an English text equal to the shipped one was stored")
	}
	fr, en := e.client(t), e.client(t)
	res := fr.get("/?lang=fr")
	if !res.has("<h2 id=\"cookie-banner-title\">Vos cookies, votre choix</h2>") || !res.has("<p>Nous utilisons des cookies.</p>") || !res.has("<p>Vous pouvez refuser.</p>") {
		t.Errorf("French banner: the administrator's texts are not shown")
	}
	if !fr.get("/cookies").has("<p>Choisissez vos cookies ici.</p>") {
		t.Errorf("French preferences: the administrator's introduction is not shown")
	}
	if res := en.get("/?lang=en"); res.has("Vos cookies") || !strings.Contains(html.UnescapeString(res.Body), shipped["en"]) {
		t.Errorf("English banner: not the shipped text")
	}
	admin.get("/admin/cookies/texts")
	admin.post("/admin/cookies/texts/reset", url.Values{"lang": {"fr"}}).want(t, http.StatusSeeOther)
	if res := fr.get("/"); res.has("Vos cookies, votre choix") || !strings.Contains(html.UnescapeString(res.Body), shipped["fr"]) {
		t.Errorf("after the reset: the French banner is not the shipped one")
	}
	admin.get("/admin/cookies/texts")
	admin.post("/admin/cookies/texts/reset", url.Values{"lang": {"de"}}).want(t, http.StatusUnprocessableEntity)
	events, _, _ := e.db.ListAudit(store.AuditQuery{Action: store.ActCookieTextsChanged})
	if len(events) != 1 || !strings.Contains(events[0].Detail, "Vos cookies, votre choix") {
		t.Errorf("audit of the texts: got %+v", events)
	}
}
