package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The hash chain makes the history tamper-evident: every policy answer,
// cookie choice and audit event is appended, in the same transaction as
// the event, to one chain. Entry n holds the kind and key of its record,
// the hash of entry n-1, the SHA-256 of the record's canonical encoding
// (chain_canon.go) and its own hash:
//
//	entry hash = SHA-256("accord-chain/1" 0x00 | BE(n) | kind | BE(ref) | previous hash | content hash)
//
// so a changed byte (in the record or in the entry), a removed entry or
// two entries swapped break the chain from there, and `accord verify`
// names the first entry that does not hold. The head hash (the last
// entry's) is shown to staff and travels with each backup: a later edit
// of the history, even one that recomputes the whole chain, no longer
// leads to a head kept elsewhere.
//
// Erasure keeps it verifiable: an entry whose record was erased or made
// anonymous gets a tombstone (outside the hashed part) pointing at the
// audit entry that declares it; the content hash stays, so the chain and a
// receipt still check, and the declaring event (whose own content is
// chained) says how many tombstones it made and their digest, so a
// tombstone cannot be added later to hide an edit.
//
// The value of entry n (key BE(n), n from 1 without gaps):
//
//	[0] format 1 | [1] kind | [2:10] BE(ref) | [10:42] previous hash
//	| [42:74] content hash | [74:106] entry hash | ['T' BE(declaring entry)]
var (
	bChain       = []byte("chain")
	bChainRefs   = []byte("chain_refs")
	bChainByUser = []byte("chain_by_user")
)

// ChainKind is the kind of a chained record.
type ChainKind byte

// The chained kinds and the bucket each one's ref is a key of.
const (
	ChainPolicyAnswer  ChainKind = 'p' // acceptances, BE(id)
	ChainCookieConsent ChainKind = 'c' // cookie_consents, BE(seq)
	ChainAudit         ChainKind = 'a' // audit, BE(id)
)

// ChainKinds lists the kinds in the order verify reports them.
var ChainKinds = []ChainKind{ChainPolicyAnswer, ChainCookieConsent, ChainAudit}

func (k ChainKind) String() string {
	switch k {
	case ChainPolicyAnswer:
		return "policy_answer"
	case ChainCookieConsent:
		return "cookie_consent"
	case ChainAudit:
		return "audit"
	}
	return fmt.Sprintf("unknown(%q)", byte(k))
}

func (k ChainKind) bucket() []byte {
	switch k {
	case ChainPolicyAnswer:
		return bAcceptances
	case ChainCookieConsent:
		return bCookieConsents
	case ChainAudit:
		return bAudit
	}
	return nil
}

const (
	chainFormat    = 1
	chainEntryLen  = 106
	chainTombLen   = chainEntryLen + 9
	chainDomain    = "accord-chain/1\x00"
	offPrev        = 10
	offContent     = 42
	offHash        = 74
	chainTombstone = 'T'
)

func init() {
	registerBuckets(
		BucketInfo{Name: string(bChain), Class: NotPersonal,
			Holds: "the hash chain of consent and audit events: kind, record key and hashes only (no personal content)"},
		BucketInfo{Name: string(bChainRefs), Class: Index, IndexOf: string(bChain),
			Holds: "chained record (kind, key) → its chain entry"},
		BucketInfo{Name: string(bChainByUser), Class: Index, IndexOf: string(bChain),
			Holds: "account → chain entries of its records (tombstoned and removed by the erasure)"},
	)
}

// ChainEntry is one entry of the chain, decoded.
type ChainEntry struct {
	Seq     uint64
	Kind    ChainKind
	Ref     uint64
	Prev    [32]byte
	Content [32]byte
	Hash    [32]byte
	// TombstoneBy is the entry of the audit event that declared this
	// entry's record erased (0: the record is there).
	TombstoneBy uint64
}

// HashHex is the entry's hash in hex.
func (e ChainEntry) HashHex() string { return hex.EncodeToString(e.Hash[:]) }

func decodeChainEntry(k, v []byte) (ChainEntry, error) {
	var e ChainEntry
	if len(k) != 8 {
		return e, fmt.Errorf("a key of %d bytes", len(k))
	}
	e.Seq = btoi(k)
	if (len(v) != chainEntryLen && len(v) != chainTombLen) || v[0] != chainFormat {
		return e, fmt.Errorf("a malformed value (%d bytes)", len(v))
	}
	e.Kind = ChainKind(v[1])
	e.Ref = binary.BigEndian.Uint64(v[2:offPrev])
	copy(e.Prev[:], v[offPrev:offContent])
	copy(e.Content[:], v[offContent:offHash])
	copy(e.Hash[:], v[offHash:chainEntryLen])
	if len(v) == chainTombLen {
		if v[chainEntryLen] != chainTombstone {
			return e, fmt.Errorf("a malformed tombstone")
		}
		e.TombstoneBy = binary.BigEndian.Uint64(v[chainEntryLen+1:])
	}
	return e, nil
}

// entryHash is the hash of entry seq (see the package comment above).
func entryHash(seq uint64, kind ChainKind, ref uint64, prev, content *[32]byte) [32]byte {
	var buf [len(chainDomain) + 8 + 1 + 8 + 64]byte
	n := copy(buf[:], chainDomain)
	binary.BigEndian.PutUint64(buf[n:], seq)
	buf[n+8] = byte(kind)
	binary.BigEndian.PutUint64(buf[n+9:], ref)
	copy(buf[n+17:], prev[:])
	copy(buf[n+49:], content[:])
	return sha256.Sum256(buf[:])
}

func (e *ChainEntry) encode() []byte {
	v := make([]byte, chainEntryLen, chainTombLen)
	v[0] = chainFormat
	v[1] = byte(e.Kind)
	binary.BigEndian.PutUint64(v[2:], e.Ref)
	copy(v[offPrev:], e.Prev[:])
	copy(v[offContent:], e.Content[:])
	copy(v[offHash:], e.Hash[:])
	if e.TombstoneBy != 0 {
		v = v[:chainTombLen]
		v[chainEntryLen] = chainTombstone
		binary.BigEndian.PutUint64(v[chainEntryLen+1:], e.TombstoneBy)
	}
	return v
}

func chainRefKey(kind ChainKind, ref uint64) []byte {
	return append([]byte{byte(kind)}, itob(ref)...)
}

// chainHeadTx is the last entry (Seq 0 when the chain is empty).
func chainHeadTx(tx *bolt.Tx) (ChainEntry, error) {
	k, v := tx.Bucket(bChain).Cursor().Last()
	if k == nil {
		return ChainEntry{}, nil
	}
	return decodeChainEntry(k, v)
}

// appendChain appends the record (kind, ref) whose canonical encoding is
// canonical, indexed under the accounts it names (for the erasure).
func appendChain(tx *bolt.Tx, kind ChainKind, ref uint64, canonical []byte, users ...uint64) (ChainEntry, error) {
	head, err := chainHeadTx(tx)
	if err != nil {
		return ChainEntry{}, fmt.Errorf("store: chain head: %w", err)
	}
	e := ChainEntry{Seq: head.Seq + 1, Kind: kind, Ref: ref, Prev: head.Hash, Content: contentHash(canonical)}
	e.Hash = entryHash(e.Seq, kind, ref, &e.Prev, &e.Content)
	if err := tx.Bucket(bChain).Put(itob(e.Seq), e.encode()); err != nil {
		return e, err
	}
	if err := tx.Bucket(bChainRefs).Put(chainRefKey(kind, ref), itob(e.Seq)); err != nil {
		return e, err
	}
	idx := tx.Bucket(bChainByUser)
	for i, u := range users {
		if u == 0 || (i > 0 && u == users[i-1]) {
			continue
		}
		if err := idx.Put(pairKey(u, itob(e.Seq)), nil); err != nil {
			return e, err
		}
	}
	return e, nil
}

// chainEntryOf is the entry of record (kind, ref), ErrNotFound if none.
func chainEntryOf(tx *bolt.Tx, kind ChainKind, ref uint64) (ChainEntry, error) {
	v := tx.Bucket(bChainRefs).Get(chainRefKey(kind, ref))
	if len(v) != 8 {
		return ChainEntry{}, ErrNotFound
	}
	return chainEntryAt(tx, btoi(v))
}

func chainEntryAt(tx *bolt.Tx, seq uint64) (ChainEntry, error) {
	k := itob(seq)
	v := tx.Bucket(bChain).Get(k)
	if v == nil {
		return ChainEntry{}, ErrNotFound
	}
	return decodeChainEntry(k, v)
}

// ChainHead is the chain's last entry (Seq 0: an empty chain).
func (db *DB) ChainHead() (head ChainEntry, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		head, err = chainHeadTx(tx)
		return err
	})
	return head, err
}

// canonicalOf reads the record of an entry and encodes it canonically
// (nil, nil when the record is gone).
func canonicalOf(kind ChainKind, raw []byte) ([]byte, error) {
	if raw == nil {
		return nil, nil
	}
	switch kind {
	case ChainPolicyAnswer:
		var e Acceptance
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, err
		}
		return CanonicalAcceptance(&e), nil
	case ChainCookieConsent:
		var r CookieConsent
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, err
		}
		return CanonicalCookieConsent(&r), nil
	case ChainAudit:
		var e AuditEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, err
		}
		return CanonicalAudit(&e), nil
	}
	return nil, fmt.Errorf("unknown kind %q", byte(kind))
}

// recordMatches tells whether the record of e is there, unchanged.
func recordMatches(tx *bolt.Tx, e *ChainEntry) bool {
	b := tx.Bucket(e.Kind.bucket())
	if b == nil {
		return false
	}
	c, err := canonicalOf(e.Kind, b.Get(itob(e.Ref)))
	if err != nil || c == nil {
		return false
	}
	h := contentHash(c)
	return bytes.Equal(h[:], e.Content[:])
}
