package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/net/html"
)

// Fuzz targets (issue 10, point 19), run briefly by .ci/run after the
// suite; their seeds run with every go test.

// FuzzCleanText: a single-line text is accepted only when it holds no
// forbidden character; a multi-line one always comes out valid UTF-8,
// without CR or forbidden characters, and cleaning it again changes
// nothing.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "Zoé", "a\r\nb", "\x00", "\u202e", "\xff", "a\u2028b", "\t", "\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if out, ok := cleanText(s, false); ok {
			if out != s || !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return forbiddenRune(r, false) }) {
				t.Fatalf("single line %q accepted", s)
			}
		}
		out, ok := cleanText(s, true)
		if !ok || !utf8.ValidString(out) || strings.Contains(out, "\r") || strings.ContainsFunc(out, func(r rune) bool { return forbiddenRune(r, true) }) {
			t.Fatalf("multi-line %q → %q", s, out)
		}
		if again, _ := cleanText(out, true); again != out {
			t.Fatalf("cleaning %q twice changed it", s)
		}
	})
}

// fuzzForm has a field of each kind the forms use.
type fuzzForm struct {
	Name    string   `form:"name" validate:"required,max=100"`
	Email   string   `form:"email" validate:"omitempty,email,max=254"`
	Message string   `form:"message" validate:"max=5000"`
	Count   int      `form:"count" validate:"min=0,max=1000"`
	IDs     []uint64 `form:"id" validate:"max=500"`
	Tags    []string `form:"category" validate:"max=10,dive,max=32"`
}

// FuzzFormDecoding: any body, url-encoded or multipart, is decoded by bind
// without a panic or a 5xx, and a form bind accepts holds only clean text.
func FuzzFormDecoding(f *testing.F) {
	e := newEnv(f)
	web := fiber.New()
	web.Post("/f", func(c *fiber.Ctx) error {
		var in fuzzForm
		form := e.app.bind(c, &in)
		if !form.Invalid() {
			for _, s := range append([]string{in.Name, in.Email}, in.Tags...) {
				if _, ok := cleanText(s, false); !ok {
					return fiber.NewError(http.StatusTeapot, "unclean "+s)
				}
			}
			if out, _ := cleanText(in.Message, true); out != in.Message {
				return fiber.NewError(http.StatusTeapot, "message not cleaned")
			}
		}
		return c.SendStatus(http.StatusNoContent)
	})
	f.Add("name=Ann&email=a%40example.org&count=3&id=1&id=2&category=x", false)
	f.Add("name=%00&message=a%0D%0Ab&count=-1&id=99999999999999999999", false)
	f.Add("%zz=%&&==&name=%ff", false)
	f.Add("--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAnn\r\n--b--\r\n", true)
	f.Fuzz(func(t *testing.T, body string, multipart bool) {
		req := httptest.NewRequest(http.MethodPost, "/f", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if multipart {
			req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
		}
		res, err := web.Test(req, -1)
		if err != nil {
			return // refused by fasthttp before any handler
		}
		res.Body.Close()
		if res.StatusCode >= 500 || res.StatusCode == http.StatusTeapot {
			t.Fatalf("body %q: got %d", body, res.StatusCode)
		}
	})
}

// unsafeMarkup is the first unsafe thing in the HTML out, read as a
// browser reads it: a script, frame, object or style element, an event
// handler attribute, a script URL, or an image from anywhere but /static/.
func unsafeMarkup(out string) string {
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script", "iframe", "object", "embed", "style", "frame", "base", "form":
				return "<" + tok.Data + ">"
			}
			for _, at := range tok.Attr {
				v := strings.ToLower(strings.TrimSpace(at.Val))
				switch {
				case strings.HasPrefix(at.Key, "on"):
					return "attribute " + at.Key
				case (at.Key == "href" || at.Key == "src") && (strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") || strings.HasPrefix(v, "data:")):
					return at.Key + "=" + v
				case tok.Data == "img" && at.Key == "src" && v != "" && (!strings.HasPrefix(v, "/static/") || strings.Contains(v, "..") || strings.Contains(v, "%2e")):
					return "img src=" + v
				}
			}
		}
	}
}

// FuzzRenderMarkdown: whatever an administrator writes, the policy HTML
// holds no script, frame, event handler, script URL or image from outside
// /static/.
func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{"# Title\n\nText", "<script>alert(1)</script>", "[x](javascript:alert(1))", "![x](/admin/backup)",
		"<img src=x onerror=alert(1)>", "<a href=\"JaVaScRiPt:alert(1)\">x</a>", "| a |\n|---|\n| <b onclick=x>b</b> |", "![x](/static/../admin/backup)",
		"text onx=1 [a](u \"t onx=1\")"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := string(renderMarkdown(src))
		if m := unsafeMarkup(out); m != "" {
			t.Fatalf("markdown %q gave %q in\n%s", src, m, out)
		}
	})
}

// FuzzNegotiateLanguage: the language is always one Accord has, whatever
// the query, cookie, profile and Accept-Language say.
func FuzzNegotiateLanguage(f *testing.F) {
	f.Add("", "", "", "fr-CA,fr;q=0.9,en;q=0.8", "en")
	f.Add("xx", "fr\x00", "de", "*;q=0,zz-ZZ;q=1.5", "")
	f.Add("EN", "", "", strings.Repeat("a-", 1000), "fr")
	f.Fuzz(func(t *testing.T, query, cookie, profile, accept, def string) {
		got := negotiate(query, cookie, profile, accept, def)
		if !validLang(got) {
			t.Fatalf("negotiate(%q, %q, %q, %q, %q) = %q", query, cookie, profile, accept, def, got)
		}
	})
}
