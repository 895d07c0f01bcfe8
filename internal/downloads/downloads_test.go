package downloads

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/metatest"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/model"
)

var t0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// TestCounter records downloads concurrently, flushes, and checks the
// store saw each version's last download, with nothing written before.
func TestCounter(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var pkg *model.Package
	ids := map[string]int64{}
	err = s.Update(ctx, func(tx meta.Tx) error {
		_, _, p, err := metatest.CreatePackage(tx, "d", "r", model.PackageKey{Format: model.FormatNpm, Name: "x"}, t0)
		pkg = p
		for _, v := range []string{"1.0.0", "2.0.0", "3.0.0"} {
			ver := &model.Version{PackageID: p.ID, Version: v, Status: model.StatusPublished, PublishedTime: t0}
			if err := tx.CreateVersion(ver); err != nil {
				return err
			}
			ids[v] = ver.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := t0
	c := New(s, func() time.Time { mu.Lock(); defer mu.Unlock(); return now }, nil)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				c.Record(ids["1.0.0"])
			}
		}()
	}
	wg.Wait()
	mu.Lock()
	now = t0.Add(time.Hour)
	mu.Unlock()
	c.Record(ids["2.0.0"])
	last := func() map[int64]time.Time {
		var m map[int64]time.Time
		if err := s.View(ctx, func(tx meta.Tx) (err error) { m, err = tx.LastDownloads(pkg.ID); return err }); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := last(); len(m) != 0 {
		t.Fatalf("written before a flush: %v", m)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	m := last()
	if len(m) != 2 || !m[ids["1.0.0"]].Equal(t0) || !m[ids["2.0.0"]].Equal(t0.Add(time.Hour)) {
		t.Fatalf("after the flush: %v", m)
	}
	// Run flushes once more when its context ends.
	c.Record(ids["3.0.0"])
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { c.Run(rctx, time.Hour); close(done) }()
	cancel()
	<-done
	if m := last(); len(m) != 3 {
		t.Fatalf("after Run ended: %v", m)
	}
}

// BenchmarkRecord is the cost a download pays.
func BenchmarkRecord(b *testing.B) {
	c := New(nil, nil, nil)
	b.RunParallel(func(pb *testing.PB) {
		var i int64
		for pb.Next() {
			i++
			c.Record(i % 10000)
		}
	})
}
