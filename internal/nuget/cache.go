package nuget

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"context"
	"errors"
	"sync"
)

// Documents (flat-container indexes, registration indexes and pages,
// search candidates) are cached per package and document, tagged with
// the package generation they were built from. A request uses an entry
// only when that generation is still the package's current one (read
// from the store on every request), so every replica stays correct;
// OnChange merely frees a package's entries early on the replica that
// changed it. As npm's packument cache (internal/npm/cache.go).

// sized is a cached value that knows its memory cost.
type sized interface{ size() int64 }

type docKey struct {
	pkgID int64
	name  string // "flat", "reg/v3/registration/", "search", ...
}

type cached[V sized] struct {
	gen int64
	val V
}

type cacheItem[V sized] struct {
	key docKey
	c   cached[V]
}

type flightKey struct {
	docKey
	gen int64
}

type flight[V sized] struct {
	done chan struct{}
	c    cached[V]
	err  error
}

// docCache is a size-bounded LRU with one build in flight per document
// and generation, so a burst of restores after a push builds a large
// package's documents once.
type docCache[V sized] struct {
	mu      sync.Mutex
	max     int64
	size    int64
	items   map[docKey]*list.Element
	byPkg   map[int64]map[string]bool
	lru     *list.List // front: most recently used
	flights map[flightKey]*flight[V]
}

func newDocCache[V sized](maxBytes int64) *docCache[V] {
	return &docCache[V]{max: maxBytes, items: map[docKey]*list.Element{}, byPkg: map[int64]map[string]bool{},
		lru: list.New(), flights: map[flightKey]*flight[V]{}}
}

// getLocked returns the entry for k if it was built at gen or later.
func (c *docCache[V]) getLocked(k docKey, gen int64) (cached[V], bool) {
	el, ok := c.items[k]
	if !ok {
		return cached[V]{}, false
	}
	it := el.Value.(*cacheItem[V])
	if it.c.gen < gen {
		return cached[V]{}, false
	}
	c.lru.MoveToFront(el)
	return it.c, true
}

func (c *docCache[V]) removeLocked(el *list.Element) {
	it := el.Value.(*cacheItem[V])
	c.lru.Remove(el)
	delete(c.items, it.key)
	if m := c.byPkg[it.key.pkgID]; m != nil {
		delete(m, it.key.name)
		if len(m) == 0 {
			delete(c.byPkg, it.key.pkgID)
		}
	}
	c.size -= it.c.val.size()
}

func (c *docCache[V]) putLocked(k docKey, v cached[V]) {
	// A document bigger than half the cache would evict everything else
	// for one package; it is served but not kept.
	if v.val.size() > c.max/2 {
		return
	}
	if el, ok := c.items[k]; ok {
		it := el.Value.(*cacheItem[V])
		if it.c.gen > v.gen {
			return
		}
		c.size += v.val.size() - it.c.val.size()
		it.c = v
		c.lru.MoveToFront(el)
	} else {
		c.items[k] = c.lru.PushFront(&cacheItem[V]{key: k, c: v})
		c.size += v.val.size()
		if c.byPkg[k.pkgID] == nil {
			c.byPkg[k.pkgID] = map[string]bool{}
		}
		c.byPkg[k.pkgID][k.name] = true
	}
	for c.size > c.max {
		c.removeLocked(c.lru.Back())
	}
}

// drop forgets a package's documents; registered with Service.OnChange.
func (c *docCache[V]) drop(pkgID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name := range c.byPkg[pkgID] {
		if el, ok := c.items[docKey{pkgID, name}]; ok {
			c.removeLocked(el)
		}
	}
}

// get returns the value for k at generation gen or later, building it
// with build on a miss; concurrent misses share one build, which runs
// without the caller's cancellation (others may be waiting on it).
func (c *docCache[V]) get(ctx context.Context, k docKey, gen int64, build func(context.Context) (int64, V, error)) (cached[V], error) {
	c.mu.Lock()
	if v, ok := c.getLocked(k, gen); ok {
		c.mu.Unlock()
		return v, nil
	}
	fk := flightKey{k, gen}
	if f, ok := c.flights[fk]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.c, f.err
		case <-ctx.Done():
			return cached[V]{}, ctx.Err()
		}
	}
	// err stays set if build panics, so waiters never see a zero value.
	f := &flight[V]{done: make(chan struct{}), err: errors.New("nuget document build failed")}
	c.flights[fk] = f
	c.mu.Unlock()

	defer func() {
		c.mu.Lock()
		delete(c.flights, fk)
		if f.err == nil {
			c.putLocked(k, f.c)
		}
		c.mu.Unlock()
		close(f.done)
	}()
	var v V
	var built int64
	built, v, f.err = build(context.WithoutCancel(ctx))
	f.c = cached[V]{gen: built, val: v}
	return f.c, f.err
}

// rendered is a JSON document in both encodings, with its validator.
type rendered struct {
	plain, gz []byte
	etag      string
}

func (r *rendered) size() int64 { return int64(len(r.plain)+len(r.gz)) + 64 }

// newRendered compresses a document once for every client that accepts
// gzip (NuGet's clients do).
func newRendered(plain []byte, etag string) *rendered {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.DefaultCompression)
	zw.Write(plain)
	zw.Close()
	return &rendered{plain: plain, gz: b.Bytes(), etag: etag}
}
