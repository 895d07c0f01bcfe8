package sqlite

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// A download, a DescribePackageVersion or a page of ListPackageVersions
// is a handful of point lookups (domain, repository, package, version,
// asset). Through database/sql and the pure-Go driver each costs 10-15 µs
// plus the transaction's BEGIN and ROLLBACK, which under load was most of
// the request. With the read cache (Exclusive), read transactions keep
// what those lookups returned in memory and a repeated request runs no
// SQL at all.
//
// The cache is exact, not time-based. Every committed Update moves an
// epoch, and an entry belongs to the one epoch it was read in. The epoch
// is a seqlock: odd while a commit is in progress, so a reader that might
// straddle a commit does not use or fill the cache. A read transaction
// takes the epoch when it starts and begins its SQLite transaction only
// at its first statement; if a commit slipped in between and the
// transaction has already answered from the cache, its snapshot and its
// cached answers could disagree, so View runs the function again without
// the cache (errStale stops the first run at that statement).
//
// This holds only while this process is the one writer of those tables,
// which is why the cache comes with the lock file (Exclusive). Other
// processes may still change identity tables (wharf admin): those are not
// cached here.

// Bounds on the cache; past either it starts over.
const (
	readCacheMaxEntries = 100_000
	readCacheMaxBytes   = 64 << 20
	// readCacheMaxVersionBytes keeps large readmes and manifests out.
	readCacheMaxVersionBytes = 64 << 10
	// readCacheMaxList bounds the pages of versions kept.
	readCacheMaxList = 1000
)

// errStale ends a read transaction that must be run again (see above).
var errStale = errors.New("sqlite: read raced a commit; retrying without the cache")

type readCache struct {
	epoch atomic.Uint64
	// begins counts SQLite transactions begun by cached reads (tests).
	begins atomic.Int64

	mu      sync.Mutex
	at      uint64 // the epoch entries belong to
	bytes   int
	entries map[string]any
}

func newReadCache() *readCache { return &readCache{entries: map[string]any{}} }

// committing brackets a commit.
func (c *readCache) committing() func() {
	c.epoch.Add(1)
	return func() { c.epoch.Add(1) }
}

func (c *readCache) get(e uint64, key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at != e {
		return nil, false
	}
	v, ok := c.entries[key]
	return v, ok
}

func (c *readCache) put(e uint64, key string, v any, size int) {
	if c.epoch.Load() != e {
		return // already out of date
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case e < c.at:
		return
	case e > c.at:
		clear(c.entries)
		c.at, c.bytes = e, 0
	}
	size += len(key) + 64
	if len(c.entries) >= readCacheMaxEntries || c.bytes+size > readCacheMaxBytes {
		clear(c.entries)
		c.bytes = 0
	}
	c.entries[key] = v
	c.bytes += size
}

// ---- the transaction's side

// cached looks key up for this transaction.
func (t *tx) cached(key string) (any, bool) {
	if t.rc == nil {
		return nil, false
	}
	v, ok := t.rc.get(t.epoch, key)
	if ok {
		t.served = true
	}
	return v, ok
}

// remember keeps v, read in this transaction's snapshot, for its epoch.
func (t *tx) remember(key string, v any, size int) {
	if t.rc != nil {
		t.rc.put(t.epoch, key, v, size)
	}
}

// cacheKey joins a kind letter, ids and strings with NULs, which no name
// or version holds.
func cacheKey(kind byte, ids []int64, strs ...string) string {
	b := make([]byte, 0, 48)
	b = append(b, kind)
	for _, id := range ids {
		b = append(b, 0)
		b = strconv.AppendInt(b, id, 10)
	}
	for _, s := range strs {
		b = append(b, 0)
		b = append(b, s...)
	}
	return string(b)
}

func versionSize(v *model.Version) int {
	n := 256 + len(v.Version) + len(v.DisplayName) + len(v.Revision) + len(v.OriginRepository) + len(v.OriginExternal) +
		len(v.Summary) + len(v.HomePage) + len(v.SourceCodeRepo) + len(v.Readme) + len(v.FormatMetadata)
	for _, l := range v.Licenses {
		n += len(l.Name) + len(l.URL) + 32
	}
	for _, d := range v.Dependencies {
		n += len(d.Namespace) + len(d.Package) + len(d.DependencyType) + len(d.VersionRequirement) + 64
	}
	return n
}

// cloneVersion copies what a caller could change in place.
func cloneVersion(v model.Version) *model.Version {
	v.Licenses = slices.Clone(v.Licenses)
	v.Dependencies = slices.Clone(v.Dependencies)
	v.FormatMetadata = slices.Clone(v.FormatMetadata)
	return &v
}

func (t *tx) cachedPackage(repoID int64, k model.PackageKey, load func() (*model.Package, error)) (*model.Package, error) {
	if t.rc == nil {
		return load()
	}
	key := cacheKey('p', []int64{repoID}, string(k.Format), k.Namespace, k.Name)
	if v, ok := t.cached(key); ok {
		p := v.(model.Package)
		return &p, nil
	}
	p, err := load()
	if err == nil {
		t.remember(key, *p, 128+len(key))
	}
	return p, err
}

func (t *tx) cachedVersion(pkgID int64, version string, load func() (*model.Version, error)) (*model.Version, error) {
	if t.rc == nil {
		return load()
	}
	key := cacheKey('v', []int64{pkgID}, version)
	if v, ok := t.cached(key); ok {
		return cloneVersion(v.(model.Version)), nil
	}
	v, err := load()
	if err == nil {
		if size := versionSize(v); size <= readCacheMaxVersionBytes {
			t.remember(key, *cloneVersion(*v), size)
		}
	}
	return v, err
}

// cachedVersionSummary answers GetVersions for one version.
func (t *tx) cachedVersionSummary(pkgID int64, version string, load func() (map[string]*model.Version, error)) (map[string]*model.Version, error) {
	if t.rc == nil {
		return load()
	}
	key := cacheKey('s', []int64{pkgID}, version)
	if v, ok := t.cached(key); ok {
		out := map[string]*model.Version{}
		if v != nil {
			out[version] = cloneVersion(v.(model.Version))
		}
		return out, nil
	}
	out, err := load()
	if err == nil {
		// A version that does not exist is remembered too: npm asks for
		// one that is not there on every publish of a new version.
		var e any
		size := 64
		if v := out[version]; v != nil {
			e, size = *cloneVersion(*v), versionSize(v)
		}
		t.remember(key, e, size)
	}
	return out, err
}

func (t *tx) cachedAsset(versionID int64, name string, load func() (*model.Asset, error)) (*model.Asset, error) {
	if t.rc == nil {
		return load()
	}
	key := cacheKey('a', []int64{versionID}, name)
	if v, ok := t.cached(key); ok {
		a := v.(model.Asset)
		return &a, nil
	}
	a, err := load()
	if err == nil {
		t.remember(key, *a, 320+len(a.Name))
	}
	return a, err
}

// cachedVersionList answers ListVersions for pages of summary rows.
func (t *tx) cachedVersionList(pkgID int64, f meta.VersionFilter, load func() ([]*model.Version, error)) ([]*model.Version, error) {
	if t.rc == nil || f.WithDetails || f.WithFormatMeta || f.Limit <= 0 || f.Limit > readCacheMaxList {
		return load()
	}
	key := cacheKey('l', []int64{pkgID, int64(f.Limit), f.PublishedBefore.UnixNano()},
		string(f.Status), strconv.FormatBool(f.AllStatuses), f.OriginType, f.Sort, f.After)
	if v, ok := t.cached(key); ok {
		// Summary rows have no slices to share: one copy of the page.
		vs := slices.Clone(v.([]model.Version))
		out := make([]*model.Version, len(vs))
		for i := range vs {
			out[i] = &vs[i]
		}
		return out, nil
	}
	vs, err := load()
	if err == nil {
		keep := make([]model.Version, len(vs))
		size := 0
		for i, v := range vs {
			keep[i] = *cloneVersion(*v)
			size += versionSize(v)
		}
		t.remember(key, keep, size)
	}
	return vs, err
}

func (t *tx) cachedPackageState(pkgID int64, load func() (map[string]string, error)) (map[string]string, error) {
	if t.rc == nil {
		return load()
	}
	key := cacheKey('t', []int64{pkgID})
	if v, ok := t.cached(key); ok {
		return maps.Clone(v.(map[string]string)), nil
	}
	state, err := load()
	if err == nil {
		size := 64
		for k, v := range state {
			size += len(k) + len(v) + 32
		}
		t.remember(key, maps.Clone(state), size)
	}
	return state, err
}
