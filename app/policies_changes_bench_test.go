package app

import (
	"testing"

	"accord/store"
)

// BenchmarkConsentChanges is GET /consent for a reader who accepted a
// 30k-word policy (300 paragraphs of 100 words) in English and reads its
// next version, three paragraphs changed, in French: the page with "what
// changed", through HTTP, after a first view (the diff cached).
func BenchmarkConsentChanges(b *testing.B) {
	e := newEnv(b)
	admin := e.newcomer(b, "root@example.org", store.RoleAdmin)
	ann := e.newcomer(b, "ann@example.org", store.RoleLearner)
	v1, v2 := changedPolicy(b, e, admin.ID, 300)
	e.agreeAll(b, ann) // the first version, in English
	if err := e.db.ActivateVersion(v2.ID, admin.ID); err != nil {
		b.Fatal(err)
	}
	e.reload(b)
	if e.app.consent.Status(ann.ID, v1.ID) != store.Accepted || !e.app.consent.Pending(ann.ID) {
		b.Fatal("want the first version accepted and the second pending")
	}
	c := e.client(b)
	c.login("ann@example.org")
	c.get("/consent?lang=fr").want(b, 200)
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			c.get("/consent?lang=fr").want(b, 200)
		}
	})
	// The first view of a pair of texts: the diff made and rendered.
	b.Run("first-view", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			e.app.texts.changes.clear()
			c.get("/consent?lang=fr").want(b, 200)
		}
	})
}
