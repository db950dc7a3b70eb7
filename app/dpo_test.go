package app

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"accord/locales"
	"accord/store"
)

var threadPath = regexp.MustCompile(`^/profile/dpo/(\d+)$`)

// writeDPO opens a thread through the form and returns its id.
func (c *client) writeDPO(subject, message string) uint64 {
	c.t.Helper()
	c.get("/profile/dpo")
	res := c.post("/profile/dpo", url.Values{"subject": {subject}, "message": {message}}).want(c.t, http.StatusSeeOther)
	m := threadPath.FindStringSubmatch(res.Header.Get("Location"))
	if m == nil {
		c.t.Fatalf("got Location %q, want /profile/dpo/{id}", res.Header.Get("Location"))
	}
	id, _ := strconv.ParseUint(m[1], 10, 64)
	return id
}

func (e *testEnv) dpoThread(t testing.TB, id uint64) *store.DPOThread {
	t.Helper()
	th, _, err := e.db.DPOThread(id)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

// Ensure that a learner writes to the DPO, the officer reads and answers in
// the inbox, the learner is notified and reads the answer, and that the
// thread's status follows: open → answered → open → closed → open.
func TestDPOConversation(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	e.user(t, "dpo@example.org", store.RoleDPO)
	ann, officer := e.client(t), e.client(t)
	ann.login("ann@example.org")
	officer.login("dpo@example.org")

	page := ann.get("/profile/dpo").want(t, http.StatusOK)
	if !page.has("Data Protection Officer") || !page.has("dpo@example.org") || !page.has(`id="dpo-form"`) {
		t.Errorf("contact page lacks the DPO's name, address or form")
	}
	id := ann.writeDPO("My data", "What do you keep about me?\nThanks.")
	if th := e.dpoThread(t, id); th.Status != store.DPOOpen || !th.Unread {
		t.Fatalf("new thread: got %s unread=%v, want open and unread", th.Status, th.Unread)
	}
	ann.get(dpoPath(id)).want(t, http.StatusOK)
	if !ann.get("/profile/dpo").has("My data") {
		t.Errorf("the learner's list does not show the thread")
	}

	inbox := officer.get("/admin/dpo").want(t, http.StatusOK)
	if !inbox.has("1 unread thread") || !inbox.has("My data") {
		t.Errorf("inbox does not show the unread thread")
	}
	if !officer.get("/").has("1 unread") {
		t.Errorf("officer's header does not count the new-message notification")
	}
	officer.get(adminDPOPath(id)).want(t, http.StatusOK)
	if !e.dpoThread(t, id).Unread {
		t.Errorf("viewing the thread (a GET) marked it read")
	}
	officer.post(adminDPOPath(id)+"/reply", url.Values{"message": {"We keep your profile."}}).want(t, http.StatusSeeOther)
	if th := e.dpoThread(t, id); th.Status != store.DPOAnswered || th.Unread {
		t.Errorf("after the reply: got %s unread=%v, want answered and read", th.Status, th.Unread)
	}

	home := ann.get("/").want(t, http.StatusOK)
	if !home.has(`href="/notifications"`) || !home.has("1 unread") {
		t.Errorf("the learner's header does not count the notification")
	}
	thread := ann.get(dpoPath(id))
	if !thread.has("We keep your profile.") || !thread.has("Answered") {
		t.Errorf("the learner does not see the answer and the status")
	}
	ann.post(dpoPath(id)+"/reply", url.Values{"message": {"And for how long?"}}).want(t, http.StatusSeeOther)
	if th := e.dpoThread(t, id); th.Status != store.DPOOpen || !th.Unread {
		t.Errorf("after the learner's reply: got %s, want open and unread", th.Status)
	}
	officer.post(adminDPOPath(id)+"/close", nil).want(t, http.StatusSeeOther)
	if th := e.dpoThread(t, id); th.Status != store.DPOClosed {
		t.Errorf("after close: got %s, want closed", th.Status)
	}
	officer.post(adminDPOPath(id)+"/close", nil).want(t, http.StatusConflict)
	ann.post(dpoPath(id)+"/reply", url.Values{"message": {"One more thing."}}).want(t, http.StatusSeeOther)
	if th := e.dpoThread(t, id); th.Status != store.DPOOpen {
		t.Errorf("a reply to a closed thread: got %s, want open", th.Status)
	}
	officer.post(adminDPOPath(id)+"/read", nil).want(t, http.StatusSeeOther)
	if th := e.dpoThread(t, id); th.Unread {
		t.Errorf("mark as read left the thread unread")
	}
}

// Ensure that the contact form refuses a missing subject and a too long
// message with 422, the form as typed and messages in the user's language,
// as a page and as an htmx fragment.
func TestDPOContactInvalid(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	for _, tc := range []struct {
		lang, msg string
	}{{"en", "This field is required."}, {"fr", "Ce champ est obligatoire."}} {
		c := e.client(t)
		c.login("ann@example.org")
		c.get("/profile/dpo?lang=" + tc.lang)
		form := url.Values{"subject": {""}, "message": {"typed text"}}
		res := c.post("/profile/dpo", form).want(t, http.StatusUnprocessableEntity)
		if !res.has(tc.msg) || !res.has("typed text") || !res.has("<html") {
			t.Errorf("%s page: want the translated message, what was typed, a whole page", tc.lang)
		}
		res = c.post("/profile/dpo", form, "HX-Request", "true").want(t, http.StatusUnprocessableEntity)
		if !res.has(tc.msg) || res.has("<html") || !strings.HasPrefix(strings.TrimSpace(res.Body), `<section id="dpo-form"`) {
			t.Errorf("%s fragment: got %q, want the form fragment alone", tc.lang, res.Body)
		}
		long := url.Values{"subject": {strings.Repeat("s", 201)}, "message": {strings.Repeat("m", 5001)}}
		res = c.post("/profile/dpo", long).want(t, http.StatusUnprocessableEntity)
		if strings.Count(res.Body, `class="error"`) != 2 {
			t.Errorf("%s: want one error under each field", tc.lang)
		}
	}
	if ts, _, _ := e.db.ListDPOThreads(store.DPOQuery{}); len(ts) != 0 {
		t.Errorf("got %d threads, want none stored", len(ts))
	}
}

// Ensure that the sixth message within an hour gets 429 with Retry-After
// and the form as typed, translated, and that the limit lifts after an hour.
func TestDPOContactRateLimit(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	c := e.client(t)
	c.login("ann@example.org")
	id := c.writeDPO("First", "one")
	for i := 0; i < 4; i++ {
		c.post(dpoPath(id)+"/reply", url.Values{"message": {"more"}}).want(t, http.StatusSeeOther)
	}
	c.get("/profile/dpo?lang=fr")
	res := c.post("/profile/dpo", url.Values{"subject": {"Sixth"}, "message": {"kept as typed"}}).want(t, http.StatusTooManyRequests)
	if res.Header.Get("Retry-After") == "" || !res.has("Trop de tentatives") || !res.has("kept as typed") || !res.has(`value="Sixth"`) {
		t.Errorf("429: want Retry-After, the French message and the form as typed")
	}
	res = c.post(dpoPath(id)+"/reply", url.Values{"message": {"again"}}, "HX-Request", "true").want(t, http.StatusTooManyRequests)
	if res.has("<html") || !res.has(`id="dpo-thread"`) {
		t.Errorf("htmx 429: want the thread fragment")
	}
	e.advance(61 * 60 * 1e9)
	c.post("/profile/dpo", url.Values{"subject": {"Later"}, "message": {"ok"}}).want(t, http.StatusSeeOther)
}

// Ensure that another user's thread is 404 whatever the action, and that
// learners cannot open the officer's inbox.
func TestDPOOtherUsersThread(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	e.user(t, "bob@example.org", store.RoleLearner)
	ann, bob := e.client(t), e.client(t)
	ann.login("ann@example.org")
	bob.login("bob@example.org")
	id := ann.writeDPO("Private", "secret")
	bob.get(dpoPath(id)).want(t, http.StatusNotFound)
	bob.get(dpoPath(9999)).want(t, http.StatusNotFound)
	res := bob.post(dpoPath(id)+"/reply", url.Values{"message": {"hi"}}).want(t, http.StatusNotFound)
	if res.has("Private") || res.has("secret") {
		t.Errorf("404 page leaks the thread")
	}
	bob.get("/admin/dpo").want(t, http.StatusForbidden)
	bob.post(adminDPOPath(id)+"/reply", url.Values{"message": {"x"}}).want(t, http.StatusForbidden)
	if th := e.dpoThread(t, id); th.Messages != 1 {
		t.Errorf("got %d messages, want 1", th.Messages)
	}
}

// Ensure that htmx replies swap the thread in place, for the learner and
// the officer, and that the inbox filters answer with their fragment.
func TestDPOFragments(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	e.user(t, "dpo@example.org", store.RoleDPO)
	ann, officer := e.client(t), e.client(t)
	ann.login("ann@example.org")
	officer.login("dpo@example.org")
	id := ann.writeDPO("Fragment", "first")

	res := ann.post(dpoPath(id)+"/reply", url.Values{"message": {"second"}}, "HX-Request", "true").want(t, http.StatusOK)
	if res.has("<html") || !res.has(`id="dpo-thread"`) || !res.has("second") || !res.has("sent to the Data Protection Officer") {
		t.Errorf("learner htmx reply: want the updated thread fragment with its message")
	}
	res = officer.post(adminDPOPath(id)+"/reply", url.Values{"message": {"answer"}}, "HX-Request", "true", "Accept-Language", "fr").want(t, http.StatusOK)
	if res.has("<html") || !res.has(`id="dpo-admin-thread"`) || !res.has("answer") {
		t.Errorf("officer htmx reply: want the thread fragment")
	}
	res = officer.post(adminDPOPath(id)+"/reply", url.Values{"message": {""}}, "HX-Request", "true").want(t, http.StatusUnprocessableEntity)
	if !res.has(`id="dpo-admin-thread"`) || !res.has("This field is required.") {
		t.Errorf("officer 422: want the fragment with the message")
	}
	res = officer.post(adminDPOPath(id)+"/close", nil, "HX-Request", "true").want(t, http.StatusOK)
	if !res.has("Closed") || res.has(adminDPOPath(id)+`/close"`) {
		t.Errorf("htmx close: want the closed thread without a close button")
	}
	for _, tc := range []struct{ query, want, not string }{
		{"status=closed", "Fragment", ""},
		{"status=open", "No thread matches.", "Fragment"},
		{"unread=1", "No thread matches.", "Fragment"},
	} {
		res = officer.get("/admin/dpo?"+tc.query, "HX-Request", "true").want(t, http.StatusOK)
		if res.has("<html") || !res.has(`id="dpo-inbox"`) || !res.has(tc.want) || (tc.not != "" && res.has(tc.not)) {
			t.Errorf("inbox %s: want fragment with %q and without %q", tc.query, tc.want, tc.not)
		}
	}
	fr := officer.get("/admin/dpo?lang=fr").want(t, http.StatusOK)
	if !fr.has("Messages au délégué à la protection des données") || !fr.has("Clos") {
		t.Errorf("French inbox: want French titles and statuses")
	}
	if !officer.get("/admin?lang=en").has("Messages to the Data Protection Officer") {
		t.Errorf("dashboard lacks the DPO tile")
	}
}

// Ensure that notifications list in the reader's language and that "mark
// all read" empties the header count, with and without htmx.
func TestNotifications(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	for i := 0; i < 2; i++ {
		if err := e.app.notify(Notice{UserID: ann.ID, Subject: "dpo.notice.answered.subject", Body: "dpo.notice.answered.body", Args: []any{"Subject", "Hello"}, Link: "/profile/dpo"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.app.notify(Notice{UserID: 424242, Subject: "x", Body: "y"}); err != nil {
		t.Errorf("notify an unknown user: got %v, want nil", err)
	}
	c := e.client(t)
	c.login("ann@example.org")
	res := c.get("/notifications").want(t, http.StatusOK)
	if !res.has("2 unread") || !res.has("The Data Protection Officer answered your message") {
		t.Errorf("want the count and the notice in English")
	}
	if !c.get("/notifications?lang=fr").has("Le délégué à la protection des données a répondu") {
		t.Errorf("want the notice in French")
	}
	res = c.post("/notifications/read", nil, "HX-Request", "true").want(t, http.StatusOK)
	if res.has("<html") || !res.has(`id="notifications"`) || !res.has(`id="notice-count" hx-swap-oob="true"`) {
		t.Errorf("htmx mark-read: want the list and an out-of-band count")
	}
	if c.get("/").has("unread</span>") {
		t.Errorf("header still counts after mark-read")
	}
	e.app.notify(Notice{UserID: ann.ID, Subject: "dpo.notice.closed.subject", Body: "dpo.notice.closed.body", Args: []any{"Subject", "x"}})
	c.post("/notifications/read", nil).want(t, http.StatusSeeOther)
	if n := e.app.desk().unread.get(ann.ID); n != 0 {
		t.Errorf("got %d unread, want 0", n)
	}
}

// Ensure that the feature's pages show no untranslated key, in English and
// in French.
func TestDPOPagesTranslated(t *testing.T) {
	e := newEnv(t)
	e.user(t, "ann@example.org", store.RoleLearner)
	e.user(t, "dpo@example.org", store.RoleDPO)
	ann, officer := e.client(t), e.client(t)
	ann.login("ann@example.org")
	officer.login("dpo@example.org")
	id := ann.writeDPO("Keys", "body")
	officer.post(adminDPOPath(id)+"/reply", url.Values{"message": {"answer"}})
	raw := regexp.MustCompile(`\b(dpo|notifications|password|nav)\.[a-z_]+(\.[a-z_]+)*\b`)
	for _, lang := range []string{"en", "fr"} {
		for _, tc := range []struct {
			c    *client
			path string
		}{{ann, "/profile/dpo"}, {ann, dpoPath(id)}, {ann, "/notifications"}, {officer, "/admin/dpo"}, {officer, adminDPOPath(id)}, {officer, "/notifications"}, {officer, "/admin"}} {
			res := tc.c.get(tc.path+"?lang="+lang).want(t, http.StatusOK)
			body := strings.ReplaceAll(res.Body, "dpo@", "")
			if m := raw.FindString(body); m != "" {
				t.Errorf("%s %s: untranslated key %q", lang, tc.path, m)
			}
		}
	}
}

// Ensure that the demo step adds its threads once.
func TestDPODemo(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 2; i++ {
		if err := e.app.Demo(io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	ts, total, err := e.db.ListDPOThreads(store.DPOQuery{})
	if err != nil || total != 2 {
		t.Fatalf("got %d threads (%v), want 2", total, err)
	}
	if ts[1].Status != store.DPOAnswered || ts[0].Status != store.DPOOpen {
		t.Errorf("got statuses %s, %s; want answered, open", ts[1].Status, ts[0].Status)
	}
}

// Ensure that this feature's locale files have the same keys in English
// and French, and that French plurals have one, many and other.
func TestDPOLocaleKeys(t *testing.T) {
	load := func(name string) map[string]any {
		data, err := fs.ReadFile(locales.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	en, fr := load("en.dpo.json"), load("fr.dpo.json")
	for k := range en {
		if _, ok := fr[k]; !ok {
			t.Errorf("%s: in English, not in French", k)
		}
	}
	for k, v := range fr {
		if _, ok := en[k]; !ok {
			t.Errorf("%s: in French, not in English", k)
		}
		if p, ok := v.(map[string]any); ok && (p["one"] == nil || p["many"] == nil || p["other"] == nil) {
			t.Errorf("%s: French plural needs one, many and other", k)
		}
	}
}
