package store

import (
	"crypto/sha256"
	"sort"
	"strconv"
	"time"
)

// The canonical encoding of a chained record (version 1). The content hash
// of a chain entry is the SHA-256 of these bytes, so it does not depend on
// how the record happens to be stored (field order, omitted zero values,
// HTML escapes) and a receipt's record can be re-encoded anywhere:
//
//   - one JSON object, no whitespace, every field of the record present
//     (zero values included), keys in byte order;
//   - integers in decimal; booleans true/false;
//   - times in UTC, RFC 3339 with as many fraction digits as needed and no
//     trailing zeros (Go's time.RFC3339Nano), e.g. "2026-12-03T17:02:18.5Z";
//   - strings in double quotes where only `"`, `\` and the control
//     characters below U+0020 are escaped (\" \\ \n \r \t, the others as
//     \u00xx with lowercase hex); everything else is raw UTF-8;
//   - a map (the cookie decisions) is an object with its keys in byte order.
//
// The fields, per kind:
//
//	policy_answer  actor_id actor_kind id lang note policy_id status text_hash time user_id version_id where
//	cookie_consent consent_id decisions derived_from id lang method policy_text_hash policy_version_id
//	               register_digest register_revision state time user_id valid_until
//	audit          action actor_id detail id subject_id time
//
// Changing an encoding breaks every hash made with it: add a new version
// instead of editing this one.
type canon struct{ b []byte }

func (c *canon) key(k string) {
	if len(c.b) == 0 {
		if c.b == nil {
			c.b = make([]byte, 0, 512)
		}
		c.b = append(c.b, '{')
	} else {
		c.b = append(c.b, ',')
	}
	c.b = appendCanonString(c.b, k)
	c.b = append(c.b, ':')
}

func (c *canon) str(k, v string)        { c.key(k); c.b = appendCanonString(c.b, v) }
func (c *canon) num(k string, v uint64) { c.key(k); c.b = strconv.AppendUint(c.b, v, 10) }
func (c *canon) time(k string, t time.Time) {
	c.key(k)
	c.b = append(c.b, '"')
	c.b = t.UTC().AppendFormat(c.b, time.RFC3339Nano)
	c.b = append(c.b, '"')
}

func (c *canon) bools(k string, m map[CookieCategory]bool) {
	c.key(k)
	keys := make([]string, 0, len(m))
	for cat := range m {
		keys = append(keys, string(cat))
	}
	sort.Strings(keys)
	c.b = append(c.b, '{')
	for i, cat := range keys {
		if i > 0 {
			c.b = append(c.b, ',')
		}
		c.b = appendCanonString(c.b, cat)
		c.b = append(c.b, ':')
		c.b = strconv.AppendBool(c.b, m[CookieCategory(cat)])
	}
	c.b = append(c.b, '}')
}

func (c *canon) end() []byte { return append(c.b, '}') }

const hexDigits = "0123456789abcdef"

func appendCanonString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"' || ch == '\\':
			b = append(b, '\\', ch)
		case ch == '\n':
			b = append(b, '\\', 'n')
		case ch == '\r':
			b = append(b, '\\', 'r')
		case ch == '\t':
			b = append(b, '\\', 't')
		case ch < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[ch>>4], hexDigits[ch&0xf])
		default:
			b = append(b, ch)
		}
	}
	return append(b, '"')
}

// CanonicalAcceptance is the canonical encoding of a policy answer.
func CanonicalAcceptance(e *Acceptance) []byte {
	var c canon
	c.num("actor_id", e.ActorID)
	c.str("actor_kind", string(e.ActorKind))
	c.num("id", e.ID)
	c.str("lang", e.Lang)
	c.str("note", e.Note)
	c.num("policy_id", e.PolicyID)
	c.str("status", string(e.Status))
	c.str("text_hash", e.TextHash)
	c.time("time", e.Time)
	c.num("user_id", e.UserID)
	c.num("version_id", e.VersionID)
	c.str("where", string(e.Where))
	return c.end()
}

// CanonicalCookieConsent is the canonical encoding of a cookie choice.
func CanonicalCookieConsent(r *CookieConsent) []byte {
	var c canon
	c.str("consent_id", r.ConsentID)
	c.bools("decisions", r.Decisions)
	c.str("derived_from", r.DerivedFrom)
	c.str("id", r.ID)
	c.str("lang", r.Lang)
	c.str("method", string(r.Method))
	c.str("policy_text_hash", r.PolicyTextHash)
	c.num("policy_version_id", r.PolicyVersionID)
	c.str("register_digest", r.RegisterDigest)
	c.num("register_revision", r.RegisterRevision)
	c.str("state", string(r.State))
	c.time("time", r.Time)
	c.num("user_id", r.UserID)
	c.time("valid_until", r.ValidUntil)
	return c.end()
}

// CanonicalAudit is the canonical encoding of an audit event.
func CanonicalAudit(e *AuditEvent) []byte {
	var c canon
	c.str("action", string(e.Action))
	c.num("actor_id", e.ActorID)
	c.str("detail", e.Detail)
	c.num("id", e.ID)
	c.num("subject_id", e.SubjectID)
	c.time("time", e.Time)
	return c.end()
}

func contentHash(canonical []byte) [32]byte { return sha256.Sum256(canonical) }
