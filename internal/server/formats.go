package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"

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
// Public documents are cached under DATA-DIR/public-cache, one
// directory per connection.
func installFormats(mux *http.ServeMux, svc *service.Service, log *slog.Logger, cfg Config) error {
	for _, f := range Formats {
		env := format.Env{Service: svc, Log: log, URLs: cfg.ConnectionURLs,
			PublicCacheDir: filepath.Join(cfg.DataDir, "public-cache"), PublicFresh: cfg.PublicFresh}
		if err := format.Install(mux, f, env); err != nil {
			return fmt.Errorf("install formats: %w", err)
		}
	}
	return nil
}
