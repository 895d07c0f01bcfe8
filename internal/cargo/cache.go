package cargo

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"errors"
	"sync"
)

// Rendered index files are cached per package, tagged with the package
// generation they were rendered from, as npm caches packuments: a
// request serves an entry only while that generation is the package's
// current one (read from the store on every request), so every replica
// stays correct, and OnChange merely frees entries early on the replica
// that made a change.

// indexDoc is one crate's index file in both encodings.
type indexDoc struct {
	gen   int64
	plain []byte // empty: no version to show
	gz    []byte
}

func (d *indexDoc) size() int64 { return int64(len(d.plain)+len(d.gz)) + 64 }

// newIndexDoc compresses a rendered file once, for every client that
// accepts gzip.
func newIndexDoc(gen int64, plain []byte) *indexDoc {
	d := &indexDoc{gen: gen, plain: plain}
	if len(plain) > 0 {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.DefaultCompression)
		zw.Write(plain)
		zw.Close()
		d.gz = b.Bytes()
	}
	return d
}

type cacheItem struct {
	pkgID int64
	doc   *indexDoc
}

type flightKey struct{ pkgID, gen int64 }

type flight struct {
	done chan struct{}
	doc  *indexDoc
	err  error
}

// docCache is a size-bounded LRU of rendered index files with one render
// in flight per package and generation, so the burst of requests that
// follows a publish renders a crate once.
type docCache struct {
	mu      sync.Mutex
	max     int64
	size    int64
	items   map[int64]*list.Element
	lru     *list.List // front: most recently used
	flights map[flightKey]*flight
}

func newDocCache(maxBytes int64) *docCache {
	return &docCache{max: maxBytes, items: map[int64]*list.Element{}, lru: list.New(), flights: map[flightKey]*flight{}}
}

// get returns the package's file at generation gen or later, rendering it
// with fn when missing; concurrent misses share one render.
func (c *docCache) get(pkgID, gen int64, fn func() (*indexDoc, error)) (*indexDoc, error) {
	c.mu.Lock()
	if el, ok := c.items[pkgID]; ok {
		if it := el.Value.(*cacheItem); it.doc.gen >= gen {
			c.lru.MoveToFront(el)
			c.mu.Unlock()
			return it.doc, nil
		}
	}
	fk := flightKey{pkgID, gen}
	if f, ok := c.flights[fk]; ok {
		c.mu.Unlock()
		<-f.done
		return f.doc, f.err
	}
	// err stays set if fn panics, so waiters never see a nil document.
	f := &flight{done: make(chan struct{}), err: errors.New("index render failed")}
	c.flights[fk] = f
	c.mu.Unlock()

	defer func() {
		c.mu.Lock()
		delete(c.flights, fk)
		if f.err == nil && f.doc != nil {
			c.put(pkgID, f.doc)
		}
		c.mu.Unlock()
		close(f.done)
	}()
	f.doc, f.err = fn()
	return f.doc, f.err
}

// put stores doc unless a newer one is there; c.mu is held.
func (c *docCache) put(pkgID int64, doc *indexDoc) {
	// A file bigger than half the cache would evict everything else for
	// one crate; it is served but not kept.
	if doc.size() > c.max/2 {
		return
	}
	if el, ok := c.items[pkgID]; ok {
		it := el.Value.(*cacheItem)
		if it.doc.gen > doc.gen {
			return
		}
		c.size += doc.size() - it.doc.size()
		it.doc = doc
		c.lru.MoveToFront(el)
	} else {
		c.items[pkgID] = c.lru.PushFront(&cacheItem{pkgID: pkgID, doc: doc})
		c.size += doc.size()
	}
	for c.size > c.max {
		el := c.lru.Back()
		it := el.Value.(*cacheItem)
		c.lru.Remove(el)
		delete(c.items, it.pkgID)
		c.size -= it.doc.size()
	}
}

// drop forgets a package's file; registered with Service.OnChange.
func (c *docCache) drop(pkgID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[pkgID]; ok {
		c.size -= el.Value.(*cacheItem).doc.size()
		c.lru.Remove(el)
		delete(c.items, pkgID)
	}
}
