// Package format is the seam every package format plugs into.
//
// A format is one package under internal/ that declares itself as one
// Format value, plus one line naming it in internal/server/formats.go.
// The declaration holds everything the rest of Wharf needs to know about
// the format: its name (a model.Format), how its clients present the
// token, how to build its endpoint from the service and logger, the
// budget of its document cache (a doccache made with NewDocCache), the
// external connections whose public registries it reaches (name, default
// base URL, and the wharf serve flag and environment variable that
// override it; the lookup it answers for each is on the built Endpoint),
// and its rules: whether it keeps package state and the hooks the service
// runs inside the transactions that delete, copy or change the status of
// versions. cmd/wharf, internal/server and internal/service hold no
// format-specific wiring: they walk the list.
//
// A minimal format:
//
//	var Format = format.Format{
//		Name:   model.FormatCargo,
//		Scheme: endpoint.Bearer,
//		New: func(env format.Env) (*format.Endpoint, error) {
//			h := &handler{svc: env.Service, log: env.Log}
//			return &format.Endpoint{Serve: h.serve}, nil
//		},
//	}
package format

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/doccache"
	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/metrics"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/publiccache"
	"github.com/wharf-dev/wharf/internal/service"
)

// Format is one package format as it declares itself.
type Format struct {
	// Name is the format's name in CodeArtifact; its repository endpoint
	// is served under /NAME/.
	Name model.Format
	// Scheme is how its clients present the authorization token.
	Scheme endpoint.Scheme
	// Refuse, when set, answers the requests the seam turns away before
	// the format sees them (no repository in the path, missing or bad
	// credentials) in the format's own error shape, with its own
	// challenge; Scheme's challenge is used otherwise. Swift answers
	// every error as problem+json.
	Refuse endpoint.Refuse
	// Connections are the external connections whose public registries
	// the format reaches (issue a lookup or fetch against).
	Connections []Connection
	// Rules are the format's package state and its hooks on version
	// changes, run by the service.
	Rules service.FormatRules
	// CacheBytes bounds the format's document cache (NewDocCache); 0
	// means DefaultCacheBytes.
	CacheBytes int64
	// New builds the format's endpoint. It is called once, when the
	// server is assembled.
	New func(env Env) (*Endpoint, error)
}

// Connection is an external connection a format proxies.
type Connection struct {
	// Name is the connection's name in CodeArtifact (public:npmjs); it
	// must be one of model.ExternalConnections of the format.
	Name string
	// DefaultURL is the public registry's base URL.
	DefaultURL string
	// Flag and Env are the wharf serve flag (without dashes) and the
	// environment variable that override DefaultURL; Usage describes the
	// flag.
	Flag  string
	Env   string
	Usage string
}

// Env is what a format's endpoint is built from.
type Env struct {
	Service *service.Service
	Log     *slog.Logger
	// URLs are the configured base URLs of external connections, by
	// connection name, without a trailing slash; a connection missing
	// here is reached at its DefaultURL.
	URLs map[string]string
	// PublicCacheDir holds the documents fetched from public registries,
	// one directory per connection (DATA-DIR/public-cache); see
	// PublicCache.
	PublicCacheDir string
	// PublicFresh is how long a fetched public document is served
	// without asking its registry (0: publiccache.DefaultFresh).
	PublicFresh time.Duration
	// connections are the format's declared connections.
	connections []Connection
	cacheBytes  int64
	format      model.Format
}

// DefaultCacheBytes is a document cache's budget when the format
// declares none.
const DefaultCacheBytes = 64 << 20

// NewDocCache returns the format's document cache: bounded by the budget
// the format declares, and told of every change the service commits so
// that it frees stale entries at once (entries are checked against the
// package generation on every request anyway).
func NewDocCache[V any](env Env, sizeOf func(V) int64) *doccache.Cache[V] {
	c := doccache.New(env.cacheBytes, sizeOf)
	c.SetStats(metrics.NewCache(string(env.format)))
	env.Service.OnChange(c.Drop)
	return c
}

// PublicCache returns the options of a connection's publiccache: its
// own directory under PublicCacheDir (public:npmjs keeps its documents in
// PUBLICCACHEDIR/npmjs), the freshness window, the registry it reads
// (Source: the connection's URL) and the logger. Without a
// PublicCacheDir the options name no directory and publiccache.New
// refuses them.
func (e Env) PublicCache(connection string) publiccache.Options {
	o := publiccache.Options{Fresh: e.PublicFresh, Logger: e.Log, Source: e.URL(connection)}
	if e.PublicCacheDir != "" {
		o.Dir = filepath.Join(e.PublicCacheDir, strings.TrimPrefix(connection, "public:"))
	}
	return o
}

// URL is the base URL a declared connection is reached at.
func (e Env) URL(connection string) string {
	if u := e.URLs[connection]; u != "" {
		return strings.TrimSuffix(u, "/")
	}
	for _, c := range e.connections {
		if c.Name == connection {
			return strings.TrimSuffix(c.DefaultURL, "/")
		}
	}
	return ""
}

// Endpoint is a built format.
type Endpoint struct {
	// Serve answers the format's authenticated repository-endpoint
	// requests.
	Serve endpoint.Handler
	// Lookups answer, for connections the format declared, whether the
	// public registry has a version of a package: the service asks before
	// a publish, to refuse versions a reachable registry serves (409).
	Lookups map[string]service.ExternalLookup
	// Wrap, when set, wraps the whole endpoint, authentication included:
	// NuGet reads a push's body before its 401 challenge, so that its
	// clients retry with credentials instead of failing on a closed
	// connection.
	Wrap func(next http.Handler) http.Handler
}

// Check reports what is wrong with a declaration.
func (f *Format) Check() error {
	var errs []error
	if !f.Name.Valid() {
		errs = append(errs, fmt.Errorf("unknown format name %q", f.Name))
	}
	if f.New == nil {
		errs = append(errs, errors.New("no New"))
	}
	for _, c := range f.Connections {
		if model.ExternalConnectionFormat(c.Name) != f.Name {
			errs = append(errs, fmt.Errorf("connection %q is not one of CodeArtifact's %s connections", c.Name, f.Name))
		}
		if err := CheckURL(c.DefaultURL); err != nil {
			errs = append(errs, fmt.Errorf("connection %s: default URL: %w", c.Name, err))
		}
		if c.Flag == "" || c.Env == "" {
			errs = append(errs, fmt.Errorf("connection %s: a flag and an environment variable are required", c.Name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("format %s: %w", f.Name, err)
	}
	return nil
}

// CheckURL accepts the base URL of a public registry: http or https with
// a host.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want an http or https URL", s)
	}
	return nil
}

// Install builds f and puts it to work: its rules and its connections'
// lookups are registered with the service, and its endpoint is served on
// mux under /NAME/, behind token authentication with its scheme (or
// its Refuse), inside its Wrap.
func Install(mux *http.ServeMux, f Format, env Env) error {
	if err := f.Check(); err != nil {
		return err
	}
	if env.Log == nil {
		env.Log = slog.Default()
	}
	env.connections = f.Connections
	env.format = f.Name
	env.cacheBytes = f.CacheBytes
	if env.cacheBytes <= 0 {
		env.cacheBytes = DefaultCacheBytes
	}
	ep, err := f.New(env)
	if err != nil {
		return fmt.Errorf("format %s: %w", f.Name, err)
	}
	if ep == nil || ep.Serve == nil {
		return fmt.Errorf("format %s: New built no handler", f.Name)
	}
	for name, lookup := range ep.Lookups {
		if !f.declares(name) {
			return fmt.Errorf("format %s: a lookup for %s, which it does not declare", f.Name, name)
		}
		env.Service.SetExternalLookup(name, lookup)
	}
	env.Service.SetFormatRules(f.Name, f.Rules)
	into := mux
	if ep.Wrap != nil {
		into = http.NewServeMux()
	}
	if f.Refuse != nil {
		endpoint.MountWith(into, env.Service, f.Name, f.Refuse, ep.Serve)
	} else {
		endpoint.Mount(into, env.Service, f.Name, f.Scheme, ep.Serve)
	}
	if ep.Wrap != nil {
		mux.Handle("/"+string(f.Name)+"/", ep.Wrap(into))
	}
	return nil
}

func (f *Format) declares(connection string) bool {
	for _, c := range f.Connections {
		if c.Name == connection {
			return true
		}
	}
	return false
}
