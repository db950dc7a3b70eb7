package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// ErrDamaged is matched (errors.Is) by the error Open returns when
// accord.db exists but is not a whole database: empty, unreadable, not a
// bbolt file, or shorter than its meta page says. Open then leaves the file
// as it is: only a missing file means a new site.
var ErrDamaged = errors.New("store: the database file is damaged")

// DamagedError says which file Open refused and why.
type DamagedError struct {
	Path string
	// Reason completes "the file …", e.g. "is empty (0 bytes)".
	Reason string
}

func (e *DamagedError) Error() string { return fmt.Sprintf("store: %s %s", e.Path, e.Reason) }

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// The parts of bbolt's file format (v1.4, internal/common: page.go and
// meta.go) that checkFile reads. A page starts with a 16-byte header (id
// u64, flags u16, count u16, overflow u32); pages 0 and 1 are meta pages,
// whose body is magic u32, version u32, pageSize u32, flags u32, root
// bucket (root pgid u64, sequence u64), freelist pgid u64, pgid u64 (the
// high-water mark: pages 0..pgid-1 are in use), txid u64, then an FNV-64a
// checksum of the 56 bytes before it. Values are in the machine's byte
// order, as bbolt writes them.
const (
	boltPageHeader = 16
	boltMetaLen    = 64
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltNoFreelist = ^uint64(0)
	minPageSize    = 1 << 10 // bbolt looks for the second meta page from 1 KiB
	maxPageSize    = 1 << 24 // up to 16 MiB
)

// boltMeta is one decoded meta page.
type boltMeta struct {
	pageSize       uint32
	root, freelist uint64
	pgid, txid     uint64
}

// checkFile tells whether the existing file at path can be handed to
// bbolt: bbolt maps the file and reads pages straight from memory, so a
// file shorter than its meta page says makes it fault (SIGBUS, "unexpected
// fault address") instead of returning an error, and it turns an empty file
// into a new database. Like bbolt, it uses the valid meta page with the
// highest transaction id.
func checkFile(path string) error {
	damaged := func(format string, args ...any) error {
		return &DamagedError{Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	f, err := os.Open(path)
	if err != nil {
		return damaged("cannot be read (%v)", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return damaged("cannot be read (%v)", err)
	}
	if !info.Mode().IsRegular() {
		return damaged("is not a regular file")
	}
	size := info.Size()
	if size == 0 {
		return damaged("is empty (0 bytes)")
	}
	m0, err0 := readMeta(f, 0)
	if err0 != nil && !errors.Is(err0, errBadMeta) {
		return damaged("cannot be read (%v)", err0)
	}
	// Without the first meta page, find the second as bbolt does: at each
	// possible page size.
	var m1 boltMeta
	err1 := errBadMeta
	if err0 == nil {
		m1, err1 = readMeta(f, int64(m0.pageSize))
	} else {
		for ps := int64(minPageSize); ps <= maxPageSize && ps < size; ps <<= 1 {
			if m1, err1 = readMeta(f, ps); err1 == nil && int64(m1.pageSize) == ps {
				break
			}
			err1 = errBadMeta
		}
	}
	var m boltMeta
	switch {
	case err0 == nil && (err1 != nil || m0.txid >= m1.txid):
		m = m0
	case err1 == nil:
		m = m1
	default:
		return damaged("is not an Accord database (no valid bbolt meta page; %d bytes)", size)
	}
	if m.pgid < 2 || m.root >= m.pgid || (m.freelist >= m.pgid && m.freelist != boltNoFreelist) {
		return damaged("has a meta page that points outside the file's pages")
	}
	if need := int64(m.pgid) * int64(m.pageSize); size < need {
		return damaged("is truncated: it has %d bytes, its meta page says %d pages of %d bytes (%d bytes)", size, m.pgid, m.pageSize, need)
	}
	return nil
}

// errBadMeta marks a meta page that is absent or not valid.
var errBadMeta = errors.New("no valid meta page")

// readMeta decodes and validates the meta page at off.
func readMeta(f *os.File, off int64) (boltMeta, error) {
	buf := make([]byte, boltPageHeader+boltMetaLen)
	if _, err := f.ReadAt(buf, off); errors.Is(err, io.EOF) {
		return boltMeta{}, errBadMeta
	} else if err != nil {
		return boltMeta{}, err
	}
	b := buf[boltPageHeader:]
	le := binary.NativeEndian
	h := fnv.New64a()
	h.Write(b[:56])
	if le.Uint32(b[0:]) != boltMagic || le.Uint32(b[4:]) != boltVersion || le.Uint64(b[56:]) != h.Sum64() {
		return boltMeta{}, errBadMeta
	}
	m := boltMeta{pageSize: le.Uint32(b[8:]), root: le.Uint64(b[16:]), freelist: le.Uint64(b[32:]),
		pgid: le.Uint64(b[40:]), txid: le.Uint64(b[48:])}
	if m.pageSize < minPageSize || m.pageSize > maxPageSize || m.pageSize&(m.pageSize-1) != 0 {
		return boltMeta{}, errBadMeta
	}
	return m, nil
}
