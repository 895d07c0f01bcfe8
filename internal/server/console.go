package server

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/wharf-dev/wharf/internal/console"
	"github.com/wharf-dev/wharf/internal/identity"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/retention/job"
	"github.com/wharf-dev/wharf/internal/service"
)

// mountConsole serves the web console under /console/, signing in with
// the same keys the control plane verifies.
func mountConsole(mux *http.ServeMux, svc *service.Service, dir *identity.Directory, rules *job.Runner, sessions meta.Store, log *slog.Logger) error {
	c, err := console.New(svc, dir, console.Options{Logger: log, Retention: rules, Sessions: sessions})
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	c.Routes(mux)
	return nil
}
