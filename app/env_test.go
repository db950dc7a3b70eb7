package app

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"accord/locales"
	"accord/static"
	"accord/store"
	"accord/views"
)

// testEnv is a real App over a real bbolt file in a temp dir, with a pinned
// clock that tests move by hand.
type testEnv struct {
	t   *testing.T
	db  *store.DB
	app *App
	mu  sync.Mutex
	now time.Time
}

// testPassword signs in every account made by env.user.
const testPassword = "correct horse battery"

func newEnv(t testing.TB) *testEnv { return newEnvWith(t, nil) }

// newEnvWith is newEnv with the configuration changed by set.
func newEnvWith(t testing.TB, set func(*Config)) *testEnv {
	t.Helper()
	return newEnvIn(t, t.TempDir(), set)
}

// newEnvIn is newEnvWith over a database in dir.
func newEnvIn(t testing.TB, dir string, set func(*Config)) *testEnv {
	t.Helper()
	db, err := store.Open(dir, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{db: db, now: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	db.Now = e.clock
	// As after the setup link: the DPO's contact is published.
	s := store.DefaultSettings("en")
	s.DPOName, s.DPOEmail = "Claire Martin", "dpo@example.org"
	if err := db.SeedSettings(s); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Addr: ":0", BaseURL: "http://localhost:8080", Lang: "en",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Views:  views.FS, Static: static.FS, Locales: locales.FS,
	}
	if set != nil {
		set(&cfg)
	}
	a, err := New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.app = a
	t.Cleanup(func() {
		select {
		case <-a.stop: // a test shut it down already
		default:
			close(a.stop)
		}
		a.jobs.Wait()
		a.flushMemory()
		if err := db.Check(); err != nil {
			t.Errorf("database check: %v", err)
		}
		// Whatever a test did through the app, the history still holds.
		if _, err := db.VerifyChain(store.VerifyOptions{}); err != nil {
			t.Errorf("hash chain: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Errorf("close the database: %v", err)
		}
	})
	return e
}

func (e *testEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// advance moves the pinned clock.
func (e *testEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// user creates an account with testPassword that has agreed to every
// active policy, so that the consent gate lets it through.
func (e *testEnv) user(t testing.TB, email string, role store.Role) *store.User {
	t.Helper()
	u := e.newcomer(t, email, role)
	e.agreeAll(t, u)
	return u
}

// newcomer creates an account with testPassword and no agreement yet.
func (e *testEnv) newcomer(t testing.TB, email string, role store.Role) *store.User {
	t.Helper()
	u, err := AddUser(e.db, NewUser{Email: email, Password: testPassword, Role: string(role), FirstName: "Test", LastName: strings.Split(email, "@")[0], Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// client is a browser: it keeps cookies and the last CSRF token it saw.
type client struct {
	e       *testEnv
	t       testing.TB
	cookies map[string]string
	csrf    string
	header  map[string]string // sent with every request
}

func (e *testEnv) client(t testing.TB) *client {
	return &client{e: e, t: t, cookies: map[string]string{}, header: map[string]string{}}
}

// response is what the client got back.
type response struct {
	Status int
	Header http.Header
	Body   string
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

func (c *client) do(req *http.Request) *response {
	c.t.Helper()
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, err := c.e.app.web.Test(req, -1)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	body, err := io.ReadAll(res.Body)
	if cerr := res.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		c.t.Fatalf("%s %s: read the body: %v", req.Method, req.URL, err)
	}
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" || (!ck.Expires.IsZero() && ck.Expires.Before(c.e.clock())) {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	if m := csrfMeta.FindStringSubmatch(string(body)); m != nil {
		c.csrf = m[1]
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: string(body)}
}

// get fetches path; extra headers as name, value pairs.
func (c *client) get(path string, hdr ...string) *response {
	c.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return c.do(req)
}

// post submits form to path with the CSRF token of the last page seen
// (fetching / first if none was), like a browser.
func (c *client) post(path string, form url.Values, hdr ...string) *response {
	c.t.Helper()
	if c.csrf == "" {
		c.get("/")
	}
	sent := url.Values{"_csrf": {c.csrf}}
	for k, v := range form {
		sent[k] = v
	}
	form = sent
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return c.do(req)
}

// land does what a browser does after a POST that signed in or out: it
// loads a page, picking up the new session's CSRF token.
func (c *client) land() { c.get("/policies") }

// login signs in through the real form and fails the test if it does not.
// signedIn is a client signed in as a new account of role (e.user).
func (e *testEnv) signedIn(t testing.TB, email string, role store.Role) *client {
	t.Helper()
	e.user(t, email, role)
	c := e.client(t)
	c.login(email)
	return c
}

func (c *client) login(email string) {
	c.t.Helper()
	c.get("/login")
	res := c.post("/login", url.Values{"email": {email}, "password": {testPassword}})
	if res.Status != http.StatusSeeOther {
		c.t.Fatalf("login %s: got %d, want 303\n%s", email, res.Status, res.Body)
	}
	c.land()
}

func (r *response) has(s string) bool { return strings.Contains(r.Body, s) }

// want fails unless the status is status.
func (r *response) want(t testing.TB, status int) *response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("got status %d, want %d\n%s", r.Status, status, r.Body)
	}
	return r
}
