package store

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

//go:embed seed/*.md seed/summaries.json
var seedFS embed.FS

// defaultPolicies are the seeded policies (CONTRACT.md, "Default data").
var defaultPolicies = []struct {
	key      string
	typ      PolicyType
	audience Audience
}{
	{"site", TypeSite, AudienceAuthenticated},
	{"privacy", TypePrivacy, AudienceAll},
	{"cookies", TypeOther, AudienceAll},
}

// SeedPolicies stores the three default policies (site, privacy, use of
// cookies), active, compulsory, revision 1.0, in English and French, unless
// a policy with their key exists.
func (db *DB) SeedPolicies() error {
	var sums map[string]map[string]struct{ Name, Summary string }
	raw, err := seedFS.ReadFile("seed/summaries.json")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &sums); err != nil {
		return fmt.Errorf("store: read seed summaries: %w", err)
	}
	return db.update(func(tx *bolt.Tx) error {
		have := map[string]bool{}
		tx.Bucket(bPolicies).ForEach(func(_, raw []byte) error {
			var p Policy
			if json.Unmarshal(raw, &p) == nil && p.Key != "" {
				have[p.Key] = true
			}
			return nil
		})
		for _, d := range defaultPolicies {
			if have[d.key] {
				continue
			}
			v := &PolicyVersion{Revision: "1.0", Type: d.typ, Audience: d.audience, Style: StyleConsentPage,
				Status: StatusActive, Texts: map[string]PolicyText{}}
			for _, l := range PolicyLangs {
				content, err := seedFS.ReadFile("seed/" + d.key + "." + l + ".md")
				if err != nil {
					return err
				}
				s, ok := sums[d.key][l]
				if !ok {
					return fmt.Errorf("%w: %s", errBadPolicyKey, d.key)
				}
				v.Texts[l] = PolicyText{Name: s.Name, Summary: s.Summary, Content: string(bytes.TrimSpace(content)) + "\n"}
			}
			if err := db.createPolicy(tx, d.key, v); err != nil {
				return err
			}
			if err := db.auditTx(tx, &AuditEvent{Action: ActPolicyActivated, Detail: "seed: " + versionDetail(v)}); err != nil {
				return err
			}
		}
		return nil
	})
}
