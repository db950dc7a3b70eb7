// Package app is Accord's HTTP side: routes, middleware, handlers by
// feature, rendering and background jobs. It stores through package store
// and never touches a bbolt transaction.
package app

import (
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"accord/app/consent"
	"accord/app/cookieconsent"
	"accord/store"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"
)

// Config is how the operator runs Accord (CONTRACT.md: flags and ACCORD_* twins).
type Config struct {
	Addr         string
	BaseURL      string
	Lang         string
	SMTP         string
	MailFrom     string
	TrustedProxy string
	Logger       *slog.Logger
	// Views, Static and Locales are the embedded asset folders.
	Views, Static, Locales fs.FS
}

// App is the running web application.
type App struct {
	cfg      Config
	db       *store.DB
	log      *slog.Logger
	web      *fiber.App
	tr       map[string]*Translator
	views    *viewSet // templates, one set per language
	validate *validator.Validate
	settings atomic.Pointer[store.Settings]
	sessions *sessionCache
	csrfKey  []byte
	limits   *limiter
	flashes  *flashStore
	assets   map[string]string
	secure   bool                   // cookies carry Secure: the base URL is https
	mailDesk *desk                  // mail, notification counts, reset queue
	cookies  *cookieconsent.Service // the cookie register and every latest choice
	visits   *visitCounter          // first-party visit statistics not yet flushed
	// auditActions are the audited actions, for the audit log's filter.
	auditActions []string
	proxies      []netip.Prefix // whose X-Forwarded-For is believed
	saveFailures logEvery       // failed commits: one log line a minute (errors.go)
	origin       string         // scheme://host of the base URL

	consent *consent.Service // policies: snapshot of versions, answers in memory, recording
	texts   *policyTexts     // policy texts rendered, and what changed between two

	backupRefusals refusals // refused /admin/backup attempts, audited by interval

	api   *apiDesk    // API tokens in memory, their last uses not yet written
	hooks *hookSender // webhook deliveries: the HTTP client and its shutdown

	stop chan struct{}
	jobs sync.WaitGroup
}

// New builds the application over db. Call Start to run background jobs.
func New(db *store.DB, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("app: base URL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	a := &App{
		cfg:      cfg,
		db:       db,
		log:      cfg.Logger,
		secure:   base.Scheme == "https",
		origin:   base.Scheme + "://" + base.Host,
		sessions: newSessionCache(),
		limits:   newLimiter(db.Now),
		flashes:  newFlashStore(db.Now),
		stop:     make(chan struct{}),
	}
	if err := db.SeedSettings(store.DefaultSettings(cfg.Lang)); err != nil {
		return nil, err
	}
	if err := db.SeedDefaultProcessing(); err != nil {
		return nil, err
	}
	if err := a.reloadSettings(); err != nil {
		return nil, err
	}
	if a.csrfKey, err = db.CSRFKey(); err != nil {
		return nil, err
	}
	if a.tr, err = translators(cfg.Locales); err != nil {
		return nil, err
	}
	if a.assets, err = assetURLs(cfg.Static); err != nil {
		return nil, err
	}
	a.validate = newValidator("form")
	if a.views, err = newViewSet(cfg.Views, a.tr, a.assets, a.templateFuncs(), Langs[0], true); err != nil {
		return nil, err
	}
	fcfg := fiber.Config{
		AppName:               "accord",
		Views:                 a.views,
		ErrorHandler:          a.handleError,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		BodyLimit:             4 << 20,
		// Strings from the request outlive handlers (flashes, caches, jobs):
		// Fiber must not hand out views of its reused buffers.
		Immutable: true,
	}
	if a.proxies, err = parseProxies(cfg.TrustedProxy); err != nil {
		return nil, err
	}
	a.web = fiber.New(fcfg)
	if err := a.wire(); err != nil {
		return nil, err
	}
	a.routes()
	return a, nil
}

// Fiber returns the HTTP application (for Listen and app.Test).
func (a *App) Fiber() *fiber.App { return a.web }

// Settings returns the current settings (a copy).
func (a *App) Settings() store.Settings { return *a.settings.Load() }

func (a *App) reloadSettings() error {
	s, err := a.db.Settings(a.cfg.Lang)
	if err != nil {
		return err
	}
	a.settings.Store(&s)
	return nil
}

// Listen serves on the configured address until Shutdown.
func (a *App) Listen() error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("app: listen on %s: %w", a.cfg.Addr, err)
	}
	return a.web.Listener(ln)
}

// Shutdown finishes in-flight requests, stops background jobs and flushes
// what they hold in memory.
func (a *App) Shutdown(timeout time.Duration) error {
	err := a.web.ShutdownWithTimeout(timeout)
	close(a.stop)
	a.jobs.Wait()
	a.flushMemory()
	return err
}

// newValidator reports fields by their names in the struct tag tag ("form"
// for forms, "json" for the API).
func newValidator(tag string) *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	return v
}
