package cookieconsent

import (
	"strings"
	"sync"
	"testing"
	"time"

	"accord/store"
)

// env is a Service over a real bbolt file with a pinned clock.
type env struct {
	db       *store.DB
	svc      *Service
	mu       sync.Mutex
	now      time.Time
	lifetime int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, now: t0, lifetime: 6}
	db.Now = func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("database check: %v", err)
		}
		db.Close()
	})
	e.svc = e.open(t)
	return e
}

// open builds a Service over e's database, as at a restart.
func (e *env) open(t *testing.T) *Service {
	t.Helper()
	svc, err := New(e.db, Options{LifetimeMonths: func() int { return e.lifetime }})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func (e *env) advance(d time.Duration) { e.mu.Lock(); e.now = e.now.Add(d); e.mu.Unlock() }

var acceptAll = map[store.CookieCategory]bool{store.CookiePreferences: true, store.CookieStatistics: true}

func (e *env) record(t *testing.T, ch Choice) *store.CookieConsent {
	t.Helper()
	r, err := e.svc.Record(ch)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Ensure that Record writes the proof and the memory at once: the banner
// decision sees it, a restart finds it, and the browser keeps its id.
func TestRecord(t *testing.T) {
	e := newEnv(t)
	r := e.record(t, Choice{Method: store.MethodAcceptAll, Decisions: acceptAll, Lang: "fr"})
	if r.ConsentID == "" || r.State != store.ConsentGiven || r.RegisterRevision != e.svc.Register().Revision || r.RegisterDigest != e.svc.RegisterDigest("fr") || !r.ValidUntil.Equal(t0.AddDate(0, 6, 0)) {
		t.Fatalf("got %+v", r)
	}
	if got := e.svc.Current(0, r.ConsentID); got != r {
		t.Errorf("Current after Record: got %+v, want the record", got)
	}
	if got := e.open(t).Current(0, r.ConsentID); got == nil || got.ID != r.ID {
		t.Errorf("after a restart: got %+v, want record %s", got, r.ID)
	}
	e.advance(time.Hour)
	again, err := e.svc.Withdraw(Choice{BrowserID: r.ConsentID, Method: store.MethodRefuseAll})
	if err != nil {
		t.Fatal(err)
	}
	if again.ConsentID != r.ConsentID || again.State != store.ConsentWithdrawn || again.Allows(store.CookieStatistics) {
		t.Errorf("withdrawal: got %+v, want the same browser, withdrawn", again)
	}
	unknown, _ := store.NewToken()
	if got := e.record(t, Choice{BrowserID: unknown, Method: store.MethodClose}); got.ConsentID == unknown || got.State != store.ConsentRefused {
		t.Errorf("an unknown browser id was adopted, or the state is wrong: %+v", got)
	}
}

// Ensure that a browser's choice made by one account neither applies to
// another account nor lends it its browser id.
func TestSharedBrowser(t *testing.T) {
	e := newEnv(t)
	ann := e.record(t, Choice{UserID: 7, Method: store.MethodAcceptAll, Decisions: acceptAll})
	if got := e.svc.Current(8, ann.ConsentID); got != nil {
		t.Errorf("another account got Ann's choice: %+v", got)
	}
	bob := e.record(t, Choice{UserID: 8, BrowserID: ann.ConsentID, Method: store.MethodRefuseAll})
	if bob.ConsentID == ann.ConsentID {
		t.Errorf("Bob's choice took Ann's browser id")
	}
}

// Ensure that at sign-in the newer choice wins both ways, and a browser's
// win is copied to the account.
func TestSignIn(t *testing.T) {
	e := newEnv(t)
	acc := e.record(t, Choice{UserID: 7, Method: store.MethodRefuseAll})
	e.advance(time.Hour)
	visitor := e.record(t, Choice{Method: store.MethodAcceptAll, Decisions: acceptAll})
	got, err := e.svc.SignIn(7, visitor.ConsentID)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || got.UserID != 7 || got.DerivedFrom != visitor.ID || !got.Allows(store.CookieStatistics) {
		t.Fatalf("browser newer: got %+v, want a copy for the account", got)
	}
	if latest := e.svc.Latest(7, ""); latest != got {
		t.Errorf("the account's latest is not the copy")
	}
	if h, _ := e.db.CookieConsentHistory(7); len(h) != 2 || h[1].ID != acc.ID {
		t.Errorf("history: got %d records, want the refusal then the copy", len(h))
	}
	e.advance(time.Hour)
	refusal := e.record(t, Choice{UserID: 7, Method: store.MethodRefuseAll})
	e.advance(time.Hour)
	other := e.record(t, Choice{Method: store.MethodAcceptAll, Decisions: acceptAll})
	e.advance(time.Hour)
	newer := e.record(t, Choice{UserID: 7, Method: store.MethodRefuseAll})
	got, err = e.svc.SignIn(7, other.ConsentID)
	if err != nil || got != newer {
		t.Errorf("account newer: got %+v (%v), want the account's refusal %s (not %s)", got, err, newer.ID, refusal.ID)
	}
	if got, _ := e.svc.SignIn(9, ""); got != nil {
		t.Errorf("no choice anywhere: got %+v", got)
	}
}

// Ensure that Forget drops an account and the browsers it signed in with.
func TestForget(t *testing.T) {
	e := newEnv(t)
	r := e.record(t, Choice{UserID: 7, Method: store.MethodAcceptAll, Decisions: acceptAll})
	keep := e.record(t, Choice{Method: store.MethodAcceptAll, Decisions: acceptAll})
	e.svc.Forget(7)
	if e.svc.Latest(7, "") != nil || e.svc.Latest(0, r.ConsentID) != nil {
		t.Errorf("the account's choice is still in memory")
	}
	if e.svc.Latest(0, keep.ConsentID) != keep {
		t.Errorf("another browser's choice was forgotten")
	}
}

// Ensure that Expire records each lapsed choice once, asks again, and
// forgets expired records after 30 days.
func TestExpire(t *testing.T) {
	e := newEnv(t)
	r := e.record(t, Choice{UserID: 7, Method: store.MethodAcceptAll, Decisions: acceptAll})
	if err := e.svc.Expire(); err != nil {
		t.Fatal(err)
	}
	e.advance(7 * 31 * 24 * time.Hour)
	for i := 0; i < 2; i++ {
		if err := e.svc.Expire(); err != nil {
			t.Fatal(err)
		}
	}
	h, _ := e.db.CookieConsentHistory(7)
	if len(h) != 2 || h[0].State != store.ConsentExpired || h[0].DerivedFrom != r.ID {
		t.Fatalf("got %+v, want one expired record on top", h)
	}
	if e.svc.Current(7, r.ConsentID) != nil {
		t.Errorf("an expired choice still applies")
	}
	if e.svc.Latest(0, r.ConsentID).State != store.ConsentExpired {
		t.Errorf("the browser's latest is not the expiry record")
	}
	e.advance(31 * 24 * time.Hour)
	if err := e.svc.Expire(); err != nil {
		t.Fatal(err)
	}
	if e.svc.Latest(7, "") != nil || e.svc.Latest(0, r.ConsentID) != nil {
		t.Errorf("an expiry record older than 30 days is still in memory")
	}
}

// Ensure that register changes go through the service: its copy follows
// the store and the revision rule.
func TestRegisterChanges(t *testing.T) {
	e := newEnv(t)
	rev := e.svc.Register().Revision
	ck := &store.Cookie{Name: "embed_pref", Category: store.CookiePreferences, PurposeEN: "Volume.", PurposeFR: "Volume.", DurationEN: "6 months", DurationFR: "6 mois", Provider: "Accord"}
	if got, err := e.svc.AddCookie(ck, 1); err != nil || got != rev+1 || e.svc.Register().Find("embed_pref") == nil {
		t.Fatalf("add: got revision %d (%v), want %d and the cookie in memory", got, err, rev+1)
	}
	if err := e.svc.DeleteCookie(ck.ID, 1); err != nil || e.svc.Register().Find("embed_pref") != nil || e.svc.Register().Revision != rev+1 {
		t.Errorf("delete: got %v, the cookie still in memory or the revision moved", err)
	}
}

// Ensure that memory holds at most MaxBrowsers browsers however many new
// visitors choose, evicting the longest-held (expired choices first), and
// that an evicted browser's choice still holds, read back from the store.
func TestBrowsersBounded(t *testing.T) {
	e := newEnv(t)
	e.svc = nil
	svc, err := New(e.db, Options{LifetimeMonths: func() int { return e.lifetime }, MaxBrowsers: 3})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	old := e.record(t, Choice{Method: store.MethodAcceptAll, Decisions: acceptAll})
	e.advance(5 * 31 * 24 * time.Hour)
	visitors := []*store.CookieConsent{e.record(t, Choice{Method: store.MethodRefuseAll})}
	e.advance(31 * 24 * time.Hour) // old's choice lapses, not visitors[0]'s
	if err := svc.Expire(); err != nil {
		t.Fatal(err)
	}
	if got := svc.Latest(0, old.ConsentID); got == nil || got.State != store.ConsentExpired {
		t.Fatalf("old's choice: got %+v, want its expiry record", got)
	}
	for i := 0; i < 2; i++ {
		e.advance(time.Minute)
		visitors = append(visitors, e.record(t, Choice{Method: store.MethodRefuseAll}))
	}
	if _, n := svc.Cached(); n != 3 {
		t.Fatalf("got %d browsers in memory, want 3", n)
	}
	if _, ok := svc.browsers.get(old.ConsentID); ok {
		t.Errorf("the expired choice was kept, a valid one evicted")
	}
	for i := 0; i < 30; i++ {
		e.record(t, Choice{Method: store.MethodClose})
	}
	if _, n := svc.Cached(); n != 3 {
		t.Errorf("after 30 more visitors: got %d browsers in memory, want 3", n)
	}
	before := e.db.ReadTxCount()
	got := svc.Current(0, visitors[0].ConsentID)
	if got == nil || got.ID != visitors[0].ID {
		t.Fatalf("an evicted visitor's choice: got %+v, want record %s", got, visitors[0].ID)
	}
	if reads := e.db.ReadTxCount() - before; reads != 1 {
		t.Errorf("reading an evicted choice back: got %d reads, want 1", reads)
	}
	before = e.db.ReadTxCount()
	svc.Current(0, visitors[0].ConsentID)
	if reads := e.db.ReadTxCount() - before; reads != 0 {
		t.Errorf("once read back: got %d reads, want 0", reads)
	}
	if got := svc.Current(0, old.ConsentID); got != nil {
		t.Errorf("the expired choice applies after being read back: %+v", got)
	}
	// A restart keeps the newest three.
	again, err := New(e.db, Options{LifetimeMonths: func() int { return e.lifetime }, MaxBrowsers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, n := again.Cached(); n != 3 {
		t.Errorf("after a restart: got %d browsers in memory, want 3", n)
	}
	if _, ok := again.browsers.get(visitors[0].ConsentID); ok {
		t.Errorf("after a restart: an older browser was kept over the newest")
	}
}

// Ensure that with nothing evicted, an unknown browser id costs no read.
func TestUnknownBrowserReadsNothing(t *testing.T) {
	e := newEnv(t)
	e.record(t, Choice{Method: store.MethodAcceptAll, Decisions: acceptAll})
	unknown, _ := store.NewToken()
	before := e.db.ReadTxCount()
	if e.svc.Current(0, unknown) != nil || e.db.ReadTxCount() != before {
		t.Errorf("an unknown browser id: a choice, or a read")
	}
}

// Ensure that a choice made before register changes is outdated by them
// alone, and that ChangesSince tells each cookie once with every aspect
// changed since, leaving out cookies removed since.
func TestOutdatedAndChangesSince(t *testing.T) {
	e := newEnv(t)
	r := e.record(t, Choice{Method: store.MethodAcceptAll, Decisions: acceptAll})
	if _, ok := e.svc.Outdated(0, r.ConsentID); ok {
		t.Errorf("a choice on the current revision is outdated")
	}
	stats := &store.Cookie{Name: "embed_stats", Category: store.CookieStatistics, PurposeEN: "Plays.", PurposeFR: "Lectures.", DurationEN: "6 months", DurationFR: "6 mois", Provider: "Accord"}
	gone := &store.Cookie{Name: "gone_pref", Category: store.CookiePreferences, PurposeEN: "x", PurposeFR: "x", DurationEN: "1 day", DurationFR: "1 jour", Provider: "Accord"}
	for _, c := range []*store.Cookie{stats, gone} {
		if _, err := e.svc.AddCookie(c, 1); err != nil {
			t.Fatal(err)
		}
	}
	visitor := *e.svc.Register().Find("accord_visitor")
	for _, f := range []func(c *store.Cookie){
		func(c *store.Cookie) { c.DurationEN = "10 years" },
		func(c *store.Cookie) { c.DurationFR = "10 ans"; c.Provider = "Matomo" },
	} {
		f(&visitor)
		if _, err := e.svc.UpdateCookie(visitor.ID, visitor, false, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.svc.DeleteCookie(gone.ID, 1); err != nil {
		t.Fatal(err)
	}
	rev, ok := e.svc.Outdated(0, r.ConsentID)
	if !ok || rev != r.RegisterRevision || e.svc.Current(0, r.ConsentID) != nil {
		t.Fatalf("after the changes: got outdated=%v rev %d, want revision %d asked again", ok, rev, r.RegisterRevision)
	}
	got := e.svc.ChangesSince(rev)
	if len(got) != 2 || got[0].Name != "embed_stats" || !got[0].Added || got[1].Name != "accord_visitor" || got[1].Added ||
		strings.Join(got[1].Fields, ",") != "duration_en,duration_fr,provider" {
		t.Errorf("changes: got %+v, want embed_stats added, then accord_visitor's durations and provider", got)
	}
	if got := e.svc.ChangesSince(e.svc.Register().Revision); len(got) != 0 {
		t.Errorf("changes since the current revision: got %+v", got)
	}
	e.advance(7 * 31 * 24 * time.Hour)
	if _, ok := e.svc.Outdated(0, r.ConsentID); ok {
		t.Errorf("a lapsed choice is told it is outdated by the register")
	}
}

// Ensure that the register's digest follows its content in each language
// — a minor rewording included — and not the other language's.
func TestRegisterDigest(t *testing.T) {
	e := newEnv(t)
	en, fr := e.svc.RegisterDigest("en"), e.svc.RegisterDigest("fr")
	if len(en) != 64 || en == fr || e.svc.RegisterDigest("en") != en {
		t.Fatalf("got %q and %q, want two stable SHA-256s", en, fr)
	}
	ck := *e.svc.Register().Find("accord_lang")
	ck.PurposeEN += "!"
	if raised, err := e.svc.UpdateCookie(ck.ID, ck, true, 1); err != nil || raised {
		t.Fatalf("minor fix: %v %v", raised, err)
	}
	if e.svc.RegisterDigest("en") == en {
		t.Errorf("an English rewording left the English digest")
	}
	if e.svc.RegisterDigest("fr") != fr {
		t.Errorf("an English rewording changed the French digest")
	}
}

// Ensure that texts are kept per language, survive a restart, and reset.
func TestTexts(t *testing.T) {
	e := newEnv(t)
	if err := e.svc.SaveTexts("fr", map[string]string{"banner_title": "Vos cookies", "banner_text": ""}, 1); err != nil {
		t.Fatal(err)
	}
	if got, ok := e.open(t).Text("fr", "banner_title"); !ok || got != "Vos cookies" {
		t.Errorf("after a restart: got %q %v", got, ok)
	}
	if _, ok := e.svc.Text("en", "banner_title"); ok {
		t.Errorf("a French text shows in English")
	}
	if _, ok := e.svc.Text("fr", "banner_text"); ok {
		t.Errorf("an empty text was kept")
	}
	if err := e.svc.ResetTexts("fr", 1); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.svc.Text("fr", "banner_title"); ok {
		t.Errorf("after a reset: a text is left")
	}
}
