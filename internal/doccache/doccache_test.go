package doccache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// doc is a test document: the generation it was built at and a size.
type doc struct {
	gen  int64
	size int64
}

func sizeOf(d *doc) int64 { return d.size }

func buildAt(gen int64, calls *atomic.Int32) func(context.Context) (*doc, int64, error) {
	return func(context.Context) (*doc, int64, error) {
		calls.Add(1)
		return &doc{gen: gen, size: 100}, gen, nil
	}
}

func TestGenerations(t *testing.T) {
	ctx := context.Background()
	c := New(1<<20, sizeOf)
	var calls atomic.Int32
	steps := []struct {
		name      string
		gen       int64
		build     int64 // generation the build sees
		drop      bool  // Drop before the step
		wantGen   int64
		wantCalls int32
	}{
		{"miss builds", 1, 1, false, 1, 1},
		{"hit", 1, 1, false, 1, 1},
		{"new generation rebuilds", 2, 2, false, 2, 2},
		{"hit again", 2, 2, false, 2, 2},
		{"dropped rebuilds", 2, 2, true, 2, 3},
		// Another replica's change: no Drop here, the generation alone
		// must force the build.
		{"generation from elsewhere", 5, 5, false, 5, 4},
		// A stale build (older snapshot) is served to its request but
		// does not replace the newer document.
		{"older generation", 4, 4, false, 4, 5},
		{"newer still cached", 5, 5, false, 5, 5},
		// A build whose snapshot is newer than the request's is kept at
		// its own generation.
		{"build sees newer", 6, 7, false, 7, 6},
		{"kept at the newer", 7, 7, false, 7, 6},
	}
	for _, s := range steps {
		if s.drop {
			c.Drop(1)
		}
		d, err := c.Get(ctx, 1, "page", s.gen, buildAt(s.build, &calls))
		if err != nil {
			t.Fatal(err)
		}
		if d.gen != s.wantGen || calls.Load() != s.wantCalls {
			t.Fatalf("%s: document gen %d after %d builds, want %d after %d", s.name, d.gen, calls.Load(), s.wantGen, s.wantCalls)
		}
	}
}

// Documents of one package are kept apart by key, and Drop forgets all
// of them and nothing of other packages.
func TestKeysAndDrop(t *testing.T) {
	ctx := context.Background()
	c := New(1<<20, sizeOf)
	var calls atomic.Int32
	for _, pkg := range []int64{1, 2} {
		for _, key := range []string{"full", "abbrev", "1.0", "2.0"} {
			if _, err := c.Get(ctx, pkg, key, 3, buildAt(3, &calls)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if c.Len() != 8 || calls.Load() != 8 {
		t.Fatalf("%d documents after %d builds, want 8 and 8", c.Len(), calls.Load())
	}
	for _, drop := range []int64{1, 1, 3} { // twice, and a package never cached
		c.Drop(drop)
	}
	if c.Len() != 4 || c.Bytes() != 400 {
		t.Fatalf("after Drop: %d documents, %d bytes; want 4, 400", c.Len(), c.Bytes())
	}
	for _, key := range []string{"full", "abbrev", "1.0", "2.0"} {
		c.Get(ctx, 2, key, 3, buildAt(3, &calls))
	}
	if calls.Load() != 8 {
		t.Errorf("the other package's documents were rebuilt: %d builds", calls.Load())
	}
	c.Drop(2)
	if c.Len() != 0 || c.Bytes() != 0 || len(c.pkgs) != 0 {
		t.Errorf("empty cache holds %d documents, %d bytes, %d packages", c.Len(), c.Bytes(), len(c.pkgs))
	}
}

func TestErrorsAreNotCached(t *testing.T) {
	c := New(1<<20, sizeOf)
	boom := errors.New("boom")
	if _, err := c.Get(context.Background(), 1, "", 1, func(context.Context) (*doc, int64, error) { return nil, 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	var calls atomic.Int32
	if _, err := c.Get(context.Background(), 1, "", 1, buildAt(1, &calls)); err != nil || calls.Load() != 1 {
		t.Fatalf("after an error: %v, %d builds", err, calls.Load())
	}
}

// Concurrent misses for one document share one build.
func TestSingleFlight(t *testing.T) {
	c := New(1<<20, sizeOf)
	var calls atomic.Int32
	release := make(chan struct{})
	build := func(context.Context) (*doc, int64, error) {
		calls.Add(1)
		<-release
		return &doc{gen: 1, size: 1}, 1, nil
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if d, err := c.Get(context.Background(), 9, "", 1, build); err != nil || d == nil {
				t.Errorf("get: %v", err)
			}
		}()
	}
	// Let the goroutines pile up behind the first build.
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("%d builds for concurrent misses, want 1", calls.Load())
	}
}

// A waiter whose client goes away stops waiting; the build goes on, and
// its context is not the cancelled one.
func TestWaiterCancel(t *testing.T) {
	c := New(1<<20, sizeOf)
	release := make(chan struct{})
	started := make(chan struct{})
	first, cancelFirst := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := c.Get(first, 1, "", 1, func(ctx context.Context) (*doc, int64, error) {
			close(started)
			<-release
			return &doc{gen: 1, size: 1}, 1, ctx.Err()
		})
		done <- err
	}()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Get(ctx, 1, "", 1, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	cancelFirst()
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the build saw its request's cancellation: %v", err)
	}
	if c.Len() != 1 {
		t.Errorf("the finished build was not kept")
	}
}

// A build that panics fails its waiters instead of handing them nothing.
func TestBuildPanics(t *testing.T) {
	c := New(1<<20, sizeOf)
	started := make(chan struct{})
	release := make(chan struct{})
	go func() {
		defer func() { recover() }()
		c.Get(context.Background(), 1, "", 1, func(context.Context) (*doc, int64, error) {
			close(started)
			<-release
			panic("render bug")
		})
	}()
	<-started
	waiter := make(chan error)
	go func() {
		_, err := c.Get(context.Background(), 1, "", 1, nil)
		waiter <- err
	}()
	time.Sleep(20 * time.Millisecond)
	close(release)
	if err := <-waiter; !errors.Is(err, errBuildFailed) {
		t.Fatalf("waiter of a panicking build: %v", err)
	}
}

func TestBudget(t *testing.T) {
	const one = 100
	c := New(3*one, sizeOf)
	var calls atomic.Int32
	for id := range int64(10) {
		c.Get(context.Background(), id, "", 1, buildAt(1, &calls))
		if c.Bytes() > 3*one {
			t.Fatalf("cache holds %d bytes, budget %d", c.Bytes(), 3*one)
		}
		if id == 5 {
			// Using 3 makes 4 the least recently used.
			c.Get(context.Background(), 3, "", 1, buildAt(1, &calls))
		}
		if id == 6 && (c.items[docKey{3, ""}] == nil || c.items[docKey{4, ""}] != nil) {
			t.Fatal("the least recently used document was not the one evicted")
		}
	}
	if n := c.Len(); n != 3 {
		t.Fatalf("%d documents kept, want 3", n)
	}
	// The document just built is never the one evicted.
	for _, id := range []int64{9, 8} {
		if c.items[docKey{id, ""}] == nil {
			t.Fatalf("document %d evicted", id)
		}
	}
	var sum int64
	for _, it := range c.items {
		sum += it.size
	}
	if sum != c.Bytes() {
		t.Fatalf("accounted %d bytes, documents hold %d", c.Bytes(), sum)
	}
	// More than half the budget is served but not kept.
	big := func(context.Context) (*doc, int64, error) { return &doc{gen: 1, size: 2 * one}, 1, nil }
	if d, err := c.Get(context.Background(), 42, "", 1, big); err != nil || d.size != 2*one {
		t.Fatalf("big document: %v %v", d, err)
	}
	if c.items[docKey{42, ""}] != nil || c.Len() != 3 {
		t.Errorf("a document over half the budget was kept")
	}
}

// A hit allocates nothing: it is on every cached request's path.
func TestHitAllocations(t *testing.T) {
	c := New(1<<20, sizeOf)
	ctx := context.Background()
	var calls atomic.Int32
	build := buildAt(1, &calls)
	c.Get(ctx, 1, "full", 1, build)
	if n := testing.AllocsPerRun(100, func() { c.Get(ctx, 1, "full", 1, build) }); n != 0 {
		t.Errorf("a hit allocates %v times", n)
	}
}

func BenchmarkHit(b *testing.B) {
	c := New(1<<20, sizeOf)
	ctx := context.Background()
	var calls atomic.Int32
	build := buildAt(1, &calls)
	c.Get(ctx, 1, "full", 1, build)
	b.ReportAllocs()
	for b.Loop() {
		c.Get(ctx, 1, "full", 1, build)
	}
}
