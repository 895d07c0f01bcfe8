// Package downloads counts package version downloads in memory and
// flushes them to the metadata store in batches, so the download path
// never writes: a download costs one lock of one of many shards.
package downloads

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
)

const shards = 32

// flushBatch bounds the counts one flush transaction writes.
const flushBatch = 5000

type entry struct {
	count int64
	last  time.Time
}

type shard struct {
	mu sync.Mutex
	m  map[int64]entry
}

// Counter counts downloads per version ID.
type Counter struct {
	store  meta.Store
	now    func() time.Time
	log    *slog.Logger
	shards [shards]shard
}

// New returns a counter flushing into store; now is the service's clock.
func New(store meta.Store, now func() time.Time, log *slog.Logger) *Counter {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	c := &Counter{store: store, now: now, log: log}
	for i := range c.shards {
		c.shards[i].m = map[int64]entry{}
	}
	return c
}

// Record counts one download of a version.
func (c *Counter) Record(versionID int64) {
	now := c.now()
	s := &c.shards[uint64(versionID)%shards]
	s.mu.Lock()
	e := s.m[versionID]
	e.count++
	if now.After(e.last) {
		e.last = now
	}
	s.m[versionID] = e
	s.mu.Unlock()
}

// Flush writes the counts gathered since the last flush. Counts that
// fail to write are put back for the next flush.
func (c *Counter) Flush(ctx context.Context) error {
	var counts []meta.DownloadCount
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		m := s.m
		if len(m) > 0 {
			s.m = map[int64]entry{}
		}
		s.mu.Unlock()
		for id, e := range m {
			counts = append(counts, meta.DownloadCount{VersionID: id, Count: e.count, Last: e.last})
		}
	}
	for lo := 0; lo < len(counts); lo += flushBatch {
		part := counts[lo:min(lo+flushBatch, len(counts))]
		if err := c.store.Update(ctx, func(tx meta.Tx) error { return tx.AddDownloads(part) }); err != nil {
			c.restore(counts[lo:])
			return err
		}
	}
	return nil
}

// restore merges counts that could not be written back into memory.
func (c *Counter) restore(counts []meta.DownloadCount) {
	for _, d := range counts {
		s := &c.shards[uint64(d.VersionID)%shards]
		s.mu.Lock()
		e := s.m[d.VersionID]
		e.count += d.Count
		if d.Last.After(e.last) {
			e.last = d.Last
		}
		s.m[d.VersionID] = e
		s.mu.Unlock()
	}
}

// Run flushes every interval until ctx ends, then once more, so that a
// graceful shutdown loses no count.
func (c *Counter) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := c.Flush(context.WithoutCancel(ctx)); err != nil {
				c.log.Error("flushing download counts at shutdown", "err", err)
			}
			return
		case <-t.C:
			if err := c.Flush(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("flushing download counts", "err", err)
			}
		}
	}
}
