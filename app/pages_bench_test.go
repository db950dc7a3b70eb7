package app

import (
	"net/http"
	"net/url"
	"testing"

	"accord/store"
)

// BenchmarkPageHandlers are the pages of issue 13 without the network, as
// BenchmarkProfileHandler: the public list of policies for a first-time
// visitor (with the banner) and the agreements of a signed-in learner who
// agreed to every policy and made a cookie choice (BENCHMARKS.md).
func BenchmarkPageHandlers(b *testing.B) {
	e := newEnv(b)
	e.user(b, "ann@example.org", store.RoleLearner) // has agreed
	c := e.client(b)
	c.login("ann@example.org")
	c.post("/cookies", url.Values{"choice": {"refuse_all"}}).want(b, http.StatusSeeOther)
	session := sessionCookie + "=" + c.cookies[sessionCookie]
	b.Run("policies-visitor", func(b *testing.B) { benchHandler(b, e, "/policies", "") })
	b.Run("policies-signed-in", func(b *testing.B) { benchHandler(b, e, "/policies", session) })
	b.Run("profile-policies", func(b *testing.B) { benchHandler(b, e, "/profile/policies", session) })
}
