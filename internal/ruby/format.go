package ruby

import (
	"log/slog"
	"os"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// rubyGemsConnection is the external connection RubyGems reads through.
const rubyGemsConnection = "public:ruby-gems-org"

// Format declares RubyGems to the format seam. gem push sends the token
// as Bearer (or bare), gem install and Bundler as Basic with user "aws",
// all pre-emptively; a missing or bad token is a 401 with a Basic
// challenge. It reaches public:ruby-gems-org, rubygems.org's compact
// index by default (see upstream.go).
var Format = format.Format{
	Name:   model.FormatRuby,
	Scheme: endpoint.Basic,
	Connections: []format.Connection{{
		Name: rubyGemsConnection, DefaultURL: "https://rubygems.org", Flag: "rubygems-url", Env: "WHARF_RUBYGEMS_URL",
		Usage: "public RubyGems registry behind the public:ruby-gems-org external connection",
	}},
	// Built package indexes (compact index info files and the
	// dependency API's entries).
	CacheBytes: 128 << 20,
	New: func(env format.Env) (*format.Endpoint, error) {
		h, err := newHandler(env, Options{})
		if err != nil {
			return nil, err
		}
		return h.endpoint(), nil
	},
}

// newHandler builds the handler of a format being installed, its indexes
// in the format's document cache, and the publiccache of
// public:ruby-gems-org.
func newHandler(env format.Env, opts Options) (*handler, error) {
	if opts.MaxGemBytes == 0 {
		opts.MaxGemBytes = 5 << 30
	}
	if opts.SpoolDir == "" {
		opts.SpoolDir = os.TempDir()
	}
	log := env.Log
	if log == nil {
		log = slog.Default()
	}
	public, err := newPublicRegistry(env.URL(rubyGemsConnection), env.PublicCache(rubyGemsConnection))
	if err != nil {
		return nil, err
	}
	return &handler{svc: env.Service, log: log, opts: opts, public: public, cache: format.NewDocCache(env, func(idx *gemIndex) int64 { return idx.size })}, nil
}

// endpoint is the handler as the format seam serves it, with the lookup
// that refuses a push of a version rubygems.org has.
func (h *handler) endpoint() *format.Endpoint {
	return &format.Endpoint{Serve: h.serve, Lookups: map[string]service.ExternalLookup{rubyGemsConnection: h.public.hasVersion}}
}
