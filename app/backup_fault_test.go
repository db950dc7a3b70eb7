package app

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"accord/store"
)

// Ensure that a hot backup (GET /admin/backup) taken while accounts are
// being created restores: the restored opens, passes tx.Check, holds every
// account acknowledged before the download began and none begun after it
// ended, and its email index matches its accounts (one snapshot).
// Writes are checked to have gone on during the download; a download that
// happened to see none is taken again.
func TestHotBackupUnderWriteLoad(t *testing.T) {
	e := newEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	admin := e.client(t)
	admin.login("admin@example.org")
	_, base, err := e.db.ListUsers(store.UserQuery{})
	if err != nil {
		t.Fatal(err)
	}

	const writers = 4
	var acked [writers]atomic.Int64 // accounts acknowledged by each writer
	var begun [writers]atomic.Int64 // accounts each writer has started to create
	total := func() (n int64) {
		for g := range writers {
			n += acked[g].Load()
		}
		return n
	}
	email := func(g int, i int64) string { return fmt.Sprintf("w%d-%d@example.org", g, i) }
	stop := make(chan struct{})
	started := make(chan struct{}, writers)
	var wg sync.WaitGroup
	var werr atomic.Value
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(0); ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				begun[g].Store(i + 1)
				if err := e.db.CreateUser(&store.User{Email: email(g, i), FirstName: "Load"}, 0); err != nil {
					werr.Store(err)
					return
				}
				acked[g].Store(i + 1)
				if i == 20 {
					started <- struct{}{}
				}
			}
		}()
	}
	for range writers {
		<-started
	}

	var body string
	var before, after [writers]int64
	for try := 0; ; try++ {
		for g := range writers {
			before[g] = acked[g].Load()
		}
		n0 := total()
		body = admin.get("/admin/backup").want(t, http.StatusOK).Body
		for g := range writers {
			after[g] = begun[g].Load()
		}
		if total() > n0 {
			t.Logf("backup of %d bytes; %d accounts acknowledged during the download", len(body), total()-n0)
			break
		}
		if try == 9 {
			t.Fatal("no write was acknowledged during any of 10 downloads")
		}
	}
	close(stop)
	wg.Wait()
	if err, _ := werr.Load().(error); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "accord.db"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	restored, err := store.Open(dir, store.Options{NoSync: true})
	if err != nil {
		t.Fatalf("the backup does not open: %v", err)
	}
	defer restored.Close()
	if err := restored.Check(); err != nil {
		t.Fatal(err)
	}
	inCopy := 0
	for g := range writers {
		for i := int64(0); i < after[g]+1; i++ {
			_, err := restored.UserByEmail(email(g, i))
			switch {
			case err == nil && i >= after[g]:
				t.Errorf("%s was begun after the download ended, yet it is in the backup", email(g, i))
			case err == nil:
				inCopy++
			case i < before[g]:
				t.Errorf("%s was acknowledged before the download began: %v", email(g, i), err)
			}
		}
	}
	_, n, err := restored.ListUsers(store.UserQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if n != base+inCopy {
		t.Errorf("the backup holds %d accounts, %d by email: got a torn snapshot", n, base+inCopy)
	}
	t.Logf("restored: %d accounts (%d written under load)", n, inCopy)
}
