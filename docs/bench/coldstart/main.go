// Command coldstart measures the time from starting the accord binary to
// its first 200 answer on /healthz, several times, for BENCHMARKS.md:
//
//	go run ./docs/bench/coldstart -bin /tmp/accord -data /tmp/accord-100k -runs 7
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "/tmp/accord", "accord binary")
	data := flag.String("data", "", "data directory")
	addr := flag.String("addr", "127.0.0.1:18081", "address to serve on")
	runs := flag.Int("runs", 7, "number of starts")
	flag.Parse()
	client := http.Client{Timeout: time.Second}
	var times []time.Duration
	for range *runs {
		cmd := exec.Command(*bin, "serve", "--addr", *addr, "--data", *data, "--log-level", "error")
		cmd.Stderr = os.Stderr
		start := time.Now()
		if err := cmd.Start(); err != nil {
			log.Fatal(err)
		}
		for {
			res, err := client.Get("http://" + *addr + "/healthz")
			if err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Since(start) > 10*time.Second {
				log.Fatal("no answer within 10 s")
			}
			time.Sleep(time.Millisecond)
		}
		times = append(times, time.Since(start))
		// A clean exit also shows that SIGTERM is handled from the start.
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			log.Fatalf("accord did not stop cleanly on SIGTERM: %v", err)
		}
	}
	fmt.Println("cold start to first /healthz 200:", times)
	slices.Sort(times)
	fmt.Printf("min %s  median %s  max %s\n", times[0].Round(time.Millisecond/10), times[len(times)/2].Round(time.Millisecond/10), times[len(times)-1].Round(time.Millisecond/10))
}
