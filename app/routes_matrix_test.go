package app

import (
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"accord/store"
)

// access is who may use a route. Every route of the router is classified
// in routeAccess; TestRouteRoleMatrix fails on a route that is not, so a
// new route must be added here (issue 10, point 18).
type access int

const (
	public    access = iota // anyone: never 403, never sent to sign in
	signedIn                // any account; visitors are sent to /login
	staffOnly               // dpo and admin; learners and guardians 403
	adminOnly               // admin; everyone else 403
	apiToken                // a bearer token only: a session is 401
)

func (a access) String() string {
	return [...]string{"public", "signed in", "staff", "admin", "API token"}[a]
}

// routeAccess classifies every route, "METHOD path" as the router names it.
var routeAccess = map[string]access{
	"GET /":        public,
	"GET /healthz": public,
	"GET /login":   public, "POST /login": public, "POST /logout": public,
	"GET /signup": public, "POST /signup": public,
	"GET /setup": public, "POST /setup": public,
	"GET /password/forgot": public, "POST /password/forgot": public,
	"GET /password/reset": public, "POST /password/reset": public,
	"GET /profile/email/confirm": public, "POST /profile/email/confirm": public,
	"GET /contact": public, "POST /contact": public,
	"GET /contact/confirm": public, "POST /contact/confirm": public,
	"GET /policies": public, "GET /policies/:id<int>": public,
	"GET /cookies": public, "POST /cookies": public,
	"GET /cookies/receipts/:id": signedIn, "GET /cookies/receipts/:id/download": signedIn,
	"GET /admin/backup": adminOnly, "GET /metrics": adminOnly, // or a metrics token: metrics_test.go

	"GET /profile": signedIn, "POST /profile": signedIn, "POST /profile/password": signedIn,
	"GET /consent": signedIn, "POST /consent": signedIn,
	"GET /profile/policies": signedIn, "POST /profile/policies/:versionID<int>/:answer": signedIn,
	"GET /profile/policies/receipts/:id<int>": signedIn, "GET /profile/policies/receipts/:id<int>/download": signedIn,
	"GET /profile/minors/:userID<int>/policies": signedIn, "POST /profile/minors/:userID<int>/policies/:versionID<int>/:answer": signedIn,
	"GET /profile/dpo": signedIn, "POST /profile/dpo": signedIn,
	"GET /profile/dpo/:id<int>": signedIn, "POST /profile/dpo/:id<int>/reply": signedIn,
	"GET /notifications": signedIn, "POST /notifications/read": signedIn,
	"GET /profile/requests": signedIn, "POST /profile/requests": signedIn,
	"GET /profile/requests/:id<int>": signedIn, "POST /profile/requests/:id<int>/cancel": signedIn,
	"GET /profile/requests/:id<int>/download": signedIn,
	"GET /profile/courses":                    signedIn,
	"GET /guardian/invitation":                public, "POST /guardian/invitation": public, "POST /guardian/invitation/account": public,
	"POST /profile/guardian": signedIn, "POST /profile/guardian/resend": signedIn,
	"POST /admin/users/:id<int>/invitation": adminOnly,

	"GET /admin":            staffOnly,
	"GET /admin/agreements": staffOnly, "GET /admin/agreements.csv": staffOnly,
	"POST /admin/agreements/accept": staffOnly, "POST /admin/agreements/answer": staffOnly,
	"GET /admin/cookies/stats": staffOnly,
	"GET /admin/dpo":           staffOnly, "GET /admin/dpo/:id<int>": staffOnly,
	"POST /admin/dpo/:id<int>/reply": staffOnly, "POST /admin/dpo/:id<int>/close": staffOnly, "POST /admin/dpo/:id<int>/read": staffOnly,
	"GET /admin/requests": staffOnly, "POST /admin/requests": staffOnly, "POST /admin/requests/bulk": staffOnly,
	"GET /admin/requests/:id<int>": staffOnly, "POST /admin/requests/:id<int>/approve": staffOnly,
	"POST /admin/requests/:id<int>/reject": staffOnly, "GET /admin/requests/:id<int>/download": staffOnly,
	"GET /admin/requests/people": staffOnly, "POST /admin/requests/:id<int>/resubmit": staffOnly,
	"POST /profile/requests/:id<int>/resubmit": signedIn,
	"GET /admin/courses/retention":             staffOnly, "POST /admin/courses/retention/purge": staffOnly, "POST /admin/courses/retention/erase": staffOnly,
	"GET /admin/audit": staffOnly, "GET /admin/audit.csv": staffOnly,

	"GET /admin/users": adminOnly, "POST /admin/users": adminOnly, "GET /admin/users/:id<int>": staffOnly, // read-only for officers
	"POST /admin/users/:id<int>/role": adminOnly, "POST /admin/users/:id<int>/suspend": adminOnly,
	"POST /admin/users/:id<int>/reactivate": adminOnly, "POST /admin/users/:id<int>/password": adminOnly,
	"POST /admin/users/:id<int>/guardian": adminOnly,
	"GET /admin/settings":                 adminOnly, "POST /admin/settings": adminOnly,
	"GET /admin/policies": adminOnly, "POST /admin/policies": adminOnly, "GET /admin/policies/:id<int>": adminOnly,
	"POST /admin/policies/:id<int>/versions": adminOnly, "POST /admin/policies/:id<int>/move": adminOnly,
	"GET /admin/versions/:id<int>/edit": adminOnly, "POST /admin/versions/:id<int>": adminOnly,
	"POST /admin/versions/:id<int>/:action": adminOnly, "GET /admin/versions/:a<int>/diff/:b<int>": adminOnly,
	"POST /admin/preview": adminOnly,
	"GET /admin/cookies":  adminOnly, "POST /admin/cookies": adminOnly,
	"GET /admin/cookies/:id<int>": adminOnly, "POST /admin/cookies/:id<int>": adminOnly, "POST /admin/cookies/:id<int>/delete": adminOnly,
	"GET /admin/cookies/texts": adminOnly, "POST /admin/cookies/texts": adminOnly, "POST /admin/cookies/texts/reset": adminOnly,
	"GET /admin/courses": adminOnly, "POST /admin/courses": adminOnly, "GET /admin/courses/:id<int>": adminOnly,
	"POST /admin/courses/:id<int>/enrol": adminOnly, "POST /admin/courses/:id<int>/unenrol": adminOnly,
	"POST /admin/courses/:id<int>/delete": adminOnly,
	"GET /admin/courses/import":           adminOnly, "POST /admin/courses/import": adminOnly,
	"GET /admin/courses/import/:id<int>": adminOnly, "GET /admin/courses/import/:id<int>/errors.csv": adminOnly,
	"GET /admin/tokens": adminOnly, "POST /admin/tokens": adminOnly, "POST /admin/tokens/:id<int>/revoke": adminOnly,
	"GET /admin/webhooks": adminOnly, "POST /admin/webhooks": adminOnly, "POST /admin/webhooks/:id<int>/delete": adminOnly,
	"POST /admin/webhooks/:id<int>/disable": adminOnly, "POST /admin/webhooks/:id<int>/enable": adminOnly,

	"GET /processing": public, "GET /processing.csv": public,
	"GET /admin/processing": adminOnly, "POST /admin/processing/controller": adminOnly,
	"GET /admin/processing/purposes/new": adminOnly, "POST /admin/processing/purposes": adminOnly,
	"GET /admin/processing/purposes/:id<int>": adminOnly, "POST /admin/processing/purposes/:id<int>": adminOnly,
	"POST /admin/processing/purposes/:id<int>/delete": adminOnly,
	"GET /admin/processing/categories/new":            adminOnly, "POST /admin/processing/categories": adminOnly,
	"GET /admin/processing/categories/:key": adminOnly, "POST /admin/processing/categories/:key": adminOnly,
	"POST /admin/processing/categories/:key/delete": adminOnly,

	"GET /api/v1/openapi.json": public,
	"GET /api/v1/policies":     apiToken, "POST /api/v1/consent-status": apiToken, "POST /api/v1/enrolments": apiToken,
	"POST /api/v1/progress": apiToken, "POST /api/v1/users": apiToken,
}

// routeKeys lists the router's routes as "METHOD path" (HEAD and
// middleware left out), sorted.
func routeKeys(e *testEnv) []string {
	seen := map[string]bool{}
	for _, r := range e.app.web.GetRoutes(true) {
		if r.Method == http.MethodHead || r.Method == "USE" {
			continue
		}
		seen[r.Method+" "+r.Path] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var routeParam = regexp.MustCompile(`:([A-Za-z]+)(<[a-z]+>)?`)

// concretePath fills a route's parameters: the guarded minor for :userID,
// "accept" for :answer, and an id nobody has for the rest (so that an
// allowed role reaches the handler, which finds nothing and changes
// nothing).
func concretePath(path string, minorID uint64) string {
	return routeParam.ReplaceAllStringFunc(path, func(m string) string {
		switch name := routeParam.FindStringSubmatch(m)[1]; name {
		case "userID":
			return itoa(minorID)
		case "answer":
			return "accept"
		case "action":
			return "activate"
		default:
			return "987654"
		}
	})
}

// matrixRoles are the five roles of the matrix, each a signed-in client
// (the visitor has none). The guardian is a learner who guards a minor.
type matrixRoles struct {
	e       *testEnv
	emails  map[string]string
	clients map[string]*client
	minor   *store.User
}

var roleNames = []string{"visitor", "learner", "guardian", "dpo", "admin"}

func newMatrixRoles(t *testing.T, e *testEnv) *matrixRoles {
	m := &matrixRoles{e: e, emails: map[string]string{}, clients: map[string]*client{}}
	e.user(t, "learner@example.org", store.RoleLearner)
	g := e.user(t, "guardian@example.org", store.RoleLearner)
	e.user(t, "dpo@example.org", store.RoleDPO)
	e.user(t, "admin@example.org", store.RoleAdmin)
	m.minor = e.user(t, "minor@example.org", store.RoleLearner)
	if _, err := e.db.UpdateUser(m.minor.ID, store.AuditEvent{}, func(u *store.User) error { u.GuardianID = g.ID; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, r := range roleNames[1:] {
		m.emails[r] = r + "@example.org"
	}
	return m
}

// client is role's browser, signed in again if a route signed it out.
func (m *matrixRoles) client(t *testing.T, role string) *client {
	c := m.clients[role]
	if c == nil {
		c = m.e.client(t)
		m.clients[role] = c
	}
	if role != "visitor" {
		if _, ok := c.cookies[sessionCookie]; !ok {
			c.login(m.emails[role])
		}
	} else if c.csrf == "" {
		c.get("/")
	}
	return c
}

// allowedFor is whether a role may use a route of class a.
func allowedFor(a access, role string) bool {
	switch a {
	case public:
		return true
	case signedIn:
		return role != "visitor"
	case staffOnly:
		return role == "dpo" || role == "admin"
	case adminOnly:
		return role == "admin"
	}
	return false
}

func sentToLogin(res *response) bool {
	return res.Status == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login")
}

// Ensure that every route of the router is classified, and that each
// answers each of visitor, learner, guardian, dpo and admin as its class
// says: a visitor on a protected route is sent to sign in, a role without
// the right gets 403, an allowed role reaches the handler (no 403, no
// sign-in, never 5xx), and an API route refuses every session (401).
func TestRouteRoleMatrix(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1:0")
	e := newMailEnv(t, srv.addr)
	roles := newMatrixRoles(t, e)
	keys := routeKeys(e)
	inRouter := map[string]bool{}
	for _, k := range keys {
		inRouter[k] = true
		if _, ok := routeAccess[k]; !ok {
			t.Errorf("route %s is not classified in routeAccess (app/routes_matrix_test.go)", k)
		}
	}
	for k := range routeAccess {
		if !inRouter[k] {
			t.Errorf("routeAccess names %s, which the router does not have", k)
		}
	}
	for _, k := range keys {
		class, ok := routeAccess[k]
		if !ok {
			continue
		}
		method, path, _ := strings.Cut(k, " ")
		target := concretePath(path, roles.minor.ID)
		for _, role := range roleNames {
			c := roles.client(t, role)
			var res *response
			if method == http.MethodGet {
				res = c.get(target)
			} else {
				res = c.post(target, url.Values{})
			}
			where := k + " as " + role + " (" + class.String() + ")"
			switch {
			case res.Status >= 500:
				t.Errorf("%s: got %d", where, res.Status)
			case class == apiToken:
				if res.Status != http.StatusUnauthorized {
					t.Errorf("%s: got %d, want 401 without a token", where, res.Status)
				}
			case allowedFor(class, role):
				if res.Status == http.StatusForbidden || (class != public && sentToLogin(res)) {
					t.Errorf("%s: got %d %s, want the handler", where, res.Status, res.Header.Get("Location"))
				}
			case role == "visitor":
				if !sentToLogin(res) {
					t.Errorf("%s: got %d %s, want 303 to /login", where, res.Status, res.Header.Get("Location"))
				}
			default:
				if res.Status != http.StatusForbidden {
					t.Errorf("%s: got %d, want 403", where, res.Status)
				}
			}
		}
	}
}

// Ensure that a guardian reaches the policies of the minor they guard,
// and that other accounts, staff included, get 404 for the same id.
func TestMinorRoutesOnlyForTheGuardian(t *testing.T) {
	e := newEnv(t)
	roles := newMatrixRoles(t, e)
	path := "/profile/minors/" + itoa(roles.minor.ID) + "/policies"
	for _, role := range roleNames[1:] {
		want := http.StatusNotFound
		if role == "guardian" {
			want = http.StatusOK
		}
		if res := roles.client(t, role).get(path); res.Status != want {
			t.Errorf("%s as %s: got %d, want %d", path, role, res.Status, want)
		}
	}
}
