package nuget

import (
	"log/slog"
	"net/http"
	"os"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/model"
)

// Options tune the handler; zero values take the defaults.
type Options struct {
	// MaxPushBytes bounds one pushed package (CodeArtifact's asset limit,
	// 5 GB, by default).
	MaxPushBytes int64
	// SpoolDir holds pushed packages while they are checked (a zip is
	// read from its end, so it is spooled to disk first).
	SpoolDir string
}

// Format declares NuGet to the format seam. NuGet clients send
// credentials only after a Basic challenge, so every unauthenticated
// request gets one; the endpoint is wrapped in drainOnChallenge, which
// reads a push's body before that challenge. It reaches
// public:nuget-org, whose registry this server does not fetch from yet:
// a miss that would go there is a 502.
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
		return New(env, Options{}).Endpoint(), nil
	},
}

// New builds the handler of a format being installed, its documents in
// the format's document cache.
func New(env format.Env, opts Options) *Handler {
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
	return &Handler{svc: env.Service, log: log, opts: opts, docs: format.NewDocCache(env, sizeOf)}
}

// Endpoint is the built format: the handler, behind drainOnChallenge.
func (h *Handler) Endpoint() *format.Endpoint {
	return &format.Endpoint{Serve: h.Serve, Wrap: func(next http.Handler) http.Handler {
		return drainOnChallenge(next, h.opts.MaxPushBytes)
	}}
}
