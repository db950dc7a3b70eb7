package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"

	"accord/store"
)

// verify checks the hash chain of a data dir's database or of a backup
// file, opened read-only, and with --receipt one person's receipt against
// it. Exit 1 (an error) names the first entry, or the receipt's field,
// that does not hold.
func verify(args []string, stdout, stderr io.Writer) error {
	f := newFlags("verify", stderr)
	data := f.str("data", "./data", "data directory (its accord.db; the server must be stopped)")
	receipt := f.String("receipt", "", "a receipt (JSON) downloaded from Accord, to check against the database")
	head := f.String("head", "", "a head hash kept elsewhere (a backup's name): it must be in the chain")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		fmt.Fprintln(stderr, "usage: accord verify [--data DIR | FILE] [--receipt FILE] [--head HASH]")
		return errUsage
	}
	path := filepath.Join(*data, "accord.db")
	if len(pos) == 1 {
		path = pos[0]
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	// A verification allocates much and keeps little: collect less often.
	debug.SetGCPercent(400)
	opt := store.VerifyOptions{Head: *head}
	var rep *store.ChainReport
	if *receipt != "" {
		raw, err := os.ReadFile(*receipt)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		var rr *store.ReceiptReport
		rr, err = store.VerifyReceiptFile(path, raw, opt)
		if err != nil {
			return verifyErr(path, err)
		}
		rep = rr.Chain
		defer fmt.Fprintln(stdout, rr.Summary())
	} else if rep, err = store.VerifyFile(path, opt); err != nil {
		return verifyErr(path, err)
	}
	fmt.Fprintf(stdout, "%s: the chain holds, %d entries\n", path, rep.Entries)
	for _, k := range store.ChainKinds {
		c := rep.Counts[k]
		fmt.Fprintf(stdout, "  %-15s %d", k, c.Entries)
		if c.Tombstones > 0 {
			fmt.Fprintf(stdout, " (%d erased, kept as tombstones)", c.Tombstones)
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "head: entry %d %s\n", rep.Head.Seq, rep.Head.HashHex())
	if rep.HeadFound != 0 {
		fmt.Fprintf(stdout, "the kept head %s is entry %d: the history up to it is unchanged\n", *head, rep.HeadFound)
	}
	return nil
}

func verifyErr(path string, err error) error {
	if errors.Is(err, store.ErrInUse) {
		return fmt.Errorf("verify: the database %s is in use by another process (a running server?); verify a live copy instead (GET /admin/backup)", path)
	}
	return fmt.Errorf("verify %s: %w", path, err)
}
