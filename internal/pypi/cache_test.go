package pypi

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func renderAt(gen int64, calls *atomic.Int32) func(context.Context) (*page, error) {
	return func(context.Context) (*page, error) {
		calls.Add(1)
		return newPage(gen, &project{Name: "p"}), nil
	}
}

func TestPageCacheGenerations(t *testing.T) {
	ctx := context.Background()
	c := newPageCache(1 << 20)
	var calls atomic.Int32
	steps := []struct {
		name      string
		gen       int64
		render    int64 // generation the render sees
		invalid   bool  // invalidate before the step
		wantGen   int64
		wantCalls int32
	}{
		{"miss renders", 1, 1, false, 1, 1},
		{"hit", 1, 1, false, 1, 1},
		{"new generation re-renders", 2, 2, false, 2, 2},
		{"hit again", 2, 2, false, 2, 2},
		{"invalidated re-renders", 2, 2, true, 2, 3},
		// Another replica's change: no OnChange here, the generation alone
		// must force the render.
		{"generation from elsewhere", 5, 5, false, 5, 4},
		// A stale render (older snapshot) is served to its request but
		// does not replace the newer page.
		{"older generation", 4, 4, false, 4, 5},
		{"newer still cached", 5, 5, false, 5, 5},
	}
	for _, s := range steps {
		if s.invalid {
			c.invalidate(1)
		}
		p, err := c.get(ctx, 1, s.gen, renderAt(s.render, &calls))
		if err != nil {
			t.Fatal(err)
		}
		if p.gen != s.wantGen || calls.Load() != s.wantCalls {
			t.Fatalf("%s: page gen %d after %d renders, want %d after %d", s.name, p.gen, calls.Load(), s.wantGen, s.wantCalls)
		}
	}
}

func TestPageCacheErrorsAreNotCached(t *testing.T) {
	c := newPageCache(1 << 20)
	boom := errors.New("boom")
	if _, err := c.get(context.Background(), 1, 1, func(context.Context) (*page, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	var calls atomic.Int32
	if _, err := c.get(context.Background(), 1, 1, renderAt(1, &calls)); err != nil || calls.Load() != 1 {
		t.Fatalf("after an error: %v, %d renders", err, calls.Load())
	}
}

// Concurrent misses for one package share one render.
func TestPageCacheSingleFlight(t *testing.T) {
	c := newPageCache(1 << 20)
	var calls atomic.Int32
	release := make(chan struct{})
	render := func(context.Context) (*page, error) {
		calls.Add(1)
		<-release
		return newPage(1, &project{Name: "p"}), nil
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p, err := c.get(context.Background(), 9, 1, render); err != nil || p == nil {
				t.Errorf("get: %v", err)
			}
		}()
	}
	// Let the goroutines pile up behind the first render.
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("%d renders for concurrent misses, want 1", calls.Load())
	}
}

// A waiter whose client goes away stops waiting; the render goes on.
func TestPageCacheWaiterCancel(t *testing.T) {
	c := newPageCache(1 << 20)
	release := make(chan struct{})
	started := make(chan struct{})
	go c.get(context.Background(), 1, 1, func(context.Context) (*page, error) {
		close(started)
		<-release
		return newPage(1, &project{Name: "p"}), nil
	})
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.get(ctx, 1, 1, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	close(release)
}

func TestPageCacheBudget(t *testing.T) {
	one := newPage(1, &project{Name: "p"}).size()
	c := newPageCache(3 * one)
	var calls atomic.Int32
	for id := range int64(10) {
		c.get(context.Background(), id, 1, renderAt(1, &calls))
		if c.bytes > c.maxBytes {
			t.Fatalf("cache holds %d bytes, budget %d", c.bytes, c.maxBytes)
		}
	}
	if n := len(c.pages); n != 3 {
		t.Fatalf("%d pages kept, want 3", n)
	}
	// The page just rendered is never the one evicted.
	if c.pages[9] == nil {
		t.Fatal("newest page evicted")
	}
	var sum int64
	for _, p := range c.pages {
		sum += p.size()
	}
	if sum != c.bytes {
		t.Fatalf("accounted %d bytes, pages hold %d", c.bytes, sum)
	}
}
