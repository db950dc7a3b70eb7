package app

import (
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"accord/store"
)

var confirmLink = regexp.MustCompile(`/profile/email/confirm\?token=([A-Za-z0-9_%-]+)`)

// delivered runs the mail job and returns the bodies (decoded) of the mails
// srv got for to since the last call, with their subjects.
func delivered(t *testing.T, e *testEnv, srv *smtpServer, seen *int, to string) []string {
	t.Helper()
	e.app.deliverMail()
	all := srv.mails()
	var out []string
	for _, m := range all[*seen:] {
		if len(m.To) == 1 && m.To[0] == to {
			raw, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(m.Data)))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(raw))
		}
	}
	return out
}

func profileFields(u *store.User, email, current string) url.Values {
	return url.Values{"first_name": {u.FirstName}, "last_name": {u.LastName}, "email": {email}, "lang": {"en"}, "current_password": {current}}
}

// Ensure that a stolen session cannot take the account over through the
// email (issue 10.2): a new address needs the current password, the old
// address is told, and the new one is used for sign-in only once confirmed
// from its mailbox, by a page whose GET writes nothing.
func TestEmailChangeNeedsPasswordAndConfirmation(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1:0")
	e := newMailEnv(t, srv.addr)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	c := e.client(t)
	c.login(ann.Email)
	c.get("/profile")
	for _, current := range []string{"", "not my password"} {
		res := c.post("/profile", profileFields(ann, "mallory@example.org", current)).want(t, http.StatusUnprocessableEntity)
		if !res.has("This is not your current password.") {
			t.Errorf("current password %q: no message", current)
		}
	}
	c.post("/profile", profileFields(ann, "new@example.org", testPassword)).want(t, http.StatusSeeOther)
	if !c.get("/profile").has("We sent a confirmation link to new@example.org") {
		t.Errorf("no flash about the confirmation link")
	}
	if u, _ := e.db.User(ann.ID); u.Email != ann.Email {
		t.Fatalf("the email changed before confirmation: %q", u.Email)
	}
	if !c.get("/profile").has("new@example.org is waiting for confirmation") {
		t.Errorf("the profile does not show the pending address")
	}
	other := e.client(t)
	other.get("/login")
	other.post("/login", url.Values{"email": {"new@example.org"}, "password": {testPassword}}).want(t, http.StatusUnprocessableEntity)

	seen := 0
	old := delivered(t, e, srv, &seen, ann.Email)
	if len(old) != 1 || !strings.Contains(old[0], "new@example.org") {
		t.Fatalf("the old address was not told of the change: %q", old)
	}
	mails := delivered(t, e, srv, &seen, "new@example.org")
	if len(mails) != 1 {
		t.Fatalf("got %d mails to the new address, want 1", len(mails))
	}
	m := confirmLink.FindStringSubmatch(mails[0])
	if m == nil {
		t.Fatalf("no confirmation link:\n%s", mails[0])
	}
	token, _ := url.QueryUnescape(m[1])
	seen = len(srv.mails())

	// The link's page (in another browser) writes nothing and is never cached.
	b := e.client(t)
	before, _ := e.db.CommitID()
	res := b.get("/profile/email/confirm?token="+url.QueryEscape(token)).want(t, http.StatusOK)
	if res.Header.Get("Cache-Control") != "no-store" || !res.has("new@example.org") {
		t.Errorf("confirmation page: Cache-Control %q, want no-store and the address", res.Header.Get("Cache-Control"))
	}
	if after, _ := e.db.CommitID(); after != before {
		t.Errorf("GET of the confirmation link wrote to the database")
	}
	b.get("/profile/email/confirm?token=forged").want(t, http.StatusGone)
	b.post("/profile/email/confirm", url.Values{"token": {token}}).want(t, http.StatusSeeOther)
	if u, _ := e.db.User(ann.ID); u.Email != "new@example.org" {
		t.Fatalf("after confirmation: email %q", u.Email)
	}
	b.post("/profile/email/confirm", url.Values{"token": {token}}).want(t, http.StatusGone)
	other.post("/login", url.Values{"email": {ann.Email}, "password": {testPassword}}).want(t, http.StatusUnprocessableEntity)
	other.login("new@example.org")
}

// Ensure that a link expires after a day and that a password change
// cancels a pending address and tells the account's address.
func TestPasswordChangeTellsAndCancels(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1:0")
	e := newMailEnv(t, srv.addr)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	c := e.client(t)
	c.login(ann.Email)
	c.get("/profile")
	c.post("/profile/password", url.Values{"current_password": {"wrong"}, "password": {"a new long secret"}}).want(t, http.StatusUnprocessableEntity)
	c.post("/profile", profileFields(ann, "new@example.org", testPassword)).want(t, http.StatusSeeOther)
	c.get("/profile")
	c.post("/profile/password", url.Values{"current_password": {testPassword}, "password": {"a new long secret"}}).want(t, http.StatusSeeOther)
	if ch, err := e.db.PendingEmailChange(ann.ID); err != nil || ch != nil {
		t.Errorf("pending address after a password change: %+v %v, want none", ch, err)
	}
	seen := 0
	var told bool
	for _, body := range delivered(t, e, srv, &seen, ann.Email) {
		told = told || strings.Contains(body, "password of your account")
	}
	if !told {
		t.Errorf("the account's address was not told of the password change")
	}
	token, err := e.db.RequestEmailChange(ann.ID, "later@example.org")
	if err != nil {
		t.Fatal(err)
	}
	e.advance(store.EmailChangeTTL)
	e.client(t).get("/profile/email/confirm?token="+url.QueryEscape(token)).want(t, http.StatusGone)
}

// Ensure that without mail an email cannot change (it could not be
// confirmed), with a translated 422.
func TestEmailChangeWithoutMail(t *testing.T) {
	e := newEnv(t)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	c := e.client(t)
	c.login(ann.Email)
	c.get("/profile")
	res := c.post("/profile", profileFields(ann, "new@example.org", testPassword)).want(t, http.StatusUnprocessableEntity)
	if !res.has("cannot send mail") {
		t.Errorf("no message saying why")
	}
	// The name still saves without the password.
	f := profileFields(ann, ann.Email, "")
	f.Set("first_name", "Anne")
	c.post("/profile", f).want(t, http.StatusSeeOther)
	if u, _ := e.db.User(ann.ID); u.FirstName != "Anne" || u.Email != ann.Email {
		t.Errorf("got %q %q", u.FirstName, u.Email)
	}
}

// Ensure that neither /signup nor the profile's email field tells whether
// an address has an account (issue 10.5): a taken address is answered as a
// free one, and its owner gets a mail instead.
func TestNoAccountEnumeration(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1:0")
	e := newMailEnv(t, srv.addr)
	bob := e.user(t, "bob@example.org", store.RoleLearner)
	ann := e.user(t, "ann@example.org", store.RoleLearner)
	form := func(email string) url.Values {
		f := url.Values{"first_name": {"Eve"}, "last_name": {"Probe"}, "email": {email}, "password": {"a long enough password"}, "birth_date": {"2000-02-29"}}
		for _, id := range e.activeIDs() {
			f.Set("v"+itoa(id), "accept")
		}
		return f
	}
	signup := func(email string) *response {
		c := e.client(t)
		c.get("/signup")
		return c.post("/signup", form(email))
	}
	free, taken := signup("free@example.org"), signup("BOB@example.org")
	free.want(t, http.StatusSeeOther)
	if free.Status != taken.Status || free.Header.Get("Location") != taken.Header.Get("Location") {
		t.Errorf("sign-up: free address %d %s, taken %d %s: want the same answer", free.Status, free.Header.Get("Location"), taken.Status, taken.Header.Get("Location"))
	}
	if u, _ := e.db.User(bob.ID); u.FirstName != "Test" {
		t.Errorf("a sign-up with a taken address changed its account")
	}
	seen := 0
	if got := delivered(t, e, srv, &seen, bob.Email); len(got) != 1 || !strings.Contains(got[0], "tried to create an account") {
		t.Errorf("bob was not told of the sign-up with his address: %q", got)
	}
	seen = len(srv.mails())

	c := e.client(t)
	c.login(ann.Email)
	c.get("/profile")
	answer := func(email string) (*response, string) {
		res := c.post("/profile", profileFields(ann, email, testPassword))
		page := c.get("/profile")
		return res, strings.ReplaceAll(page.Body, email, "ADDRESS")
	}
	freeRes, freePage := answer("unused@example.org")
	takenRes, takenPage := answer("bob@example.org")
	if freeRes.Status != takenRes.Status || freeRes.Header.Get("Location") != takenRes.Header.Get("Location") {
		t.Errorf("profile: free address %d, taken %d: want the same answer", freeRes.Status, takenRes.Status)
	}
	flash := "We sent a confirmation link to ADDRESS"
	if !strings.Contains(freePage, flash) || !strings.Contains(takenPage, flash) {
		t.Errorf("profile: the flash differs for a taken address")
	}
	got := delivered(t, e, srv, &seen, bob.Email)
	if len(got) != 1 || !strings.Contains(got[0], "already yours") || confirmLink.MatchString(got[0]) {
		t.Errorf("bob: want one mail telling him, with no confirmation link; got %q", got)
	}
	if u, _ := e.db.User(bob.ID); u.Email != bob.Email {
		t.Errorf("bob's account changed")
	}
}
