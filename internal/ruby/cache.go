package ruby

import (
	"container/list"
	"context"
	"errors"
	"sync"
)

// indexCache keeps built gemIndexes by package, tagged with the package
// generation they were built from, in a size-bounded LRU. A request uses
// an entry only when its generation is the package's current one (read
// from the store on every request), so a change made through another
// replica is never hidden; OnChange merely frees entries early on the
// replica that made the change. Concurrent misses for one package and
// generation share one build, so a burst of bundle installs after a push
// builds a large gem's index once.
type indexCache struct {
	mu      sync.Mutex
	max     int64
	size    int64
	items   map[int64]*list.Element // by package ID
	lru     *list.List              // of *cacheItem; front: most recently used
	flights map[flightKey]*flight
}

type cacheItem struct {
	pkgID int64
	idx   *gemIndex
}

type flightKey struct{ pkgID, gen int64 }

type flight struct {
	done chan struct{}
	idx  *gemIndex
	err  error
}

func newIndexCache(maxBytes int64) *indexCache {
	return &indexCache{max: maxBytes, items: map[int64]*list.Element{}, lru: list.New(), flights: map[flightKey]*flight{}}
}

// get returns the package's index for generation gen or later, building
// it with build on a miss.
func (c *indexCache) get(ctx context.Context, pkgID, gen int64, build func(context.Context) (*gemIndex, error)) (*gemIndex, error) {
	c.mu.Lock()
	if el, ok := c.items[pkgID]; ok && el.Value.(*cacheItem).idx.gen >= gen {
		c.lru.MoveToFront(el)
		idx := el.Value.(*cacheItem).idx
		c.mu.Unlock()
		return idx, nil
	}
	fk := flightKey{pkgID, gen}
	if f, ok := c.flights[fk]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.idx, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	// err stays set if build panics, so waiters never see a nil index.
	f := &flight{done: make(chan struct{}), err: errors.New("ruby: index build failed")}
	c.flights[fk] = f
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.flights, fk)
		if f.err == nil {
			c.putLocked(pkgID, f.idx)
		}
		c.mu.Unlock()
		close(f.done)
	}()
	// Waiters share this build: one client going away must not fail it.
	f.idx, f.err = build(context.WithoutCancel(ctx))
	return f.idx, f.err
}

func (c *indexCache) putLocked(pkgID int64, idx *gemIndex) {
	// An index bigger than half the cache would evict everything else;
	// it is served but not kept.
	if idx.size > c.max/2 {
		return
	}
	if el, ok := c.items[pkgID]; ok {
		it := el.Value.(*cacheItem)
		if it.idx.gen > idx.gen {
			return
		}
		c.size += idx.size - it.idx.size
		it.idx = idx
		c.lru.MoveToFront(el)
	} else {
		c.items[pkgID] = c.lru.PushFront(&cacheItem{pkgID: pkgID, idx: idx})
		c.size += idx.size
	}
	for c.size > c.max {
		el := c.lru.Back()
		it := el.Value.(*cacheItem)
		c.lru.Remove(el)
		delete(c.items, it.pkgID)
		c.size -= it.idx.size
	}
}

// drop forgets a package's index; registered with Service.OnChange.
func (c *indexCache) drop(pkgID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[pkgID]; ok {
		c.size -= el.Value.(*cacheItem).idx.size
		c.lru.Remove(el)
		delete(c.items, pkgID)
	}
}
