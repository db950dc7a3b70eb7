// Command mkusers fills a data directory with many accounts, for the
// benchmarks in BENCHMARKS.md (never for real data):
//
//	go run ./docs/bench/mkusers -data /tmp/accord-100k -n 100000
//
// Every account has the password "bench password 1"; user 1 is
// admin@bench.test (an administrator), the others learner<N>@bench.test.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"accord/app"
	"accord/store"
)

func main() {
	data := flag.String("data", "", "data directory to create (must not hold a database yet)")
	n := flag.Int("n", 100000, "number of accounts")
	flag.Parse()
	if *data == "" {
		log.Fatal("mkusers: -data is required")
	}
	if _, err := os.Stat(*data + "/accord.db"); err == nil {
		log.Fatalf("mkusers: %s already holds a database", *data)
	}
	start := time.Now()
	db, err := store.Open(*data, store.Options{NoSync: true})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := db.SeedSettings(store.DefaultSettings("en")); err != nil {
		log.Fatal(err)
	}
	hash, err := app.HashPassword("bench password 1") // once: the same hash for everyone
	if err != nil {
		log.Fatal(err)
	}
	for i := 1; i <= *n; i++ {
		u := &store.User{Email: fmt.Sprintf("learner%d@bench.test", i), FirstName: "Learner",
			LastName: fmt.Sprint(i), Lang: []string{"en", "fr"}[i%2], Role: store.RoleLearner, PasswordHash: hash}
		if i == 1 {
			u.Email, u.FirstName, u.LastName, u.Role = "admin@bench.test", "Ada", "Admin", store.RoleAdmin
		}
		if err := db.CreateUser(u, 0); err != nil {
			log.Fatal(err)
		}
		if i%20000 == 0 {
			log.Printf("%d accounts (%s)", i, time.Since(start).Round(time.Millisecond))
		}
	}
	fi, _ := os.Stat(db.Path())
	log.Printf("done: %d accounts in %s, %s is %d MiB", *n, time.Since(start).Round(time.Millisecond), db.Path(), fi.Size()>>20)
}
