package store

import (
	"encoding/json"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Ensure that the English sentences old reports hold are read back as what
// the store writes now, each count in its place, and that a sentence the
// store never wrote stays as it is.
func TestOldKeptSentences(t *testing.T) {
	for _, tc := range []struct {
		name, bucket, sentence string
		want                   *ErasureKept
	}{
		{"agreements deleted, and others' answers kept", "acceptances",
			"policy agreement events deleted: 3 (only their number is kept); answers given for other people, kept for them without the actor's account: 1",
			&ErasureKept{Kind: KeptAcceptances, Count: 3, Others: 1}},
		{"the audit log made anonymous (the article's numbers are no counts)", "audit",
			"audit events made anonymous (no account, no detail): 12; the organisation must be able to show what happened (GDPR art. 5(2), 32)",
			&ErasureKept{Kind: KeptAudit, Count: 12}},
		{"staff replies kept without their author", "dpo_messages",
			"replies written as staff in other people's threads, kept without the author: 2; they belong to those people's records",
			&ErasureKept{Kind: KeptDPOMessages, Count: 2}},
		{"requests kept as anonymous records", "data_requests",
			"data requests kept as anonymous records (number, type, dates, outcome): 4; proof that the requests were answered (GDPR art. 5(2), 12)",
			&ErasureKept{Kind: KeptRequests, Count: 4}},
		{"a protected category held, in any bucket", "progress",
			"protected (courses): kept until its retention ends, then erased",
			&ErasureKept{Kind: KeptHeld, Category: "courses"}},
		{"a known bucket, a sentence it never wrote", "audit", "something else: 5", nil},
		{"a known sentence without its counts", "acceptances", "policy agreement events deleted: 3 (only their number is kept)", nil},
		{"a bucket that never kept anything", "sessions", "kept: 1", nil},
	} {
		var l ErasureLine
		raw, err := json.Marshal(map[string]string{"bucket": tc.bucket, "holds": "h", "kept": tc.sentence})
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &l); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		switch {
		case tc.want == nil && (l.Kept != nil || l.OldKept != tc.sentence):
			t.Errorf("%s: got %+v, %q; want the sentence as it is", tc.name, l.Kept, l.OldKept)
		case tc.want != nil && (l.Kept == nil || *l.Kept != *tc.want || l.OldKept != ""):
			t.Errorf("%s: got %+v, %q; want %+v", tc.name, l.Kept, l.OldKept, tc.want)
		}
	}
}

// Ensure that a request stored with an old report (English sentences)
// reads with its counts, and that writing it again keeps a sentence that
// gave none.
func TestOldErasureReportReadable(t *testing.T) {
	db := openFile(t, Options{NoSync: true})
	r := &DataRequest{ID: 7, Type: RequestDelete, Status: StatusComplete, Anonymous: true}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var row map[string]any
	if err := json.Unmarshal(raw, &row); err != nil {
		t.Fatal(err)
	}
	row["erasure"] = []map[string]string{
		{"bucket": "audit", "holds": "audit events", "kept": "audit events made anonymous (no account, no detail): 5; the organisation must be able to show what happened (GDPR art. 5(2), 32)"},
		{"bucket": "sessions", "holds": "sessions"},
		{"bucket": "notes", "holds": "notes", "kept": "a sentence of an older version"},
	}
	if raw, err = json.Marshal(row); err != nil {
		t.Fatal(err)
	}
	if err := db.update(func(tx *bolt.Tx) error { return tx.Bucket(bRequests).Put(itob(r.ID), raw) }); err != nil {
		t.Fatal(err)
	}
	got, err := db.Request(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Erasure) != 3 || got.Erasure[0].Kept == nil || *got.Erasure[0].Kept != (ErasureKept{Kind: KeptAudit, Count: 5}) ||
		got.Erasure[1].Kept != nil || got.Erasure[1].OldKept != "" || got.Erasure[2].OldKept != "a sentence of an older version" {
		t.Fatalf("old report: got %+v", got.Erasure)
	}
	again, err := json.Marshal(got.Erasure)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"bucket":"audit","holds":"audit events","keeping":{"kind":"audit","count":5}},{"bucket":"sessions","holds":"sessions"},{"bucket":"notes","holds":"notes","kept":"a sentence of an older version"}]`; string(again) != want {
		t.Errorf("written again: got %s, want %s", again, want)
	}
}
