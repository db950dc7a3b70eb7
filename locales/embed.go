// Package locales holds the interface strings, one flat JSON file per
// language and feature: en.json, fr.json, en.<feature>.json, fr.<feature>.json.
package locales

import "embed"

// FS holds every locale file.
//
//go:embed *.json
var FS embed.FS
