package app

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"accord/store"
)

// clearDPO empties the published DPO contact, as on a site where nobody
// named one.
func (e *testEnv) clearDPO(t testing.TB) {
	t.Helper()
	s := e.app.Settings()
	s.DPOName, s.DPOEmail = "", ""
	if err := e.db.SaveSettings(s, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.app.reloadSettings(); err != nil {
		t.Fatal(err)
	}
}

// Ensure that while the DPO's name or address is empty the dashboard warns
// every officer (with the way to the fields for an administrator only) and
// the settings page warns, in both languages, and that naming the officer
// in the settings ends both warnings.
func TestDPOContactMissingWarns(t *testing.T) {
	e := newEnv(t)
	e.user(t, "root@example.org", store.RoleAdmin)
	e.user(t, "officer@example.org", store.RoleDPO)
	e.clearDPO(t)
	admin := e.client(t)
	admin.login("root@example.org")
	officer := e.client(t)
	officer.login("officer@example.org")

	for _, tc := range []struct{ lang, title, settings string }{
		{"en", "No Data Protection Officer contact published", "No Data Protection Officer contact is published yet"},
		{"fr", "Aucun contact du délégué à la protection des données publié", "Aucun contact du délégué à la protection des données n’est encore publié"},
	} {
		dash := admin.get("/admin?lang="+tc.lang).want(t, http.StatusOK)
		if !dash.has(tc.title) || !dash.has(`href="/admin/settings#f-dpo_name"`) {
			t.Errorf("%s: the administrator's dashboard does not warn with a link to the fields", tc.lang)
		}
		page := admin.get("/admin/settings?lang="+tc.lang).want(t, http.StatusOK)
		if !page.has(`id="dpo-missing"`) || !page.has(tc.settings) {
			t.Errorf("%s: the settings page does not warn", tc.lang)
		}
		dash = officer.get("/admin?lang="+tc.lang).want(t, http.StatusOK)
		if !dash.has(tc.title) || dash.has("/admin/settings") {
			t.Errorf("%s: the officer's dashboard: want the warning without a link to the settings they cannot open", tc.lang)
		}
	}

	admin.get("/admin/settings?lang=en")
	form := settingsValues(e.app.Settings()).Values
	form["dpo_name"], form["dpo_email"] = []string{"Claire Martin"}, []string{"dpo@example.org"}
	admin.post("/admin/settings", url.Values(form)).want(t, http.StatusSeeOther)
	if admin.get("/admin").has("No Data Protection Officer contact published") || admin.get("/admin/settings").has(`id="dpo-missing"`) {
		t.Errorf("still warning once the officer is named")
	}
}

// Ensure that `accord user add --role admin` leaves no DPO contact empty:
// the first administrator is the contact until one is named, and a second
// administrator, a learner or an existing contact changes nothing.
func TestAddAdminNamesDPOContact(t *testing.T) {
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	add := func(email, role string) {
		t.Helper()
		if _, err := AddUser(db, NewUser{Email: email, Password: "a long password", Role: role, FirstName: "Ada", LastName: email[:3], Lang: "fr"}); err != nil {
			t.Fatal(err)
		}
	}
	add("lea@example.org", "learner")
	if s, _ := db.Settings("en"); !s.DPOContactMissing() {
		t.Fatalf("a learner became the DPO contact: %q %q", s.DPOName, s.DPOEmail)
	}
	add("root@example.org", "admin")
	add("two@example.org", "admin")
	s, err := db.Settings("en")
	if err != nil {
		t.Fatal(err)
	}
	if s.DPOName != "Ada roo" || s.DPOEmail != "root@example.org" {
		t.Errorf("got DPO contact %q <%s>, want the first administrator", s.DPOName, s.DPOEmail)
	}
	if s.DefaultLang != "fr" {
		t.Errorf("got default language %q on a new site, want the administrator's (fr)", s.DefaultLang)
	}
}

// Ensure that `accord demo` publishes its officer as the DPO contact when
// none is set, and leaves a named one alone.
func TestDemoPublishesDPOContact(t *testing.T) {
	e := newEnv(t)
	e.clearDPO(t)
	if err := e.app.Demo(io.Discard); err != nil {
		t.Fatal(err)
	}
	if s := e.app.Settings(); s.DPOName != "Claire Martin" || s.DPOEmail != "dpo@demo.test" {
		t.Errorf("after the demo: got DPO contact %q <%s>, want Claire Martin <dpo@demo.test>", s.DPOName, s.DPOEmail)
	}
	if !e.client(t).get("/policies").has("mailto:dpo@demo.test") {
		t.Errorf("the demo's DPO contact is not in the footer")
	}
	s := e.app.Settings()
	s.DPOName, s.DPOEmail = "Someone Else", "else@example.org"
	if err := e.db.SaveSettings(s, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.app.reloadSettings(); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Demo(io.Discard); err != nil {
		t.Fatal(err)
	}
	if got := e.app.Settings().DPOEmail; got != "else@example.org" {
		t.Errorf("the demo replaced a named DPO contact with %s", got)
	}
}

// Ensure that the DPO's replies are signed with a name: the published
// officer's, or while none is published, the name of who wrote.
func TestDPORepliesSigned(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	officer := e.user(t, "officer@example.org", store.RoleDPO)
	c := e.client(t)
	c.login("ann@example.org")
	id := c.writeDPO("My data", "What do you keep?")
	if _, err := e.db.ReplyDPO(id, officer.ID, true, "Your profile and progress."); err != nil {
		t.Fatal(err)
	}
	if !c.get(dpoPath(id)).has("Claire Martin (Data Protection Officer)") {
		t.Errorf("reply not signed with the published DPO's name")
	}
	e.clearDPO(t)
	page := c.get(dpoPath(id) + "?lang=fr")
	if !page.has(officer.Name() + " (délégué à la protection des données)") {
		t.Errorf("with no DPO published, the reply is not signed with its author's name:\n%s", page.Body)
	}
}
