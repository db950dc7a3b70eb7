package app

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// killChildAt runs this test binary as a child running only test, with env
// added to its environment, until the child prints "at "+point (a fault
// hook parks it there), then kills it with SIGKILL. It fails the test when
// the child never reached the point (within limit) or did not die of the
// signal, so a fault test cannot pass without the crash happening. The
// fault tests of the erasure, the held erasure, the import and the
// guardian's invitation share it.
func killChildAt(t *testing.T, test, point string, limit time.Duration, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	capped := time.AfterFunc(limit, func() { cmd.Process.Kill() })
	defer capped.Stop()
	reached := false
	var said []string
	for sc := bufio.NewScanner(out); sc.Scan(); {
		said = append(said, sc.Text())
		if sc.Text() == "at "+point {
			reached = true
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && reached {
		t.Fatal(err)
	}
	cmd.Wait()
	if !reached {
		t.Fatalf("%s: the child never reached the point; it said %q\n%s", point, said, stderr.String())
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("%s: the child was not killed by SIGKILL: %v\n%s", point, cmd.ProcessState, stderr.String())
	}
}
