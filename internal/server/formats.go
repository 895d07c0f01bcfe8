package server

import (
	"log/slog"
	"net/http"

	"github.com/wharf-dev/wharf/internal/cargo"
	"github.com/wharf-dev/wharf/internal/maven"
	"github.com/wharf-dev/wharf/internal/npm"
	"github.com/wharf-dev/wharf/internal/nuget"
	"github.com/wharf-dev/wharf/internal/pypi"
	"github.com/wharf-dev/wharf/internal/ruby"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/swift"
)

// mountFormats registers each package format's repository endpoint.
func mountFormats(mux *http.ServeMux, svc *service.Service, log *slog.Logger) {
	// formats: one line per format package, e.g. npm.Mount(mux, svc, log)
	npm.Mount(mux, svc, log)
	pypi.Mount(mux, svc, log)
	maven.Mount(mux, svc, log)
	ruby.Mount(mux, svc, log)
	swift.Mount(mux, svc, log)
	cargo.Mount(mux, svc, log)
	nuget.Mount(mux, svc, log)
}
