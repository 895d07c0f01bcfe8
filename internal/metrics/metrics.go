// Package metrics holds Wharf's Prometheus instruments and serves them in
// the exposition format on a listener of its own. It uses
// prometheus/client_golang, the format's reference implementation; the
// per-request instruments are plain atomic counters behind pre-resolved
// route entries (exposed through a collector at scrape time), so a
// request pays for no label lookup or string building.
//
// Instruments that formats and the service report into (caches, upstream
// fetches, garbage collection, throttling) are package-level, like
// client_golang's own default registry: they are a few atomic adds, cost
// nothing when nobody scrapes them, and reach code deep in the formats
// without threading a handle through every constructor.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// registry holds every Wharf instrument, plus the Go runtime's and the
// process's.
var registry = prometheus.NewRegistry()

func init() {
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registry.MustRegister(cacheLookups, upstreamFetches, upstreamFailures, upstreamLatency,
		gcRuns, gcFailures, gcBlobs, gcBytes, gcOrphans, throttled)
}

// Handler serves every metric in the Prometheus exposition format.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	return mux
}

// Register adds a collector (the request counters, the store sizes) to
// the registry the handler serves. Registering the same kind twice (a
// second server in one process) is an error.
func Register(c prometheus.Collector) error { return registry.Register(c) }

// Unregister removes a collector Register added.
func Unregister(c prometheus.Collector) { registry.Unregister(c) }

// Cache counts one document cache's hits and misses.
type Cache struct{ hit, miss prometheus.Counter }

var cacheLookups = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "wharf_cache_lookups_total",
	Help: "Lookups in the formats' rendered-document caches, by cache and result (hit or miss).",
}, []string{"cache", "result"})

// NewCache returns the counters of the cache named name ("npm", "pypi",
// ...); two calls with one name share counters.
func NewCache(name string) *Cache {
	return &Cache{hit: cacheLookups.WithLabelValues(name, "hit"), miss: cacheLookups.WithLabelValues(name, "miss")}
}

// Hit counts a lookup answered from the cache. A nil Cache counts nothing.
func (c *Cache) Hit() {
	if c != nil {
		c.hit.Inc()
	}
}

// Miss counts a lookup that had to render.
func (c *Cache) Miss() {
	if c != nil {
		c.miss.Inc()
	}
}

var (
	upstreamFetches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wharf_upstream_fetches_total",
		Help: "Requests to public registries behind external connections, by connection.",
	}, []string{"connection"})
	upstreamFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wharf_upstream_failures_total",
		Help: "Upstream requests that failed (no answer or a 5xx), by connection.",
	}, []string{"connection"})
	upstreamLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wharf_upstream_fetch_duration_seconds",
		Help:    "Time to the upstream answer's headers, by connection.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"connection"})
)

// upstreamTransport counts the requests one connection's client makes.
type upstreamTransport struct {
	next              http.RoundTripper
	fetches, failures prometheus.Counter
	latency           prometheus.Observer
}

// Upstream wraps the transport of the HTTP client that fetches from an
// external connection's registry (nil: http.DefaultTransport) so that
// every request it makes is counted, with its failures and latency, under
// connection ("public:npmjs").
func Upstream(connection string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &upstreamTransport{next: next,
		fetches:  upstreamFetches.WithLabelValues(connection),
		failures: upstreamFailures.WithLabelValues(connection),
		latency:  upstreamLatency.WithLabelValues(connection)}
}

// RoundTrip implements http.RoundTripper.
func (t *upstreamTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	t.fetches.Inc()
	resp, err := t.next.RoundTrip(r)
	t.latency.Observe(time.Since(start).Seconds())
	if err != nil || resp.StatusCode >= 500 {
		t.failures.Inc()
	}
	return resp, err
}

var (
	gcRuns = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wharf_gc_runs_total", Help: "Garbage collections of unreferenced asset bytes.",
	})
	gcFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wharf_gc_failures_total", Help: "Garbage collections that stopped on an error.",
	})
	gcBlobs = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wharf_gc_blobs_deleted_total", Help: "Blobs whose bytes garbage collection removed.",
	})
	gcBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wharf_gc_bytes_reclaimed_total", Help: "Bytes garbage collection removed.",
	})
	gcOrphans = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wharf_gc_orphans_deleted_total", Help: "Bytes left by crashed uploads (no metadata) that garbage collection removed.",
	})
)

// GC records one garbage collection: the blobs and bytes it removed, the
// orphans it swept, and whether it failed.
func GC(blobs int, bytes int64, orphans int, failed bool) {
	gcRuns.Inc()
	if failed {
		gcFailures.Inc()
	}
	gcBlobs.Add(float64(blobs))
	gcBytes.Add(float64(bytes))
	gcOrphans.Add(float64(orphans))
}

var throttled = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "wharf_throttled_requests_total",
	Help: "Requests refused by the rate limits, by where (controlplane or endpoint).",
}, []string{"where"})

// Throttled counters, resolved once.
var (
	ThrottledControlPlane = throttled.WithLabelValues("controlplane")
	ThrottledEndpoint     = throttled.WithLabelValues("endpoint")
)
