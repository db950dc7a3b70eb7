// Command mktokens adds read-scope API tokens to a data directory (the
// server stopped) and writes their secrets one a line, for the wrk run of
// POST /api/v1/consent-status in docs/bench/pages.sh (never for real data):
//
//	go run ./docs/bench/mktokens -data /tmp/accord-bench/100k -n 500 -out /tmp/tokens.txt
//
// Each token may make 1,200 calls a minute: wrk rotates over enough of them
// that none is limited during a run.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"accord/store"
)

func main() {
	data := flag.String("data", "", "data directory")
	n := flag.Int("n", 500, "number of tokens")
	out := flag.String("out", "", "file for the secrets")
	flag.Parse()
	if *data == "" || *out == "" {
		log.Fatal("mktokens: -data and -out are required")
	}
	db, err := store.Open(*data, store.Options{NoSync: true})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	for i := range *n {
		secret, _, err := db.CreateAPIToken(fmt.Sprintf("bench %d", i), store.ScopeRead, 0)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Fprintln(f, secret)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
