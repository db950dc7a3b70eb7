package mail

import (
	"strings"
	"testing"
)

// Ensure that SMTP addresses map to the right port and TLS mode, and that
// bad ones are refused without echoing the password.
func TestNew(t *testing.T) {
	for _, tc := range []struct {
		url, server string
		ok          bool
	}{
		{"smtp://mail.example.org", "mail.example.org:587", true},
		{"smtp://user:pass@mail.example.org:2525", "mail.example.org:2525", true},
		{"smtps://user:pass@mail.example.org", "mail.example.org:465", true},
		{"http://mail.example.org", "", false},
		{"smtp://", "", false},
		{"smtp://user:secret@mail.example.org:notaport", "", false},
	} {
		s, err := New(tc.url, "")
		if (err == nil) != tc.ok {
			t.Errorf("%s: got error %v, want ok=%v", tc.url, err, tc.ok)
			continue
		}
		if err != nil {
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("%s: error %q shows the password", tc.url, err)
			}
			continue
		}
		if got := s.Server(); got != tc.server {
			t.Errorf("%s: got server %s, want %s", tc.url, got, tc.server)
		}
	}
}
