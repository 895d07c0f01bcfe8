package nuget

import (
	"log/slog"
	"net/http"
	"os"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// Options tune the handler; zero values take the defaults.
type Options struct {
	// MaxPushBytes bounds one pushed package (CodeArtifact's asset limit,
	// 5 GB, by default).
	MaxPushBytes int64
	// SpoolDir holds pushed packages while they are checked (a zip is
	// read from its end, so it is spooled to disk first).
	SpoolDir string
	// NuGetOrgURL is the service index behind the public:nuget-org
	// external connection (default: the connection's configured URL).
	NuGetOrgURL string
}

// Format declares NuGet to the format seam. NuGet clients send
// credentials only after a Basic challenge, so every unauthenticated
// request gets one; the endpoint is wrapped in drainOnChallenge, which
// reads a push's body before that challenge. It proxies
// public:nuget-org (public.go): the feed's versions show in the
// documents of repositories that reach it and are fetched, verified and
// retained when first downloaded.
var Format = format.Format{
	Name:   model.FormatNuGet,
	Scheme: endpoint.Basic,
	Connections: []format.Connection{{
		Name: nugetConnection, DefaultURL: "https://api.nuget.org/v3/index.json", Flag: "nuget-org-url", Env: "WHARF_NUGET_ORG_URL",
		Usage: "public NuGet service index behind the public:nuget-org external connection",
	}},
	// Packages' parsed versions and the documents rendered from them.
	CacheBytes: 256 << 20,
	New: func(env format.Env) (*format.Endpoint, error) {
		h, err := New(env, Options{})
		if err != nil {
			return nil, err
		}
		return h.Endpoint(), nil
	},
}

// New builds the handler of a format being installed, its documents in
// the format's document cache and the public feed's in a publiccache.
func New(env format.Env, opts Options) (*Handler, error) {
	if opts.MaxPushBytes == 0 {
		opts.MaxPushBytes = 5 << 30
	}
	if opts.SpoolDir == "" {
		opts.SpoolDir = os.TempDir()
	}
	log := env.Log
	if log == nil {
		log = slog.Default()
	}
	if opts.NuGetOrgURL == "" {
		opts.NuGetOrgURL = env.URL(nugetConnection)
	}
	pc := env.PublicCache(nugetConnection)
	pc.Source = opts.NuGetOrgURL
	public, err := newPublicFeed(opts.NuGetOrgURL, pc)
	if err != nil {
		return nil, err
	}
	return &Handler{svc: env.Service, log: log, opts: opts, docs: format.NewDocCache(env, sizeOf), public: public}, nil
}

// Endpoint is the built format: the handler, behind drainOnChallenge.
func (h *Handler) Endpoint() *format.Endpoint {
	return &format.Endpoint{Serve: h.Serve, Lookups: map[string]service.ExternalLookup{nugetConnection: h.publicHasVersion},
		Wrap: func(next http.Handler) http.Handler {
			return drainOnChallenge(next, h.opts.MaxPushBytes)
		}}
}
