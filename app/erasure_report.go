package app

import (
	"regexp"
	"strconv"
	"strings"

	"accord/store"
)

// keptReason is how the reader's language says what one bucket kept after
// an erasure, and why. The store writes each line of the report once, in
// English, with its counts (store: the buckets' Erase functions), and the
// record keeps that text; the line is shown translated when it is one of
// these sentences, the counts read back from it in order.
type keptReason struct {
	prefix string   // how the store's English sentence starts
	key    string   // the message, one placeholder per count
	args   []string // the placeholders' names, in the sentence's order
}

var keptReasons = map[string]keptReason{
	"acceptances":   {"policy agreement events deleted: ", "requests.erasure.kept.acceptances", []string{"Deleted", "Kept"}},
	"audit":         {"audit events made anonymous ", "requests.erasure.kept.audit", []string{"Count"}},
	"dpo_messages":  {"replies written as staff in other people's threads", "requests.erasure.kept.dpo_messages", []string{"Count"}},
	"data_requests": {"data requests kept as anonymous records ", "requests.erasure.kept.data_requests", []string{"Count"}},
}

var counts = regexp.MustCompile(`\d+`)

// ErasureKept is line's "kept, and why" in the page's language: empty
// when nothing was kept, the stored English when it is no sentence known.
func (p *Page) ErasureKept(line store.ErasureLine) string {
	r, ok := keptReasons[line.Bucket]
	if !ok || !strings.HasPrefix(line.Kept, r.prefix) {
		return line.Kept
	}
	n := counts.FindAllString(line.Kept, len(r.args))
	if len(n) != len(r.args) {
		return line.Kept
	}
	args := make([]any, 0, 2*len(n))
	for i, s := range n {
		v, err := strconv.Atoi(s)
		if err != nil {
			return line.Kept
		}
		args = append(args, r.args[i], p.Number(v))
	}
	return p.T(r.key, args...)
}
