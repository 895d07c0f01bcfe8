// Package doccache keeps the documents formats derive from packages
// (npm packuments, PyPI project pages, Maven metadata), each tagged with
// the package generation it was built from.
//
// The generation changes with every change to a package, in the metadata
// store that all replicas share, and a format reads it on every request
// (service.PackageState). Get serves an entry only when it was built at
// exactly that generation, so a change made through another replica is
// never hidden; Drop, called on this replica's changes
// (service.OnChange), merely frees entries early.
package doccache

import (
	"context"
	"errors"
	"sync"
)

// Cache is a size-bounded LRU of documents by package and a key within
// the package, with one build in flight per document, so a burst of
// requests after a change builds a large document once.
type Cache[V any] struct {
	mu     sync.Mutex
	max    int64
	size   int64
	sizeOf func(V) int64
	items  map[docKey]*item[V]
	// pkgs links each package's items, for Drop.
	pkgs    map[int64]*item[V]
	lru     item[V] // sentinel: lru.next is the most recently used
	flights map[docKey]*flight[V]
	stats   Stats
}

// Stats counts lookups answered from the cache (Hit) and lookups that
// had to build (Miss); metrics report them per format.
type Stats interface {
	Hit()
	Miss()
}

type noStats struct{}

func (noStats) Hit()  {}
func (noStats) Miss() {}

// SetStats makes the cache count its lookups into st. Call it before
// the cache is used.
func (c *Cache[V]) SetStats(st Stats) { c.stats = st }

type docKey struct {
	pkg int64
	doc string
}

type item[V any] struct {
	key          docKey
	gen          int64
	val          V
	size         int64
	prev, next   *item[V] // in the LRU list
	pprev, pnext *item[V] // among the package's items
}

type flight[V any] struct {
	gen  int64
	done chan struct{}
	val  V
	err  error
}

// New returns a cache holding at most maxBytes of documents, as sizeOf
// measures them. A document larger than half of that is served but not
// kept: it would evict everything else for one package.
func New[V any](maxBytes int64, sizeOf func(V) int64) *Cache[V] {
	c := &Cache[V]{max: maxBytes, sizeOf: sizeOf, items: map[docKey]*item[V]{}, pkgs: map[int64]*item[V]{}, flights: map[docKey]*flight[V]{}, stats: noStats{}}
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	return c
}

// errBuildFailed is what waiters see when a build panicked.
var errBuildFailed = errors.New("doccache: building the document failed")

// Get returns document doc of package pkgID as built at generation gen.
// On a miss, build makes it and reports the generation it was built from
// (its own snapshot's, which may be newer than gen); concurrent misses
// for the document at gen, or for an older generation while a newer one
// builds, share one build. build's context is not cancelled with ctx,
// since other requests wait on it; a waiter whose ctx ends stops
// waiting. Errors are not kept.
func (c *Cache[V]) Get(ctx context.Context, pkgID int64, doc string, gen int64, build func(context.Context) (V, int64, error)) (V, error) {
	k := docKey{pkgID, doc}
	c.mu.Lock()
	if it := c.items[k]; it != nil && it.gen == gen {
		c.touch(it)
		c.mu.Unlock()
		c.stats.Hit()
		return it.val, nil
	}
	if f := c.flights[k]; f != nil && f.gen >= gen {
		c.mu.Unlock()
		c.stats.Hit()
		select {
		case <-f.done:
			return f.val, f.err
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
	}
	f := &flight[V]{gen: gen, done: make(chan struct{}), err: errBuildFailed}
	c.flights[k] = f
	c.mu.Unlock()
	c.stats.Miss()

	built := gen
	defer func() {
		c.mu.Lock()
		if c.flights[k] == f {
			delete(c.flights, k)
		}
		if f.err == nil {
			c.put(k, built, f.val)
		}
		c.mu.Unlock()
		close(f.done)
	}()
	f.val, built, f.err = build(context.WithoutCancel(ctx))
	return f.val, f.err
}

// Drop forgets a package's documents.
func (c *Cache[V]) Drop(pkgID int64) {
	c.mu.Lock()
	for it := c.pkgs[pkgID]; it != nil; it = c.pkgs[pkgID] {
		c.remove(it)
	}
	c.mu.Unlock()
}

// Len and Bytes report what the cache holds.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

// Bytes is the size of the documents held.
func (c *Cache[V]) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}

// put keeps val as built at gen unless a document built at a newer
// generation is there already; c.mu is held.
func (c *Cache[V]) put(k docKey, gen int64, val V) {
	size := c.sizeOf(val)
	old := c.items[k]
	if old != nil && old.gen > gen {
		return
	}
	if old != nil {
		c.remove(old)
	}
	if size > c.max/2 {
		return
	}
	it := &item[V]{key: k, gen: gen, val: val, size: size}
	c.items[k] = it
	c.size += size
	it.prev, it.next = &c.lru, c.lru.next
	it.next.prev, c.lru.next = it, it
	if head := c.pkgs[k.pkg]; head != nil {
		it.pnext, head.pprev = head, it
	}
	c.pkgs[k.pkg] = it
	for c.size > c.max {
		c.remove(c.lru.prev)
	}
}

// touch makes it the most recently used; c.mu is held.
func (c *Cache[V]) touch(it *item[V]) {
	if c.lru.next == it {
		return
	}
	it.prev.next, it.next.prev = it.next, it.prev
	it.prev, it.next = &c.lru, c.lru.next
	it.next.prev, c.lru.next = it, it
}

// remove forgets it; c.mu is held.
func (c *Cache[V]) remove(it *item[V]) {
	it.prev.next, it.next.prev = it.next, it.prev
	if it.pprev != nil {
		it.pprev.pnext = it.pnext
	} else if it.pnext != nil {
		c.pkgs[it.key.pkg] = it.pnext
	} else {
		delete(c.pkgs, it.key.pkg)
	}
	if it.pnext != nil {
		it.pnext.pprev = it.pprev
	}
	delete(c.items, it.key)
	c.size -= it.size
}
