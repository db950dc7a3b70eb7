package store

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The kinds of write the SIGKILL test mixes, and how the parent finds each
// acknowledged one in the file (key: what the child printed).
var killWrites = map[string]func(tx *bolt.Tx, key []byte) bool{
	"answer":  func(tx *bolt.Tx, k []byte) bool { return tx.Bucket(bAcceptances).Get(k) != nil },
	"user":    func(tx *bolt.Tx, k []byte) bool { return tx.Bucket(bUsersByEmail).Get(k) != nil },
	"session": func(tx *bolt.Tx, k []byte) bool { return tx.Bucket(bSessions).Get(k) != nil },
	"cookie": func(tx *bolt.Tx, k []byte) bool {
		prefix := append(ConsentSubject(0, string(k)), 0)
		got, _ := tx.Bucket(bConsentsBySubject).Cursor().Seek(prefix)
		return bytes.HasPrefix(got, prefix)
	},
	"dpo": func(tx *bolt.Tx, k []byte) bool { return tx.Bucket(bDPOThreads).Get(k) != nil },
}

// killCap bounds one cycle, whatever the child does.
const killCap = 60 * time.Second

// Ensure that every write acknowledged to a caller survives the process
// being killed (SIGKILL) in the middle of a mixed load: 16 people
// answering policies (group commit), accounts created, sessions opened,
// cookie choices and messages to the DPO recorded, all at once. The child
// prints each write once it returned; the parent kills it mid-flight, later
// in each cycle, then reopens the file, checks it (tx.Check) and looks for
// every acknowledged write of every cycle so far. 5 cycles (2 with -short).
func TestDurabilityUnderSIGKILL(t *testing.T) {
	if dir := os.Getenv("ACCORD_KILL_CHILD"); dir != "" {
		killChild(dir)
		return
	}
	cycles := 5
	if testing.Short() {
		cycles = 2
	}
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	opt := optionalPolicy(t, db)
	for i := range 16 {
		if err := db.CreateUser(&User{Email: fmt.Sprintf("k%d@example.org", i)}, 0); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	type ack struct{ kind, key string }
	var acked []ack
	for cycle := range cycles {
		want := 10 + 15*cycle // acknowledgements of each kind before the kill
		cmd := exec.Command(os.Args[0], "-test.run=^TestDurabilityUnderSIGKILL$")
		cmd.Env = append(os.Environ(), "ACCORD_KILL_CHILD="+dir,
			"ACCORD_KILL_VERSION="+strconv.FormatUint(opt.ID, 10), "ACCORD_KILL_CYCLE="+strconv.Itoa(cycle))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		capped := time.AfterFunc(killCap, func() { cmd.Process.Kill() })
		count := map[string]int{}
		enough := func() bool {
			for kind := range killWrites {
				if count[kind] < want {
					return false
				}
			}
			return true
		}
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			kind, key, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "ack "), " ")
			if _, known := killWrites[kind]; ok && known {
				acked = append(acked, ack{kind, key})
				count[kind]++
			}
			if enough() {
				break
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		capped.Stop()
		if !enough() {
			t.Fatalf("cycle %d: the child acknowledged %v before it stopped, want %d of each\n%s", cycle, count, want, stderr.String())
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("cycle %d: the child was not killed by SIGKILL: %v\n%s", cycle, cmd.ProcessState, stderr.String())
		}

		db, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("cycle %d: reopen after SIGKILL: %v", cycle, err)
		}
		if err := db.Check(); err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
		lost := map[string]int{}
		err = db.view(func(tx *bolt.Tx) error {
			for kind, found := range killWrites { // the finders can miss
				if found(tx, []byte("never written")) {
					t.Errorf("the %s finder finds a write that never happened", kind)
				}
			}
			for _, a := range acked {
				key, err := hex.DecodeString(a.key)
				if err != nil {
					return err
				}
				if !killWrites[a.kind](tx, key) {
					lost[a.kind]++
				}
			}
			return nil
		})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("cycle %d: killed after %v acknowledged; %d acknowledged in all, lost %v", cycle, count, len(acked), lost)
		if len(lost) > 0 {
			t.Fatalf("cycle %d: got acknowledged writes lost %v, want none", cycle, lost)
		}
	}
}

// killChild writes from 32 goroutines until killed, printing
// "ack <kind> <hex key>" once each write has returned.
func killChild(dir string) {
	db, err := Open(dir, Options{Timeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	version, _ := strconv.ParseUint(os.Getenv("ACCORD_KILL_VERSION"), 10, 64)
	cycle := os.Getenv("ACCORD_KILL_CYCLE")
	var mu sync.Mutex
	print := func(lines string) {
		mu.Lock()
		os.Stdout.WriteString(lines)
		mu.Unlock()
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	writers := map[string]func(g, i int) (key []byte, err error){
		"user": func(g, i int) ([]byte, error) {
			email := fmt.Sprintf("c%s-w%d-%d@example.org", cycle, g, i)
			return []byte(email), db.CreateUser(&User{Email: email}, 0)
		},
		"session": func(g, i int) ([]byte, error) {
			_, s, err := db.CreateSession(uint64(1 + g%16))
			if err != nil {
				return nil, err
			}
			return s.Hash[:], nil
		},
		"cookie": func(g, i int) ([]byte, error) {
			id := fmt.Sprintf("c%s-w%d-%d", cycle, g, i)
			return []byte(id), db.RecordCookieConsent(&CookieConsent{ConsentID: id, State: ConsentGiven, Method: MethodAcceptAll,
				Decisions: map[CookieCategory]bool{CookiePreferences: true}, Lang: "en"})
		},
		"dpo": func(g, i int) ([]byte, error) {
			th, err := db.CreateDPOThread(uint64(1+g%16), "Subject", "A question")
			if err != nil {
				return nil, err
			}
			return itob(th.ID), nil
		},
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				evs, err := db.RecordAnswers([]Answer{{UserID: uint64(g + 1), VersionID: version, Accept: i%2 == 0}})
				if err != nil {
					fail(err)
				}
				var b strings.Builder
				for _, e := range evs {
					fmt.Fprintf(&b, "ack answer %x\n", itob(e.ID))
				}
				print(b.String())
			}
		}()
	}
	for kind, write := range writers {
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					key, err := write(g, i)
					if err != nil {
						fail(fmt.Errorf("%s: %w", kind, err))
					}
					print(fmt.Sprintf("ack %s %x\n", kind, key))
				}
			}()
		}
	}
	wg.Wait()
}
