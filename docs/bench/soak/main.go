// Command soak sends new visitors to a running accord, each making a cookie
// choice once and never coming back, and samples the server's resident size
// and its count of visitors, for BENCHMARKS.md (issue 13: memory must stay
// flat however many new visitors choose):
//
//	go run ./docs/bench/soak -base http://127.0.0.1:28290 -pid 1234 -d 4m
//
// Each visitor: GET /cookies (the page sets its accord_csrf cookie and holds
// the token), then POST /cookies choice=accept_all with that cookie only,
// as a browser without a history would. Each visitor comes from its own
// address in X-Forwarded-For (start the server with --trusted-proxy
// 127.0.0.1), as many visitors behind a proxy would, so the per-address
// limits see new addresses too.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var csrfMeta = regexp.MustCompile(`name="csrf-token" content="([^"]*)"`)

func main() {
	base := flag.String("base", "http://127.0.0.1:28290", "server address")
	pid := flag.Int("pid", 0, "server process id (for its resident size)")
	dur := flag.Duration("d", 4*time.Minute, "how long to run")
	conc := flag.Int("c", 8, "concurrent visitors")
	every := flag.Duration("every", 15*time.Second, "sampling interval")
	first := flag.Int64("first", 0, "visitors already sent by an earlier run (their addresses are not reused)")
	flag.Parse()
	client := &http.Client{
		Transport:     &http.Transport{MaxIdleConnsPerHost: *conc},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var done, failed, seq atomic.Int64
	seq.Store(*first)
	stop := time.Now().Add(*dur)
	var wg sync.WaitGroup
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				n := seq.Add(1)
				addr := fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
				if err := visit(client, *base, addr); err != nil {
					if failed.Add(1) < 5 {
						log.Print(err)
					}
					continue
				}
				done.Add(1)
			}
		}()
	}
	start := time.Now()
	fmt.Printf("%8s %10s %10s %10s %10s %8s\n", "elapsed", "visitors", "RSS MiB", "anon MiB", "file MiB", "failed")
	sample := func() {
		fmt.Printf("%8s %10d %10s %10s %10s %8d\n", time.Since(start).Round(time.Second), done.Load(),
			status(*pid, "VmRSS:"), status(*pid, "RssAnon:"), status(*pid, "RssFile:"), failed.Load())
	}
	sample()
	for t := time.NewTicker(*every); time.Now().Before(stop); <-t.C {
		sample()
	}
	wg.Wait()
	sample()
}

func visit(client *http.Client, base, addr string) error {
	req, _ := http.NewRequest(http.MethodGet, base+"/cookies", nil)
	req.Header.Set("X-Forwarded-For", addr)
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var cookie string
	for _, c := range res.Cookies() {
		if c.Name == "accord_csrf" {
			cookie = c.Name + "=" + c.Value
		}
	}
	m := csrfMeta.FindSubmatch(body)
	if cookie == "" || m == nil {
		return fmt.Errorf("GET /cookies: %d, no CSRF cookie or token", res.StatusCode)
	}
	form := url.Values{"_csrf": {string(m[1])}, "choice": {"accept_all"}, "next": {"/"}}
	req, _ = http.NewRequest(http.MethodPost, base+"/cookies", strings.NewReader(form.Encode()))
	req.Header.Set("X-Forwarded-For", addr)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", cookie)
	res, err = client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("POST /cookies: %d, want 303", res.StatusCode)
	}
	return nil
}

// status is a size from the process's /proc status (VmRSS: all resident
// memory, RssAnon: the heap and stacks, RssFile: mapped files, such as the
// database), in MiB.
func status(pid int, field string) string {
	if pid == 0 {
		return "-"
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			var kb int
			fmt.Sscan(f[1], &kb)
			return fmt.Sprintf("%.1f", float64(kb)/1024)
		}
	}
	return "?"
}
