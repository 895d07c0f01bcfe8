package sqlite

import (
	"fmt"
	"slices"
	"sync"

	"github.com/wharf-dev/wharf/internal/model"
)

// Every repository-endpoint and control-plane request resolves its domain
// and repository first: two lookups, and for a repository the JSON of its
// upstreams decoded, before the one lookup the request is about. Under
// the npm packument benchmark they were half of the metadata work.
//
// Read transactions keep what they resolve in a cache shared by the
// store, stamped with scope_generation, a counter that triggers advance on
// every change to a domain or repository row (cascades included, from any
// process sharing the database). A transaction reads the counter once and
// uses an entry only if it carries the same value, so it sees exactly
// what its own snapshot holds. Write transactions do not use the cache:
// they may change what they read.

// scopeCacheMax bounds the entries; past it the cache starts over.
const scopeCacheMax = 10000

type scopeCache struct {
	mu      sync.Mutex
	domains map[string]scopeEntry[model.Domain]
	repos   map[string]scopeEntry[model.Repository]
}

type scopeEntry[T any] struct {
	gen int64
	v   T
}

func newScopeCache() *scopeCache {
	return &scopeCache{domains: map[string]scopeEntry[model.Domain]{}, repos: map[string]scopeEntry[model.Repository]{}}
}

func cloneRepo(r model.Repository) *model.Repository {
	r.Upstreams = slices.Clone(r.Upstreams)
	r.ExternalConnections = slices.Clone(r.ExternalConnections)
	return &r
}

// scopeGeneration reads the counter once per transaction; 0 means the
// cache is not to be used.
func (t *tx) scopeGeneration() int64 {
	if t.write || t.scopes == nil {
		return 0
	}
	if t.scopeGen == 0 {
		if err := t.row(`SELECT value FROM scope_generation WHERE id = 1`).Scan(&t.scopeGen); err != nil {
			t.scopeGen = -1
		}
	}
	return max(t.scopeGen, 0)
}

func (t *tx) cachedDomain(owner, name string, load func() (*model.Domain, error)) (*model.Domain, error) {
	gen := t.scopeGeneration()
	if gen == 0 {
		return load()
	}
	key := owner + "\x00" + name
	c := t.scopes
	c.mu.Lock()
	e, ok := c.domains[key]
	c.mu.Unlock()
	if ok && e.gen == gen {
		d := e.v
		return &d, nil
	}
	d, err := load()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.domains) >= scopeCacheMax {
		c.domains = map[string]scopeEntry[model.Domain]{}
	}
	c.domains[key] = scopeEntry[model.Domain]{gen: gen, v: *d}
	c.mu.Unlock()
	return d, nil
}

func (t *tx) cachedRepository(domainID int64, name string, load func() (*model.Repository, error)) (*model.Repository, error) {
	gen := t.scopeGeneration()
	if gen == 0 {
		return load()
	}
	key := fmt.Sprintf("%d\x00%s", domainID, name)
	c := t.scopes
	c.mu.Lock()
	e, ok := c.repos[key]
	c.mu.Unlock()
	if ok && e.gen == gen {
		return cloneRepo(e.v), nil
	}
	r, err := load()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.repos) >= scopeCacheMax {
		c.repos = map[string]scopeEntry[model.Repository]{}
	}
	c.repos[key] = scopeEntry[model.Repository]{gen: gen, v: *cloneRepo(*r)}
	c.mu.Unlock()
	return r, nil
}
