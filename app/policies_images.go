package app

import (
	"net/url"
	"path"
	"regexp"

	"github.com/microcosm-cc/bluemonday"
)

// staticImage is what an image in a policy may point at: a file under
// /static/, named with plain characters only (no %, backslash, query or
// fragment, which browsers would decode or normalise into another path).
var staticImage = regexp.MustCompile(`^/static/[A-Za-z0-9_-][A-Za-z0-9._/-]*$`)

// policySanitizer is bluemonday's policy for user content, but images load
// only from /static/. An image pointing at one of Accord's own routes
// (`![x](/admin/backup)`) would make every reader's browser call it with
// their cookies; elsewhere the Content-Security-Policy blocks it anyway.
// A refused source is emptied: browsers fetch nothing for src="".
func policySanitizer() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RewriteSrc(func(u *url.URL) {
		if !allowedImage(u) {
			*u = url.URL{}
		}
	})
	return p
}

// allowedImage reports whether u is a local path under /static/ that stays
// there once a browser resolves it.
func allowedImage(u *url.URL) bool {
	if u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || u.RawQuery != "" ||
		u.Fragment != "" || u.ForceQuery || u.RawPath != "" {
		return false
	}
	return staticImage.MatchString(u.Path) && path.Clean(u.Path) == u.Path
}
