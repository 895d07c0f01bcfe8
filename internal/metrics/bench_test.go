package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkMiddleware is what the request counters add to one request:
// the same trivial handler served bare and through the middleware, as an
// authenticated npm read that reports its account.
func BenchmarkMiddleware(b *testing.B) {
	payload := make([]byte, 1654) // a 10-version packument
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Report(w, "", "111122223333")
		w.Write(payload)
	})
	q := NewRequests([]string{"DescribePackageVersion"}, []string{"npm", "pypi", "maven"})
	r := httptest.NewRequest("GET", "/npm/acme-111122223333/main/left-pad", nil)
	for _, tt := range []struct {
		name string
		h    http.Handler
	}{{"bare", h}, {"counted", q.Middleware(h)}} {
		b.Run(tt.name, func(b *testing.B) {
			w := discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				tt.h.ServeHTTP(w, r)
			}
		})
	}
}

type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(b []byte) (int, error) { return io.Discard.Write(b) }
func (d discard) WriteHeader(int)             {}
