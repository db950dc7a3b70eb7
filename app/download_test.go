package app

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"accord/store"
)

// grow adds about mb MiB of audit events to e's database, so that a backup
// of it passes spoolMemory (and, for big values, the sockets' buffers).
func grow(t *testing.T, e *testEnv, mb int) {
	t.Helper()
	detail := strings.Repeat("x", 64000)
	for i := 0; i < mb*17; i++ {
		if err := e.db.Audit(store.AuditEvent{Action: store.ActUserUpdated, Detail: detail}); err != nil {
			t.Fatal(err)
		}
	}
}

// spoolsLeft lists the download spools left in the data dir.
func spoolsLeft(t *testing.T, e *testEnv) []string {
	t.Helper()
	found, err := filepath.Glob(filepath.Join(filepath.Dir(e.db.Path()), ".download-*"))
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// Ensure that a spool keeps at most spoolMemory in memory, moves to a file
// beyond it, gives back every byte in order and leaves no file behind.
func TestSpoolMovesToDisk(t *testing.T) {
	dir := t.TempDir()
	s := &spool{dir: dir}
	var want bytes.Buffer
	chunk := make([]byte, 64<<10)
	for i := 0; i < 3*spoolMemory/len(chunk); i++ {
		for j := range chunk {
			chunk[j] = byte(i + j)
		}
		want.Write(chunk)
		if _, err := s.Write(chunk); err != nil {
			t.Fatal(err)
		}
		if s.mem.Len() > spoolMemory {
			t.Fatalf("after %d bytes: got %d bytes in memory, want at most %d", want.Len(), s.mem.Len(), spoolMemory)
		}
	}
	if s.file == nil || s.mem.Cap() != 0 {
		t.Fatalf("a 3 MiB spool: got file %v and %d bytes of memory, want a file and none", s.file != nil, s.mem.Cap())
	}
	if s.size != int64(want.Len()) {
		t.Errorf("size: got %d, want %d", s.size, want.Len())
	}
	r, err := s.reader(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("read back %d bytes that differ from the %d written", len(got), want.Len())
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if left, err := os.ReadDir(dir); err != nil || len(left) != 0 {
		t.Errorf("after Close: got %v (%v) in the spool dir, want nothing", left, err)
	}
}

// Ensure that the backup of a database larger than spoolMemory is the
// database (opens, checks, holds its accounts), is audited once, and leaves
// no spool behind.
func TestBackupIsTheDatabase(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	grow(t, e, 3)
	c := e.client(t)
	c.login("admin@example.org")
	res := c.get("/admin/backup").want(t, http.StatusOK)
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", got)
	}
	if len(res.Body) < 3<<20 {
		t.Fatalf("backup: got %d bytes, want the 3 MiB database", len(res.Body))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "accord.db"), []byte(res.Body), 0o600); err != nil {
		t.Fatal(err)
	}
	copyDB, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatalf("open the backup: %v", err)
	}
	defer copyDB.Close()
	if err := copyDB.Check(); err != nil {
		t.Errorf("backup check: %v", err)
	}
	if _, err := copyDB.UserByEmail("admin@example.org"); err != nil {
		t.Errorf("the administrator in the backup: %v", err)
	}
	if _, n, err := e.db.ListAudit(store.AuditQuery{Action: store.ActBackupDownloaded}); err != nil || n != 1 {
		t.Errorf("downloads audited: got %d (%v), want 1", n, err)
	}
	if left := spoolsLeft(t, e); len(left) != 0 {
		t.Errorf("spools left in the data dir: %v", left)
	}
}

// Ensure that a client that stops reading a backup midway holds no read
// transaction: compaction, which needs the database alone, goes through
// while the download is stalled.
func TestStalledDownloadHoldsNoRead(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	grow(t, e, 16) // well past what the sockets' buffers absorb
	c := e.client(t)
	c.login("admin@example.org")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- e.app.web.Listener(ln) }()
	t.Cleanup(func() {
		if err := e.app.web.ShutdownWithTimeout(5 * time.Second); err != nil {
			t.Errorf("server shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.(*net.TCPConn).SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(conn, "GET /admin/backup HTTP/1.1\r\nHost: localhost\r\nCookie: %s=%s\r\n\r\n", sessionCookie, c.cookies[sessionCookie]); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReaderSize(conn, 4096), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || (res.ContentLength >= 0 && res.ContentLength < 16<<20) {
		t.Fatalf("backup: got %d with %d bytes, want 200 with the 16 MiB database", res.StatusCode, res.ContentLength)
	}
	// The client now reads nothing more: the server is stuck mid-body.
	if err := e.db.Compact(); err != nil {
		t.Fatalf("compaction during a stalled download: got %v, want it done", err)
	}
	if err := conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatal(err)
	}
}
