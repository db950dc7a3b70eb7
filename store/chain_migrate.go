package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// migrateChain builds the hash chain over the events a database held
// before it had one, oldest first (by time; at the same time a policy
// answer before a cookie choice before an audit event, as they are written
// live; then by key). It runs once, inside the opening transaction.
func migrateChain(tx *bolt.Tx) error {
	type ev struct {
		t         time.Time
		kind      ChainKind
		ref       uint64
		canonical []byte
		users     [2]uint64
	}
	var evs []ev
	rank := map[ChainKind]int{ChainPolicyAnswer: 0, ChainCookieConsent: 1, ChainAudit: 2}
	for _, kind := range ChainKinds {
		err := tx.Bucket(kind.bucket()).ForEach(func(k, v []byte) error {
			if len(k) != 8 || tx.Bucket(bChainRefs).Get(chainRefKey(kind, btoi(k))) != nil {
				return nil
			}
			e := ev{kind: kind, ref: btoi(k)}
			switch kind {
			case ChainPolicyAnswer:
				var a Acceptance
				if err := json.Unmarshal(v, &a); err != nil {
					return err
				}
				e.t, e.canonical, e.users = a.Time, CanonicalAcceptance(&a), [2]uint64{a.UserID, a.ActorID}
			case ChainCookieConsent:
				var r CookieConsent
				if err := json.Unmarshal(v, &r); err != nil {
					return err
				}
				e.t, e.canonical, e.users = r.Time, CanonicalCookieConsent(&r), [2]uint64{r.UserID}
			case ChainAudit:
				var a AuditEvent
				if err := json.Unmarshal(v, &a); err != nil {
					return err
				}
				e.t, e.canonical, e.users = a.Time, CanonicalAudit(&a), [2]uint64{a.ActorID, a.SubjectID}
			}
			evs = append(evs, e)
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: chain %s: %w", kind, err)
		}
	}
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		if !a.t.Equal(b.t) {
			return a.t.Before(b.t)
		}
		if a.kind != b.kind {
			return rank[a.kind] < rank[b.kind]
		}
		return a.ref < b.ref
	})
	for _, e := range evs {
		if _, err := appendChain(tx, e.kind, e.ref, e.canonical, e.users[0], e.users[1]); err != nil {
			return err
		}
	}
	return nil
}
