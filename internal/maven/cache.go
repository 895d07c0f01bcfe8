package maven

import (
	"github.com/wharf-dev/wharf/internal/metrics"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/model"
)

// doc is a generated metadata document with its checksums.
type doc struct {
	body     []byte
	hashes   model.Hashes
	modified time.Time
}

func newDoc(body []byte, modified time.Time) *doc {
	h := blob.NewHasher()
	h.Write(body)
	return &doc{body: body, modified: modified, hashes: h.Info().Hashes}
}

// maxCachedPackages bounds the cache; past it an arbitrary package's
// documents are dropped.
const maxCachedPackages = 4096

// docCache holds generated metadata per package, each entry stamped with
// the package Generation it was built from. Readers compare that with the
// current Generation, so an entry built by this replica before another
// replica changed the package is never served; OnChange drops entries
// early on this one.
type docCache struct {
	mu    sync.Mutex
	pkgs  map[int64]*pkgDocs
	stats *metrics.Cache
}

type pkgDocs struct {
	gen  int64
	docs map[string]*doc // "" is the artifact-level document, else the version's
}

func newDocCache() *docCache {
	return &docCache{pkgs: map[int64]*pkgDocs{}, stats: metrics.NewCache("maven")}
}

func (c *docCache) get(pkgID, gen int64, key string) *doc {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pkgs[pkgID]
	var d *doc
	if p != nil && p.gen == gen {
		d = p.docs[key]
	}
	if d == nil {
		c.stats.Miss()
	} else {
		c.stats.Hit()
	}
	return d
}

func (c *docCache) put(pkgID, gen int64, key string, d *doc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pkgs[pkgID]
	switch {
	case p != nil && p.gen > gen:
		return // built from an older snapshot than what is cached
	case p == nil || p.gen != gen:
		if p == nil && len(c.pkgs) >= maxCachedPackages {
			for id := range c.pkgs {
				delete(c.pkgs, id)
				break
			}
		}
		p = &pkgDocs{gen: gen, docs: map[string]*doc{}}
		c.pkgs[pkgID] = p
	}
	p.docs[key] = d
}

func (c *docCache) drop(pkgID int64) {
	c.mu.Lock()
	delete(c.pkgs, pkgID)
	c.mu.Unlock()
}
