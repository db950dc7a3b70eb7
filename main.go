// Command accord is the privacy and consent desk of a training organisation:
// one binary with its database inside.
//
//	accord [serve] [flags]          serve the site (default)
//	accord user add --email E ...   create an account
//	accord backup FILE              copy the database (server stopped)
//	accord demo                     add demo data (server stopped)
//	accord healthcheck [--addr]     ask the running server if it is up
//	accord verify [--data DIR | FILE] [--receipt FILE] [--head HASH]
//	                                check the hash chain of consent and audit events
//
// Every flag has an environment twin ACCORD_<FLAG>; the flag wins.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"go/version"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"accord/app"
	"accord/locales"
	"accord/static"
	"accord/store"
	"accord/views"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(args, stderr)
	case "user":
		if len(args) == 0 || args[0] != "add" {
			fmt.Fprintln(stderr, "usage: accord user add --email E --password P [--role learner|dpo|admin] [--first F] [--last L] [--lang en|fr]")
			return 2
		}
		err = userAdd(args[1:], stdout, stderr)
	case "backup":
		err = backup(args, stdout, stderr)
	case "demo":
		err = demo(args, stdout, stderr)
	case "healthcheck":
		err = healthcheck(args, stderr)
	case "verify":
		err = verify(args, stdout, stderr)
	case "help":
		usage(stderr)
		return 0
	default:
		fmt.Fprintf(stderr, "accord: unknown command %q\n\n", cmd)
		usage(stderr)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if errors.Is(err, errUsage) {
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "accord:", err)
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprint(w, `Accord: the privacy and consent desk of a training organisation.

Usage:
  accord [serve] [flags]            serve the site (default command)
  accord user add --email E --password P [--role learner|dpo|admin] [--first F] [--last L] [--lang en|fr]
  accord backup FILE [--data DIR]   consistent copy of the database (server stopped; live: GET /admin/backup)
  accord demo [--data DIR]          add demo learners, courses and requests (server stopped)
  accord healthcheck [--addr ADDR]  exit 0 when the local server answers /healthz
  accord verify [--data DIR | FILE] [--receipt FILE] [--head HASH]
                                    check the hash chain of consent and audit events offline
                                    (a stopped server's data dir, or a backup file): exit 0 with
                                    the count per kind and the head hash, exit 1 naming the first
                                    entry that does not hold; --receipt also checks a person's
                                    receipt, --head a head hash kept elsewhere

Run "accord serve --help" for the server's flags. Every flag has an
environment twin: --base-url is ACCORD_BASE_URL; the flag wins.
`)
}

// flags is a FlagSet whose defaults come from the ACCORD_* environment.
type flags struct{ *flag.FlagSet }

func newFlags(name string, stderr io.Writer) flags {
	fs := flag.NewFlagSet("accord "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return flags{fs}
}

func (f flags) str(name, def, help string) *string {
	env := "ACCORD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	if v, ok := os.LookupEnv(env); ok {
		def = v
	}
	return f.String(name, def, help+" (env "+env+")")
}

// parse accepts flags before and after positional arguments.
func (f flags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			return nil, err
		}
		args = f.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func openStore(dir string) (*store.DB, error) {
	db, err := store.Open(dir, store.Options{Timeout: time.Second})
	if errors.Is(err, store.ErrInUse) {
		return nil, fmt.Errorf("the database in %s is in use by another process (a running server?); stop it first, or use GET /admin/backup for a live copy", dir)
	}
	var damaged *store.DamagedError
	if errors.As(err, &damaged) {
		return nil, fmt.Errorf("the database %s %s.\n"+
			"Accord does not start on an existing database it cannot read, so that nothing is overwritten and no new site replaces it.\n"+
			"Restore accord.db from a backup (made with `accord backup` or GET /admin/backup), "+
			"or remove the file to start a new site", damaged.Path, damaged.Reason)
	}
	return db, err
}

// patchedGo is the Go release that fixes the standard library's known
// vulnerabilities (go.mod's toolchain line; .ci/run, the Dockerfile and the
// README build with it).
const patchedGo = "go1.27.3"

func serve(args []string, stderr io.Writer) error {
	f := newFlags("serve", stderr)
	addr := f.str("addr", ":8080", "address to listen on")
	data := f.str("data", "./data", "data directory (database at <data>/accord.db)")
	baseURL := f.str("base-url", "", "public URL of the site (default http://localhost:<port>); cookies are Secure when it is https")
	lang := f.str("lang", "en", "default language seeded on first start: en or fr")
	smtp := f.str("smtp", "", "SMTP server URL, e.g. smtp://user:pass@host:587 or smtps://...; empty: no mail")
	mailFrom := f.str("mail-from", "accord@localhost", "sender address of mail")
	proxy := f.str("trusted-proxy", "", "comma-separated proxy IPs or CIDRs whose X-Forwarded-For is trusted; empty: none")
	level := f.str("log-level", "info", "log level: debug, info, warn, error")
	if _, err := f.parse(args); err != nil {
		return err
	}
	log := newLogger(*level, stderr)
	if version.Compare(runtime.Version(), patchedGo) < 0 {
		log.Warn("this binary was built with a Go release that has known vulnerabilities: build it with GOTOOLCHAIN="+patchedGo, "go", runtime.Version())
	}
	if *baseURL == "" {
		_, port, err := net.SplitHostPort(*addr)
		if err != nil {
			return fmt.Errorf("--addr %q: %w", *addr, err)
		}
		*baseURL = "http://localhost:" + port
	}
	if *lang != "en" && *lang != "fr" {
		return fmt.Errorf("--lang must be en or fr, not %q", *lang)
	}
	db, err := openStore(*data)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := app.New(db, app.Config{
		Addr: *addr, BaseURL: *baseURL, Lang: *lang, SMTP: *smtp, MailFrom: *mailFrom, TrustedProxy: *proxy,
		Logger: log, Views: views.FS, Static: static.FS, Locales: locales.FS,
	})
	if err != nil {
		return err
	}
	link, err := a.IssueSetupLink()
	if err != nil {
		return err
	}
	if link != "" {
		log.Warn("no administrator yet: open this one-time link within 24 hours to create one", "url", link)
	}
	// Catch the signals before serving: a SIGTERM right after the first
	// answer must still shut down cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a.Start()
	errc := make(chan error, 1)
	go func() { errc <- a.Listen() }()
	log.Info("accord is serving", "addr", *addr, "base_url", *baseURL, "data", db.Path())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	if err := a.Shutdown(10 * time.Second); err != nil {
		log.Error("shutdown", "err", err)
	}
	log.Info("stopped")
	return nil
}

func userAdd(args []string, stdout, stderr io.Writer) error {
	f := newFlags("user add", stderr)
	data := f.str("data", "./data", "data directory")
	email := f.String("email", "", "email address (the sign-in name)")
	password := f.String("password", "", "password, at least 10 characters")
	role := f.String("role", "learner", "learner, dpo or admin")
	first := f.String("first", "", "first name")
	last := f.String("last", "", "last name")
	lang := f.String("lang", "en", "en or fr")
	if _, err := f.parse(args); err != nil {
		return err
	}
	db, err := openStore(*data)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := app.AddUser(db, app.NewUser{Email: *email, Password: *password, Role: *role, FirstName: *first, LastName: *last, Lang: *lang})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, u.ID)
	return nil
}

func backup(args []string, stdout, stderr io.Writer) error {
	f := newFlags("backup", stderr)
	data := f.str("data", "./data", "data directory")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: accord backup FILE [--data DIR]")
		return errUsage
	}
	db, err := openStore(*data)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.BackupFile(pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", pos[0], n)
	// The data dir is ours alone: the head now is the copy's.
	if head, err := db.ChainHead(); err == nil {
		fmt.Fprintf(stdout, "chain head: entry %d %s (keep it elsewhere: accord verify --head HASH FILE)\n", head.Seq, head.HashHex())
	}
	return nil
}

func demo(args []string, stdout, stderr io.Writer) error {
	f := newFlags("demo", stderr)
	data := f.str("data", "./data", "data directory")
	lang := f.str("lang", "en", "default language seeded if the database is new")
	if _, err := f.parse(args); err != nil {
		return err
	}
	db, err := openStore(*data)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := app.New(db, app.Config{BaseURL: "http://localhost", Lang: *lang, Logger: newLogger("warn", stderr),
		Views: views.FS, Static: static.FS, Locales: locales.FS})
	if err != nil {
		return err
	}
	return a.Demo(stdout)
}

func healthcheck(args []string, stderr io.Writer) error {
	f := newFlags("healthcheck", stderr)
	addr := f.str("addr", ":8080", "address the server listens on")
	if _, err := f.parse(args); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		return err
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	client := http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/healthz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz answered %s", resp.Status)
	}
	return nil
}
