package nuget

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

type blob int64

func (b blob) size() int64 { return int64(b) }

func TestDocCache(t *testing.T) {
	ctx := context.Background()
	c := newDocCache[blob](100)
	builds := 0
	get := func(pkg int64, name string, gen int64, size blob) (cached[blob], error) {
		return c.get(ctx, docKey{pkg, name}, gen, func(context.Context) (int64, blob, error) {
			builds++
			return gen, size, nil
		})
	}
	tests := []struct {
		name       string
		pkg        int64
		doc        string
		gen        int64
		wantGen    int64
		wantBuilds int
	}{
		{"miss builds", 1, "flat", 1, 1, 1},
		{"hit at the same generation", 1, "flat", 1, 1, 1},
		{"an older generation is served the newer entry", 1, "flat", 0, 1, 1},
		{"a newer generation rebuilds", 1, "flat", 2, 2, 2},
		{"another document of the package", 1, "reg", 2, 2, 3},
	}
	for _, tt := range tests {
		v, err := get(tt.pkg, tt.doc, tt.gen, 10)
		if err != nil || v.gen != tt.wantGen || builds != tt.wantBuilds {
			t.Errorf("%s: gen %d builds %d (%v), want gen %d builds %d", tt.name, v.gen, builds, err, tt.wantGen, tt.wantBuilds)
		}
	}
	// drop forgets every document of the package, and only those.
	get(2, "flat", 1, 10)
	c.drop(1)
	builds = 0
	get(1, "flat", 2, 10)
	get(1, "reg", 2, 10)
	get(2, "flat", 1, 10)
	if builds != 2 {
		t.Errorf("after drop(1): %d builds, want 2", builds)
	}
	// The size bound evicts the least recently used; an entry over half
	// the cache is served but not kept.
	for i := range int64(20) {
		get(10+i, "flat", 1, 10)
	}
	if c.size > c.max {
		t.Errorf("cache holds %d bytes, bound %d", c.size, c.max)
	}
	builds = 0
	get(99, "big", 1, 60)
	get(99, "big", 1, 60)
	if builds != 2 {
		t.Errorf("an oversized entry was kept (%d builds)", builds)
	}
	// A failed build is not kept.
	boom := errors.New("boom")
	if _, err := c.get(ctx, docKey{5, "x"}, 1, func(context.Context) (int64, blob, error) { return 1, 0, boom }); !errors.Is(err, boom) {
		t.Errorf("build error = %v", err)
	}
	builds = 0
	get(5, "x", 1, 1)
	if builds != 1 {
		t.Error("a failed build was cached")
	}
}

// TestDocCacheSingleBuild: a request for a document whose build is in
// flight waits for that build instead of building again.
func TestDocCacheSingleBuild(t *testing.T) {
	c := newDocCache[blob](1 << 20)
	var builds atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	go c.get(context.Background(), docKey{2, "flat"}, 1, func(context.Context) (int64, blob, error) {
		builds.Add(1)
		close(started)
		<-release
		return 1, 1, nil
	})
	<-started
	done := make(chan cached[blob])
	go func() {
		v, _ := c.get(context.Background(), docKey{2, "flat"}, 1, func(context.Context) (int64, blob, error) {
			builds.Add(1)
			return 1, 2, nil
		})
		done <- v
	}()
	select {
	case <-done:
		t.Fatal("a request during a build did not wait for it")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if v := <-done; v.val != 1 || builds.Load() != 1 {
		t.Errorf("waiter got %v after %d builds, want the one build's value", v.val, builds.Load())
	}
}
