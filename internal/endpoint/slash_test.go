package endpoint

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestJoinedSlash(t *testing.T) {
	tests := []struct {
		target, path, raw string
	}{
		{target: "/ruby/dom-111122223333/repo//api/v1/gems", path: "/ruby/dom-111122223333/repo/api/v1/gems"},
		{target: "/ruby/dom-111122223333/repo///api/v1/gems", path: "/ruby/dom-111122223333/repo/api/v1/gems"},
		{target: "/npm/dom-111122223333/repo//@scope%2fpkg", path: "/npm/dom-111122223333/repo/@scope/pkg", raw: "/npm/dom-111122223333/repo/@scope%2fpkg"},
		// Unchanged: no doubled slash after the repository, not a format,
		// or the doubled slash elsewhere.
		{target: "/ruby/dom-111122223333/repo/api/v1/gems", path: "/ruby/dom-111122223333/repo/api/v1/gems"},
		{target: "/v1//domains", path: "/v1//domains"},
		{target: "/nosuchformat/dom-111122223333/repo//x", path: "/nosuchformat/dom-111122223333/repo//x"},
		{target: "/maven/dom-111122223333/repo/org//x.pom", path: "/maven/dom-111122223333/repo/org//x.pom"},
		{target: "/ruby/dom-111122223333//api", path: "/ruby/dom-111122223333//api"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			var got *http.Request
			h := JoinedSlash(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r }))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, tt.target, nil))
			if got.URL.Path != tt.path || got.URL.RawPath != tt.raw {
				t.Errorf("path %q raw %q, want %q %q", got.URL.Path, got.URL.RawPath, tt.path, tt.raw)
			}
		})
	}
}
