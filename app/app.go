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

// App is the running web application. It has four parts, built in this
// order by New: what it runs on (deps), the HTTP front every feature shares
// (front), the feature services that own their memory and their writes
// (services, built by wire), and the background jobs' lifecycle. The parts
// are embedded so that handlers write a.db or a.consent; each field is set
// once, while New runs, and never reassigned.
type App struct {
	deps
	front
	services
	lifecycle
}

// deps is what Accord runs on: the operator's configuration, the store, the
// logger, and the settings kept in the store.
type deps struct {
	cfg      Config
	db       *store.DB
	log      *slog.Logger
	settings atomic.Pointer[store.Settings] // swapped whole by reloadSettings
	origin   string                         // scheme://host of the base URL
	secure   bool                           // cookies carry Secure: the base URL is https
}

// front is the HTTP side shared by every feature: the router, rendering,
// translation, form validation, sessions, CSRF, limits and flashes.
type front struct {
	web      *fiber.App
	tr       map[string]*Translator
	views    *viewSet          // templates, one set per language
	assets   map[string]string // static file → its content-hashed URL
	validate *validator.Validate
	sessions *sessionCache
	csrfKey  []byte
	csrfMemo csrfMemo // recent sessions' tokens (csrf.go)
	limits   *limiter
	flashes  *flashStore
	proxies  []netip.Prefix // whose X-Forwarded-For is believed
	// auditActions are the audited actions, for the audit log's filter.
	auditActions []string
	saveFailures logEvery // failed commits: one log line a minute (errors.go)
}

// services are the features that hold memory over the store; wire builds
// them in dependency order. Nothing outside a service touches its memory.
type services struct {
	mailDesk       *desk                  // mail, notification counts, reset queue
	consent        *consent.Service       // policies: snapshot of versions, answers in memory, recording
	texts          *policyTexts           // policy texts rendered, and what changed between two
	cookies        *cookieconsent.Service // the cookie register and every latest choice
	visits         *visitCounter          // first-party visit statistics not yet flushed
	api            *apiDesk               // API tokens in memory, their last uses not yet written
	hooks          *hookSender            // webhook deliveries: the HTTP client and its shutdown
	backupRefusals refusals               // refused /admin/backup attempts, audited by interval
	metrics        *metricsDesk           // /metrics: request counts and latencies, the store's figures
}

// lifecycle is the background jobs' stop signal and the group Shutdown waits on.
type lifecycle struct {
	stop chan struct{}
	jobs sync.WaitGroup
}

// New builds the application over db, part by part in the order of App's
// fields: deps, front, services (wire), then the routes. Call Start to run
// background jobs.
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
		deps: deps{
			cfg:    cfg,
			db:     db,
			log:    cfg.Logger,
			secure: base.Scheme == "https",
			origin: base.Scheme + "://" + base.Host,
		},
		lifecycle: lifecycle{stop: make(chan struct{})},
	}
	if err := a.seedDeps(); err != nil {
		return nil, err
	}
	if err := a.buildFront(); err != nil {
		return nil, err
	}
	if err := a.wire(); err != nil {
		return nil, err
	}
	a.routes()
	return a, nil
}

// seedDeps seeds the store's default settings and records of processing,
// then loads the settings.
func (a *App) seedDeps() error {
	if err := a.db.SeedSettings(store.DefaultSettings(a.cfg.Lang)); err != nil {
		return err
	}
	if err := a.db.SeedDefaultProcessing(); err != nil {
		return err
	}
	return a.reloadSettings()
}

// buildFront builds the HTTP side: translators and templates from the
// embedded folders, the CSRF key from the store, sessions, limits, flashes,
// the trusted proxies and the Fiber router.
func (a *App) buildFront() error {
	f := &a.front
	var err error
	if f.csrfKey, err = a.db.CSRFKey(); err != nil {
		return err
	}
	if f.tr, err = translators(a.cfg.Locales); err != nil {
		return err
	}
	if f.auditActions, err = auditActions(a.cfg.Locales); err != nil {
		return err
	}
	if f.assets, err = assetURLs(a.cfg.Static); err != nil {
		return err
	}
	if f.proxies, err = parseProxies(a.cfg.TrustedProxy); err != nil {
		return err
	}
	f.validate = newValidator("form")
	f.sessions = newSessionCache()
	f.limits = newLimiter(a.db.Now)
	f.flashes = newFlashStore(a.db.Now)
	if f.views, err = newViewSet(a.cfg.Views, f.tr, f.assets, a.templateFuncs(), Langs[0], true); err != nil {
		return err
	}
	f.web = fiber.New(fiber.Config{
		AppName:               "accord",
		Views:                 f.views,
		ErrorHandler:          a.handleError,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		// Room for the CSV import's largest upload and its form fields
		// (import_parse.go), so that a file over its limit gets the
		// import page's translated 422, not a connection cut mid-upload.
		BodyLimit: importMaxBytes + 1<<20,
		// Strings from the request outlive handlers (flashes, caches, jobs):
		// Fiber must not hand out views of its reused buffers.
		Immutable: true,
	})
	return nil
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
