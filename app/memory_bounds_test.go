package app

import (
	"fmt"
	"testing"
	"time"
)

// Ensure that a flood of new addresses (each seen once, as new visitors'
// cookie choices are) keeps the limiter at most maxKeys, while an account
// whose password is being guessed keeps its count: after the flood it
// still meets its limit after the same number of attempts.
func TestLimiterStaysBoundedUnderAFlood(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	l := newLimiter(func() time.Time { return now })
	l.maxKeys = 100
	guessed := limit{"login:acct:ann@example.org", 5}
	for i := range 3 {
		if ok, _ := l.take(time.Hour, guessed); !ok {
			t.Fatalf("guess %d refused under the limit", i+1)
		}
	}
	most := 0
	for i := range 1000 {
		now = now.Add(10 * time.Millisecond)
		if ok, _ := l.take(time.Hour, limit{fmt.Sprintf("cookies:ip:10.0.%d.%d", i/256, i%256), 10}); !ok {
			t.Fatalf("new address %d refused", i)
		}
		most = max(most, len(l.m))
	}
	if most > l.maxKeys {
		t.Errorf("the limiter held %d keys during the flood, want at most %d", most, l.maxKeys)
	}
	for i := 3; i < 5; i++ {
		if ok, _ := l.take(time.Hour, guessed); !ok {
			t.Fatalf("guess %d refused under the limit after the flood", i+1)
		}
	}
	if ok, _ := l.take(time.Hour, guessed); ok {
		t.Error("the 6th guess passed: the flood made the limiter forget the account's guesses")
	}
}

// Ensure that when every key has two events or more the limiter keeps
// them all rather than forget a count (the documented trade: protection
// over memory), and every one still meets its limit.
func TestLimiterKeepsKeysWithSeveralEvents(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	l := newLimiter(func() time.Time { return now })
	l.maxKeys = 100
	for i := range 200 {
		for range 2 {
			now = now.Add(2 * time.Second) // past makeRoom's one-second pause
			if ok, _ := l.take(time.Hour, limit{fmt.Sprintf("k%d", i), 2}); !ok {
				t.Fatalf("key %d refused under its limit", i)
			}
		}
	}
	if len(l.m) != 200 {
		t.Errorf("held %d keys, want all 200 (each with two events)", len(l.m))
	}
	for i := range 200 {
		if ok, _ := l.take(time.Hour, limit{fmt.Sprintf("k%d", i), 2}); ok {
			t.Fatalf("key %d passed its limit: its events were forgotten", i)
		}
	}
}

// Ensure that flashes never read (visitors who do not come back) stay
// under their bound, the oldest going first, and that the newest flash is
// still there for its owner.
func TestFlashStoreStaysBounded(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	fs := newFlashStore(func() time.Time { return now })
	fs.max = 100
	most := 0
	for i := range 1000 {
		now = now.Add(100 * time.Millisecond)
		fs.set(fmt.Sprintf("visitor-%d", i), Flash{Kind: "ok", Key: "cookies.saved"})
		most = max(most, len(fs.m))
	}
	if most > fs.max {
		t.Errorf("held %d flashes, want at most %d", most, fs.max)
	}
	if f := fs.take("visitor-999"); f == nil || f.Key != "cookies.saved" {
		t.Errorf("the newest visitor's flash: got %+v, want cookies.saved", f)
	}
	if f := fs.take("visitor-0"); f != nil {
		t.Errorf("the oldest visitor's flash is still held: %+v", f)
	}
}
