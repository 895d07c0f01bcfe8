package publiccache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is the cache's clock in tests: time moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// registry is a public registry stand-in: documents by key at /k/KEY with
// strong ETags, switches for failures, and counters.
type registry struct {
	srv *httptest.Server

	mu   sync.Mutex
	docs map[string]string
	mode string        // "", "503", "close", "hang", "garbage"
	gate chan struct{} // when set, requests wait for it to close

	hits        atomic.Int64
	conditional atomic.Int64 // requests that carried If-None-Match
	notModified atomic.Int64
}

func newRegistry(t *testing.T) *registry {
	r := &registry{docs: map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *registry) serve(w http.ResponseWriter, req *http.Request) {
	r.hits.Add(1)
	r.mu.Lock()
	gate, mode := r.gate, r.mode
	r.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-req.Context().Done():
			return
		}
	}
	key := strings.TrimPrefix(req.URL.Path, "/k/")
	r.mu.Lock()
	doc, ok := r.docs[key]
	r.mu.Unlock()
	switch mode {
	case "503":
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	case "close":
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case "hang":
		<-req.Context().Done()
		return
	case "garbage":
		w.Write([]byte("<html>captive portal</html>"))
		return
	}
	if !ok {
		http.NotFound(w, req)
		return
	}
	sum := sha256.Sum256([]byte(doc))
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	if inm := req.Header.Get("If-None-Match"); inm != "" {
		r.conditional.Add(1)
		if inm == etag {
			r.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("ETag", etag)
	w.Write([]byte(doc))
}

func (r *registry) set(key, doc string) {
	r.mu.Lock()
	r.docs[key] = doc
	r.mu.Unlock()
}

func (r *registry) del(key string) {
	r.mu.Lock()
	delete(r.docs, key)
	r.mu.Unlock()
}

func (r *registry) setMode(m string) {
	r.mu.Lock()
	r.mode = m
	r.mu.Unlock()
}

// hold makes requests wait until the returned function is called.
func (r *registry) hold() (release func()) {
	g := make(chan struct{})
	r.mu.Lock()
	r.gate = g
	r.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			r.gate = nil
			r.mu.Unlock()
			close(g)
		})
	}
}

// decodeDoc accepts documents that start with "doc:", as a format's
// decoder accepts only its own document type.
func decodeDoc(_ string, b []byte) (string, error) {
	if !strings.HasPrefix(string(b), "doc:") {
		return "", errors.New("not a document")
	}
	return string(b), nil
}

var quiet = slog.New(slog.DiscardHandler)

func testOptions(dir string, clock *fakeClock) Options {
	return Options{Dir: dir, Fresh: time.Minute, MinRefetch: time.Second, NotFoundTTL: 10 * time.Second,
		FetchTimeout: 2 * time.Second, Now: clock.Now, Logger: quiet}
}

func (r *registry) cache(t *testing.T, opts Options) *Cache[string] {
	t.Helper()
	fetch := HTTP(r.srv.Client(), func(k string) string { return r.srv.URL + "/k/" + url.PathEscape(k) }, nil, 1<<20)
	c, err := New(opts, fetch, decodeDoc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func mustGet(t *testing.T, c *Cache[string], key, want string) {
	t.Helper()
	got, err := c.Get(context.Background(), key)
	if err != nil || got != want {
		t.Fatalf("Get(%q) = %q, %v; want %q", key, got, err, want)
	}
}

// eventually polls cond for up to five seconds: background refreshes
// finish on their own time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Within the freshness window a Get never reaches the registry; past it,
// the cached document is still answered at once and one conditional
// refresh runs in the background, whose result the next Get sees.
func TestFreshness(t *testing.T) {
	steps := []struct {
		name      string
		advance   time.Duration
		publish   string // a new document upstream before the Get
		want      string // what this Get answers
		wantHits  int64  // registry requests once things settle
		wantLater string // what a Get answers after the refresh
	}{
		{"first get fetches", 0, "doc:v1", "doc:v1", 1, "doc:v1"},
		{"fresh hit", 30 * time.Second, "", "doc:v1", 1, "doc:v1"},
		{"still fresh with a newer upstream", 29 * time.Second, "doc:v2", "doc:v1", 1, "doc:v1"},
		{"stale: old answer, refresh behind it", 2 * time.Second, "", "doc:v1", 2, "doc:v2"},
		{"fresh again after the refresh", 50 * time.Second, "", "doc:v2", 2, "doc:v2"},
		{"stale and unchanged: a 304 refresh", 20 * time.Second, "", "doc:v2", 3, "doc:v2"},
		{"the 304 made it fresh", 50 * time.Second, "", "doc:v2", 3, "doc:v2"},
	}
	reg, clock := newRegistry(t), newClock()
	c := reg.cache(t, testOptions(t.TempDir(), clock))
	for _, s := range steps {
		clock.Advance(s.advance)
		if s.publish != "" {
			reg.set("pkg", s.publish)
		}
		mustGet(t, c, "pkg", s.want)
		eventually(t, s.name+": registry requests", func() bool { return reg.hits.Load() == s.wantHits })
		eventually(t, s.name+": answer after refresh", func() bool { v, _ := c.Get(context.Background(), "pkg"); return v == s.wantLater })
		if got := reg.hits.Load(); got != s.wantHits {
			t.Fatalf("%s: %d registry requests, want %d", s.name, got, s.wantHits)
		}
	}
	if reg.conditional.Load() != 2 || reg.notModified.Load() != 1 {
		t.Fatalf("refreshes: %d conditional, %d answered 304; want 2 and 1", reg.conditional.Load(), reg.notModified.Load())
	}
}

// A stale Get does not wait for the registry, however slow it is.
func TestStaleWhileRevalidate(t *testing.T) {
	reg, clock := newRegistry(t), newClock()
	c := reg.cache(t, testOptions(t.TempDir(), clock))
	reg.set("pkg", "doc:v1")
	mustGet(t, c, "pkg", "doc:v1")
	reg.set("pkg", "doc:v2")
	release := reg.hold()
	defer release()
	clock.Advance(2 * time.Minute)
	for i := 0; i < 50; i++ {
		mustGet(t, c, "pkg", "doc:v1") // answered while the refresh is held
	}
	eventually(t, "the refresh to reach the registry", func() bool { return reg.hits.Load() == 2 })
	release()
	eventually(t, "the refreshed document", func() bool { v, _ := c.Get(context.Background(), "pkg"); return v == "doc:v2" })
	if reg.hits.Load() != 2 {
		t.Fatalf("%d registry requests, want 2 (one refresh for 50 stale gets)", reg.hits.Load())
	}
}

// Concurrent misses share one fetch: 100 Gets of a key nothing cached,
// then 100 Refetches of a cached key.
func TestCoalescing(t *testing.T) {
	for _, refetch := range []bool{false, true} {
		t.Run(fmt.Sprintf("refetch=%v", refetch), func(t *testing.T) {
			reg, clock := newRegistry(t), newClock()
			c := reg.cache(t, testOptions(t.TempDir(), clock))
			reg.set("pkg", "doc:v1")
			if refetch {
				mustGet(t, c, "pkg", "doc:v1")
				reg.set("pkg", "doc:v2")
				clock.Advance(2 * time.Second) // past MinRefetch
			}
			before := reg.hits.Load()
			release := reg.hold()
			var wg sync.WaitGroup
			got := make([]string, 100)
			errs := make([]error, 100)
			for i := range 100 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if refetch {
						got[i], errs[i] = c.Refetch(context.Background(), "pkg")
					} else {
						got[i], errs[i] = c.Get(context.Background(), "pkg")
					}
				}()
			}
			eventually(t, "the fetch to reach the registry", func() bool { return reg.hits.Load() > before })
			time.Sleep(20 * time.Millisecond) // let every caller reach the flight
			release()
			wg.Wait()
			want := "doc:v1"
			if refetch {
				want = "doc:v2"
			}
			for i := range got {
				if errs[i] != nil || got[i] != want {
					t.Fatalf("caller %d: %q, %v; want %q", i, got[i], errs[i], want)
				}
			}
			if n := reg.hits.Load() - before; n != 1 {
				t.Fatalf("100 concurrent callers made %d fetches, want 1", n)
			}
		})
	}
}

// Refetch asks the registry at once, but at most once per MinRefetch: a
// storm of requests for a version that does not exist costs one fetch a
// second.
func TestRefetchInterval(t *testing.T) {
	reg, clock := newRegistry(t), newClock()
	c := reg.cache(t, testOptions(t.TempDir(), clock))
	reg.set("pkg", "doc:v1")
	mustGet(t, c, "pkg", "doc:v1")
	steps := []struct {
		advance  time.Duration
		publish  string
		want     string
		wantHits int64
	}{
		{0, "", "doc:v1", 1},                      // the Get just fetched
		{500 * time.Millisecond, "", "doc:v1", 1}, // within MinRefetch
		{600 * time.Millisecond, "", "doc:v1", 2}, // asked: nothing new
		{100 * time.Millisecond, "doc:v2", "doc:v1", 2},
		{time.Second, "", "doc:v2", 3}, // the new version is there at once
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		if s.publish != "" {
			reg.set("pkg", s.publish)
		}
		for range 20 {
			got, err := c.Refetch(context.Background(), "pkg")
			if err != nil || got != s.want {
				t.Fatalf("step %d: Refetch = %q, %v; want %q", i, got, err, s.want)
			}
		}
		if n := reg.hits.Load(); n != s.wantHits {
			t.Fatalf("step %d: %d registry requests, want %d", i, n, s.wantHits)
		}
	}
	// The refetched document is the cached one now.
	mustGet(t, c, "pkg", "doc:v2")
}

// When the registry fails, what was fetched keeps being served, and only
// a true miss fails, with ErrUnavailable; a failed miss is not retried
// within MinRefetch.
func TestRegistryFailures(t *testing.T) {
	for _, mode := range []string{"503", "close", "hang", "garbage"} {
		t.Run(mode, func(t *testing.T) {
			reg, clock := newRegistry(t), newClock()
			opts := testOptions(t.TempDir(), clock)
			opts.FetchTimeout = 200 * time.Millisecond
			c := reg.cache(t, opts)
			reg.set("pkg", "doc:v1")
			reg.set("other", "doc:other")
			mustGet(t, c, "pkg", "doc:v1")
			reg.setMode(mode)
			reg.set("pkg", "doc:v2")

			clock.Advance(2 * time.Minute) // stale: the refresh fails behind the answer
			mustGet(t, c, "pkg", "doc:v1")
			// (Go's client retries a GET once on a connection closed early.)
			eventually(t, "the failed refresh", func() bool { return c.Stats().Fetches == 2 && reg.hits.Load() >= 2 })
			clock.Advance(2 * time.Second)
			if got, err := c.Refetch(context.Background(), "pkg"); err != nil || got != "doc:v1" {
				t.Fatalf("Refetch with the registry down = %q, %v; want the cached doc:v1", got, err)
			}
			mustGet(t, c, "pkg", "doc:v1")

			_, err := c.Get(context.Background(), "other")
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("a true miss with the registry down: %v, want ErrUnavailable", err)
			}
			hits := reg.hits.Load()
			if _, err := c.Get(context.Background(), "other"); !errors.Is(err, ErrUnavailable) || reg.hits.Load() != hits {
				t.Fatalf("a second miss within MinRefetch: %v after %d more requests; want the remembered failure", err, reg.hits.Load()-hits)
			}

			reg.setMode("")
			clock.Advance(2 * time.Second)
			mustGet(t, c, "other", "doc:other")
			if got, err := c.Refetch(context.Background(), "pkg"); err != nil || got != "doc:v2" {
				t.Fatalf("Refetch once the registry is back = %q, %v", got, err)
			}
		})
	}
}

// A 404 is remembered for NotFoundTTL; a document the registry stops
// having is dropped at the next fetch.
func TestNotFound(t *testing.T) {
	reg, clock := newRegistry(t), newClock()
	c := reg.cache(t, testOptions(t.TempDir(), clock))
	steps := []struct {
		advance  time.Duration
		publish  string
		refetch  bool
		want     string // "" for ErrNotFound
		wantHits int64
	}{
		{0, "", false, "", 1},
		{500 * time.Millisecond, "", true, "", 1}, // a Refetch within MinRefetch
		{5 * time.Second, "doc:v1", false, "", 1}, // remembered for a Get
		{0, "", true, "doc:v1", 2},                // a Refetch past MinRefetch asks
		{time.Minute, "", false, "doc:v1", 2},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		if s.publish != "" {
			reg.set("pkg", s.publish)
		}
		get := c.Get
		if s.refetch {
			get = c.Refetch
		}
		got, err := get(context.Background(), "pkg")
		if s.want == "" && !errors.Is(err, ErrNotFound) || s.want != "" && (err != nil || got != s.want) {
			t.Fatalf("step %d: %q, %v; want %q", i, got, err, s.want)
		}
		if n := reg.hits.Load(); n != s.wantHits {
			t.Fatalf("step %d: %d registry requests, want %d", i, n, s.wantHits)
		}
	}
	reg.del("pkg")
	clock.Advance(2 * time.Second)
	if _, err := c.Refetch(context.Background(), "pkg"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after the registry dropped it: %v, want ErrNotFound", err)
	}
	if st := c.Stats(); st.Files != 0 || st.Hot != 0 {
		t.Fatalf("a document the registry no longer has is kept: %+v", st)
	}
}

func docOf(i, size int) string {
	s := fmt.Sprintf("doc:%d:", i)
	return s + strings.Repeat("x", size-len(s))
}

// Memory holds at most MemoryBytes of documents; the rest is read back
// from disk without asking the registry.
func TestMemoryBound(t *testing.T) {
	reg, clock := newRegistry(t), newClock()
	opts := testOptions(t.TempDir(), clock)
	opts.MemoryBytes = 3500
	c := reg.cache(t, opts)
	for i := range 10 {
		reg.set(fmt.Sprint(i), docOf(i, 1000))
	}
	reg.set("big", docOf(99, 5000))
	for round := range 3 {
		for i := range 10 {
			mustGet(t, c, fmt.Sprint(i), docOf(i, 1000))
			if st := c.Stats(); st.HotBytes > opts.MemoryBytes || st.Hot > 3 {
				t.Fatalf("round %d: %+v over the memory bound %d", round, st, opts.MemoryBytes)
			}
		}
		mustGet(t, c, "big", docOf(99, 5000)) // larger than memory: served from disk each time
	}
	if n := reg.hits.Load(); n != 11 {
		t.Fatalf("%d registry requests for 11 documents read 3 times, want 11", n)
	}
	if st := c.Stats(); st.Files != 11 || st.Hot != 3 {
		t.Fatalf("stats %+v, want 11 files and 3 hot documents", st)
	}
}

// Disk holds at most DiskBytes, the least recently used going first.
func TestDiskBound(t *testing.T) {
	reg, clock := newRegistry(t), newClock()
	dir := t.TempDir()
	opts := testOptions(dir, clock)
	opts.DiskBytes = 5 * 1100 // five documents with their headers
	c := reg.cache(t, opts)
	for i := range 20 {
		reg.set(fmt.Sprint(i), docOf(i, 1000))
	}
	for i := range 20 {
		mustGet(t, c, fmt.Sprint(i), docOf(i, 1000))
		mustGet(t, c, "0", docOf(0, 1000)) // kept in use: never evicted
		if used := diskUse(t, dir); used > opts.DiskBytes {
			t.Fatalf("after %d documents, %d bytes on disk, bound %d", i+1, used, opts.DiskBytes)
		}
	}
	st := c.Stats()
	if st.Files != 5 || st.DiskBytes != diskUse(t, dir) {
		t.Fatalf("stats %+v, %d bytes on disk; want 5 files", st, diskUse(t, dir))
	}
	hits := reg.hits.Load()
	mustGet(t, c, "0", docOf(0, 1000))
	mustGet(t, c, "19", docOf(19, 1000))
	if reg.hits.Load() != hits {
		t.Fatal("a recently used document was evicted")
	}
	mustGet(t, c, "3", docOf(3, 1000))
	if reg.hits.Load() != hits+1 {
		t.Fatal("an evicted document was not fetched again")
	}
}

func diskUse(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fi, _ := d.Info()
			n += fi.Size()
		}
		return nil
	})
	return n
}

// Documents survive a restart: read back lazily, fresh as long as they
// were when fetched, refreshed in the background once stale.
func TestRestart(t *testing.T) {
	reg, clock := newRegistry(t), newClock()
	dir := t.TempDir()
	c := reg.cache(t, testOptions(dir, clock))
	for _, k := range []string{"a", "b", "@scope/c\nodd key"} {
		reg.set(k, "doc:"+k)
		mustGet(t, c, k, "doc:"+k)
	}
	c.Close()

	reg.setMode("503")
	clock.Advance(30 * time.Second)
	c2 := reg.cache(t, testOptions(dir, clock))
	if st := c2.Stats(); st.Files != 3 || st.Hot != 0 {
		t.Fatalf("after restart: %+v, want 3 files indexed and none read", st)
	}
	for _, k := range []string{"a", "b", "@scope/c\nodd key"} {
		mustGet(t, c2, k, "doc:"+k)
	}
	if reg.hits.Load() != 3 {
		t.Fatalf("fresh documents after a restart made %d more requests", reg.hits.Load()-3)
	}
	if _, err := c2.Get(context.Background(), "never"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("a true miss with the registry down: %v", err)
	}

	// Stale after the restart: answered, then refreshed.
	c2.Close()
	reg.setMode("")
	reg.set("a", "doc:a2")
	clock.Advance(time.Minute)
	c3 := reg.cache(t, testOptions(dir, clock))
	mustGet(t, c3, "a", "doc:a")
	eventually(t, "the refresh after restart", func() bool { v, _ := c3.Get(context.Background(), "a"); return v == "doc:a2" })
}

// TestSourceChanged: pointed at the same registry, a restarted cache
// serves what it fetched; pointed at another one, it drops the former
// registry's documents instead of serving them until refreshed.
func TestSourceChanged(t *testing.T) {
	reg, clock := newRegistry(t), newClock()
	dir := t.TempDir()
	opts := func(source string) Options { o := testOptions(dir, clock); o.Source = source; return o }
	c := reg.cache(t, opts("https://registry.one"))
	reg.set("a", "doc:one")
	mustGet(t, c, "a", "doc:one")
	c.Close()

	reg.set("a", "doc:two")
	c = reg.cache(t, opts("https://registry.one"))
	if st := c.Stats(); st.Files != 1 {
		t.Fatalf("same source after restart: %+v, want the document kept", st)
	}
	mustGet(t, c, "a", "doc:one")
	c.Close()

	c = reg.cache(t, opts("https://registry.two"))
	if st := c.Stats(); st.Files != 0 {
		t.Fatalf("another source: %+v, want the former documents dropped", st)
	}
	mustGet(t, c, "a", "doc:two")
	if reg.hits.Load() != 2 {
		t.Errorf("%d registry requests, want 2", reg.hits.Load())
	}
}

// A damaged file is ignored: fetched again and rewritten.
func TestCorruptFile(t *testing.T) {
	cases := []struct {
		name    string
		corrupt func(t *testing.T, path, other string)
	}{
		{"flipped byte", func(t *testing.T, path, _ string) {
			b := readFile(t, path)
			b[len(b)-3] ^= 0x20
			writeFile(t, path, b)
		}},
		{"truncated", func(t *testing.T, path, _ string) { b := readFile(t, path); writeFile(t, path, b[:len(b)-10]) }},
		{"empty", func(t *testing.T, path, _ string) { writeFile(t, path, nil) }},
		{"garbage header", func(t *testing.T, path, _ string) { writeFile(t, path, []byte("{not json\ndoc:x")) }},
		{"another key's file", func(t *testing.T, path, other string) { writeFile(t, path, readFile(t, other)) }},
		{"undecodable document", func(t *testing.T, path, _ string) {
			b := readFile(t, path)
			writeFile(t, path, []byte(strings.Replace(string(b), "doc:", "bad:", 1)))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg, clock := newRegistry(t), newClock()
			dir := t.TempDir()
			c := reg.cache(t, testOptions(dir, clock))
			reg.set("pkg", "doc:pkg")
			reg.set("other", "doc:other")
			mustGet(t, c, "pkg", "doc:pkg")
			mustGet(t, c, "other", "doc:other")
			c.Close()
			path := filePath(dir, sha256.Sum256([]byte("pkg")))
			tc.corrupt(t, path, filePath(dir, sha256.Sum256([]byte("other"))))
			if tc.name == "undecodable document" {
				fixCRC(t, path)
			}

			c2 := reg.cache(t, testOptions(dir, clock))
			mustGet(t, c2, "pkg", "doc:pkg")
			if reg.hits.Load() != 3 {
				t.Fatalf("%d registry requests, want the damaged document fetched again (3)", reg.hits.Load())
			}
			c2.Close()
			c3 := reg.cache(t, testOptions(dir, clock))
			mustGet(t, c3, "pkg", "doc:pkg")
			mustGet(t, c3, "other", "doc:other")
			if reg.hits.Load() != 3 {
				t.Fatal("the refetched document was not stored again")
			}
		})
	}
}

// fixCRC rewrites a file's header so only the document itself is wrong.
func fixCRC(t *testing.T, path string) {
	b := readFile(t, path)
	hdr, body, _ := strings.Cut(string(b), "\n")
	var c Cache[string]
	c.opts.Dir = t.TempDir()
	var h fileHeader
	if err := json.Unmarshal([]byte(hdr), &h); err != nil {
		t.Fatal(err)
	}
	name := sha256.Sum256([]byte(h.Key))
	if _, err := c.write(name, h.Key, Validators{ETag: h.ETag}, []byte(body), time.Now()); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, readFile(t, filePath(c.opts.Dir, name)))
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// The cache's files are the server owner's alone; a write that never
// finished is cleaned up at the next start.
func TestFilesOwnerOnly(t *testing.T) {
	reg, clock := newRegistry(t), newClock()
	dir := filepath.Join(t.TempDir(), "public-cache")
	c := reg.cache(t, testOptions(dir, clock))
	reg.set("pkg", "doc:pkg")
	mustGet(t, c, "pkg", "doc:pkg")
	c.Close()
	leftover := filePath(dir, sha256.Sum256([]byte("pkg"))) + ".tmp123"
	writeFile(t, leftover, []byte("half"))
	reg.cache(t, testOptions(dir, clock))
	if _, err := os.Stat(leftover); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a leftover temporary file survived a restart: %v", err)
	}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := d.Info()
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = fs.ModeDir | 0o700
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode(), want)
		}
		return nil
	})
}

// A caller that goes away does not cancel the fetch others wait for, nor
// a background refresh.
func TestCallerGoesAway(t *testing.T) {
	reg, clock := newRegistry(t), newClock()
	c := reg.cache(t, testOptions(t.TempDir(), clock))
	reg.set("pkg", "doc:v1")
	release := reg.hold()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := c.Get(ctx, "pkg"); errc <- err }()
	eventually(t, "the fetch", func() bool { return reg.hits.Load() == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled caller got %v", err)
	}
	release()
	eventually(t, "the fetch to finish", func() bool { return c.Stats().Hot == 1 })
	mustGet(t, c, "pkg", "doc:v1")

	reg.set("pkg", "doc:v2")
	clock.Advance(2 * time.Minute)
	release = reg.hold()
	ctx, cancel = context.WithCancel(context.Background())
	if v, err := c.Get(ctx, "pkg"); err != nil || v != "doc:v1" {
		t.Fatalf("stale Get = %q, %v", v, err)
	}
	cancel()
	eventually(t, "the refresh", func() bool { return reg.hits.Load() == 2 })
	release()
	eventually(t, "the refreshed document", func() bool { v, _ := c.Get(context.Background(), "pkg"); return v == "doc:v2" })
	if reg.hits.Load() != 2 {
		t.Fatalf("%d registry requests, want 2", reg.hits.Load())
	}
}

func TestClose(t *testing.T) {
	reg, clock := newRegistry(t), newClock()
	c := reg.cache(t, testOptions(t.TempDir(), clock))
	reg.setMode("hang")
	errc := make(chan error, 1)
	go func() { _, err := c.Get(context.Background(), "pkg"); errc <- err }()
	eventually(t, "the fetch", func() bool { return reg.hits.Load() == 1 })
	c.Close()
	if err := <-errc; !errors.Is(err, ErrUnavailable) {
		t.Fatalf("a Get whose fetch Close ended: %v", err)
	}
	if _, err := c.Get(context.Background(), "pkg"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	fetch := func(context.Context, string, Validators) (Response, error) { return Response{}, nil }
	for _, tc := range []struct {
		name  string
		opts  Options
		fetch FetchFunc
	}{
		{"no directory", Options{}, fetch},
		{"no fetch", Options{Dir: t.TempDir()}, nil},
		{"directory is a file", Options{Dir: writeTemp(t)}, fetch},
	} {
		if _, err := New(tc.opts, tc.fetch, decodeDoc); err == nil {
			t.Errorf("%s: New succeeded", tc.name)
		}
	}
}

func writeTemp(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "file")
	writeFile(t, p, []byte("x"))
	return p
}

// 10,000 distinct documents through one cache: the heap holds the hot
// set (MemoryBytes) and a small index entry per document, not the
// documents.
func TestHeapBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 40 MB")
	}
	const n, size = 10000, 4 << 10
	fetch := func(_ context.Context, key string, _ Validators) (Response, error) {
		return Response{Body: []byte(docOf(len(key), size))}, nil
	}
	opts := Options{Dir: t.TempDir(), MemoryBytes: 4 << 20, Logger: quiet}
	c, err := New(opts, fetch, decodeDoc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		if _, err := c.Get(context.Background(), fmt.Sprintf("package-%05d", i)); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	bound := opts.MemoryBytes + n*600 // the hot set and ~600 bytes of index per document
	st := c.Stats()
	t.Logf("%d documents (%d MB) fetched: heap grew %d KB, %d hot (%d KB), %d files (%d MB)", n, n*size>>20, grown>>10, st.Hot, st.HotBytes>>10, st.Files, st.DiskBytes>>20)
	if grown > bound || st.HotBytes > opts.MemoryBytes || st.Files != n {
		t.Fatalf("heap grew %d bytes for %d documents, bound %d; stats %+v", grown, n, bound, st)
	}
}
