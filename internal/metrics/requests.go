package metrics

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Requests counts every HTTP request by route, status class and caller
// account, with bytes in and out and a latency histogram per route. A
// route is a control-plane operation ("DescribePackageVersion") or a
// format's read or write class ("npm:read", "npm:write"); "other" takes
// the rest (health checks, unknown paths).
//
// The route table is built once; a request finds its route with a
// lookup on a substring of its path (or, for the control plane, on the
// operation name the handler reports through SetRoute) and its account
// with one sync.Map load, then adds to atomic counters.
type Requests struct {
	routes  map[string]*route // control-plane operations, by name
	formats map[string]*formatRoutes
	other   *route
	latency *prometheus.HistogramVec
	pool    sync.Pool // *recorder
}

type formatRoutes struct{ read, write *route }

type route struct {
	name     string
	latency  prometheus.Observer
	accounts sync.Map // account id -> *counts
}

// counts are one route's figures for one account.
type counts struct {
	byClass   [6]atomic.Uint64 // index: status/100; 0 for anything else
	bytesIn   atomic.Uint64
	bytesOut  atomic.Uint64
	routeName string
	account   string
}

func (rt *route) counts(account string) *counts {
	if c, ok := rt.accounts.Load(account); ok {
		return c.(*counts)
	}
	c, _ := rt.accounts.LoadOrStore(account, &counts{routeName: rt.name, account: account})
	return c.(*counts)
}

// NewRequests builds the route table for the control plane's operations
// and the formats' path prefixes ("npm", "pypi", ...).
func NewRequests(operations, formats []string) *Requests {
	q := &Requests{
		routes:  map[string]*route{},
		formats: map[string]*formatRoutes{},
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wharf_http_request_duration_seconds",
			Help:    "Time to serve a request, to the end of its answer, by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
	}
	mk := func(name string) *route { return &route{name: name, latency: q.latency.WithLabelValues(name)} }
	for _, op := range operations {
		q.routes[op] = mk(op)
	}
	for _, f := range formats {
		q.formats[f] = &formatRoutes{read: mk(f + ":read"), write: mk(f + ":write")}
	}
	q.other = mk("other")
	q.pool.New = func() any { return new(recorder) }
	return q
}

var (
	descRequests = prometheus.NewDesc("wharf_http_requests_total",
		"Requests served, by route (control-plane operation or format:read / format:write), status class and caller account (\"anonymous\" before authentication).",
		[]string{"route", "status_class", "account"}, nil)
	descBytesIn = prometheus.NewDesc("wharf_http_request_bytes_total",
		"Request body bytes read, by route and caller account.", []string{"route", "account"}, nil)
	descBytesOut = prometheus.NewDesc("wharf_http_response_bytes_total",
		"Response body bytes written, by route and caller account.", []string{"route", "account"}, nil)
	statusClasses = [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}
)

// Describe implements prometheus.Collector.
func (q *Requests) Describe(ch chan<- *prometheus.Desc) {
	ch <- descRequests
	ch <- descBytesIn
	ch <- descBytesOut
	q.latency.Describe(ch)
}

// Collect implements prometheus.Collector.
func (q *Requests) Collect(ch chan<- prometheus.Metric) {
	each := func(rt *route) {
		rt.accounts.Range(func(_, v any) bool {
			c := v.(*counts)
			for i := range c.byClass {
				if n := c.byClass[i].Load(); n > 0 {
					ch <- prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue, float64(n), c.routeName, statusClasses[i], c.account)
				}
			}
			ch <- prometheus.MustNewConstMetric(descBytesIn, prometheus.CounterValue, float64(c.bytesIn.Load()), c.routeName, c.account)
			ch <- prometheus.MustNewConstMetric(descBytesOut, prometheus.CounterValue, float64(c.bytesOut.Load()), c.routeName, c.account)
			return true
		})
	}
	for _, rt := range q.routes {
		each(rt)
	}
	for _, f := range q.formats {
		each(f.read)
		each(f.write)
	}
	each(q.other)
	q.latency.Collect(ch)
}

// Middleware counts every request next serves.
func (q *Requests) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := q.pool.Get().(*recorder)
		*rec = recorder{ResponseWriter: w, q: q, route: q.classify(r), account: "anonymous"}
		if r.Body != nil && r.Body != http.NoBody {
			rec.body = r.Body
			r.Body = (*countingBody)(rec)
		}
		next.ServeHTTP(rec, r)
		c := rec.route.counts(rec.account)
		st := rec.status
		if st == 0 {
			st = http.StatusOK
		}
		class := st / 100
		if class < 1 || class > 5 {
			class = 0
		}
		c.byClass[class].Add(1)
		c.bytesIn.Add(uint64(rec.in))
		c.bytesOut.Add(uint64(rec.out))
		rec.route.latency.Observe(time.Since(start).Seconds())
		*rec = recorder{}
		q.pool.Put(rec)
	})
}

// classify finds a request's route from its path: /FORMAT/... by method,
// the control plane's /v1/... as "other" until its handler names the
// operation.
func (q *Requests) classify(r *http.Request) *route {
	p := r.URL.Path
	if len(p) < 2 {
		return q.other
	}
	seg := p[1:]
	if i := strings.IndexByte(seg, '/'); i >= 0 {
		seg = seg[:i]
	}
	f, ok := q.formats[seg]
	if !ok {
		return q.other
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return f.read
	}
	return f.write
}

// Reporter is what the handlers under the middleware see of it, through
// the http.ResponseWriter they are given: the control plane names the
// operation, and both it and the endpoints name the authenticated
// caller's account.
type Reporter interface {
	SetRoute(operation string)
	SetAccount(account string)
}

// Report tells the middleware (when w is its writer) the request's
// operation ("" leaves the route as it is) and account ("" leaves it
// anonymous). It costs a type assertion when metrics are off.
func Report(w http.ResponseWriter, operation, account string) {
	// Middlewares inside the metrics one (deadlines) wrap the writer; look
	// through them as http.ResponseController does.
	for {
		if _, ok := w.(Reporter); ok {
			break
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
	if rep, ok := w.(Reporter); ok {
		if operation != "" {
			rep.SetRoute(operation)
		}
		if account != "" {
			rep.SetAccount(account)
		}
	}
}

// recorder is the middleware's ResponseWriter and request-body wrapper.
type recorder struct {
	http.ResponseWriter
	q       *Requests
	route   *route
	account string
	status  int
	in, out int64
	body    io.ReadCloser
}

// SetRoute implements Reporter.
func (w *recorder) SetRoute(op string) {
	if rt, ok := w.q.routes[op]; ok {
		w.route = rt
	}
}

// SetAccount implements Reporter.
func (w *recorder) SetAccount(account string) { w.account = account }

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.out += int64(n)
	return n, err
}

// ReadFrom keeps the underlying writer's sendfile path for file bodies.
func (w *recorder) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(struct{ io.Writer }{w.ResponseWriter}, src)
	}
	w.out += n
	return n, err
}

// Flush implements http.Flusher when the underlying writer does.
func (w *recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack implements http.Hijacker when the underlying writer does.
func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, http.ErrNotSupported
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countingBody is the recorder seen as the request body.
type countingBody recorder

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	b.in += int64(n)
	return n, err
}

func (b *countingBody) Close() error { return b.body.Close() }
