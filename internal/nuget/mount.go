package nuget

import (
	"log/slog"
	"net/http"
	"os"

	"github.com/wharf-dev/wharf/internal/endpoint"
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
	// CacheBytes bounds the documents kept in memory (half for the
	// packages' parsed versions, half for rendered documents).
	CacheBytes int64
}

// New builds the handler and subscribes its caches to package changes.
func New(svc *service.Service, log *slog.Logger, opts Options) *Handler {
	if opts.MaxPushBytes == 0 {
		opts.MaxPushBytes = 5 << 30
	}
	if opts.SpoolDir == "" {
		opts.SpoolDir = os.TempDir()
	}
	if opts.CacheBytes == 0 {
		opts.CacheBytes = 256 << 20
	}
	if log == nil {
		log = slog.Default()
	}
	h := &Handler{svc: svc, log: log, opts: opts,
		pkgs: newDocCache[*pkgEntries](opts.CacheBytes / 2), docs: newDocCache[*rendered](opts.CacheBytes / 2)}
	svc.OnChange(h.pkgs.drop)
	svc.OnChange(h.docs.drop)
	return h
}

// Mount serves NuGet at /nuget/ on mux. NuGet clients send credentials
// only after a Basic challenge, so every unauthenticated request gets
// one (endpoint.Basic).
func Mount(mux *http.ServeMux, svc *service.Service, log *slog.Logger) {
	mountWith(mux, svc, New(svc, log, Options{}))
}

// mountWith mounts an already built handler, behind drainOnChallenge.
func mountWith(mux *http.ServeMux, svc *service.Service, h *Handler) {
	inner := http.NewServeMux()
	endpoint.Mount(inner, svc, model.FormatNuGet, endpoint.Basic, h.Serve)
	mux.Handle("/nuget/", drainOnChallenge(inner, h.opts.MaxPushBytes))
}
