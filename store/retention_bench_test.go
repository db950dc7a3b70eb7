package store

import (
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// benchUsers creates n learners, then moves the clock two years on; every
// third one had an enrolment (every ninth still running), so the review
// has enrolments to read.
func benchUsers(b *testing.B, db *DB, n int) {
	b.Helper()
	co := &Course{Code: "BENCH", TitleEN: "Bench", TitleFR: "Bench"}
	if err := db.CreateCourse(co, 0); err != nil {
		b.Fatal(err)
	}
	created := db.now()
	for start := 0; start < n; start += 5000 {
		if err := db.update(func(tx *bolt.Tx) error {
			for i := start; i < min(start+5000, n); i++ {
				u := &User{Email: fmt.Sprintf("learner%06d@example.org", i), FirstName: "Ada", LastName: fmt.Sprintf("Lovelace%d", i),
					Role: RoleLearner, Lang: "en"}
				if err := db.createUser(tx, u); err != nil {
					return err
				}
				if i%3 == 0 {
					e := Enrolment{UserID: u.ID, CourseID: co.ID, EnrolledAt: created}
					if i%9 != 0 {
						e.EndedAt = created.Add(30 * 24 * time.Hour)
					}
					if err := putJSON(tx.Bucket(bEnrolments), pairKey(u.ID, itob(co.ID)), &e); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	later := created.Add(2 * 365 * 24 * time.Hour)
	db.Now = func() time.Time { return later }
}

// BenchmarkSweepRetention is the daily review over 100,000 accounts: the
// first run, which flags most of them, and a later day's run (flags kept,
// nothing new, yesterday's purge done), with the purge of expired
// categories.
func BenchmarkSweepRetention(b *testing.B) {
	const n = 100_000
	for _, name := range []string{"first-run", "next-day"} {
		b.Run(name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				db := openFile(b, Options{NoSync: true})
				benchUsers(b, db, n)
				if name == "next-day" {
					if _, err := db.SweepRetention(365); err != nil {
						b.Fatal(err)
					}
					if _, err := db.PurgeExpired(false); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				res, err := db.SweepRetention(365)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := db.PurgeExpired(false); err != nil {
					b.Fatal(err)
				}
				if res.Total < n/2 {
					b.Fatalf("flagged %d, want most of %d", res.Total, n)
				}
			}
		})
	}
}

// BenchmarkRetentionFlags is the flagged page's read with 20,000 flagged
// accounts: the first page, and a search by email.
func BenchmarkRetentionFlags(b *testing.B) {
	db := openFile(b, Options{NoSync: true})
	benchUsers(b, db, 22_500) // 2,500 still enrolled
	if res, err := db.SweepRetention(365); err != nil || res.Total != 20_000 {
		b.Fatalf("flagged %d, %v; want 20,000", res.Total, err)
	}
	for name, q := range map[string]RetentionQuery{"page": {Limit: 50}, "search": {Q: "learner01234", Limit: 50}} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, total, err := db.RetentionFlags(q); err != nil || total == 0 {
					b.Fatalf("got %d, %v", total, err)
				}
			}
		})
	}
}
