package swift

import (
	"net/http"
	"os"
	"strings"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/model"
)

// Options tune the handler; zero values take the defaults.
type Options struct {
	// MaxArchiveBytes bounds a source archive (default 2 GiB; SwiftPM
	// holds the whole archive in memory to publish it).
	MaxArchiveBytes int64
	// SpoolDir is where uploaded archives are spooled for inspection
	// (default os.TempDir()).
	SpoolDir string
}

// Format declares the Swift registry to the format seam. SwiftPM sends
// its token as Bearer (registries.json "type": "token", netrc "login
// token"), the AWS documentation's curl publish as Basic with user aws:
// both are accepted, and refuse challenges for both, answering every
// refusal as problem+json. CodeArtifact has no external connection for
// Swift.
var Format = format.Format{
	Name:   model.FormatSwift,
	Scheme: endpoint.Bearer,
	Refuse: refuse,
	New: func(env format.Env) (*format.Endpoint, error) {
		return &format.Endpoint{Serve: newHandler(env, Options{}).serve}, nil
	},
}

// newHandler builds the handler of a format being installed.
func newHandler(env format.Env, opts Options) *handler {
	if opts.MaxArchiveBytes == 0 {
		opts.MaxArchiveBytes = 2 << 30
	}
	if opts.SpoolDir == "" {
		opts.SpoolDir = os.TempDir()
	}
	return &handler{svc: env.Service, log: env.Log, opts: opts}
}

// refuse answers what the seam turns away as a problem. A login probe with
// an authentication scheme the registry does not take is 501, which
// SwiftPM reports as "authentication method not supported" (SE-0378).
func refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if status == http.StatusUnauthorized {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/login") && unsupportedScheme(r.Header.Get("Authorization")) {
			writeProblem(w, http.StatusNotImplemented, "authentication method not supported: use a token from GetAuthorizationToken as Bearer, or Basic with user aws")
			return
		}
		w.Header().Add("WWW-Authenticate", `Bearer realm="wharf"`)
		w.Header().Add("WWW-Authenticate", `Basic realm="wharf"`)
	}
	writeProblem(w, status, msg)
}

// unsupportedScheme reports whether an Authorization header uses a scheme
// other than Bearer and Basic.
func unsupportedScheme(h string) bool {
	if strings.TrimSpace(h) == "" {
		return false
	}
	scheme, _, _ := strings.Cut(strings.TrimSpace(h), " ")
	return !strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "basic")
}
