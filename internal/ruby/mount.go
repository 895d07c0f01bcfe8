package ruby

import (
	"log/slog"
	"net/http"
	"os"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// newHandler builds the handler and subscribes its cache to package
// changes.
func newHandler(svc *service.Service, log *slog.Logger, opts Options) *handler {
	if opts.MaxGemBytes == 0 {
		opts.MaxGemBytes = 5 << 30
	}
	if opts.SpoolDir == "" {
		opts.SpoolDir = os.TempDir()
	}
	if opts.CacheBytes == 0 {
		opts.CacheBytes = 128 << 20
	}
	if log == nil {
		log = slog.Default()
	}
	h := &handler{svc: svc, log: log, opts: opts, cache: newIndexCache(opts.CacheBytes)}
	svc.OnChange(h.cache.drop)
	return h
}

// Mount serves RubyGems at /ruby/ on mux. gem push sends the token as
// Bearer (or bare), gem install and Bundler as Basic with user "aws",
// all pre-emptively; a missing or bad token is a 401 with a Basic
// challenge.
func Mount(mux *http.ServeMux, svc *service.Service, log *slog.Logger) {
	mountHandler(mux, svc, newHandler(svc, log, Options{}))
}

func mountHandler(mux *http.ServeMux, svc *service.Service, h *handler) {
	endpoint.Mount(mux, svc, model.FormatRuby, endpoint.Basic, h.serve)
}
