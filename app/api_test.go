package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"accord/store"
)

var newTokenRe = regexp.MustCompile(`<code id="new-token">([^<]+)</code>`)

// createToken creates a token through the administrator's form and
// returns the secret the page shows once.
func createToken(t *testing.T, admin *client, name, scope string) string {
	t.Helper()
	admin.get("/admin/tokens").want(t, http.StatusOK)
	res := admin.post("/admin/tokens", url.Values{"name": {name}, "scope": {scope}}).want(t, http.StatusOK)
	m := newTokenRe.FindStringSubmatch(res.Body)
	if m == nil {
		t.Fatalf("no new token on the page:\n%s", res.Body)
	}
	return m[1]
}

// apiCall is one API call: method, path, bearer token ("" for none) and
// JSON body ("" for none).
func (e *testEnv) apiCall(t testing.TB, method, path, token, in string, hdr ...string) *response {
	t.Helper()
	var req *http.Request
	if in != "" {
		req = httptest.NewRequest(method, path, strings.NewReader(in))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.app.web.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cookies()) > 0 {
		t.Errorf("%s %s: the API set a cookie: %v", method, path, res.Cookies())
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: string(body)}
}

// apiCode is the error code of a JSON error answer.
func apiCode(t testing.TB, r *response) string {
	t.Helper()
	var out struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Field   string            `json:"field"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil || out.Error.Message == "" {
		t.Fatalf("not a JSON error with a message (%v):\n%s", err, r.Body)
	}
	return out.Error.Code
}

func decode[T any](t testing.TB, r *response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
	return v
}

// Ensure that a token an administrator creates answers the API at once,
// that no, unknown and revoked tokens get 401 JSON and a read token on a
// write route 403, that the secret is stored only hashed, and that last
// use is kept in memory (an API GET writes nothing) and flushed by the job.
func TestAPITokenLifecycle(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	admin := e.client(t)
	admin.login("admin@example.org")
	read := createToken(t, admin, "Moodle read", "read")
	write := createToken(t, admin, "Moodle write", "write")
	if !strings.HasPrefix(read, "acc_") || read == write {
		t.Fatalf("tokens %q, %q: want two distinct acc_ secrets", read, write)
	}
	if res := admin.get("/admin/tokens").want(t, http.StatusOK); res.has(read) || res.has(write) {
		t.Errorf("the tokens page shows a secret again")
	}
	tokens, err := e.db.APITokens()
	if err != nil || len(tokens) != 2 {
		t.Fatalf("tokens: %v, %v", tokens, err)
	}
	for _, tk := range tokens {
		if strings.Contains(tk.Hash, read) || tk.Hash == "" {
			t.Errorf("token %d: the secret is not stored hashed", tk.ID)
		}
	}

	before, _ := e.db.CommitID()
	res := e.apiCall(t, "GET", "/api/v1/policies", read, "").want(t, http.StatusOK)
	pol := decode[struct {
		Policies []struct {
			VersionID uint64 `json:"version_id"`
			Name      struct{ EN, FR string }
		} `json:"policies"`
	}](t, res)
	if len(pol.Policies) != 3 || pol.Policies[0].Name.FR == "" {
		t.Errorf("policies: got %+v, want the 3 default ones in both languages", pol.Policies)
	}
	if after, _ := e.db.CommitID(); after != before {
		t.Errorf("an API GET wrote to the database")
	}
	if n := strings.Count(admin.get("/admin/tokens").Body, `muted">never<`); n != 1 {
		t.Errorf("tokens page: %d tokens never used, want 1 (the read token's use is shown from memory)", n)
	}
	e.app.flushTokenUses()
	tokens, _ = e.db.APITokens()
	if tokens[0].LastUsedAt.IsZero() || !tokens[1].LastUsedAt.IsZero() {
		t.Errorf("last use after the flush: got %v / %v, want the read token's only", tokens[0].LastUsedAt, tokens[1].LastUsedAt)
	}

	for name, tok := range map[string]string{"none": "", "unknown": "acc_nope"} {
		r := e.apiCall(t, "GET", "/api/v1/policies", tok, "").want(t, http.StatusUnauthorized)
		if apiCode(t, r) != "unauthorized" || r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s token: got %s", name, r.Body)
		}
	}
	if r := e.apiCall(t, "POST", "/api/v1/users", read, `{"email":"x@example.org"}`).want(t, http.StatusForbidden); apiCode(t, r) != "forbidden" {
		t.Errorf("read token on a write route: got %s", r.Body)
	}
	e.apiCall(t, "POST", "/api/v1/consent-status", write, `{"email":"admin@example.org"}`).want(t, http.StatusOK)

	admin.get("/admin/tokens")
	admin.post(fmt.Sprintf("/admin/tokens/%d/revoke", tokens[0].ID), nil).want(t, http.StatusSeeOther)
	if r := e.apiCall(t, "GET", "/api/v1/policies", read, "").want(t, http.StatusUnauthorized); apiCode(t, r) != "unauthorized" {
		t.Errorf("revoked token: got %s", r.Body)
	}
	e.apiCall(t, "GET", "/api/v1/policies", write, "").want(t, http.StatusOK)
	// A restart loads the live tokens only.
	if err := e.app.initAPI(); err != nil {
		t.Fatal(err)
	}
	e.apiCall(t, "GET", "/api/v1/policies", read, "").want(t, http.StatusUnauthorized)
	e.apiCall(t, "GET", "/api/v1/policies", write, "").want(t, http.StatusOK)

	// The token form: 422 for a missing name or an unknown scope; learners get 403.
	admin.get("/admin/tokens")
	admin.post("/admin/tokens", url.Values{"name": {""}, "scope": {"admin"}}).want(t, http.StatusUnprocessableEntity)
	e.user(t, "learner@example.org", store.RoleLearner)
	l := e.client(t)
	l.login("learner@example.org")
	l.get("/admin/tokens").want(t, http.StatusForbidden)
}

// Ensure that consent-status says what the consent service says is
// pending, that an unknown email is a 404 JSON, bad JSON a 400 naming the
// field, a bad address a 422 with field errors, in the caller's language;
// and that no CSRF token, cookie or consent gate is involved.
func TestAPIConsentStatus(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	admin := e.client(t)
	admin.login("admin@example.org")
	tok := createToken(t, admin, "Moodle", "read")
	e.newcomer(t, "new@example.org", store.RoleLearner)
	type status struct {
		Email    string `json:"email"`
		Complete bool   `json:"complete"`
		Pending  []struct {
			VersionID uint64 `json:"version_id"`
			Policy    string `json:"policy"`
			Optional  bool   `json:"optional"`
		} `json:"pending"`
	}
	st := decode[status](t, e.apiCall(t, "POST", "/api/v1/consent-status", tok, `{"email":"NEW@example.org"}`).want(t, http.StatusOK))
	u, _ := e.db.UserByEmail("new@example.org")
	if st.Complete || len(st.Pending) != len(e.app.consent.PendingVersions(u.ID)) || st.Pending[0].Policy == "" || st.Email != "new@example.org" {
		t.Errorf("newcomer: got %+v, want incomplete with every version pending", st)
	}
	e.agreeAll(t, u)
	st = decode[status](t, e.apiCall(t, "POST", "/api/v1/consent-status", tok, `{"email":"new@example.org"}`).want(t, http.StatusOK))
	if !st.Complete || len(st.Pending) != 0 {
		t.Errorf("after agreeing: got %+v, want complete", st)
	}
	if r := e.apiCall(t, "POST", "/api/v1/consent-status", tok, `{"email":"nobody@example.org"}`).want(t, http.StatusNotFound); apiCode(t, r) != "unknown_user" {
		t.Errorf("unknown email: got %s", r.Body)
	}
	r := e.apiCall(t, "POST", "/api/v1/consent-status", tok, `{"email": 42}`).want(t, http.StatusBadRequest)
	if apiCode(t, r) != "malformed" || !strings.Contains(r.Body, `"field":"email"`) {
		t.Errorf("wrong type: got %s, want 400 naming email", r.Body)
	}
	e.apiCall(t, "POST", "/api/v1/consent-status", tok, `{"email": "a@b.c"`).want(t, http.StatusBadRequest)
	e.apiCall(t, "POST", "/api/v1/consent-status", tok, `{"mail": "a@b.c"}`).want(t, http.StatusBadRequest)
	r = e.apiCall(t, "POST", "/api/v1/consent-status", tok, `{"email":"not an address"}`, "Accept-Language", "fr").want(t, http.StatusUnprocessableEntity)
	inv := decode[struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}](t, r)
	if inv.Error.Code != "invalid" || inv.Error.Fields["email"] == "" || !strings.Contains(inv.Error.Message, "champs") {
		t.Errorf("bad address in French: got %s", r.Body)
	}
	if r := e.apiCall(t, "GET", "/api/v1/nothing-here", tok, "").want(t, http.StatusNotFound); apiCode(t, r) != "not_found" {
		t.Errorf("unknown API route: got %s", r.Body)
	}
}

// Ensure that POST /api/v1/users creates a learner (201), answers the same
// call again "unchanged", updates names, never touches a staff account
// (409), and refuses a bad language with 422.
func TestAPIUsers(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	admin := e.client(t)
	admin.login("admin@example.org")
	tok := createToken(t, admin, "Moodle", "write")
	body := `{"email":"ada@example.org","first_name":"Ada","last_name":"Lovelace","lang":"fr"}`
	type out struct {
		Outcome string `json:"outcome"`
		User    struct {
			ID        uint64 `json:"id"`
			FirstName string `json:"first_name"`
			Lang      string `json:"lang"`
		} `json:"user"`
	}
	first := decode[out](t, e.apiCall(t, "POST", "/api/v1/users", tok, body).want(t, http.StatusCreated))
	again := decode[out](t, e.apiCall(t, "POST", "/api/v1/users", tok, body).want(t, http.StatusOK))
	if first.Outcome != "created" || again.Outcome != "unchanged" || again.User.ID != first.User.ID || first.User.Lang != "fr" {
		t.Errorf("got %+v then %+v, want created then unchanged, same id", first, again)
	}
	upd := decode[out](t, e.apiCall(t, "POST", "/api/v1/users", tok, `{"email":"ADA@example.org","first_name":"Augusta","lang":"en"}`).want(t, http.StatusOK))
	if upd.Outcome != "updated" || upd.User.FirstName != "Augusta" {
		t.Errorf("update: got %+v", upd)
	}
	u, err := e.db.UserByEmail("ada@example.org")
	if err != nil || u.Role != store.RoleLearner || u.PasswordHash != "" || u.FirstName != "Augusta" {
		t.Errorf("stored: %+v, %v; want a learner without a password", u, err)
	}
	if r := e.apiCall(t, "POST", "/api/v1/users", tok, `{"email":"admin@example.org","first_name":"Mallory"}`).want(t, http.StatusConflict); apiCode(t, r) != "not_a_learner" {
		t.Errorf("staff account: got %s", r.Body)
	}
	if a, _ := e.db.UserByEmail("admin@example.org"); a.FirstName == "Mallory" {
		t.Errorf("the API renamed an administrator")
	}
	e.apiCall(t, "POST", "/api/v1/users", tok, `{"email":"b@example.org","lang":"de"}`).want(t, http.StatusUnprocessableEntity)
}

// Ensure that enrolments and progress are applied in bulk with a result
// per item, idempotently, that bad items are reported while the others
// are applied, that more than the limit is a 413 naming it, and that an
// item that cannot be read is a 400 naming its index and field.
func TestAPIBulk(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	admin := e.client(t)
	admin.login("admin@example.org")
	tok := createToken(t, admin, "Moodle", "write")
	e.user(t, "ada@example.org", store.RoleLearner)
	if err := e.db.CreateCourse(&store.Course{Code: "GDPR-101", TitleEN: "GDPR", TitleFR: "RGPD"}, 0); err != nil {
		t.Fatal(err)
	}
	type bulk struct {
		Results []struct {
			Index   int    `json:"index"`
			Outcome string `json:"outcome"`
			Error   *struct {
				Code   string            `json:"code"`
				Fields map[string]string `json:"fields"`
			} `json:"error"`
		} `json:"results"`
		Counts map[string]int `json:"counts"`
	}
	outcomes := func(b bulk) string {
		var s []string
		for _, r := range b.Results {
			o := r.Outcome
			if r.Error != nil {
				o += ":" + r.Error.Code
			}
			s = append(s, o)
		}
		return strings.Join(s, " ")
	}
	enrol := `[{"email":"ada@example.org","course":"gdpr-101"},{"email":"nobody@example.org","course":"GDPR-101"},
		{"email":"ada@example.org","course":"NOPE"},{"email":"bad","course":"GDPR-101"}]`
	got := decode[bulk](t, e.apiCall(t, "POST", "/api/v1/enrolments", tok, enrol).want(t, http.StatusOK))
	if s := outcomes(got); s != "created failed:unknown_user failed:unknown_course failed:invalid" || got.Results[3].Error.Fields["email"] == "" {
		t.Errorf("first enrolments: got %s", s)
	}
	if s := outcomes(decode[bulk](t, e.apiCall(t, "POST", "/api/v1/enrolments", tok, enrol))); !strings.HasPrefix(s, "unchanged ") {
		t.Errorf("same enrolments again: got %s, want unchanged first", s)
	}
	u, _ := e.db.UserByEmail("ada@example.org")
	mine, _ := e.db.UserCourses(u.ID)
	if len(mine) != 1 || !mine[0].Enrolment.Active() {
		t.Fatalf("enrolments stored: %+v", mine)
	}

	prog := `[{"email":"ada@example.org","course":"GDPR-101","activity_id":"quiz-1","activity":"Quiz 1","status":"completed","percent":100,"score":17.5}]`
	for i, want := range []string{"created", "unchanged"} {
		if s := outcomes(decode[bulk](t, e.apiCall(t, "POST", "/api/v1/progress", tok, prog))); s != want {
			t.Errorf("progress call %d: got %s, want %s", i, s, want)
		}
	}
	upd := strings.Replace(prog, "17.5", "18", 1)
	if s := outcomes(decode[bulk](t, e.apiCall(t, "POST", "/api/v1/progress", tok, upd))); s != "updated" {
		t.Errorf("changed progress: got %s", s)
	}
	e.user(t, "bob@example.org", store.RoleLearner)
	other := `[{"email":"bob@example.org","course":"GDPR-101","activity_id":"quiz-1","status":"in_progress","percent":50},
		{"email":"ada@example.org","course":"GDPR-101","activity_id":"quiz-2","status":"done"}]`
	if s := outcomes(decode[bulk](t, e.apiCall(t, "POST", "/api/v1/progress", tok, other))); s != "failed:not_enrolled failed:invalid" {
		t.Errorf("not enrolled, bad status: got %s", s)
	}
	if n, _ := e.db.CountProgress(u.ID); n != 1 {
		t.Errorf("progress records: got %d, want 1", n)
	}

	// Unenrol through the API: the enrolment ends, once.
	end := `[{"email":"ada@example.org","course":"GDPR-101","ended":true}]`
	for i, want := range []string{"updated", "unchanged"} {
		if s := outcomes(decode[bulk](t, e.apiCall(t, "POST", "/api/v1/enrolments", tok, end))); s != want {
			t.Errorf("unenrol call %d: got %s, want %s", i, s, want)
		}
	}

	items := make([]string, apiMaxItems+1)
	for i := range items {
		items[i] = `{"email":"ada@example.org","course":"GDPR-101"}`
	}
	r := e.apiCall(t, "POST", "/api/v1/enrolments", tok, "["+strings.Join(items, ",")+"]").want(t, http.StatusRequestEntityTooLarge)
	if apiCode(t, r) != "too_many_items" || !strings.Contains(r.Body, fmt.Sprintf(`"limit":%d`, apiMaxItems)) {
		t.Errorf("too many items: got %s", r.Body)
	}
	r = e.apiCall(t, "POST", "/api/v1/progress", tok, `[{"email":"ada@example.org"},{"email":"ada@example.org","percent":"all"}]`).want(t, http.StatusBadRequest)
	if !strings.Contains(r.Body, `"field":"[1].percent"`) {
		t.Errorf("bad item: got %s, want the field [1].percent named", r.Body)
	}
	e.apiCall(t, "POST", "/api/v1/progress", tok, `{"email":"ada@example.org"}`).want(t, http.StatusBadRequest)
}

// Ensure that each token is held to its rate limit (429 JSON with
// Retry-After), and another token is not.
func TestAPIRateLimit(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	admin := e.client(t)
	admin.login("admin@example.org")
	busy := createToken(t, admin, "busy", "read")
	calm := createToken(t, admin, "calm", "read")
	for i := range apiRatePerMinute {
		if r := e.apiCall(t, "GET", "/api/v1/policies", busy, ""); r.Status != http.StatusOK {
			t.Fatalf("call %d: got %d", i, r.Status)
		}
	}
	r := e.apiCall(t, "GET", "/api/v1/policies", busy, "").want(t, http.StatusTooManyRequests)
	if apiCode(t, r) != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Errorf("over the limit: got %s (Retry-After %q)", r.Body, r.Header.Get("Retry-After"))
	}
	e.apiCall(t, "GET", "/api/v1/policies", calm, "").want(t, http.StatusOK)
	e.advance(61 * 1e9)
	e.apiCall(t, "GET", "/api/v1/policies", busy, "").want(t, http.StatusOK)
}
