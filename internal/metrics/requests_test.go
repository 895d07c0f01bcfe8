package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestRequestsMiddleware(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		path        string
		body        string
		op, account string // what the handler reports
		status      int
		answer      string
		wantRoute   string
		wantClass   string
		wantAccount string
	}{
		{"npm read", "GET", "/npm/acme-111122223333/main/left-pad", "", "", "111122223333", 200, "packument", "npm:read", "2xx", "111122223333"},
		{"npm write", "PUT", "/npm/acme-111122223333/main/left-pad", `{"x":1}`, "", "111122223333", 201, "ok", "npm:write", "2xx", "111122223333"},
		{"head is a read", "HEAD", "/pypi/acme-111122223333/main/simple/", "", "", "", 404, "", "pypi:read", "4xx", "anonymous"},
		{"control plane operation", "POST", "/v1/package/version", "{}", "DescribePackageVersion", "444455556666", 200, `{"packageVersion":{}}`, "DescribePackageVersion", "2xx", "444455556666"},
		{"unknown operation stays other", "POST", "/v1/nothing", "", "NoSuchOperation", "", 400, "bad", "other", "4xx", "anonymous"},
		{"health check", "GET", "/healthz", "", "", "", 200, "ok\n", "other", "2xx", "anonymous"},
		{"server error", "GET", "/maven/acme-111122223333/main/x", "", "", "111122223333", 500, "oops", "maven:read", "5xx", "111122223333"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := NewRequests([]string{"DescribePackageVersion"}, []string{"npm", "pypi", "maven"})
			var read int
			h := q.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				read = len(b)
				Report(w, tt.op, tt.account)
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.answer)
			}))
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tt.method, tt.path, body))
			if read != len(tt.body) {
				t.Fatalf("handler read %d bytes, want %d", read, len(tt.body))
			}
			want := `
# HELP wharf_http_requests_total Requests served, by route (control-plane operation or format:read / format:write), status class and caller account ("anonymous" before authentication).
# TYPE wharf_http_requests_total counter
wharf_http_requests_total{account="` + tt.wantAccount + `",route="` + tt.wantRoute + `",status_class="` + tt.wantClass + `"} 1
# HELP wharf_http_request_bytes_total Request body bytes read, by route and caller account.
# TYPE wharf_http_request_bytes_total counter
wharf_http_request_bytes_total{account="` + tt.wantAccount + `",route="` + tt.wantRoute + `"} ` + strconv.Itoa(len(tt.body)) + `
# HELP wharf_http_response_bytes_total Response body bytes written, by route and caller account.
# TYPE wharf_http_response_bytes_total counter
wharf_http_response_bytes_total{account="` + tt.wantAccount + `",route="` + tt.wantRoute + `"} ` + strconv.Itoa(len(tt.answer)) + `
`
			if err := testutil.CollectAndCompare(q, strings.NewReader(want), "wharf_http_requests_total", "wharf_http_request_bytes_total", "wharf_http_response_bytes_total"); err != nil {
				t.Fatal(err)
			}
			if n := testutil.CollectAndCount(q.latency.WithLabelValues(tt.wantRoute).(prometheus.Histogram)); n != 1 {
				t.Fatalf("latency series for %s: %d", tt.wantRoute, n)
			}
		})
	}
}

// TestRecorderReadFrom: a body copied with io.Copy (how tarballs go out)
// reaches the underlying writer's ReadFrom and is counted.
func TestRecorderReadFrom(t *testing.T) {
	q := NewRequests(nil, []string{"npm"})
	h := q.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(io.ReaderFrom); !ok {
			t.Fatal("the recorder hides io.ReaderFrom")
		}
		io.Copy(w, strings.NewReader(strings.Repeat("x", 5000)))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/npm/a-111122223333/r/p/-/p-1.0.0.tgz", nil))
	if rec.Body.Len() != 5000 {
		t.Fatalf("wrote %d bytes", rec.Body.Len())
	}
	c := q.formats["npm"].read.counts("anonymous")
	if c.bytesOut.Load() != 5000 || c.byClass[2].Load() != 1 {
		t.Fatalf("counted %d bytes, %d 2xx", c.bytesOut.Load(), c.byClass[2].Load())
	}
}

func TestUpstreamAndCache(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	hc := &http.Client{Transport: Upstream("public:test", nil)}
	for _, p := range []string{"/ok", "/fail", "/ok"} {
		resp, err := hc.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if _, err := (&http.Client{Transport: Upstream("public:down", nil)}).Get("http://127.0.0.1:1/"); err == nil {
		t.Fatal("port 1 answered")
	}
	for _, tt := range []struct {
		c    prometheus.Collector
		want float64
	}{
		{upstreamFetches.WithLabelValues("public:test"), 3},
		{upstreamFailures.WithLabelValues("public:test"), 1},
		{upstreamFetches.WithLabelValues("public:down"), 1},
		{upstreamFailures.WithLabelValues("public:down"), 1},
	} {
		if got := testutil.ToFloat64(tt.c); got != tt.want {
			t.Errorf("%v = %v, want %v", tt.c, got, tt.want)
		}
	}
	c := NewCache("test")
	c.Hit()
	c.Hit()
	c.Miss()
	var none *Cache
	none.Hit() // a cache built without counters counts nothing
	if h, m := testutil.ToFloat64(cacheLookups.WithLabelValues("test", "hit")), testutil.ToFloat64(cacheLookups.WithLabelValues("test", "miss")); h != 2 || m != 1 {
		t.Fatalf("hits %v misses %v", h, m)
	}
}
