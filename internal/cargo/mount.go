package cargo

import (
	"log/slog"
	"net/http"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// Mount serves Cargo's sparse registry at /cargo/ on mux: cargo sends its
// bare token, after a 401 on config.json. Rendered index files are
// dropped from the cache when their package changes.
func Mount(mux *http.ServeMux, svc *service.Service, log *slog.Logger) {
	mount(mux, svc, newHandler(svc, log, Options{}))
}

// mount registers an already built handler.
func mount(mux *http.ServeMux, svc *service.Service, h *handler) {
	svc.OnChange(h.cache.drop)
	endpoint.Mount(mux, svc, model.FormatCargo, endpoint.Cargo, h.serve)
}
