package app

import (
	"html"
	"strings"
)

// queryPart is s as html/template writes it after the ? of a quoted URL
// attribute: every byte but RFC 3986's unreserved ones percent-encoded.
func queryPart(s string) string {
	return percentEncode(s, unreserved)
}

// attrURL is a URL as html/template writes it in a quoted href or src:
// bytes outside RFC 3986's reserved and unreserved sets percent-encoded
// (existing escapes kept), then HTML-escaped. Every URL here is Accord's
// own or a mailto: of the settings, never a script URL.
func attrURL(s string) string {
	s = percentEncode(s, inURL)
	if strings.IndexByte(s, '&') < 0 {
		return s // the one byte inURL keeps that HTML escapes
	}
	return html.EscapeString(s)
}

// percentEncode is s with each byte that keep refuses percent-encoded; s
// itself, not copied, when keep takes every byte.
func percentEncode(s string, keep func(c byte) bool) string {
	const hex = "0123456789abcdef"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if keep(c) {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(s)+16), s[:i]...)
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	if b == nil {
		return s
	}
	return string(b)
}

// unreserved reports whether c is one of RFC 3986's unreserved bytes.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// inURL reports whether a URL keeps c as it is: unreserved, reserved, or
// the % of an escape.
func inURL(c byte) bool {
	return unreserved(c) || strings.IndexByte("!#$&*+,/:;=?@[]%", c) >= 0
}
