package store

import (
	"runtime"
	"sync"
)

// contentChecks compares records with their content hashes on a few
// goroutines while verify walks the chain: decoding and hashing a million
// records is most of a verification's time. The records' bytes are bbolt's
// (read-only memory, valid while the read transaction that verify holds
// is open); only verify's goroutine uses the transaction itself.
//
// Which entry is named stays deterministic: the walk stops at its first
// structural error (fail), the workers finish what was sent before it, and
// the lowest entry that failed is the one reported.
type contentChecks struct {
	batch   []contentItem
	work    chan []contentItem
	results chan contentResult
	wg      sync.WaitGroup
	pending []contentResult
	stopped bool
}

type contentItem struct {
	e   ChainEntry
	raw []byte
}

type contentResult struct {
	err   *ChainError
	decls map[uint64]string
}

const contentBatch = 2048

func newContentChecks() *contentChecks {
	n := min(runtime.GOMAXPROCS(0), 4)
	cc := &contentChecks{work: make(chan []contentItem, 2*n), results: make(chan contentResult, 2*n)}
	for range n {
		cc.wg.Add(1)
		go func() {
			defer cc.wg.Done()
			for items := range cc.work {
				res := contentResult{decls: map[uint64]string{}}
				for i := range items {
					if err := checkContent(&items[i].e, items[i].raw, res.decls); err != nil {
						res.err = err.(*ChainError)
						break
					}
				}
				cc.results <- res
			}
		}()
	}
	return cc
}

func (cc *contentChecks) add(e ChainEntry, raw []byte) {
	if cc.batch == nil {
		cc.batch = make([]contentItem, 0, contentBatch)
	}
	cc.batch = append(cc.batch, contentItem{e, raw})
	if len(cc.batch) == contentBatch {
		cc.send()
	}
}

func (cc *contentChecks) send() {
	if len(cc.batch) == 0 {
		return
	}
	b := cc.batch
	cc.batch = nil
	for {
		select {
		case cc.work <- b:
			return
		case res := <-cc.results:
			cc.pending = append(cc.pending, res)
		}
	}
}

// wait finishes the checks: the first failing entry, or the tombstone
// declarations met (declaring entry → its detail).
func (cc *contentChecks) wait() (map[uint64]string, error) {
	return cc.finish(nil)
}

// fail finishes the checks after a structural error at err.Seq and returns
// the error of the lowest entry that failed.
func (cc *contentChecks) fail(err *ChainError) error {
	_, e := cc.finish(err)
	return e
}

func (cc *contentChecks) finish(first *ChainError) (map[uint64]string, error) {
	cc.send()
	cc.stop()
	decls := map[uint64]string{}
	for _, res := range cc.pending {
		if res.err != nil && (first == nil || res.err.Seq < first.Seq) {
			first = res.err
		}
		for k, v := range res.decls {
			decls[k] = v
		}
	}
	cc.pending = nil
	if first != nil {
		return nil, first
	}
	return decls, nil
}

// stop ends the workers and gathers their last results (idempotent).
func (cc *contentChecks) stop() {
	if cc.stopped {
		return
	}
	cc.stopped = true
	close(cc.work)
	go func() { cc.wg.Wait(); close(cc.results) }()
	for res := range cc.results {
		cc.pending = append(cc.pending, res)
	}
}
