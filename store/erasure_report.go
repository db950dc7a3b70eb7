package store

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// KeptKind names what an erasure kept of one bucket, and why. The app
// words each kind in the reader's language (app/erasure_report.go).
type KeptKind string

// What an erasure keeps, bucket by bucket.
const (
	// KeptAcceptances: Count policy agreement events deleted (only their
	// number is kept); Others answers given for other people, kept for
	// them without the actor's account.
	KeptAcceptances KeptKind = "acceptances"
	// KeptAudit: Count audit events made anonymous (GDPR art. 5(2), 32).
	KeptAudit KeptKind = "audit"
	// KeptDPOMessages: Count replies written as staff in other people's
	// threads, kept without their author.
	KeptDPOMessages KeptKind = "dpo_messages"
	// KeptRequests: Count data requests kept as anonymous records (GDPR
	// art. 5(2), 12).
	KeptRequests KeptKind = "data_requests"
	// KeptHeld: the bucket's protected Category, kept until its retention
	// ends, then erased (erasure_held.go).
	KeptHeld KeptKind = "held"
)

// ErasureKept is what an erasure kept of one bucket: its kind and counts.
type ErasureKept struct {
	Kind     KeptKind `json:"kind"`
	Count    int      `json:"count,omitempty"`
	Others   int      `json:"others,omitempty"`
	Category string   `json:"category,omitempty"`
}

// ErasureLine says what erasure did to one bucket.
type ErasureLine struct {
	Bucket string `json:"bucket"`
	Holds  string `json:"holds"`
	// Kept is what stayed and why; nil when everything went.
	Kept *ErasureKept `json:"keeping,omitempty"`
	// OldKept is the English sentence an old report holds (in "kept"),
	// kept as it is where Kept could not be read from it (oldKept); the
	// store writes none now.
	OldKept string `json:"kept,omitempty"`
}

// UnmarshalJSON reads a line in either form: Kept as stored now, or the
// English sentence reports held before (still in databases), turned into
// Kept when it is one the store wrote.
func (l *ErasureLine) UnmarshalJSON(b []byte) error {
	type line ErasureLine // without this method
	if err := json.Unmarshal(b, (*line)(l)); err != nil {
		return err
	}
	if l.Kept == nil && l.OldKept != "" {
		l.Kept, l.OldKept = oldKept(l.Bucket, l.OldKept)
	}
	return nil
}

// oldSentences are the English sentences the store wrote before
// ErasureKept, by bucket: how each starts, its kind, and where its counts
// go, in the sentence's order.
var oldSentences = map[string]struct {
	prefix string
	kind   KeptKind
	counts []func(*ErasureKept) *int
}{
	"acceptances":   {"policy agreement events deleted: ", KeptAcceptances, []func(*ErasureKept) *int{count, others}},
	"audit":         {"audit events made anonymous ", KeptAudit, []func(*ErasureKept) *int{count}},
	"dpo_messages":  {"replies written as staff in other people's threads", KeptDPOMessages, []func(*ErasureKept) *int{count}},
	"data_requests": {"data requests kept as anonymous records ", KeptRequests, []func(*ErasureKept) *int{count}},
}

func count(k *ErasureKept) *int  { return &k.Count }
func others(k *ErasureKept) *int { return &k.Others }

var (
	oldCounts = regexp.MustCompile(`\d+`)
	oldHeld   = regexp.MustCompile(`^protected \(([a-z_]+)\): kept until its retention ends, then erased$`)
)

// oldKept reads bucket's old English sentence s: its ErasureKept when it
// is one the store wrote, else s itself to be shown as it is.
func oldKept(bucket, s string) (*ErasureKept, string) {
	if m := oldHeld.FindStringSubmatch(s); m != nil {
		return &ErasureKept{Kind: KeptHeld, Category: m[1]}, ""
	}
	o, ok := oldSentences[bucket]
	if !ok || !strings.HasPrefix(s, o.prefix) {
		return nil, s
	}
	n := oldCounts.FindAllString(s, len(o.counts))
	if len(n) != len(o.counts) {
		return nil, s
	}
	k := &ErasureKept{Kind: o.kind}
	for i, d := range n {
		v, err := strconv.Atoi(d)
		if err != nil {
			return nil, s
		}
		*o.counts[i](k) = v
	}
	return k, ""
}
