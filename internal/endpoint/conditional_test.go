package endpoint

import (
	"net/http/httptest"
	"testing"
)

func TestETagMatch(t *testing.T) {
	tests := []struct {
		header, tag string
		want        bool
	}{
		{"", `"a"`, false},
		{`"a"`, `"a"`, true},
		{`W/"a"`, `"a"`, true},
		{`"a"`, `W/"a"`, true},
		{`"b", W/"a"`, `W/"a"`, true},
		{"*", `"a"`, true},
		{`"b"`, `"a"`, false},
	}
	for _, tt := range tests {
		if got := ETagMatch(tt.header, tt.tag); got != tt.want {
			t.Errorf("ETagMatch(%q, %q) = %v", tt.header, tt.tag, got)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{"": false, "gzip": true, "deflate, gzip;q=0.5": true, "gzip;q=0": false, "br, GZIP": true, "identity": false} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Encoding", h)
		if got := AcceptsGzip(r); got != want {
			t.Errorf("AcceptsGzip(%q) = %v", h, got)
		}
	}
}
