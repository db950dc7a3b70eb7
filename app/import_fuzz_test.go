package app

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"accord/store"
)

// FuzzCSVImport: any bytes uploaded as either kind are refused whole with
// a locale key of the import's, or read into rows each accepted or refused
// once, in line order, after a header of the kind's columns: every
// accepted row satisfies the API's rules and every refusal says why in a
// way the page can translate; reading the same bytes again gives the same
// answer.
func FuzzCSVImport(f *testing.F) {
	for _, s := range []string{
		"email,course\na@example.org,SEC101\n",
		"\ufeffEmail;Course;Ended\r\na@example.org;sec101;oui\r\n;;\r\n",
		"email,course,activity_id,activity,status,percent,score\nb@example.org,C,q1,Quiz,completed,100,12.5\n",
		"email;course;activity_id;status;percent;score\r\nb@example.org;C;q1;In_Progress;40 %;12,5\r\nx;;\"\";done;101;-1\r\n",
		"email\tcourse\na@example.org\tC\n\"unclosed,C\n",
		"email,course\r=1+2,C\r",
		"PK\x03\x04", "\xff\xfee\x00", "email,course\n\x00", "",
		"email,course,activity_id,status\n\"a\nb@example.org\",C,\"x\"\"y\",completed\n",
		"email,course\n\xe9l\xe8ve@example.org,C\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	v := newValidator("json")
	codes := []string{"required", "email", "max", "min", "oneof", "control", "malformed", "cells", "boolean", "integer", "number"}
	f.Fuzz(func(t *testing.T, data []byte, progress bool) {
		kind := store.ImportEnrolments
		if progress {
			kind = store.ImportProgress
		}
		parsed, ferr := parseImport(v, kind, data)
		again, ferr2 := parseImport(v, kind, data)
		if !reflect.DeepEqual(parsed, again) || !reflect.DeepEqual(ferr, ferr2) {
			t.Fatalf("two reads of the same bytes differ")
		}
		if ferr != nil {
			if parsed != nil || !strings.HasPrefix(ferr.Key, "import.file.") {
				t.Fatalf("refused with %+v and rows %v", ferr, parsed)
			}
			return
		}
		cols := importColumns[kind]
		for _, c := range cols.Required {
			if !slices.Contains(parsed.Columns, c) {
				t.Fatalf("accepted a header %q without %s", parsed.Columns, c)
			}
		}
		for i, c := range parsed.Columns {
			if (!slices.Contains(cols.Required, c) && !slices.Contains(cols.Optional, c)) || slices.Index(parsed.Columns, c) != i {
				t.Fatalf("accepted a header %q with %s", parsed.Columns, c)
			}
		}
		var lines []int
		for _, r := range parsed.Rows {
			lines = append(lines, r.Line)
			checkFuzzRow(t, kind, r)
		}
		for _, e := range parsed.Refused {
			lines = append(lines, e.Line)
			if !slices.Contains(codes, e.Code) {
				t.Fatalf("line %d refused with code %q", e.Line, e.Code)
			}
		}
		if n := len(lines); n == 0 || n > importMaxRows {
			t.Fatalf("accepted a file with %d rows", n)
		}
		slices.Sort(lines)
		for i, l := range lines {
			if l < 2 || (i > 0 && l <= lines[i-1]) {
				t.Fatalf("row lines %v: each must be past the header and once", lines)
			}
		}
	})
}

// checkFuzzRow fails unless r is an item of kind the API would accept.
func checkFuzzRow(t *testing.T, kind store.ImportKind, r store.ImportRow) {
	t.Helper()
	var texts []string
	switch kind {
	case store.ImportEnrolments:
		if r.Enrolment == nil || r.Progress != nil {
			t.Fatalf("line %d: got %+v, want an enrolment", r.Line, r)
		}
		texts = append(texts, r.Enrolment.Email, r.Enrolment.Course)
	case store.ImportProgress:
		p := r.Progress
		if p == nil || r.Enrolment != nil {
			t.Fatalf("line %d: got %+v, want progress", r.Line, r)
		}
		pr := p.Progress
		if !slices.Contains([]string{store.ProgressNotStarted, store.ProgressInProgress, store.ProgressCompleted}, pr.Status) ||
			pr.Percent < 0 || pr.Percent > 100 || pr.ActivityID == "" || pr.Activity == "" ||
			(pr.Score != nil && (*pr.Score < 0 || math.IsNaN(*pr.Score) || math.IsInf(*pr.Score, 0))) {
			t.Fatalf("line %d: accepted %+v", r.Line, pr)
		}
		texts = append(texts, p.Email, p.Course, pr.ActivityID, pr.Activity)
	}
	for _, s := range texts {
		if !clean(s) || strings.TrimSpace(s) != s {
			t.Fatalf("line %d: accepted the text %q", r.Line, s)
		}
	}
	if !strings.Contains(texts[0], "@") || texts[1] == "" {
		t.Fatalf("line %d: accepted email %q, course %q", r.Line, texts[0], texts[1])
	}
}
