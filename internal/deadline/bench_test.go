package deadline

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkMiddleware is a small POST answered over a real loopback
// connection, with and without Middleware: what its deadlines cost per
// request.
func BenchmarkMiddleware(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	})
	for _, tt := range []struct {
		name string
		h    http.Handler
	}{{"bare", h}, {"Middleware", Middleware(h, 30*time.Second, 60*time.Second)}} {
		b.Run(tt.name, func(b *testing.B) {
			s := httptest.NewServer(tt.h)
			defer s.Close()
			c := s.Client()
			body := strings.Repeat("x", 512)
			b.ResetTimer()
			for range b.N {
				resp, err := c.Post(s.URL, "application/octet-stream", strings.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
