// Package metrics gives a running paybytweet its Prometheus metrics. Each
// daemon has its own registry (never the global one), so that two
// daemons in one process, as in the tests, count apart. What happens in
// calls (Twitter's errors, the issuer's latency and answers) is counted by
// decorators around the clients the bot is given; what the database holds
// is read by a collector when Prometheus scrapes; ALERTs are counted by a
// log handler.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one daemon's registry and the metrics counted in memory.
type Metrics struct {
	Registry *prometheus.Registry

	twitterRequests *prometheus.CounterVec
	twitterErrors   *prometheus.CounterVec
	issuerDuration  *prometheus.HistogramVec
	charges         *prometheus.CounterVec
	alerts          *prometheus.CounterVec
	reloads         *prometheus.CounterVec

	// IssuerReach tracks whether the issuer answers, for readiness.
	IssuerReach *Reachability
}

// New returns a registry holding the Go, build-info and process
// collectors and the project's own metrics.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		twitterRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paybytweet_twitter_requests_total",
			Help: "Calls to the Twitter API, by what was asked (mentions, post, dm_list, ...), whichever API answers.",
		}, []string{"endpoint"}),
		twitterErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paybytweet_twitter_errors_total",
			Help: "Failed calls to the Twitter API, by what was asked, HTTP status (0: no answer) and kind (duplicate, too_long, reply_target_gone, rate_limited, usage_capped, credentials_refused, account_refused, transient, bad_request, ...), whichever API answers.",
		}, []string{"endpoint", "status", "kind"}),
		issuerDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "paybytweet_issuer_request_duration_seconds",
			Help:    "How long the issuer took to answer, by operation and outcome (ok, final, retry_later, unknown, bug).",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10, 30},
		}, []string{"operation", "outcome"}),
		charges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paybytweet_charges_total",
			Help: "Purchase attempts at the issuer, by outcome: approved, declined, refused (for good), retry_later, unknown, conflict (idempotency key misused).",
		}, []string{"outcome"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paybytweet_alerts_total",
			Help: "ALERT log records, by their alert kind.",
		}, []string{"kind"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paybytweet_config_reloads_total",
			Help: "Reloads of a changed configuration file, by result: applied, unchanged (nothing that takes effect without a restart), refused.",
		}, []string{"result"}),
		IssuerReach: &Reachability{},
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewBuildInfoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.twitterRequests, m.twitterErrors, m.issuerDuration, m.charges, m.alerts, m.reloads,
	)
	// Shown at 0 from the start, so that a rate or an alert on them has
	// a series to read before the first one happens.
	for _, r := range []string{"applied", "unchanged", "refused"} {
		m.reloads.WithLabelValues(r)
	}
	for _, o := range []string{"approved", "declined", "refused", "retry_later", "unknown", "conflict"} {
		m.charges.WithLabelValues(o)
	}
	return m
}

// Handler serves the registry in Prometheus's text format. A metric that
// cannot be read (the database does not answer) is left out and counted
// in promhttp_metric_handler_errors_total; the others are still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry, ErrorHandling: promhttp.ContinueOnError})
}

// ConfigReloaded counts one reload of a changed file by its result.
func (m *Metrics) ConfigReloaded(result string) { m.reloads.WithLabelValues(result).Inc() }
