//go:build ignore

// vulngate reads `govulncheck -format json` on stdin and fails (exit 1)
// when the code calls a vulnerable function of a module (upgrade that
// module) or of the standard library (raise the Go release in go.mod and
// in GOTOOLCHAIN in .ci/run, the README and the Dockerfile to the one the
// line names).
//
//	govulncheck -db file://DIR -format json ./... | go run .ci/vulngate.go
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
}

type message struct {
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
}

func main() {
	dec := json.NewDecoder(os.Stdin)
	summary := map[string]string{}
	type hit struct{ id, module, version, fixed, function string }
	hits := map[string]hit{}
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			fmt.Fprintln(os.Stderr, "vulngate: read govulncheck's output:", err)
			os.Exit(2)
		}
		if m.OSV != nil {
			summary[m.OSV.ID] = m.OSV.Summary
		}
		f := m.Finding
		if f == nil || len(f.Trace) == 0 || f.Trace[0].Function == "" {
			continue // a vulnerable module or package the code does not call
		}
		t := f.Trace[0]
		hits[f.OSV] = hit{f.OSV, t.Module, t.Version, f.FixedVersion, t.Package + "." + t.Function}
	}
	ids := make([]string, 0, len(hits))
	for id := range hits {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	failed := 0
	for _, id := range ids {
		h := hits[id]
		if h.module == "stdlib" {
			fmt.Printf("FAIL (Go itself): %s %s, called through %s; build with Go %s\n", id, summary[id], h.function, h.fixed)
			continue
		}
		failed++
		fmt.Printf("FAIL: %s %s: %s@%s, called through %s; upgrade to %s\n", id, summary[id], h.module, h.version, h.function, h.fixed)
	}
	fmt.Printf("vulngate: %d vulnerable modules called, %d vulnerabilities of the standard library called\n", failed, len(ids)-failed)
	if len(ids) > 0 {
		os.Exit(1)
	}
}
