package server

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/wharf-dev/wharf/internal/cargo"
	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/maven"
	"github.com/wharf-dev/wharf/internal/npm"
	"github.com/wharf-dev/wharf/internal/nuget"
	"github.com/wharf-dev/wharf/internal/pypi"
	"github.com/wharf-dev/wharf/internal/ruby"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/swift"
)

// Formats are the package formats Wharf serves, one line per format
// package (see internal/format for what a format declares). wharf serve
// takes its connection flags from here too.
var Formats = []format.Format{
	npm.Format,
	pypi.Format,
	maven.Format,
	ruby.Format,
	swift.Format,
	cargo.Format,
	nuget.Format,
}

// Connections lists the external connections the formats declare.
func Connections() []format.Connection {
	var out []format.Connection
	for _, f := range Formats {
		out = append(out, f.Connections...)
	}
	return out
}

// installFormats serves every format's repository endpoint on mux.
func installFormats(mux *http.ServeMux, svc *service.Service, log *slog.Logger, urls map[string]string) error {
	for _, f := range Formats {
		if err := format.Install(mux, f, format.Env{Service: svc, Log: log, URLs: urls}); err != nil {
			return fmt.Errorf("install formats: %w", err)
		}
	}
	return nil
}
