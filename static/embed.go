// Package static holds Accord's browser assets: the stylesheet, the small
// accord.js helper, the vendored htmx build with its licence, and the icons.
// They are served from /static/ and come from the same origin as the pages,
// so the Content-Security-Policy can stay at 'self' and no third party sees
// a visitor's address before they have made a cookie choice.
package static

import "embed"

// FS holds the css, js, vendor and icons directories, with paths relative to
// this package (for example "css/accord.css", "vendor/htmx-2.0.11.min.js").
//
//go:embed css js vendor icons
var FS embed.FS
