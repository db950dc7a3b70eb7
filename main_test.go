package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"accord/store"

	bolt "go.etcd.io/bbolt"
)

// TestMain lets a test run a command line in a process of its own, as the
// accord binary would (ACCORD_TEST_ARGS, arguments separated by 0x1f).
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("ACCORD_TEST_ARGS"); ok {
		os.Exit(run(strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func runCmd(args ...string) (code int, out, errOut string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// Ensure that `user add` prints the new id, and refuses duplicates and bad
// values with exit 1 and a message.
func TestUserAdd(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCmd("user", "add", "--data", dir, "--email", "root@example.org", "--password", "a long password", "--role", "admin")
	if code != 0 || strings.TrimSpace(out) != "1" {
		t.Fatalf("user add: got code %d out %q err %q, want 0 and id 1", code, out, errOut)
	}
	for _, args := range [][]string{
		{"--email", "ROOT@example.org", "--password", "a long password"},
		{"--email", "x@example.org", "--password", "short"},
		{"--email", "x@example.org", "--password", "a long password", "--role", "king"},
		{"--email", "not-an-email", "--password", "a long password"},
	} {
		code, _, errOut := runCmd(append([]string{"user", "add", "--data", dir}, args...)...)
		if code != 1 || errOut == "" {
			t.Errorf("user add %v: got code %d err %q, want 1 with a message", args, code, errOut)
		}
	}
}

// Ensure that commands needing the database exit 1 within 2 s, saying it is
// in use, while another process holds it.
func TestDataDirInUse(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, args := range [][]string{
		{"backup", filepath.Join(t.TempDir(), "b.db"), "--data", dir},
		{"user", "add", "--data", dir, "--email", "a@example.org", "--password", "a long password"},
		{"serve", "--data", dir, "--addr", "127.0.0.1:0"},
	} {
		start := time.Now()
		code, _, errOut := runCmd(args...)
		if code != 1 || !strings.Contains(errOut, "in use") {
			t.Errorf("%v: got code %d err %q, want 1 and 'in use'", args, code, errOut)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%v took %v, want under 2 s", args, d)
		}
	}
}

// Ensure that backup writes a database that opens and holds the users.
func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	runCmd("user", "add", "--data", dir, "--email", "ann@example.org", "--password", "a long password")
	file := filepath.Join(t.TempDir(), "copy", "accord.db")
	if code, _, errOut := runCmd("backup", file, "--data", dir); code != 1 || errOut == "" {
		t.Errorf("backup into a missing folder: got %d, want 1 with a message", code)
	}
	file = filepath.Join(t.TempDir(), "accord.db")
	if code, _, errOut := runCmd("backup", "--data", dir, file); code != 0 {
		t.Fatalf("backup: got %d %s", code, errOut)
	}
	db, err := store.Open(filepath.Dir(file), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.UserByEmail("ann@example.org"); err != nil {
		t.Errorf("backup lacks the user: %v", err)
	}
}

// Ensure that healthcheck exits 0 when /healthz answers ok, and 1 otherwise.
func TestHealthcheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			w.Write([]byte("ok"))
			return
		}
		http.NotFound(w, r)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	if code, _, errOut := runCmd("healthcheck", "--addr", ln.Addr().String()); code != 0 {
		t.Errorf("healthcheck up: got %d %s", code, errOut)
	}
	free, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := free.Addr().String()
	free.Close()
	if code, _, _ := runCmd("healthcheck", "--addr", addr); code != 1 {
		t.Errorf("healthcheck down: got %d, want 1", code)
	}
}

// Ensure that unknown commands and help behave.
func TestUsage(t *testing.T) {
	if code, _, errOut := runCmd("frobnicate"); code != 2 || !strings.Contains(errOut, "Usage") {
		t.Errorf("unknown command: got %d", code)
	}
	if code, _, _ := runCmd("serve", "--help"); code != 0 {
		t.Errorf("serve --help: got %d, want 0", code)
	}
	if code, _, _ := runCmd("--lang", "de", "--data", t.TempDir()); code != 1 {
		t.Errorf("--lang de: got %d, want 1", code)
	}
}

// Ensure that the server takes its flags from ACCORD_* variables, answers
// /healthz, and on SIGTERM finishes, closes the database and exits 0.
func TestServeGracefulShutdown(t *testing.T) {
	if os.Getenv("ACCORD_TEST_SERVE") == "1" {
		os.Exit(run(nil, os.Stdout, os.Stderr))
	}
	free, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := free.Addr().String()
	free.Close()
	dir := t.TempDir()
	var logs syncBuffer
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeGracefulShutdown$")
	cmd.Env = append(os.Environ(), "ACCORD_TEST_SERVE=1", "ACCORD_ADDR="+addr, "ACCORD_DATA="+dir, "ACCORD_LANG=fr")
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := waitHealthy("http://"+addr, nil); err != nil {
		cmd.Process.Kill()
		t.Fatalf("%v:\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), "/setup?token=") {
		t.Errorf("no setup link in the log:\n%s", logs.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
	}
	db, err := store.Open(dir, store.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("database not released: %v", err)
	}
	defer db.Close()
	if s, _ := db.Settings("en"); s.DefaultLang != "fr" {
		t.Errorf("ACCORD_LANG=fr not seeded: got %q", s.DefaultLang)
	}
}

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runChild runs the command line args in a new process (this test binary,
// entering run through TestMain) and returns its exit code and stderr.
func runChild(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	// A child that starts serving instead of refusing is stopped after 30 s.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), "ACCORD_TEST_ARGS="+strings.Join(args, "\x1f")), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// Ensure that every command refuses an accord.db that exists but is empty,
// truncated or not a database: exit 1 with a message that says what to do,
// no crash, and the file left as it was (a botched restore never becomes a
// new site, a truncated copy never faults).
func TestRefusesDamagedDatabase(t *testing.T) {
	src := t.TempDir()
	db, err := store.Open(src, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(&store.User{Email: "ann@example.org"}, 0); err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	if _, err := db.BackupFile(copyPath); err != nil {
		t.Fatal(err)
	}
	db.Close()
	whole, err := os.ReadFile(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, reason string
		data         []byte
	}{
		{"empty", "is empty (0 bytes)", []byte{}},
		{"truncated", "is truncated", whole[:len(whole)/2]},
		{"garbage", "is not an Accord database", bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 5000)},
	} {
		for _, args := range [][]string{
			{"serve", "--addr", "127.0.0.1:0"},
			{"user", "add", "--email", "bob@example.org", "--password", "a long password"},
			{"backup", filepath.Join(t.TempDir(), "b.db")},
			{"demo"},
		} {
			dir := t.TempDir()
			path := filepath.Join(dir, "accord.db")
			if err := os.WriteFile(path, c.data, 0o600); err != nil {
				t.Fatal(err)
			}
			before, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			code, stderr := runChild(t, []string{"ACCORD_DATA=" + dir}, args...)
			if code != 1 {
				t.Errorf("%s, %s: got exit %d, want 1\n%s", c.name, args[0], code, stderr)
			}
			for _, want := range []string{c.reason, "Restore accord.db from a backup", "remove the file to start a new site"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("%s, %s: the message lacks %q:\n%s", c.name, args[0], want, stderr)
				}
			}
			for _, crash := range []string{"panic", "fatal error", "fault", "goroutine"} {
				if strings.Contains(stderr, crash) {
					t.Errorf("%s, %s: got a crash (%q):\n%s", c.name, args[0], crash, stderr)
				}
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(after, c.data) || !info.ModTime().Equal(before.ModTime()) || info.Mode() != before.Mode() {
				t.Errorf("%s, %s: the file was touched (%d bytes, want %d)", c.name, args[0], len(after), len(c.data))
			}
		}
	}
}

// Ensure that `verify` checks a real backup file offline: exit 0 with the
// count per kind and the head hash; after one byte of a record is changed,
// exit 1 naming the entry; on a data dir in use, exit 1 saying so.
func TestVerifyBackup(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCmd("user", "add", "--data", dir, "--email", "root@example.org", "--password", "a long password", "--role", "admin"); code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	backupFile := filepath.Join(t.TempDir(), "b.db")
	if code, _, errOut := runCmd("backup", backupFile, "--data", dir); code != 0 {
		t.Fatalf("backup: %s", errOut)
	}
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	head, err := db.ChainHead()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd("verify", backupFile)
	if code != 0 || !strings.Contains(out, "the chain holds") || !strings.Contains(out, head.HashHex()) || !strings.Contains(out, "audit ") {
		t.Fatalf("verify: got code %d out %q err %q, want 0, the counts and head %s", code, out, errOut, head.HashHex())
	}
	// The live data dir is in use: verify says so.
	if code, _, errOut := runCmd("verify", "--data", dir); code != 1 || !strings.Contains(errOut, "in use") {
		t.Errorf("verify --data on a dir in use: got code %d err %q, want 1 and 'in use'", code, errOut)
	}
	db.Close()
	if code, _, errOut := runCmd("verify", "--data", dir, "--head", head.HashHex()); code != 0 {
		t.Errorf("verify --data with its own head: got code %d err %q, want 0", code, errOut)
	}
	// One byte of the first audit event changes in the backup.
	b, err := bolt.Open(backupFile, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		k, v := tx.Bucket([]byte("audit")).Cursor().First()
		v = bytes.Replace(v, []byte(`"action":"user_created"`), []byte(`"action":"user_updated"`), 1)
		return tx.Bucket([]byte("audit")).Put(k, v)
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCmd("verify", backupFile)
	if code != 1 || !strings.Contains(errOut, "chain entry ") || !strings.Contains(errOut, "(audit ") || !strings.Contains(errOut, "edited") {
		t.Errorf("verify an edited backup: got code %d out %q err %q, want 1 naming the entry", code, out, errOut)
	}
}

// Ensure that `verify --receipt` confirms a person's receipt against the
// database and, edited, exits 1 saying what differs.
func TestVerifyReceipt(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SeedPolicies(); err != nil {
		t.Fatal(err)
	}
	u := &store.User{Email: "ann@example.org"}
	if err := db.CreateUser(u, 0); err != nil {
		t.Fatal(err)
	}
	all, err := db.ListPolicies()
	if err != nil {
		t.Fatal(err)
	}
	v := all[0].Active()
	out, err := db.RecordAnswers([]store.Answer{{UserID: u.ID, VersionID: v.ID, Accept: true, Lang: "en", TextHash: v.Texts["en"].Hash}})
	if err != nil || len(out) != 1 {
		t.Fatalf("answer: got %v, %v", out, err)
	}
	r, _, err := db.PolicyReceipt(out[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, _ := json.MarshalIndent(r, "", "  ")
	file := filepath.Join(t.TempDir(), "receipt.json")
	os.WriteFile(file, raw, 0o600)
	code, stdout, errOut := runCmd("verify", "--data", dir, "--receipt", file)
	if code != 0 || !strings.Contains(stdout, "the receipt matches chain entry") {
		t.Fatalf("verify --receipt: got code %d out %q err %q, want 0", code, stdout, errOut)
	}
	os.WriteFile(file, bytes.Replace(raw, []byte(`"lang": "en"`), []byte(`"lang": "fr"`), 1), 0o600)
	code, _, errOut = runCmd("verify", "--data", dir, "--receipt", file)
	if code != 1 || !strings.Contains(errOut, "field lang") {
		t.Errorf("edited receipt: got code %d err %q, want 1 naming the field lang", code, errOut)
	}
}

// startBound bounds how long a child server may take to answer /healthz:
// generous, because a race-instrumented binary starting on a loaded
// machine can take many seconds; a server that exits ends the wait at once.
const startBound = 2 * time.Minute

// waitHealthy polls base+"/healthz" until it answers 200, the process
// reports its exit on exited (nil: not watched), or startBound passes.
func waitHealthy(base string, exited <-chan error) error {
	deadline := time.Now().Add(startBound)
	for time.Now().Before(deadline) {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("server exited before it answered (%v)", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("server did not answer /healthz within %s", startBound)
}
