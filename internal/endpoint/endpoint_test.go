package endpoint

import (
	"encoding/base64"
	"errors"
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
		"wharf1.abc-def_0":      "wharf1.abc-def_0", // cargo's bare token
		" wharf1.abc ":          "wharf1.abc",
		"tok/en":                "",
		"tok=":                  "",
	}
	for h, want := range tests {
		if got := Credential(h); got != want {
			t.Errorf("Credential(%q) = %q, want %q", h, got, want)
		}
	}
}

// A public registry that could not be read is a 502 naming the connection,
// however deep it is wrapped; other errors keep their status.
func TestErrorUpstream(t *testing.T) {
	for _, tt := range []struct {
		err    error
		status int
		msg    string
	}{
		{fmt.Errorf("fetch: %w", &UpstreamError{Connection: "public:pypi", Err: errors.New("GET https://pypi.org/simple/x/: 503")}), http.StatusBadGateway, "External connection public:pypi could not be read: GET https://pypi.org/simple/x/: 503"},
		{model.NotFound(model.ResourcePackage, "p", "Package p not found."), http.StatusNotFound, "Package p not found."},
	} {
		w := httptest.NewRecorder()
		Error(w, httptest.NewRequest("GET", "/", nil), slog.New(slog.DiscardHandler), tt.err)
		if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.msg) {
			t.Errorf("%v: %d %s, want %d with %q", tt.err, w.Code, w.Body.String(), tt.status, tt.msg)
		}
	}
}

// Cargo's challenge and errors are in the shape cargo reads.
func TestCargoChallenge(t *testing.T) {
	w := httptest.NewRecorder()
	challenge(w, Cargo, "no token")
	if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != "Cargo" || strings.TrimSpace(w.Body.String()) != `{"errors":[{"detail":"no token"}]}` {
		t.Errorf("challenge = %d %q %s", w.Code, w.Header().Get("WWW-Authenticate"), w.Body.String())
	}
	w = httptest.NewRecorder()
	ErrorBody(w, httptest.NewRequest("GET", "/", nil), slog.New(slog.DiscardHandler), model.NotFound(model.ResourcePackage, "p", "Package p not found."), CargoBody)
	if w.Code != http.StatusNotFound || strings.TrimSpace(w.Body.String()) != `{"errors":[{"detail":"Package p not found."}]}` {
		t.Errorf("ErrorBody = %d %s", w.Code, w.Body.String())
	}
}
