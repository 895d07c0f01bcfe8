package npm

import (
	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// Format declares npm to the format seam: Bearer tokens, the
// public:npmjs connection, and dist-tags kept as the package's state.
var Format = format.Format{
	Name:   model.FormatNpm,
	Scheme: endpoint.Bearer,
	Connections: []format.Connection{{
		Name: npmjsConnection, DefaultURL: DefaultNpmjsURL, Flag: "npmjs-url", Env: "WHARF_NPMJS_URL",
		Usage: "public npm registry behind the public:npmjs external connection",
	}},
	Rules: service.FormatRules{
		State:           true,
		VersionsDeleted: dropTags,
		VersionsCopied:  copyTags,
		DisplayVersion:  latestTag,
	},
	// Rendered packuments, both representations with their gzip.
	CacheBytes: 256 << 20,
	New: func(env format.Env) (*format.Endpoint, error) {
		h, err := New(env, Options{})
		if err != nil {
			return nil, err
		}
		return h.Endpoint(), nil
	},
}
