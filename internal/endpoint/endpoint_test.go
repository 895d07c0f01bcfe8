package endpoint

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

func TestCredential(t *testing.T) {
	basic := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := map[string]string{
		"":                      "",
		"Bearer tok":            "tok",
		"bearer  tok ":          "tok",
		basic("aws:tok"):        "tok",
		basic("aws:to:k"):       "to:k",
		basic("nocolon"):        "",
		"Basic !!!":             "",
		"Digest x":              "",
		"AWS4-HMAC-SHA256 Cred": "",
		"tok":                   "tok",
		" tok ":                 "tok",
	}
	for h, want := range tests {
		if got := Credential(h); got != want {
			t.Errorf("Credential(%q) = %q, want %q", h, got, want)
		}
	}
}

// A public registry the server cannot reach is a 502 with its own
// message, however deep it is wrapped; other errors keep their status.
func TestErrorUnreachable(t *testing.T) {
	for _, tt := range []struct {
		err    error
		status int
		msg    string
	}{
		{fmt.Errorf("fetch: %w", &UnreachableError{Connection: "public:pypi"}), http.StatusBadGateway, "public:pypi is not reachable from this server"},
		{model.NotFound(model.ResourcePackage, "p", "Package p not found."), http.StatusNotFound, "Package p not found."},
	} {
		w := httptest.NewRecorder()
		Error(w, httptest.NewRequest("GET", "/", nil), slog.New(slog.DiscardHandler), tt.err)
		if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.msg) {
			t.Errorf("%v: %d %s, want %d with %q", tt.err, w.Code, w.Body.String(), tt.status, tt.msg)
		}
	}
}
