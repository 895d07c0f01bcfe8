package cargo

import (
	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/model"
)

// Format declares Cargo's sparse registry to the format seam: cargo sends
// its bare token, after a 401 with the Cargo challenge on config.json,
// and reads errors as {"errors":[{"detail":...}]} (endpoint.Cargo). It
// proxies public:crates-io: a crates.io sparse index (index files and
// config.json in a publiccache, .crate files fetched on first download,
// checked against their cksum, ingested with origin EXTERNAL).
var Format = format.Format{
	Name:   model.FormatCargo,
	Scheme: endpoint.Cargo,
	Connections: []format.Connection{{
		Name: cratesIOConnection, DefaultURL: DefaultCratesIOURL, Flag: "crates-io-url", Env: "WHARF_CRATES_IO_URL",
		Usage: "public Cargo registry (sparse index) behind the public:crates-io external connection",
	}},
	// Rendered index files, plain and gzipped.
	CacheBytes: 64 << 20,
	New: func(env format.Env) (*format.Endpoint, error) {
		h, err := newHandler(env, Options{})
		if err != nil {
			return nil, err
		}
		return h.endpoint(), nil
	},
}
