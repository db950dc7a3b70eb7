package store

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Ensure that every acceptance acknowledged to a caller survives the
// process being killed (SIGKILL) under the load of 64 concurrent users:
// the child process records answers and prints each one it got back; the
// parent kills it mid-flight and looks for every printed one in the file.
func TestDurabilityUnderSIGKILL(t *testing.T) {
	if dir := os.Getenv("ACCORD_KILL_CHILD"); dir != "" {
		killChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns a process and kills it")
	}
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	opt := optionalPolicy(t, db)
	for i := range 64 {
		if err := db.CreateUser(&User{Email: fmt.Sprintf("k%d@example.org", i)}, 0); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestDurabilityUnderSIGKILL$")
	cmd.Env = append(os.Environ(), "ACCORD_KILL_CHILD="+dir, "ACCORD_KILL_VERSION="+strconv.FormatUint(opt.ID, 10))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[uint64]uint64{} // event id → user id
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(1500 * time.Millisecond)
	for sc.Scan() {
		var ev, user uint64
		if _, err := fmt.Sscanf(sc.Text(), "ack %d %d", &ev, &user); err == nil {
			acked[ev] = user
		}
		if time.Now().After(deadline) && len(acked) > 100 {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if len(acked) == 0 {
		t.Fatal("the child acknowledged nothing")
	}

	db, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	found := map[uint64]bool{}
	db.EachUserAnswers(true, func(ua *UserAnswers) error {
		for _, r := range ua.Refs {
			found[r.EventID] = true
		}
		return nil
	})
	lost := 0
	for ev := range acked {
		if !found[ev] {
			lost++
		}
	}
	t.Logf("%d acknowledged, %d on file after SIGKILL", len(acked), len(found))
	if lost > 0 {
		t.Errorf("got %d acknowledged acceptances lost, want 0", lost)
	}
}

// killChild records answers from 64 goroutines until killed, printing
// "ack <event> <user>" once each is committed.
func killChild(dir string) {
	db, err := Open(dir, Options{Timeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	version, _ := strconv.ParseUint(os.Getenv("ACCORD_KILL_VERSION"), 10, 64)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for u := uint64(1); u <= 64; u++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				evs, err := db.RecordAnswers([]Answer{{UserID: u, VersionID: version, Accept: i%2 == 0}})
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				var b strings.Builder
				for _, e := range evs {
					fmt.Fprintf(&b, "ack %d %d\n", e.ID, e.UserID)
				}
				mu.Lock()
				os.Stdout.WriteString(b.String())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
