package ruby

import (
	"os"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/model"
)

// rubyGemsConnection is the external connection RubyGems reads through.
const rubyGemsConnection = "public:ruby-gems-org"

// Format declares RubyGems to the format seam. gem push sends the token
// as Bearer (or bare), gem install and Bundler as Basic with user "aws",
// all pre-emptively; a missing or bad token is a 401 with a Basic
// challenge. It reaches public:ruby-gems-org, whose registry this server
// does not fetch from yet: a miss that would go there is a 502.
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
		return &format.Endpoint{Serve: newHandler(env, Options{}).serve}, nil
	},
}

// newHandler builds the handler of a format being installed, its indexes
// in the format's document cache.
func newHandler(env format.Env, opts Options) *handler {
	if opts.MaxGemBytes == 0 {
		opts.MaxGemBytes = 5 << 30
	}
	if opts.SpoolDir == "" {
		opts.SpoolDir = os.TempDir()
	}
	return &handler{svc: env.Service, log: env.Log, opts: opts, cache: format.NewDocCache(env, func(idx *gemIndex) int64 { return idx.size })}
}
