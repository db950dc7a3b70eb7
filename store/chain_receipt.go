package store

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ReceiptSchema names the receipt format. Field names follow ISO/IEC TS
// 27560 (consent record information structure) where one fits; `record`
// is the record itself in the chain's canonical encoding and `chain` its
// place in the hash chain.
const ReceiptSchema = "accord-receipt/1 (ISO/IEC TS 27560)"

// Receipt is what a person keeps of one answer (a policy answer or a
// cookie choice). Every field but the informative ones (Notice.Name,
// Notice.Version, Controller, Issued, Chain.Head*) is derived from the
// record, so `accord verify --receipt` finds any edit.
type Receipt struct {
	SchemaVersion  string             `json:"schema_version"`
	RecordID       string             `json:"record_id"`
	PIIPrincipalID string             `json:"pii_principal_id"`
	Controller     *ReceiptController `json:"pii_controller,omitempty"`
	ConsentType    string             `json:"consent_type"`
	Notice         ReceiptNotice      `json:"notice"`
	Purposes       []ReceiptPurpose   `json:"purposes"`
	Event          ReceiptEvent       `json:"event"`
	Record         json.RawMessage    `json:"record"`
	Chain          ReceiptChain       `json:"chain"`
	Issued         time.Time          `json:"issued"`
}

// ReceiptController is the organisation that keeps the record.
type ReceiptController struct {
	Name    string `json:"name"`
	Contact string `json:"contact,omitempty"`
}

// ReceiptNotice is the text the person was shown.
type ReceiptNotice struct {
	NoticeID   string `json:"notice_id"`
	Name       string `json:"name,omitempty"`    // informative
	Version    string `json:"version,omitempty"` // informative
	Language   string `json:"language"`
	TextSHA256 string `json:"text_sha256,omitempty"`
	// RegisterSHA256 is the cookie register as shown (cookie choices).
	RegisterSHA256 string `json:"register_sha256,omitempty"`
}

// ReceiptPurpose is one purpose and the person's answer to it.
type ReceiptPurpose struct {
	Purpose string `json:"purpose"`
	Consent bool   `json:"consent_given"`
}

// ReceiptEvent is the consent event the record holds.
type ReceiptEvent struct {
	Time       time.Time  `json:"event_time"`
	Type       string     `json:"event_type"`  // accepted, declined, withdrawn; a cookie method
	State      string     `json:"event_state"` // given, refused, withdrawn, expired
	By         string     `json:"event_by"`    // self, guardian, staff
	Method     string     `json:"collection_method"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
}

// ReceiptChain is the record's place in the hash chain.
type ReceiptChain struct {
	Kind           string `json:"kind"`
	Position       uint64 `json:"position"`
	ContentSHA256  string `json:"content_sha256"`
	PreviousSHA256 string `json:"previous_sha256"`
	EntrySHA256    string `json:"entry_sha256"`
	HeadPosition   uint64 `json:"head_position"` // the head when the receipt was issued
	HeadSHA256     string `json:"head_sha256"`
}

// PolicyReceipt is the receipt of policy answer id (ErrNotFound if none),
// with the answer, for the caller to check whose it is.
func (db *DB) PolicyReceipt(id uint64) (r *Receipt, a *Acceptance, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		var e Acceptance
		if err := getJSON(tx.Bucket(bAcceptances), itob(id), &e); err != nil {
			return err
		}
		a = &e
		r, err = receiptTx(tx, ChainPolicyAnswer, id, CanonicalAcceptance(&e))
		return err
	})
	return r, a, err
}

// CookieReceipt is the receipt of the cookie choice whose UUID is id among
// account userID's (ErrNotFound if it is not one of them).
func (db *DB) CookieReceipt(userID uint64, id string) (r *Receipt, rec *CookieConsent, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		var seq uint64
		err := eachConsentOf(tx, ConsentSubject(userID, ""), func(k []byte, c *CookieConsent) error {
			if c.ID == id && c.UserID == userID {
				seq, rec = btoi(k), c
			}
			return nil
		})
		if err != nil {
			return err
		}
		if rec == nil {
			return ErrNotFound
		}
		r, err = receiptTx(tx, ChainCookieConsent, seq, CanonicalCookieConsent(rec))
		return err
	})
	return r, rec, err
}

func receiptTx(tx *bolt.Tx, kind ChainKind, ref uint64, canonical []byte) (*Receipt, error) {
	e, err := chainEntryOf(tx, kind, ref)
	if err != nil {
		return nil, fmt.Errorf("store: receipt: chain entry: %w", err)
	}
	head, err := chainHeadTx(tx)
	if err != nil {
		return nil, err
	}
	r, err := receiptOf(kind, canonical)
	if err != nil {
		return nil, err
	}
	if kind == ChainPolicyAnswer {
		var a Acceptance
		if json.Unmarshal(canonical, &a) == nil {
			if v, err := versionTx(tx, a.VersionID); err == nil {
				t, _ := v.Text(a.Lang)
				r.Notice.Name, r.Notice.Version = t.Name, v.Revision
			}
		}
	}
	r.Chain = ReceiptChain{Kind: kind.String(), Position: e.Seq, ContentSHA256: hex.EncodeToString(e.Content[:]),
		PreviousSHA256: hex.EncodeToString(e.Prev[:]), EntrySHA256: e.HashHex(),
		HeadPosition: head.Seq, HeadSHA256: head.HashHex()}
	return r, nil
}

// receiptOf derives every compared field of a receipt from the record.
func receiptOf(kind ChainKind, canonical []byte) (*Receipt, error) {
	r := &Receipt{SchemaVersion: ReceiptSchema, ConsentType: "explicit", Record: json.RawMessage(canonical)}
	switch kind {
	case ChainPolicyAnswer:
		var a Acceptance
		if err := json.Unmarshal(canonical, &a); err != nil {
			return nil, fmt.Errorf("store: receipt: %w", err)
		}
		r.RecordID = "policy-answer-" + strconv.FormatUint(a.ID, 10)
		r.PIIPrincipalID = "account-" + strconv.FormatUint(a.UserID, 10)
		r.Notice = ReceiptNotice{NoticeID: "policy-version-" + strconv.FormatUint(a.VersionID, 10), Language: a.Lang, TextSHA256: a.TextHash}
		r.Purposes = []ReceiptPurpose{{Purpose: "policy-" + strconv.FormatUint(a.PolicyID, 10), Consent: a.Status == Accepted}}
		state := map[AcceptStatus]string{Accepted: "given", Declined: "refused", Withdrawn: "withdrawn"}[a.Status]
		r.Event = ReceiptEvent{Time: a.Time, Type: string(a.Status), State: state, By: string(a.ActorKind), Method: string(a.Where)}
	case ChainCookieConsent:
		var c CookieConsent
		if err := json.Unmarshal(canonical, &c); err != nil {
			return nil, fmt.Errorf("store: receipt: %w", err)
		}
		r.RecordID = c.ID
		r.PIIPrincipalID = "account-" + strconv.FormatUint(c.UserID, 10)
		r.Notice = ReceiptNotice{NoticeID: "cookie-register-" + strconv.FormatUint(c.RegisterRevision, 10), Language: c.Lang,
			TextSHA256: c.PolicyTextHash, RegisterSHA256: c.RegisterDigest}
		cats := make([]string, 0, len(c.Decisions))
		for cat := range c.Decisions {
			cats = append(cats, string(cat))
		}
		sort.Strings(cats)
		r.Purposes = []ReceiptPurpose{}
		for _, cat := range cats {
			r.Purposes = append(r.Purposes, ReceiptPurpose{Purpose: "cookies-" + cat, Consent: c.Allows(CookieCategory(cat))})
		}
		until := c.ValidUntil
		r.Event = ReceiptEvent{Time: c.Time, Type: string(c.Method), State: string(c.State), By: string(ActorSelf), Method: "cookie-banner", ValidUntil: &until}
	default:
		return nil, fmt.Errorf("store: no receipt for %s", kind)
	}
	return r, nil
}

// ReceiptReport is the outcome of a receipt check that held.
type ReceiptReport struct {
	Chain  *ChainReport
	Entry  ChainEntry
	Erased bool // the record was erased since: the chain keeps its hash
}

// Summary says in one line what was confirmed.
func (r *ReceiptReport) Summary() string {
	s := fmt.Sprintf("the receipt matches chain entry %d (%s %d)", r.Entry.Seq, r.Entry.Kind, r.Entry.Ref)
	if r.Erased {
		s += "; its record was erased since, the chain keeps its hash"
	}
	return s
}

// ErrReceipt is matched (errors.Is) by a receipt that does not match.
var ErrReceipt = errors.New("store: the receipt does not match the database")

func receiptErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrReceipt, fmt.Sprintf(format, a...))
}

// VerifyReceiptFile checks the whole chain of the database file at path
// (read-only), then the receipt raw against it: its record must be the
// one chained at its position, every field derived from the record must
// say what the record says, and the head it was issued at must still be
// in the chain.
func VerifyReceiptFile(path string, raw []byte, opt VerifyOptions) (*ReceiptReport, error) {
	var rep *ReceiptReport
	err := withFile(path, func(tx *bolt.Tx) error {
		chain, err := verifyChainTx(tx, opt)
		if err != nil {
			return err
		}
		rep, err = verifyReceiptTx(tx, raw)
		if rep != nil {
			rep.Chain = chain
		}
		return err
	})
	return rep, err
}

func verifyReceiptTx(tx *bolt.Tx, raw []byte) (*ReceiptReport, error) {
	var r Receipt
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, receiptErr("it is not a receipt (%v)", err)
	}
	if r.SchemaVersion != ReceiptSchema {
		return nil, receiptErr("schema_version is %q, want %q", r.SchemaVersion, ReceiptSchema)
	}
	var kind ChainKind
	for _, k := range ChainKinds {
		if k.String() == r.Chain.Kind {
			kind = k
		}
	}
	if kind != ChainPolicyAnswer && kind != ChainCookieConsent {
		return nil, receiptErr("chain.kind %q is not a policy answer or a cookie choice", r.Chain.Kind)
	}
	e, err := chainEntryAt(tx, r.Chain.Position)
	if err != nil {
		return nil, receiptErr("chain.position %d is not in this database", r.Chain.Position)
	}
	if e.Kind != kind {
		return nil, receiptErr("chain entry %d is a %s, the receipt says %s", e.Seq, e.Kind, r.Chain.Kind)
	}
	if r.Chain.EntrySHA256 != e.HashHex() || r.Chain.ContentSHA256 != hex.EncodeToString(e.Content[:]) ||
		r.Chain.PreviousSHA256 != hex.EncodeToString(e.Prev[:]) {
		return nil, receiptErr("the hashes under chain differ from chain entry %d", e.Seq)
	}
	if r.Chain.HeadPosition < e.Seq {
		return nil, receiptErr("chain.head_position %d is before the record's entry %d", r.Chain.HeadPosition, e.Seq)
	}
	if h, err := chainEntryAt(tx, r.Chain.HeadPosition); err != nil || h.HashHex() != r.Chain.HeadSHA256 {
		return nil, receiptErr("the head the receipt was issued at (entry %d) is no longer in the chain: the history was rewritten since", r.Chain.HeadPosition)
	}
	// The record: decoded as its kind and encoded again, so that the
	// receipt's layout (spaces, key order) does not matter.
	var canonical []byte
	switch kind {
	case ChainPolicyAnswer:
		var a Acceptance
		if err := json.Unmarshal(r.Record, &a); err != nil {
			return nil, receiptErr("its record cannot be read (%v)", err)
		}
		canonical = CanonicalAcceptance(&a)
		if a.ID != e.Ref {
			return nil, receiptErr("record.id is %d, chain entry %d holds policy answer %d", a.ID, e.Seq, e.Ref)
		}
	case ChainCookieConsent:
		var c CookieConsent
		if err := json.Unmarshal(r.Record, &c); err != nil {
			return nil, receiptErr("its record cannot be read (%v)", err)
		}
		canonical = CanonicalCookieConsent(&c)
	}
	if h := contentHash(canonical); h != e.Content {
		return nil, receiptErr("its record differs from the one chained at entry %d%s", e.Seq, fieldDiff(tx, &e, canonical))
	}
	want, err := receiptOf(kind, canonical)
	if err != nil {
		return nil, err
	}
	for _, d := range []struct {
		name      string
		got, want any
	}{
		{"record_id", r.RecordID, want.RecordID},
		{"pii_principal_id", r.PIIPrincipalID, want.PIIPrincipalID},
		{"consent_type", r.ConsentType, want.ConsentType},
		{"notice.notice_id", r.Notice.NoticeID, want.Notice.NoticeID},
		{"notice.language", r.Notice.Language, want.Notice.Language},
		{"notice.text_sha256", r.Notice.TextSHA256, want.Notice.TextSHA256},
		{"notice.register_sha256", r.Notice.RegisterSHA256, want.Notice.RegisterSHA256},
		{"purposes", r.Purposes, want.Purposes},
		{"event", r.Event, want.Event},
	} {
		g, _ := json.Marshal(d.got)
		w, _ := json.Marshal(d.want)
		if !bytes.Equal(g, w) {
			return nil, receiptErr("%s says %s, its record says %s (the receipt was edited)", d.name, g, w)
		}
	}
	return &ReceiptReport{Entry: e, Erased: e.TombstoneBy != 0}, nil
}

// fieldDiff names the fields where a receipt's record differs from the
// database's, when the database still holds it.
func fieldDiff(tx *bolt.Tx, e *ChainEntry, canonical []byte) string {
	if e.TombstoneBy != 0 {
		return " (the record was erased since; its hash alone is kept)"
	}
	dbc, err := canonicalOf(e.Kind, tx.Bucket(e.Kind.bucket()).Get(itob(e.Ref)))
	if err != nil || dbc == nil {
		return ""
	}
	var got, want map[string]json.RawMessage
	if json.Unmarshal(canonical, &got) != nil || json.Unmarshal(dbc, &want) != nil {
		return ""
	}
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !bytes.Equal(got[k], want[k]) {
			return fmt.Sprintf(": field %s is %s in the receipt, %s in the database (the receipt was edited)", k, got[k], want[k])
		}
	}
	return ""
}

// ActReceiptDownloaded is audited for each receipt downloaded.
const ActReceiptDownloaded Action = "receipt_downloaded"
