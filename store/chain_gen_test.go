package store

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestGenerateChainFixture writes a database of many chained events for
// measuring `accord verify` (BENCHMARKS.md, "Chain"); it runs only when
// ACCORD_CHAIN_GEN names a data dir:
//
//	ACCORD_CHAIN_GEN=/tmp/chain1m ACCORD_CHAIN_EVENTS=1000000 go test -run TestGenerateChainFixture ./store
//	go run . verify --data /tmp/chain1m
//
// Two fifths of the events are policy answers and their audit events (as
// live), one fifth cookie choices, the rest other audit events; written
// through the store's own append paths, 10,000 events a transaction.
func TestGenerateChainFixture(t *testing.T) {
	dir := os.Getenv("ACCORD_CHAIN_GEN")
	if dir == "" {
		t.Skip("set ACCORD_CHAIN_GEN to a data dir to generate")
	}
	total := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("ACCORD_CHAIN_EVENTS")); err == nil && n > 0 {
		total = n
	}
	db, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	opt := optionalPolicy(t, db)
	const users = 5000
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { clock = clock.Add(time.Millisecond); return clock }
	accepted := map[uint64]bool{} // each answer changes the user's answer, so each is an event
	step := 0
	for made := 0; made < total; {
		err := db.update(func(tx *bolt.Tx) error {
			vc := versionCache{}
			for i := 0; i < 10_000 && made < total; i++ {
				uid := uint64(made%users + 1)
				step++
				switch step % 4 {
				case 0: // an answer and its audit event
					var out []Acceptance
					an := []Answer{{UserID: uid, VersionID: opt.ID, Accept: !accepted[uid], Lang: "en", TextHash: opt.Texts["en"].Hash, Where: WhereConsent}}
					if err := db.recordAnswers(tx, an, vc, &out); err != nil {
						return err
					}
					if len(out) != 1 {
						return fmt.Errorf("answer %d recorded %d events, want 1", made, len(out))
					}
					accepted[uid] = !accepted[uid]
					made += 2
				case 1:
					r := &CookieConsent{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", made), UserID: uid, ConsentID: fmt.Sprintf("browser-%d", uid),
						Time: db.now(), State: ConsentGiven, Method: MethodCustom, Lang: "fr", RegisterRevision: 3,
						Decisions: map[CookieCategory]bool{"preferences": true, "statistics": false}, ValidUntil: clock.AddDate(0, 6, 0)}
					if err := appendConsent(tx, r); err != nil {
						return err
					}
					made++
				default:
					if err := db.auditTx(tx, &AuditEvent{Action: ActLoginOK, ActorID: uid, SubjectID: uid, Detail: "generated"}); err != nil {
						return err
					}
					made++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	head, _ := db.ChainHead()
	t.Logf("%s: %d chain entries, head %s", dir, head.Seq, head.HashHex())
}
