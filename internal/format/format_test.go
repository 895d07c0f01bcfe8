package format

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

func serveNothing(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	w.WriteHeader(http.StatusNoContent)
}

func newNothing(Env) (*Endpoint, error) { return &Endpoint{Serve: serveNothing}, nil }

var npmjs = Connection{Name: "public:npmjs", DefaultURL: "https://registry.npmjs.org", Flag: "npmjs-url", Env: "WHARF_NPMJS_URL"}

func TestCheck(t *testing.T) {
	with := func(edit func(c *Connection)) []Connection {
		c := npmjs
		edit(&c)
		return []Connection{c}
	}
	cases := []struct {
		name    string
		f       Format
		wantErr string
	}{
		{"valid", Format{Name: model.FormatNpm, Connections: []Connection{npmjs}, New: newNothing}, ""},
		{"no connections", Format{Name: model.FormatMaven, New: newNothing}, ""},
		{"unknown name", Format{Name: "deb", New: newNothing}, `unknown format name "deb"`},
		{"no New", Format{Name: model.FormatNpm}, "no New"},
		{"connection of another format", Format{Name: model.FormatPyPI, Connections: []Connection{npmjs}, New: newNothing}, "not one of CodeArtifact's pypi connections"},
		{"unknown connection", Format{Name: model.FormatNpm, Connections: with(func(c *Connection) { c.Name = "public:yarn" }), New: newNothing}, "public:yarn"},
		{"bad default URL", Format{Name: model.FormatNpm, Connections: with(func(c *Connection) { c.DefaultURL = "registry.npmjs.org" }), New: newNothing}, "want an http or https URL"},
		{"no flag", Format{Name: model.FormatNpm, Connections: with(func(c *Connection) { c.Flag = "" }), New: newNothing}, "a flag and an environment variable are required"},
		{"no variable", Format{Name: model.FormatNpm, Connections: with(func(c *Connection) { c.Env = "" }), New: newNothing}, "a flag and an environment variable are required"},
	}
	for _, c := range cases {
		err := c.f.Check()
		if c.wantErr == "" && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.wantErr)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://registry.npmjs.org": true, "http://127.0.0.1:4873/": true,
		"": false, "ftp://x": false, "https://": false, "registry.npmjs.org": false, "http://[::1": false,
	} {
		if err := CheckURL(u); (err == nil) != ok {
			t.Errorf("CheckURL(%q) = %v", u, err)
		}
	}
}

func TestEnvURL(t *testing.T) {
	e := Env{URLs: map[string]string{"public:npmjs": "http://127.0.0.1:9/"}, connections: []Connection{npmjs}}
	if got := e.URL("public:npmjs"); got != "http://127.0.0.1:9" {
		t.Errorf("configured: %q", got)
	}
	e.URLs = nil
	if got := e.URL("public:npmjs"); got != "https://registry.npmjs.org" {
		t.Errorf("default: %q", got)
	}
	if got := e.URL("public:pypi"); got != "" {
		t.Errorf("undeclared: %q", got)
	}
}

func TestInstall(t *testing.T) {
	svc := service.New(nil, nil, nil, service.Config{PublicURL: "http://wharf.test"})
	lookup := func(context.Context, model.PackageKey, string) (bool, error) { return false, nil }
	var seen Env
	f := Format{Name: model.FormatNpm, Scheme: endpoint.Bearer, Connections: []Connection{npmjs}, New: func(e Env) (*Endpoint, error) {
		seen = e
		return &Endpoint{Serve: serveNothing, Lookups: map[string]service.ExternalLookup{"public:npmjs": lookup}}, nil
	}}
	mux := http.NewServeMux()
	if err := Install(mux, f, Env{Service: svc}); err != nil {
		t.Fatal(err)
	}
	if seen.Log == nil || seen.URL("public:npmjs") != "https://registry.npmjs.org" {
		t.Errorf("New got env %+v", seen)
	}
	// The endpoint is mounted under /npm/ behind the format's scheme.
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/npm/dom-111122223333/repo/x", nil))
	if w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("unauthenticated request: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}

	bad := []struct {
		name    string
		f       Format
		wantErr string
	}{
		{"undeclared lookup", Format{Name: model.FormatPyPI, New: func(Env) (*Endpoint, error) {
			return &Endpoint{Serve: serveNothing, Lookups: map[string]service.ExternalLookup{"public:pypi": lookup}}, nil
		}}, "does not declare"},
		{"no handler", Format{Name: model.FormatMaven, New: func(Env) (*Endpoint, error) { return &Endpoint{}, nil }}, "no handler"},
		{"invalid declaration", Format{Name: "deb", New: newNothing}, "unknown format name"},
	}
	for _, c := range bad {
		err := Install(http.NewServeMux(), c.f, Env{Service: svc})
		if err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%s: %v, want %q", c.name, err, c.wantErr)
		}
	}
}

// A format's Refuse answers what the seam turns away in its own shape,
// and its Wrap sees every request before authentication does.
func TestInstallRefuseAndWrap(t *testing.T) {
	svc := service.New(nil, nil, nil, service.Config{PublicURL: "http://wharf.test"})
	var wrapped int
	f := Format{Name: model.FormatSwift, Scheme: endpoint.Bearer,
		Refuse: func(w http.ResponseWriter, r *http.Request, status int, msg string) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(status)
		},
		New: func(Env) (*Endpoint, error) {
			return &Endpoint{Serve: serveNothing, Wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					wrapped++
					next.ServeHTTP(w, r)
				})
			}}, nil
		}}
	mux := http.NewServeMux()
	if err := Install(mux, f, Env{Service: svc}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want int
	}{
		{"/swift/dom-111122223333/repo/x", http.StatusUnauthorized},
		{"/swift/not-a-repository", http.StatusNotFound},
	} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest("GET", c.path, nil))
		if w.Code != c.want || w.Header().Get("Content-Type") != "application/problem+json" || w.Header().Get("WWW-Authenticate") != "" {
			t.Errorf("%s: %d %q %q, want %d from Refuse", c.path, w.Code, w.Header().Get("Content-Type"), w.Header().Get("WWW-Authenticate"), c.want)
		}
	}
	if wrapped != 2 {
		t.Errorf("Wrap saw %d requests, want 2", wrapped)
	}
}
