package npm

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"errors"
	"github.com/wharf-dev/wharf/internal/metrics"
	"sync"
)

// Rendered packuments are cached per package and representation, tagged
// with the package generation they were rendered from. A request serves
// an entry only when that generation is still current (checked against
// the store on every request), so every replica stays correct while
// OnChange merely frees entries early on the replica that made a change.

type cacheKey struct {
	pkgID int64
	kind  docKind
}

// rendered is one packument in both encodings.
type rendered struct {
	gen   int64
	plain []byte
	gz    []byte
}

func (r *rendered) size() int64 { return int64(len(r.plain) + len(r.gz)) }

// newRendered compresses a rendered document once, for every client that
// accepts gzip (npm always does).
func newRendered(gen int64, plain []byte) *rendered {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.DefaultCompression)
	zw.Write(plain)
	zw.Close()
	return &rendered{gen: gen, plain: plain, gz: b.Bytes()}
}

type cacheItem struct {
	key cacheKey
	doc *rendered
}

type flightKey struct {
	cacheKey
	gen int64
}

type flight struct {
	done chan struct{}
	doc  *rendered
	err  error
}

// docCache is a size-bounded LRU of rendered packuments with one render
// in flight per package, representation and generation, so a burst of
// requests after a publish renders a large package once.
type docCache struct {
	mu      sync.Mutex
	max     int64
	size    int64
	items   map[cacheKey]*list.Element
	lru     *list.List // front: most recently used
	flights map[flightKey]*flight
	stats   *metrics.Cache
}

func newDocCache(maxBytes int64) *docCache {
	return &docCache{max: maxBytes, items: map[cacheKey]*list.Element{}, lru: list.New(), flights: map[flightKey]*flight{}, stats: metrics.NewCache("npm")}
}

// getLocked returns the entry for k if it was rendered at gen or later.
func (c *docCache) getLocked(k cacheKey, gen int64) *rendered {
	el, ok := c.items[k]
	if !ok {
		return nil
	}
	it := el.Value.(*cacheItem)
	if it.doc.gen < gen {
		return nil
	}
	c.lru.MoveToFront(el)
	return it.doc
}

func (c *docCache) putLocked(k cacheKey, doc *rendered) {
	// A document bigger than half the cache would evict everything else
	// for one package; it is served but not kept.
	if doc.size() > c.max/2 {
		return
	}
	if el, ok := c.items[k]; ok {
		it := el.Value.(*cacheItem)
		if it.doc.gen > doc.gen {
			return
		}
		c.size += doc.size() - it.doc.size()
		it.doc = doc
		c.lru.MoveToFront(el)
	} else {
		c.items[k] = c.lru.PushFront(&cacheItem{key: k, doc: doc})
		c.size += doc.size()
	}
	for c.size > c.max {
		el := c.lru.Back()
		it := el.Value.(*cacheItem)
		c.lru.Remove(el)
		delete(c.items, it.key)
		c.size -= it.doc.size()
	}
}

// drop forgets a package's documents.
func (c *docCache) drop(pkgID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, kind := range []docKind{fullDoc, abbrevDoc} {
		if el, ok := c.items[cacheKey{pkgID, kind}]; ok {
			c.size -= el.Value.(*cacheItem).doc.size()
			c.lru.Remove(el)
			delete(c.items, cacheKey{pkgID, kind})
		}
	}
}

// get returns the document for k at generation gen or later, rendering
// it with fn when missing; concurrent misses share one render.
func (c *docCache) get(k cacheKey, gen int64, fn func() (*rendered, error)) (*rendered, error) {
	c.mu.Lock()
	if doc := c.getLocked(k, gen); doc != nil {
		c.mu.Unlock()
		c.stats.Hit()
		return doc, nil
	}
	c.stats.Miss()
	fk := flightKey{k, gen}
	if f, ok := c.flights[fk]; ok {
		c.mu.Unlock()
		<-f.done
		return f.doc, f.err
	}
	// err stays set if fn panics, so waiters never see a nil document.
	f := &flight{done: make(chan struct{}), err: errors.New("packument render failed")}
	c.flights[fk] = f
	c.mu.Unlock()

	defer func() {
		c.mu.Lock()
		delete(c.flights, fk)
		if f.err == nil && f.doc != nil {
			c.putLocked(k, f.doc)
		}
		c.mu.Unlock()
		close(f.done)
	}()
	f.doc, f.err = fn()
	return f.doc, f.err
}
