package store

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// optionalPolicy adds an active optional policy and returns its version.
func optionalPolicy(t testing.TB, db *DB) *PolicyVersion {
	t.Helper()
	v := &PolicyVersion{Revision: "1", Type: TypeOther, Audience: AudienceAll, Style: StyleConsentPage, Optional: true,
		Texts: map[string]PolicyText{"en": {Name: "N", Summary: "S", Content: "C"}, "fr": {Name: "N", Summary: "S", Content: "C"}}}
	if err := db.CreatePolicy(v, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.ActivateVersion(v.ID, 0); err != nil {
		t.Fatal(err)
	}
	return v
}

// Ensure that seeding is idempotent and every seeded text is on record.
func TestSeedPolicies(t *testing.T) {
	db := openFile(t, Options{NoSync: true})
	for range 2 {
		if err := db.SeedPolicies(); err != nil {
			t.Fatal(err)
		}
	}
	all, err := db.ListPolicies()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("got %d policies, want 3", len(all))
	}
	for _, e := range all {
		for _, l := range PolicyLangs {
			txt, err := db.PolicyText(e.Active().Texts[l].Hash)
			if err != nil || txt != e.Active().Texts[l].Content {
				t.Errorf("%s/%s: text not on record under its hash", e.Key, l)
			}
		}
	}
}

// Ensure that answers follow the rules: the same answer twice is one
// event, declining an accepted optional version is "withdrawn", a
// compulsory version cannot be declined, a draft cannot be answered.
func TestRecordAnswers(t *testing.T) {
	db := openFile(t, Options{NoSync: true})
	if err := db.SeedPolicies(); err != nil {
		t.Fatal(err)
	}
	all, _ := db.ListPolicies()
	site := all[0].Active()
	opt := optionalPolicy(t, db)
	u := &User{Email: "a@example.org", Role: RoleLearner}
	if err := db.CreateUser(u, 0); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		version uint64
		accept  bool
		want    AcceptStatus // "" for no event
		err     error
	}{
		{"accept optional", opt.ID, true, Accepted, nil},
		{"accept again", opt.ID, true, "", nil},
		{"decline accepted", opt.ID, false, Withdrawn, nil},
		{"decline again", opt.ID, false, "", nil},
		{"accept after withdrawal", opt.ID, true, Accepted, nil},
		{"decline compulsory", site.ID, false, "", ErrCompulsory},
		{"unknown version", 999, true, "", ErrNotActive},
	} {
		evs, err := db.RecordAnswers([]Answer{{UserID: u.ID, VersionID: tc.version, Accept: tc.accept, Lang: "en"}})
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: got error %v, want %v", tc.name, err, tc.err)
			continue
		}
		switch {
		case tc.want == "" && len(evs) != 0:
			t.Errorf("%s: got %d events, want none", tc.name, len(evs))
		case tc.want != "" && (len(evs) != 1 || evs[0].Status != tc.want):
			t.Errorf("%s: got %+v, want one %s", tc.name, evs, tc.want)
		}
	}
	evs, _ := db.UserAcceptances(u.ID)
	if len(evs) != 3 || evs[0].ActorKind != ActorSelf || evs[0].ActorID != u.ID {
		t.Errorf("got %d events (%+v), want 3 by the user", len(evs), evs)
	}
}

// Ensure that erasure deletes the user's agreements, keeps those they gave
// for others without their id, and says so.
func TestEraseAcceptances(t *testing.T) {
	db := openFile(t, Options{NoSync: true})
	opt := optionalPolicy(t, db)
	g, m := &User{Email: "g@example.org"}, &User{Email: "m@example.org"}
	db.CreateUser(g, 0)
	db.CreateUser(m, 0)
	if _, err := db.RecordAnswers([]Answer{{UserID: g.ID, VersionID: opt.ID, Accept: true},
		{UserID: m.ID, VersionID: opt.ID, Accept: true, ActorID: g.ID, ActorKind: ActorGuardian}}); err != nil {
		t.Fatal(err)
	}
	var kept *ErasureKept
	err := db.update(func(tx *bolt.Tx) (err error) {
		kept, err = inventory[string(bAcceptances)].Erase(tx, g.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (ErasureKept{Kind: KeptAcceptances, Count: 1, Others: 1}); kept == nil || *kept != want {
		t.Errorf("erasure report: got %+v, want %+v", kept, want)
	}
	if evs, _ := db.UserAcceptances(g.ID); len(evs) != 0 {
		t.Errorf("got %d events left, want 0", len(evs))
	}
	evs, _ := db.UserAcceptances(m.ID)
	if len(evs) != 1 || evs[0].ActorID != 0 || evs[0].ActorKind != ActorGuardian {
		t.Errorf("minor's event: got %+v, want kept without the actor id", evs)
	}
}

// Ensure that drafts alone are deleted, activation archives the previous
// version, and an incomplete version cannot be activated.
func TestVersionLifecycle(t *testing.T) {
	db := openFile(t, Options{NoSync: true})
	v := &PolicyVersion{Revision: "1", Type: TypeOther, Audience: AudienceAll, Style: StyleConsentPage,
		Texts: map[string]PolicyText{"en": {Name: "N", Summary: "S", Content: "C"}}}
	if err := db.CreatePolicy(v, 1); err != nil {
		t.Fatal(err)
	}
	var inc *IncompleteError
	if err := db.ActivateVersion(v.ID, 1); !errors.As(err, &inc) || len(inc.Missing) != 3 {
		t.Fatalf("got %v, want 3 missing French fields", err)
	}
	if _, err := db.SaveVersion(v.ID, 1, false, func(v *PolicyVersion) {
		v.Texts["fr"] = PolicyText{Name: "N", Summary: "S", Content: "C fr"}
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.ActivateVersion(v.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteVersion(v.ID, 1); !errors.Is(err, ErrNotDraft) {
		t.Errorf("delete active: got %v, want ErrNotDraft", err)
	}
	d, err := db.NewDraft(v.PolicyID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ActivateVersion(d.ID, 1); err != nil {
		t.Fatal(err)
	}
	old, _ := db.PolicyVersion(v.ID)
	if old.Status != StatusInactive || old.ArchivedAt.IsZero() {
		t.Errorf("previous version: got %s, want inactive and archived", old.Status)
	}
	if _, err := db.SaveVersion(v.ID, 1, true, func(*PolicyVersion) {}); !errors.Is(err, ErrNotDraft) {
		t.Errorf("edit inactive: got %v, want ErrNotDraft", err)
	}
	if _, err := db.DeleteVersion(v.ID, 1); !errors.Is(err, ErrNotDraft) {
		t.Errorf("delete inactive: got %v, want ErrNotDraft", err)
	}
}

// Ensure that a minor change of the active version may change its texts
// and nothing else, and that a refused one saves nothing.
func TestMinorChangeOnlyTexts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(v *PolicyVersion)
		ok     bool
	}{
		{"a typo fixed in the English text is a minor change", func(v *PolicyVersion) {
			v.Texts["en"] = PolicyText{Name: "N", Summary: "S", Content: "C, fixed"}
		}, true},
		{"a name and a summary reworded are a minor change", func(v *PolicyVersion) {
			v.Texts["fr"] = PolicyText{Name: "Nom", Summary: "Résumé", Content: "C fr"}
		}, true},
		{"saving the same texts is a minor change", func(v *PolicyVersion) {}, true},
		{"a new revision label is not a minor change", func(v *PolicyVersion) { v.Revision = "1.1" }, false},
		{"making a compulsory policy optional is not a minor change", func(v *PolicyVersion) { v.Optional = true }, false},
		{"a new audience is not a minor change", func(v *PolicyVersion) { v.Audience = AudienceGuests }, false},
		{"a new type is not a minor change", func(v *PolicyVersion) { v.Type = TypePrivacy }, false},
		{"moving the agreement to its own page is not a minor change", func(v *PolicyVersion) { v.Style = StyleOwnPage }, false},
		{"rewriting the record of earlier minor changes is not a minor change", func(v *PolicyVersion) { v.Changes = nil }, false},
		{"a text changed with the revision is not a minor change", func(v *PolicyVersion) {
			v.Revision = "2"
			v.Texts["en"] = PolicyText{Name: "N", Summary: "S", Content: "Other"}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openFile(t, Options{NoSync: true})
			v := &PolicyVersion{Revision: "1", Type: TypeOther, Audience: AudienceAll, Style: StyleConsentPage,
				Texts: map[string]PolicyText{"en": {Name: "N", Summary: "S", Content: "C"}, "fr": {Name: "N", Summary: "S", Content: "C fr"}}}
			if err := db.CreatePolicy(v, 1); err != nil {
				t.Fatal(err)
			}
			if err := db.ActivateVersion(v.ID, 1); err != nil {
				t.Fatal(err)
			}
			// One earlier minor change on record, that the last case tries to erase.
			if _, err := db.SaveVersion(v.ID, 1, true, func(v *PolicyVersion) { v.Texts["en"] = PolicyText{Name: "N", Summary: "S", Content: "C."} }); err != nil {
				t.Fatal(err)
			}
			before, _ := db.PolicyVersion(v.ID)
			_, err := db.SaveVersion(v.ID, 1, true, tc.change)
			after, _ := db.PolicyVersion(v.ID)
			switch {
			case tc.ok && err != nil:
				t.Errorf("got %v, want it saved", err)
			case !tc.ok && !errors.Is(err, ErrMinorTextsOnly):
				t.Errorf("got %v, want ErrMinorTextsOnly", err)
			case !tc.ok && !reflect.DeepEqual(before, after):
				t.Errorf("refused, yet saved: got %+v, want %+v", after, before)
			}
		})
	}
}

// BenchmarkDurableAcceptances records acceptances with an fsync'd commit
// from 64 concurrent users: "solo" is the baseline of one commit per
// acceptance, "bolt-batch" bbolt's Batch (idempotent fn; it waits up to
// MaxBatchDelay to gather callers), "group" RecordAnswers' own group commit
// (the next commit starts as soon as the previous one ends).
func BenchmarkDurableAcceptances(b *testing.B) {
	const workers = 64
	for _, mode := range []string{"solo", "bolt-batch", "group"} {
		b.Run(mode, func(b *testing.B) {
			db := openFile(b, Options{NoSync: os.Getenv("NOSYNC") != ""})
			opt := optionalPolicy(b, db)
			users := make([]uint64, workers)
			for i := range users {
				u := &User{Email: fmt.Sprintf("u%d@example.org", i)}
				if err := db.CreateUser(u, 0); err != nil {
					b.Fatal(err)
				}
				users[i] = u.ID
			}
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func(uid uint64, n int) {
					defer wg.Done()
					for i := range n {
						// Alternate, so that each answer is a new event.
						ans := []Answer{{UserID: uid, VersionID: opt.ID, Accept: i%2 == 0, Lang: "en"}}
						var err error
						var out []Acceptance
						record := func(tx *bolt.Tx) error {
							out = out[:0]
							vc := versionCache{}
							if err := db.checkAnswers(tx, ans, vc); err != nil {
								return err
							}
							return db.recordAnswers(tx, ans, vc, &out)
						}
						switch mode {
						case "group":
							_, err = db.RecordAnswers(ans)
						case "bolt-batch":
							err = db.batch(record)
						default:
							err = db.update(record)
						}
						if err != nil {
							b.Error(err)
							return
						}
					}
				}(users[w], (b.N+workers-1)/workers)
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "acceptances/s")
		})
	}
}

// Ensure that concurrent callers sharing commits each get their own
// result: refusals stay with their caller, and every accepted answer is
// recorded exactly once.
func TestRecordAnswersConcurrent(t *testing.T) {
	db := openFile(t, Options{NoSync: true})
	if err := db.SeedPolicies(); err != nil {
		t.Fatal(err)
	}
	all, _ := db.ListPolicies()
	site := all[0].Active()
	opt := optionalPolicy(t, db)
	const n = 40
	ids := make([]uint64, n)
	for i := range ids {
		u := &User{Email: fmt.Sprintf("c%d@example.org", i)}
		if err := db.CreateUser(u, 0); err != nil {
			t.Fatal(err)
		}
		ids[i] = u.ID
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ans := []Answer{{UserID: ids[i], VersionID: opt.ID, Accept: true}}
			if i%4 == 0 { // refused as a whole: nothing of it recorded
				ans = append(ans, Answer{UserID: ids[i], VersionID: site.ID, Accept: false})
			}
			_, errs[i] = db.RecordAnswers(ans)
		}()
	}
	wg.Wait()
	for i := range n {
		evs, _ := db.UserAcceptances(ids[i])
		if i%4 == 0 {
			if !errors.Is(errs[i], ErrCompulsory) || len(evs) != 0 {
				t.Errorf("user %d: got %v and %d events, want ErrCompulsory and none", i, errs[i], len(evs))
			}
		} else if errs[i] != nil || len(evs) != 1 {
			t.Errorf("user %d: got %v and %d events, want one event", i, errs[i], len(evs))
		}
	}
}

// Ensure that the index holds each event in short, exactly.
func TestAnswerRefRoundTrip(t *testing.T) {
	db := openFile(t, Options{NoSync: true})
	opt := optionalPolicy(t, db)
	u := &User{Email: "r@example.org"}
	db.CreateUser(u, 0)
	hash := HashText("C")
	evs, err := db.RecordAnswers([]Answer{{UserID: u.ID, VersionID: opt.ID, Accept: true, Lang: "fr", TextHash: hash,
		ActorID: 42, ActorKind: ActorStaff, Note: "paper form, 2 May", Where: WhereReport}})
	if err != nil {
		t.Fatal(err)
	}
	var got AnswerRef
	db.EachUserAnswers(true, func(ua *UserAnswers) error {
		if ua.ID == u.ID && len(ua.Refs) == 1 {
			got = ua.Full(0)
		}
		return nil
	})
	e := evs[0]
	want := AnswerRef{EventID: e.ID, VersionID: e.VersionID, Status: e.Status, Time: e.Time, Lang: e.Lang, TextHash: e.TextHash,
		ActorID: e.ActorID, ActorKind: e.ActorKind, Note: e.Note, Where: e.Where}
	if !got.Time.Equal(want.Time) {
		t.Errorf("time: got %v, want %v", got.Time, want.Time)
	}
	got.Time = want.Time
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
