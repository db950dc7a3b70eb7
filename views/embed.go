// Package views holds the html/template files: pages by feature, and
// partials/ (the page frame, form fields). Each htmx swap target is a file of
// its own whose name starts with "_" and whose root element has a stable id.
package views

import "embed"

// FS holds every template.
//
//go:embed */*.html
var FS embed.FS
