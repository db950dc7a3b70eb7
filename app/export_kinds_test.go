package app

import (
	"testing"

	"accord/store"
)

// Ensure that every personal bucket has a name in each language, for the
// export's index.html and the erasure report (else English text shows).
func TestExportKindLabels(t *testing.T) {
	e := newEnv(t)
	for _, in := range store.Inventory() {
		if in.Class != store.Personal {
			continue
		}
		for _, lang := range []string{"en", "fr"} {
			key := "export.kind." + in.Name
			if got := e.app.tr[lang].T(key); got == key {
				t.Errorf("%s: no %s in locales/%s*.json", in.Name, key, lang)
			}
		}
	}
}
