package app

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"net/url"
	"strings"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// Page is what every template receives. The embedded Translator gives
// templates {{.T "key"}}, {{.N "key" n}}, {{.Date t}}.
type Page struct {
	*Translator
	Title  string // translated
	Path   string
	Query  url.Values
	User   *store.User
	CSRF   string
	Flash  *Flash
	Site   store.Settings
	Form   *Form
	Data   any
	assets map[string]string
	// Chrome is what the page frame shows beside the content; features
	// fill it in.
	Chrome Chrome
}

// Chrome is the frame's part that depends on the visitor.
type Chrome struct {
	CookieBanner  *bannerData // the cookie banner, when shown
	Notifications int         // unread notifications
}

// Asset is the versioned URL of a static file (long-cached, so the URL
// changes with the content).
func (p *Page) Asset(name string) string {
	if u, ok := p.assets[name]; ok {
		return u
	}
	return "/static/" + name
}

// LangURL is the current page in language l. A path that starts with
// several slashes keeps one: "//host" would leave the site.
func (p *Page) LangURL(l string) string {
	path := p.Path
	if strings.HasPrefix(path, "//") {
		path = "/" + strings.TrimLeft(path, "/")
	}
	if len(p.Query) == 0 {
		return path + "?lang=" + url.QueryEscape(l)
	}
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = v
	}
	q.Set("lang", l)
	return path + "?" + q.Encode()
}

// Pick is the text of a per-language map in the translator's language,
// else in the other one.
func (tr *Translator) Pick(texts map[string]string) string {
	if t := texts[tr.Lang]; t != "" {
		return t
	}
	for _, l := range Langs {
		if t := texts[l]; t != "" {
			return t
		}
	}
	return ""
}

// Staff reports whether the signed-in user may see the staff pages.
func (p *Page) Staff() bool { return p.User != nil && p.User.Role.Staff() }

// Admin reports whether the signed-in user is an administrator.
func (p *Page) Admin() bool { return p.User != nil && p.User.Role == store.RoleAdmin }

// Current reports whether path is the current page or a page under it, for
// aria-current in navigation.
func (p *Page) Current(path string) bool {
	return p.Path == path || (path != "/" && strings.HasPrefix(p.Path, path+"/"))
}

// FlashText is the translated flash message.
func (p *Page) FlashText() string {
	if p.Flash == nil {
		return ""
	}
	return p.T(p.Flash.Key, p.Flash.Args...)
}

// page starts the Page for this request, titled by the locale key title.
func (a *App) page(c *fiber.Ctx, title string) *Page {
	tr := a.translator(c)
	p := &Page{
		Translator: tr,
		Title:      tr.T(title),
		Path:       string(c.Request().URI().Path()),
		Site:       a.Settings(),
		Form:       &Form{},
		assets:     a.assets,
	}
	p.Query, _ = url.ParseQuery(string(c.Request().URI().QueryString()))
	p.Query.Del("lang")
	p.User, _ = c.Locals(ctxUser).(*store.User)
	p.CSRF = a.csrfToken(c)
	p.Flash = a.flashes.take(a.flashOwner(c))
	a.cookieChrome(c, p)
	a.noticeChrome(p)
	return p
}

// render writes the page template, or only its fragment for an htmx request
// (not a history restore, which needs the whole page).
func (a *App) render(c *fiber.Ctx, status int, page, fragment string, p *Page) error {
	c.Vary("HX-Request")
	name := page
	if fragment != "" && isHTMX(c) {
		name = fragment
	}
	if name == page && renderFast(c, status, page, p) {
		return nil
	}
	c.Status(status)
	return c.Render(name, p)
}

func isHTMX(c *fiber.Ctx) bool {
	return c.Get("HX-Request") == "true" && c.Get("HX-History-Restore-Request") != "true"
}

// redirect ends a successful POST: 303 (post/redirect/get), or for htmx 200
// with HX-Redirect, never a 3xx that htmx would follow and swap.
func (a *App) redirect(c *fiber.Ctx, to string) error {
	if isHTMX(c) {
		c.Set("HX-Redirect", to)
		return c.SendStatus(fiber.StatusOK)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// flash leaves a message for the next page this browser sees.
func (a *App) flash(c *fiber.Ctx, kind, key string, args ...any) {
	a.flashes.set(a.flashOwner(c), Flash{Kind: kind, Key: key, Args: args})
}

func (a *App) flashOwner(c *fiber.Ctx) string {
	if s, ok := c.Locals(ctxSession).(store.Session); ok {
		return "s" + hex.EncodeToString(s.Hash[:8])
	}
	if secret := c.Cookies(csrfCookie); secret != "" {
		return "v" + secret
	}
	return ""
}

func (a *App) templateFuncs() template.FuncMap {
	return template.FuncMap{
		// dict builds the argument of a partial: dict "P" $ "Name" "email".
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, errors.New("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, errors.New("dict: keys must be strings")
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"field":       fieldHTML,
		"banner":      banner,
		"frameHead":   frameHead,
		"frameHeader": frameHeader,
		"frameBottom": frameBottom,
		"add":         func(a, b int) int { return a + b },
		"list":        func(v ...string) []string { return v },
	}
}

// assetURLs maps each static file to a URL that carries its content hash.
func assetURLs(fsys fs.FS) (map[string]string, error) {
	out := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		out[path] = "/static/" + path + "?v=" + hex.EncodeToString(sum[:6])
		return nil
	})
	return out, err
}
