// Package publiccache holds the documents Wharf fetched from public
// registries for its external connections: npm packuments, PyPI simple
// pages, maven-metadata.xml, cargo index files, NuGet registration and
// flat-container indexes, gem info files. It is the one mechanism every
// connection uses for public metadata (Decision 10):
//
//   - a Get answers from the last fetched document; when that is older
//     than the freshness window it is still answered at once while one
//     background refresh (conditional: If-None-Match, If-Modified-Since)
//     runs, so a warm install never waits on the registry;
//   - a caller that finds the cached document lacks what it needs (a
//     version, a file) calls Refetch: an immediate fetch, shared by every
//     concurrent caller, and at most one per key per MinRefetch so a storm
//     of requests for a truly absent version does not hammer the registry;
//   - when the registry fails (network error, 5xx, timeout, a document
//     that does not decode) what was fetched keeps being served; only a
//     true miss fails, with an error wrapping ErrUnavailable (a 502);
//   - a 404 from the registry is remembered for NotFoundTTL (ErrNotFound);
//   - documents live on disk, one file each, written atomically and
//     owner-only, under a byte bound with least-recently-used eviction; a
//     byte-bounded set of hot decoded documents stays in memory; files
//     left by an earlier run are read again lazily, when first asked for,
//     and a file that fails its checksum is ignored and fetched again.
//
// One Cache serves one external connection: its FetchFunc knows the
// registry's URLs and its DecodeFunc turns a document into what the
// format works with (and refuses a malformed one before it is kept).
package publiccache

import (
	"container/list"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Defaults for the zero values of Options.
const (
	DefaultFresh        = 5 * time.Minute
	DefaultMinRefetch   = time.Second
	DefaultNotFoundTTL  = 30 * time.Second
	DefaultFetchTimeout = 30 * time.Second
	DefaultMemoryBytes  = 64 << 20
	DefaultDiskBytes    = 1 << 30
)

// maxBare bounds the entries that hold no document (a remembered 404, a
// failed first fetch), each a few hundred bytes of memory.
const maxBare = 10000

// ErrNotFound is returned when the registry answered that it does not
// have the document (remembered for Options.NotFoundTTL).
var ErrNotFound = errors.New("not found in the public registry")

// ErrUnavailable is wrapped by the error of a Get or Refetch that found
// nothing cached and could not read the registry (network error, 5xx,
// timeout, malformed document): the formats answer it 502.
var ErrUnavailable = errors.New("public registry unavailable")

// ErrClosed is returned by calls after Close.
var ErrClosed = errors.New("publiccache: closed")

// Validators are a fetched document's HTTP cache validators. A refresh
// sends them back (If-None-Match, If-Modified-Since), so an unchanged
// document costs the registry a 304.
type Validators struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
}

// Response is what a FetchFunc got from the registry: a document with
// its validators, or NotModified (the cached copy is current), or
// NotFound (the registry does not have it).
type Response struct {
	Body        []byte
	Validators  Validators
	NotModified bool
	NotFound    bool
}

// FetchFunc asks the registry for the document of key. prev holds the
// cached copy's validators, zero when there is none; a registry that
// answers 304 to them returns NotModified. An error means the registry
// could not be read. The context carries Options.FetchTimeout and is not
// cancelled when the request that caused the fetch ends.
type FetchFunc func(ctx context.Context, key string, prev Validators) (Response, error)

// DecodeFunc turns a document into the value callers get. It runs on
// every fetched document before it is kept (an error refuses it as a
// registry failure) and on a stored copy read back from disk (an error
// discards the copy). The value is shared by every caller: treat it as
// read-only.
type DecodeFunc[T any] func(key string, body []byte) (T, error)

// Options configure a Cache; zero fields take the defaults above.
type Options struct {
	// Dir holds the documents (created 0700 if missing), e.g.
	// DATA-DIR/public-cache/npmjs. One Cache per directory.
	Dir string
	// Source names the registry the documents come from (its base URL).
	// When the connection is pointed at another registry, the documents
	// fetched from the former one are dropped as the cache opens, rather
	// than served (with URLs into the former registry) until refreshed.
	Source string
	// Fresh is how long a fetched document is served without asking the
	// registry; an older one is served while a background refresh runs.
	Fresh time.Duration
	// MinRefetch is the least time between two fetches of one key that
	// Refetch causes; within it Refetch answers the cached document.
	MinRefetch time.Duration
	// NotFoundTTL is how long a 404 from the registry is remembered.
	NotFoundTTL time.Duration
	// FetchTimeout bounds each fetch, background ones included.
	FetchTimeout time.Duration
	// MemoryBytes bounds the hot documents kept decoded in memory,
	// counted by their length as fetched (a decoded value is about as
	// large as its JSON or HTML).
	MemoryBytes int64
	// DiskBytes bounds the documents on disk.
	DiskBytes int64
	// Now is the clock (tests pass a fake one).
	Now func() time.Time
	// Logger gets registry failures and discarded files.
	Logger *slog.Logger
}

// Stats describe a Cache's contents, for tests, logs and benchmarks.
type Stats struct {
	Files     int   // documents on disk
	DiskBytes int64 // their size
	Hot       int   // documents decoded in memory
	HotBytes  int64 // their size as fetched
	Fetches   int64 // requests made to the registry since New
}

// Cache is the public-document cache of one external connection. Its
// methods are safe for concurrent use.
type Cache[T any] struct {
	opts   Options
	fetch  FetchFunc
	decode DecodeFunc[T]
	log    *slog.Logger

	base   context.Context // cancelled by Close, ending fetches in flight
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	closed    bool
	byKey     map[string]*entry[T]
	byName    map[[sha256.Size]byte]*entry[T] // every entry with a file
	disk      list.List                       // entries with a file, most recently used first
	bare      list.List                       // entries without one, newest first
	hot       list.List                       // entries decoded in memory, most recently used first
	diskBytes int64
	hotBytes  int64
	fetches   int64
}

// entry is one key's state; every field is guarded by Cache.mu.
type entry[T any] struct {
	key    string // "" for a file of an earlier run not yet asked for
	name   [sha256.Size]byte
	onDisk bool
	size   int64         // the file's size when onDisk
	res    *list.Element // in Cache.disk when onDisk, else in Cache.bare

	hot     bool
	val     T
	memSize int64
	hotElem *list.Element

	fetched       time.Time // when the registry last gave or confirmed the document
	validators    Validators
	notFoundUntil time.Time
	lastTry       time.Time // when the registry was last asked
	lastErr       error     // that attempt's failure, nil when it succeeded
	flight        *flight[T]
	gone          bool // removed from the cache; a new entry takes the key
}

// flight is one load or fetch of an entry; callers that need its outcome
// wait for done.
type flight[T any] struct {
	done  chan struct{}
	asked bool // it asked the registry (a waiting Refetch is answered)
	val   T
	has   bool
	err   error // when !has: ErrNotFound or an ErrUnavailable error
}

// New opens the cache in opts.Dir, indexing the files an earlier run left
// there (their contents are read when first asked for).
func New[T any](opts Options, fetch FetchFunc, decode DecodeFunc[T]) (*Cache[T], error) {
	if opts.Dir == "" {
		return nil, errors.New("publiccache: no directory")
	}
	if fetch == nil || decode == nil {
		return nil, errors.New("publiccache: a fetch and a decode function are required")
	}
	opts.Fresh = orDefault(opts.Fresh, DefaultFresh)
	opts.MinRefetch = orDefault(opts.MinRefetch, DefaultMinRefetch)
	opts.NotFoundTTL = orDefault(opts.NotFoundTTL, DefaultNotFoundTTL)
	opts.FetchTimeout = orDefault(opts.FetchTimeout, DefaultFetchTimeout)
	opts.MemoryBytes = orDefault(opts.MemoryBytes, DefaultMemoryBytes)
	opts.DiskBytes = orDefault(opts.DiskBytes, DefaultDiskBytes)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Cache[T]{opts: opts, fetch: fetch, decode: decode, log: opts.Logger,
		byKey: map[string]*entry[T]{}, byName: map[[sha256.Size]byte]*entry[T]{}}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.base, c.cancel = context.WithCancel(context.Background())
	if err := checkSource(opts.Dir, opts.Source, c.log); err != nil {
		return nil, fmt.Errorf("publiccache: %w", err)
	}
	files, err := scan(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("publiccache: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range files { // oldest first: the newest ends at the front
		e := &entry[T]{name: f.name, onDisk: true, size: f.size, fetched: f.mtime}
		e.res = c.disk.PushFront(e)
		c.byName[f.name] = e
		c.diskBytes += f.size
	}
	c.trimDisk()
	return c, nil
}

func orDefault[N int64 | time.Duration](v, def N) N {
	if v <= 0 {
		return def
	}
	return v
}

// Get returns the document of key: the cached one when there is one
// (starting a background refresh when it is older than Options.Fresh),
// else fetched now. It fails with ErrNotFound when the registry does not
// have the document, or with an error wrapping ErrUnavailable when
// nothing is cached and the registry cannot be read.
func (c *Cache[T]) Get(ctx context.Context, key string) (T, error) {
	return c.get(ctx, key, false)
}

// Refetch is Get for a caller that found the cached document lacks what
// it needs (a version published minutes ago): it fetches now, unless a
// fetch of key is already running (its outcome is shared) or the last
// one began less than Options.MinRefetch ago (the cached document is
// answered). When the registry fails, the cached document is answered.
func (c *Cache[T]) Refetch(ctx context.Context, key string) (T, error) {
	return c.get(ctx, key, true)
}

func (c *Cache[T]) get(ctx context.Context, key string, refetch bool) (T, error) {
	var zero T
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return zero, ErrClosed
	}
	e := c.lookup(key)
	for {
		now := c.opts.Now()
		if e.hot && !refetch {
			// The warm path: no allocation, no I/O.
			c.maybeRefresh(ctx, e, now)
			c.hot.MoveToFront(e.hotElem)
			if e.onDisk {
				c.disk.MoveToFront(e.res)
			}
			v := e.val
			c.mu.Unlock()
			return v, nil
		}
		if f := e.flight; f != nil {
			c.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return zero, ctx.Err()
			}
			if refetch && !f.asked {
				// A load from disk: the registry is still to be asked.
				c.mu.Lock()
				if e.gone {
					e = c.lookup(key)
				}
				continue
			}
			if f.has {
				c.mu.Lock()
				if !e.gone {
					c.maybeRefresh(ctx, e, c.opts.Now())
				}
				c.mu.Unlock()
				return f.val, nil
			}
			return zero, f.err
		}
		if c.closed {
			c.mu.Unlock()
			return zero, ErrClosed
		}
		if refetch {
			if now.Sub(e.lastTry) < c.opts.MinRefetch {
				refetch = false
				continue
			}
			c.start(ctx, e, false)
			continue
		}
		if e.onDisk {
			c.start(ctx, e, true)
			continue
		}
		if now.Before(e.notFoundUntil) {
			c.mu.Unlock()
			return zero, ErrNotFound
		}
		if e.lastErr != nil && now.Sub(e.lastTry) < c.opts.MinRefetch {
			err := e.lastErr
			c.mu.Unlock()
			return zero, unavailable(key, err)
		}
		c.start(ctx, e, false)
	}
}

// lookup finds or makes key's entry; c.mu is held.
func (c *Cache[T]) lookup(key string) *entry[T] {
	if e := c.byKey[key]; e != nil {
		return e
	}
	name := sha256.Sum256([]byte(key))
	if e := c.byName[name]; e != nil {
		// A file of an earlier run; its header names the key it holds,
		// checked when it is read.
		e.key = key
		c.byKey[key] = e
		return e
	}
	c.trimBare(maxBare - 1) // room for the new entry, which must stay
	e := &entry[T]{key: key, name: name}
	c.byKey[key] = e
	e.res = c.bare.PushFront(e)
	return e
}

// maybeRefresh starts a background refresh of a stale document; after a
// failed attempt it waits longer (a tenth of the freshness window), so a
// registry that is down is asked about each key a few times a minute,
// not on every request. c.mu is held.
func (c *Cache[T]) maybeRefresh(ctx context.Context, e *entry[T], now time.Time) {
	if e.flight != nil || c.closed || now.Sub(e.fetched) < c.opts.Fresh {
		return
	}
	wait := c.opts.MinRefetch
	if e.lastErr != nil {
		wait = max(wait, c.opts.Fresh/10)
	}
	if now.Sub(e.lastTry) >= wait {
		c.start(ctx, e, false)
	}
}

// start begins a flight for e; c.mu is held. loadOnly reads the stored
// copy and asks the registry only when there is no usable one.
func (c *Cache[T]) start(ctx context.Context, e *entry[T], loadOnly bool) {
	f := &flight[T]{done: make(chan struct{})}
	e.flight = f
	c.wg.Add(1)
	go c.run(ctx, e, f, loadOnly)
}

// run carries out a flight. The fetch outlives the request that caused
// it (other callers may wait for it, and its result serves later ones)
// but not FetchTimeout nor Close.
func (c *Cache[T]) run(reqCtx context.Context, e *entry[T], f *flight[T], loadOnly bool) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(reqCtx), c.opts.FetchTimeout)
	stop := context.AfterFunc(c.base, cancel)
	defer func() {
		stop()
		cancel()
	}()

	c.mu.Lock()
	key, name, onDisk := e.key, e.name, e.onDisk
	val, has, prev := e.val, e.hot, e.validators
	c.mu.Unlock()

	if !has && onDisk {
		v, st, err := c.load(key, name)
		c.mu.Lock()
		if err != nil {
			c.log.Warn("public cache: ignoring a stored document", "dir", c.opts.Dir, "key", key, "err", err)
			c.dropFile(e)
		} else {
			val, has, prev = v, true, st.validators
			e.fetched, e.validators = st.fetched, st.validators
			c.setHot(e, v, st.bodySize)
			if loadOnly {
				c.finish(e, f, val, nil, false)
				c.mu.Unlock()
				return
			}
		}
		c.mu.Unlock()
	}
	if !has {
		prev = Validators{}
	}

	c.mu.Lock()
	asked := c.opts.Now()
	e.lastTry = asked
	c.fetches++
	c.mu.Unlock()
	resp, err := c.fetch(ctx, key, prev)
	if err == nil && resp.NotModified && !has {
		err = errors.New("304 Not Modified to a request without validators")
	}
	var nv T
	fresh := err == nil && !resp.NotFound && !resp.NotModified
	if fresh {
		if nv, err = c.decode(key, resp.Body); err != nil {
			err = fmt.Errorf("malformed document: %w", err)
			fresh = false
		}
	}
	var size int64
	var werr error
	switch {
	case fresh:
		size, werr = c.write(name, key, resp.Validators, resp.Body, asked)
		if werr != nil {
			c.log.Warn("public cache: document kept in memory only", "dir", c.opts.Dir, "key", key, "err", werr)
		}
	case err == nil && resp.NotModified:
		touch(c.opts.Dir, name, asked) // the file's time is its freshness
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err != nil:
		e.lastErr = err
		c.log.Warn("public registry fetch failed", "key", key, "served_from_cache", has, "err", err)
		if has {
			c.finish(e, f, val, nil, true) // stale-if-error
			return
		}
		var zero T
		c.finish(e, f, zero, unavailable(key, err), true)
	case resp.NotFound:
		e.lastErr = nil
		c.dropValue(e)
		c.dropFile(e)
		e.notFoundUntil = asked.Add(c.opts.NotFoundTTL)
		var zero T
		c.finish(e, f, zero, ErrNotFound, true)
	case resp.NotModified:
		e.lastErr, e.fetched = nil, asked
		if resp.Validators.ETag != "" {
			e.validators.ETag = resp.Validators.ETag
		}
		if resp.Validators.LastModified != "" {
			e.validators.LastModified = resp.Validators.LastModified
		}
		c.finish(e, f, val, nil, true)
	default:
		e.lastErr, e.notFoundUntil = nil, time.Time{}
		e.fetched, e.validators = asked, resp.Validators
		if werr == nil {
			c.setFile(e, size)
		} else {
			c.dropFile(e) // an older copy must not come back
		}
		c.setHot(e, nv, int64(len(resp.Body)))
		c.finish(e, f, nv, nil, true)
	}
}

func unavailable(key string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, key, err)
}

// finish publishes a flight's outcome; c.mu is held.
func (c *Cache[T]) finish(e *entry[T], f *flight[T], val T, err error, asked bool) {
	f.val, f.has, f.err, f.asked = val, err == nil, err, asked
	e.flight = nil
	close(f.done)
	// Entries in flight are never evicted: catch up now.
	c.trimDisk()
	c.trimBare(maxBare)
}

// setHot keeps e's decoded value in memory; c.mu is held. A document
// larger than the whole memory bound is not kept (each caller reads it
// from disk).
func (c *Cache[T]) setHot(e *entry[T], v T, size int64) {
	if size > c.opts.MemoryBytes {
		c.dropValue(e)
		return
	}
	if e.hot {
		c.hotBytes -= e.memSize
		c.hot.MoveToFront(e.hotElem)
	} else {
		e.hot = true
		e.hotElem = c.hot.PushFront(e)
	}
	e.val, e.memSize = v, size
	c.hotBytes += size
	for c.hotBytes > c.opts.MemoryBytes {
		c.dropValue(c.hot.Back().Value.(*entry[T]))
	}
}

// dropValue frees e's decoded value; c.mu is held.
func (c *Cache[T]) dropValue(e *entry[T]) {
	if !e.hot {
		return
	}
	var zero T
	c.hot.Remove(e.hotElem)
	c.hotBytes -= e.memSize
	e.hot, e.val, e.memSize, e.hotElem = false, zero, 0, nil
}

// setFile records that e's document is on disk with size bytes; c.mu is
// held.
func (c *Cache[T]) setFile(e *entry[T], size int64) {
	if e.onDisk {
		c.diskBytes += size - e.size
		c.disk.MoveToFront(e.res)
	} else {
		c.bare.Remove(e.res)
		e.res = c.disk.PushFront(e)
		e.onDisk = true
		c.byName[e.name] = e
		c.diskBytes += size
	}
	e.size = size
	c.trimDisk()
}

// dropFile removes e's file, keeping the entry; c.mu is held.
func (c *Cache[T]) dropFile(e *entry[T]) {
	if !e.onDisk {
		return
	}
	removeFile(c.opts.Dir, e.name)
	c.disk.Remove(e.res)
	c.diskBytes -= e.size
	delete(c.byName, e.name)
	e.onDisk, e.size = false, 0
	e.res = c.bare.PushFront(e)
	c.trimBare(maxBare)
}

// remove takes e out of the cache altogether; c.mu is held and e is not
// in flight.
func (c *Cache[T]) remove(e *entry[T]) {
	c.dropValue(e)
	if e.onDisk {
		removeFile(c.opts.Dir, e.name)
		c.disk.Remove(e.res)
		c.diskBytes -= e.size
		delete(c.byName, e.name)
	} else {
		c.bare.Remove(e.res)
	}
	if e.key != "" && c.byKey[e.key] == e {
		delete(c.byKey, e.key)
	}
	e.gone = true
}

// trimDisk evicts the least recently used files beyond the disk bound;
// c.mu is held.
func (c *Cache[T]) trimDisk() {
	for el := c.disk.Back(); el != nil && c.diskBytes > c.opts.DiskBytes; {
		prev := el.Prev()
		if e := el.Value.(*entry[T]); e.flight == nil {
			c.remove(e)
		}
		el = prev
	}
}

// trimBare forgets the oldest entries without a document beyond limit;
// c.mu is held.
func (c *Cache[T]) trimBare(limit int) {
	for el := c.bare.Back(); el != nil && c.bare.Len() > limit; {
		prev := el.Prev()
		if e := el.Value.(*entry[T]); e.flight == nil {
			c.remove(e)
		}
		el = prev
	}
}

// Stats reports the cache's contents.
func (c *Cache[T]) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Files: c.disk.Len(), DiskBytes: c.diskBytes, Hot: c.hot.Len(), HotBytes: c.hotBytes, Fetches: c.fetches}
}

// Close ends fetches in flight and waits for them; the documents stay on
// disk for the next New.
func (c *Cache[T]) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	return nil
}
