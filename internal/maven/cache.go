package maven

import (
	"time"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/model"
)

// doc is a generated metadata document with its checksums, as the
// format's document cache keeps it: per package, under "" for the
// artifact's maven-metadata.xml and the version for a snapshot's.
type doc struct {
	body     []byte
	hashes   model.Hashes
	modified time.Time
}

// size is what a doc costs the cache: its body, checksums and overhead.
func (d *doc) size() int64 { return int64(len(d.body)) + 512 }

func newDoc(body []byte, modified time.Time) *doc {
	h := blob.NewHasher()
	h.Write(body)
	return &doc{body: body, modified: modified, hashes: h.Info().Hashes}
}
