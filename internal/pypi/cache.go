package pypi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"github.com/wharf-dev/wharf/internal/metrics"
	"sync"
)

// page is a project page rendered in both forms for one package
// generation.
type page struct {
	gen      int64
	html     []byte
	json     []byte
	htmlETag string
	jsonETag string
}

func (p *page) size() int64 { return int64(len(p.html) + len(p.json) + 128) }

// etag is a strong validator from the content itself, so every replica
// answers the same ETag for the same page.
func etag(b []byte) string {
	h := sha256.Sum256(b)
	return `"` + hex.EncodeToString(h[:16]) + `"`
}

func newPage(gen int64, p *project) *page {
	pg := &page{gen: gen, html: renderProjectHTML(p), json: renderProjectJSON(p)}
	pg.htmlETag, pg.jsonETag = etag(pg.html), etag(pg.json)
	return pg
}

// pageCache keeps rendered project pages by package ID. An entry is
// served only while its generation is the package's current one, which
// the handler reads on every request, so a change made through another
// replica is never hidden; OnChange merely frees stale entries early.
// Concurrent misses for one package share one render.
type pageCache struct {
	mu       sync.Mutex
	pages    map[int64]*page
	flights  map[int64]*flight
	bytes    int64
	maxBytes int64
	stats    *metrics.Cache
}

type flight struct {
	gen  int64
	done chan struct{}
	p    *page
	err  error
}

func newPageCache(maxBytes int64) *pageCache {
	return &pageCache{pages: map[int64]*page{}, flights: map[int64]*flight{}, maxBytes: maxBytes, stats: metrics.NewCache("pypi")}
}

// get returns the package's page for generation gen, rendering it with
// render on a miss (joining a render in flight for gen or a newer one).
func (c *pageCache) get(ctx context.Context, pkgID, gen int64, render func(context.Context) (*page, error)) (*page, error) {
	c.mu.Lock()
	if p := c.pages[pkgID]; p != nil && p.gen == gen {
		c.mu.Unlock()
		c.stats.Hit()
		return p, nil
	}
	c.stats.Miss()
	if f := c.flights[pkgID]; f != nil && f.gen >= gen {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.p, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &flight{gen: gen, done: make(chan struct{})}
	c.flights[pkgID] = f
	c.mu.Unlock()

	// Waiters share this render, so one client going away must not fail it.
	f.p, f.err = render(context.WithoutCancel(ctx))
	c.mu.Lock()
	if c.flights[pkgID] == f {
		delete(c.flights, pkgID)
	}
	if f.err == nil {
		c.put(pkgID, f.p)
	}
	c.mu.Unlock()
	close(f.done)
	return f.p, f.err
}

// put stores p unless a newer page is already there; c.mu is held.
func (c *pageCache) put(pkgID int64, p *page) {
	if old := c.pages[pkgID]; old != nil {
		if old.gen > p.gen {
			return
		}
		c.bytes -= old.size()
	}
	if p.size() > c.maxBytes {
		delete(c.pages, pkgID)
		return
	}
	c.pages[pkgID] = p
	c.bytes += p.size()
	// Over budget: drop arbitrary entries (map order is random), cheap and
	// good enough for pages that re-render in milliseconds.
	for id, q := range c.pages {
		if c.bytes <= c.maxBytes {
			break
		}
		if id != pkgID {
			delete(c.pages, id)
			c.bytes -= q.size()
		}
	}
}

// invalidate drops a package's page; registered with Service.OnChange.
func (c *pageCache) invalidate(pkgID int64) {
	c.mu.Lock()
	if p := c.pages[pkgID]; p != nil {
		c.bytes -= p.size()
		delete(c.pages, pkgID)
	}
	c.mu.Unlock()
}
