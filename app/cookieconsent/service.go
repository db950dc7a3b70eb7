// Package cookieconsent is the cookie-consent service: it holds the cookie
// register and every subject's latest cookie choice in memory, and it is the
// only way to change either. Each change writes the store first and then its
// memory, so that the decision taken on every page ("may this browser get
// optional cookies, must it see the banner?") reads nothing from the
// database and never drifts from it.
//
// A subject is an account (its user id) or a browser (the random id of its
// accord_consent cookie). Package app decodes requests and sets cookies;
// this package knows nothing of HTTP.
package cookieconsent

import (
	"sort"
	"sync"
	"time"

	"accord/store"
)

// keepExpired is how long an expired choice stays in memory (a browser
// coming back within it keeps its accord_consent id).
const keepExpired = 30 * 24 * time.Hour

// Options configure a Service.
type Options struct {
	// LifetimeMonths is the consent lifetime setting, read at each use (an
	// administrator may change it while the server runs).
	LifetimeMonths func() int
	// MaxBrowsers bounds the browsers kept in memory (0: DefaultMaxBrowsers).
	// Accounts are all kept: they are as many as the users.
	MaxBrowsers int
}

// Service holds the cookie register and the latest choices.
type Service struct {
	db       *store.DB
	lifetime func() int

	mu       sync.RWMutex
	register store.CookieRegister
	changes  []store.RevisionChanges         // what each revision changed, oldest first
	texts    map[string]string               // "lang/name" → an administrator's text
	accounts map[uint64]*store.CookieConsent // user id → latest record
	browsers *browserCache                   // accord_consent id → latest record
}

// New seeds the register with Accord's own cookies, and loads it and every
// latest choice (but those expired long ago) into memory.
func New(db *store.DB, opt Options) (*Service, error) {
	s := &Service{db: db, lifetime: opt.LifetimeMonths,
		accounts: map[uint64]*store.CookieConsent{}, browsers: newBrowserCache(opt.MaxBrowsers)}
	if err := db.SeedCookies(); err != nil {
		return nil, err
	}
	if err := s.reloadRegister(); err != nil {
		return nil, err
	}
	if err := s.reloadTexts(); err != nil {
		return nil, err
	}
	now := db.Now()
	var browsers []*store.CookieConsent
	err := db.LatestCookieConsents(func(subject string, r *store.CookieConsent) {
		if r.State == store.ConsentExpired && now.Sub(r.Time) >= keepExpired {
			return
		}
		if r.UserID != 0 && subject == string(store.ConsentSubject(r.UserID, "")) {
			s.accounts[r.UserID] = r
		} else {
			browsers = append(browsers, r)
		}
	})
	if err != nil {
		return nil, err
	}
	// Oldest first, so that a full cache keeps the newest.
	sort.SliceStable(browsers, func(i, j int) bool { return browsers[i].Time.Before(browsers[j].Time) })
	for _, r := range browsers {
		s.browsers.put(r.ConsentID, r)
	}
	return s, nil
}

// Choice is what a person chose, and where: the account (0 for a visitor)
// and the browser's accord_consent id ("" when it has none, or a malformed
// one).
type Choice struct {
	UserID    uint64
	BrowserID string
	Method    store.ConsentMethod
	// Decisions are the optional categories accepted; strictly necessary
	// cookies are always on.
	Decisions map[store.CookieCategory]bool
	// Lang, PolicyVersionID and PolicyTextHash say which cookie policy text
	// the person was shown.
	Lang            string
	PolicyVersionID uint64
	PolicyTextHash  string
}

// Record appends the proof of choice ch for the account (when signed in)
// and the browser, and makes it the latest of both. The browser keeps its
// accord_consent id only when the id names a known record of no other
// account: a client never picks its own subject id, and two accounts
// sharing a browser are not linked through it. The record's ConsentID is
// the id the browser must hold from now on.
func (s *Service) Record(ch Choice) (*store.CookieConsent, error) {
	prev := s.Current(ch.UserID, ch.BrowserID)
	decisions := map[store.CookieCategory]bool{store.CookieNecessary: true}
	for _, cat := range store.OptionalCookieCategories {
		decisions[cat] = ch.Decisions[cat]
	}
	now := s.db.Now().UTC()
	r := &store.CookieConsent{
		UserID: ch.UserID, Time: now, State: StateOf(decisions, prev), Method: ch.Method, Decisions: decisions,
		RegisterRevision: s.Register().Revision, RegisterDigest: s.RegisterDigest(ch.Lang), Lang: ch.Lang,
		PolicyVersionID: ch.PolicyVersionID, PolicyTextHash: ch.PolicyTextHash,
		ValidUntil: now.AddDate(0, s.lifetime(), 0),
	}
	if ch.BrowserID != "" && s.sameBrowser(ch.BrowserID, ch.UserID) {
		r.ConsentID = ch.BrowserID
	} else {
		r.ConsentID, _ = store.NewToken()
	}
	if err := s.db.RecordCookieConsent(r); err != nil {
		return nil, err
	}
	s.remember(r)
	return r, nil
}

// Withdraw records that the person refuses every optional category (Refuse
// all, or Continue without accepting): a withdrawal when their choice had
// consented, a refusal otherwise.
func (s *Service) Withdraw(ch Choice) (*store.CookieConsent, error) {
	ch.Decisions = nil
	return s.Record(ch)
}

// Append stores ready-made records (the demo's, with their own dates) and
// makes each the latest of its subjects.
func (s *Service) Append(rs []*store.CookieConsent) error {
	if err := s.db.RecordCookieConsents(rs); err != nil {
		return err
	}
	for _, r := range rs {
		s.remember(r)
	}
	return nil
}

// SignIn applies, at sign-in, the newer of the browser's and the account's
// valid choice to the account — recording a copy for the account when the
// browser's wins — so the choice follows the person from one browser to
// another. It returns the choice that now applies (nil: none).
func (s *Service) SignIn(userID uint64, browserID string) (*store.CookieConsent, error) {
	best := s.Current(userID, browserID)
	if best == nil || best.UserID != 0 {
		return best, nil
	}
	cp := *best
	cp.UserID, cp.DerivedFrom = userID, best.ID
	cp.Decisions = map[store.CookieCategory]bool{}
	for k, v := range best.Decisions {
		cp.Decisions[k] = v
	}
	if err := s.db.RecordCookieConsent(&cp); err != nil {
		return nil, err
	}
	s.remember(&cp)
	return &cp, nil
}

// Forget drops an erased account's choices from memory: the account's and
// those of browsers it signed in with (the store erased them already).
func (s *Service) Forget(userID uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.accounts, userID)
	s.browsers.each(func(id string, r *store.CookieConsent) {
		if r.UserID == userID {
			s.browsers.remove(id)
		}
	})
}

// Current is the banner decision: the valid choice that applies to a
// request by account userID (0: a visitor) from browser browserID, or nil
// when the banner must ask. It is the newer of the account's and the
// browser's, the browser's on a tie.
func (s *Service) Current(userID uint64, browserID string) *store.CookieConsent {
	var best *store.CookieConsent
	if userID != 0 {
		if r := s.Latest(userID, ""); s.Valid(r) {
			best = r
		}
	}
	if browserID != "" {
		r := s.Latest(0, browserID)
		if s.Valid(r) && applies(r, userID) && (best == nil || !r.Time.Before(best.Time)) {
			best = r
		}
	}
	return best
}

// Outdated reports whether the banner asks again only because the register
// changed: the newer of the account's and the browser's latest choice
// (ones that apply) would still hold but was made on an older revision,
// which it returns (for ChangesSince).
func (s *Service) Outdated(userID uint64, browserID string) (rev uint64, ok bool) {
	current, now, lifetime := s.Register().Revision, s.db.Now(), s.lifetime()
	var best *store.CookieConsent
	if userID != 0 {
		best = s.Latest(userID, "")
	}
	if browserID != "" {
		if r := s.Latest(0, browserID); r != nil && applies(r, userID) && (best == nil || !r.Time.Before(best.Time)) {
			best = r
		}
	}
	if !OutdatedByRegister(best, current, now, lifetime) {
		return 0, false
	}
	return best.RegisterRevision, true
}

// Latest is the latest record of account userID, or with userID 0 of
// browser browserID, valid or not (nil: none). A browser evicted from
// memory is read back from the store.
func (s *Service) Latest(userID uint64, browserID string) *store.CookieConsent {
	s.mu.RLock()
	if userID != 0 {
		defer s.mu.RUnlock()
		return s.accounts[userID]
	}
	r, ok := s.browsers.get(browserID)
	evicted := s.browsers.evicted > 0
	s.mu.RUnlock()
	if ok || !evicted || browserID == "" {
		// Nothing evicted: what memory lacks, the store lacks too (or holds
		// only long-expired choices, which are no choice).
		return r
	}
	r, err := s.db.LatestCookieConsent(0, browserID)
	if err != nil {
		return nil // none (or unreadable): the banner asks
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.browsers.get(browserID); ok {
		return cur // recorded meanwhile
	}
	s.browsers.put(browserID, r)
	return r
}

// Cached says how many accounts' and browsers' latest choices are in
// memory.
func (s *Service) Cached() (accounts, browsers int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.accounts), s.browsers.len()
}

// Valid reports whether choice r still holds today (StillValid).
func (s *Service) Valid(r *store.CookieConsent) bool {
	return StillValid(r, s.Register().Revision, s.db.Now(), s.lifetime())
}

// Ends is when choice r stops holding, under today's lifetime setting.
func (s *Service) Ends(r *store.CookieConsent) time.Time { return Ends(r, s.lifetime()) }

// Expire records, as proof, that choices in memory whose lifetime ran out
// have expired (ISO/IEC TS 27560 state "expired"), and forgets those
// expired long ago. It runs hourly.
func (s *Service) Expire() error {
	now := s.db.Now()
	lifetime := s.lifetime()
	var olds, news []*store.CookieConsent
	done := map[string]bool{}
	s.mu.Lock()
	sweep := func(r *store.CookieConsent) (drop bool) {
		if r.State == store.ConsentExpired {
			return now.Sub(r.Time) > keepExpired
		}
		if now.Before(Ends(r, lifetime)) || done[r.ID] {
			return false
		}
		done[r.ID] = true
		e := *r
		e.State, e.Time, e.ValidUntil, e.DerivedFrom = store.ConsentExpired, now.UTC(), now.UTC(), r.ID
		olds, news = append(olds, r), append(news, &e)
		return false
	}
	for k, r := range s.accounts {
		if sweep(r) {
			delete(s.accounts, k)
		}
	}
	s.browsers.each(func(id string, r *store.CookieConsent) {
		if sweep(r) {
			s.browsers.remove(id)
		}
	})
	s.mu.Unlock()
	if len(news) == 0 {
		return nil
	}
	if err := s.db.RecordCookieConsents(news); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range news {
		// Only where no newer choice replaced the lapsed one meanwhile.
		if e.UserID != 0 && s.accounts[e.UserID] == olds[i] {
			s.accounts[e.UserID] = e
		}
		if cur, ok := s.browsers.get(e.ConsentID); ok && cur == olds[i] {
			s.browsers.replace(e.ConsentID, e)
		}
	}
	return nil
}

// remember makes r the latest record of its account and of its browser.
func (s *Service) remember(r *store.CookieConsent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.UserID != 0 {
		s.accounts[r.UserID] = r
	}
	if r.ConsentID != "" {
		s.browsers.put(r.ConsentID, r)
	}
}

// sameBrowser reports whether browser id may carry on as the subject of a
// choice by account userID (0: a visitor).
func (s *Service) sameBrowser(id string, userID uint64) bool {
	last := s.Latest(0, id)
	return last != nil && (last.UserID == 0 || last.UserID == userID)
}
