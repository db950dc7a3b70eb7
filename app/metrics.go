package app

import (
	"strconv"
	"sync"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics (issue 12.10): GET /metrics in the Prometheus text format, for
// administrators or a token of scope metrics. Requests are counted by route
// pattern (never the raw path: ids and junk paths stay out of the label
// set), method and status, with a latency histogram by route and method;
// the store's queues and totals are read once per scrape (store.Figures).
// Requests answered before any route, by the consent gate or as unknown
// paths, carry the route label "(none)".
type metricsDesk struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	handler  fiber.Handler

	mu     sync.RWMutex
	series map[seriesKey]series // the children made so far, found without allocating
}

type seriesKey struct {
	route, method string
	status        int
}

type series struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

func (a *App) initMetrics() error {
	m := &metricsDesk{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_http_requests_total", Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "accord_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route", "method"}),
		series: map[seriesKey]series{},
	}
	for _, c := range []prometheus.Collector{
		m.requests, m.latency, storeCollector{a.db},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := m.reg.Register(c); err != nil {
			return err
		}
	}
	// Fiber's compress middleware compresses the answer.
	m.handler = adaptor.HTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{DisableCompression: true}))
	a.metrics = m
	return nil
}

// observe counts one answered request (requestLog calls it).
func (m *metricsDesk) observe(c *fiber.Ctx, d time.Duration) {
	r := c.Route()
	k := seriesKey{route: r.Path, method: c.Method(), status: c.Response().StatusCode()}
	if r.Path == "/" && c.Path() != "/" { // answered by a middleware of the whole site
		k.route = "(none)"
	}
	m.mu.RLock()
	s, ok := m.series[k]
	m.mu.RUnlock()
	if !ok {
		s = series{
			count:   m.requests.WithLabelValues(k.route, k.method, strconv.Itoa(k.status)),
			latency: m.latency.WithLabelValues(k.route, k.method),
		}
		m.mu.Lock()
		m.series[k] = s
		m.mu.Unlock()
	}
	s.count.Inc()
	s.latency.Observe(d.Seconds())
}

// metricsBearer serves /metrics to a request with a bearer token of scope
// metrics (or write); without an Authorization header the route's session
// checks follow (administrators only).
func (a *App) metricsBearer(c *fiber.Ctx) error {
	if c.Get(fiber.HeaderAuthorization) == "" {
		return c.Next()
	}
	if t, status, code := a.bearer(c, store.ScopeMetrics); t == nil {
		return c.Status(status).SendString(code)
	}
	return a.getMetrics(c)
}

// getMetrics answers the metrics, never cached.
func (a *App) getMetrics(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return a.metrics.handler(c)
}

// storeCollector reads the store's figures once per scrape.
type storeCollector struct{ db *store.DB }

var (
	descMail     = prometheus.NewDesc("accord_outbox_mails", "Mails in the outbox, by state (queued: waiting for the SMTP server; dead: given up).", []string{"state"}, nil)
	descJobs     = prometheus.NewDesc("accord_jobs_queued", "Data-request jobs pending or running.", nil, nil)
	descWebhooks = prometheus.NewDesc("accord_webhook_deliveries_queued", "Webhook deliveries not yet delivered or given up.", nil, nil)
	descRecords  = prometheus.NewDesc("accord_consent_records_total", "Consent records written since the database was made, by kind (policy answers, cookie choices).", []string{"kind"}, nil)
	descChain    = prometheus.NewDesc("accord_chain_entries", "Entries of the hash chain of consent and audit events.", nil, nil)
)

var storeDescs = []*prometheus.Desc{descMail, descJobs, descWebhooks, descRecords, descChain}

func (storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range storeDescs {
		ch <- d
	}
}

func (s storeCollector) Collect(ch chan<- prometheus.Metric) {
	f, err := s.db.Figures()
	if err != nil {
		for _, d := range storeDescs {
			ch <- prometheus.NewInvalidMetric(d, err)
		}
		return
	}
	ch <- prometheus.MustNewConstMetric(descMail, prometheus.GaugeValue, float64(f.MailQueued), "queued")
	ch <- prometheus.MustNewConstMetric(descMail, prometheus.GaugeValue, float64(f.MailDead), "dead")
	ch <- prometheus.MustNewConstMetric(descJobs, prometheus.GaugeValue, float64(f.JobsQueued))
	ch <- prometheus.MustNewConstMetric(descWebhooks, prometheus.GaugeValue, float64(f.WebhooksQueued))
	ch <- prometheus.MustNewConstMetric(descRecords, prometheus.CounterValue, float64(f.PolicyAnswers), "policy_answer")
	ch <- prometheus.MustNewConstMetric(descRecords, prometheus.CounterValue, float64(f.CookieChoices), "cookie_choice")
	ch <- prometheus.MustNewConstMetric(descChain, prometheus.GaugeValue, float64(f.ChainEntries))
}
