package service

import (
	"context"
	"errors"
	"github.com/wharf-dev/wharf/internal/metrics"
	"time"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/meta"
)

// GCStats reports one collection.
type GCStats struct {
	Deleted      int   // blobs whose bytes were removed
	DeletedBytes int64 // their size
	Orphans      int   // bytes without metadata, left by a crashed upload
}

// kickGC asks the background collector to run soon; deletes and disposals
// call it so bytes go away promptly.
func (s *Service) kickGC() {
	select {
	case s.gc <- struct{}{}:
	default:
	}
}

// RunGC collects garbage every interval and whenever kicked, until ctx
// ends. A kick (a delete, a disposal) only removes the bytes those left
// behind; the sweep for orphans walks every stored blob, so it waits for
// the interval rather than following each delete.
func (s *Service) RunGC(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		var st GCStats
		var err error
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			st, err = s.CollectGarbage(ctx)
			for _, fn := range s.onCollect {
				fn(ctx)
			}
		case <-s.gc:
			st, err = s.collectCandidates(ctx)
		}
		if ctx.Err() != nil {
			return
		}
		metrics.GC(st.Deleted, st.DeletedBytes, st.Orphans, err != nil)
		if err != nil {
			s.log.Error("garbage collection", "err", err)
		} else if st.Deleted+st.Orphans > 0 {
			s.log.Info("garbage collection", "deleted", st.Deleted, "bytes", st.DeletedBytes, "orphans", st.Orphans)
		}
	}
}

// OnCollect adds fn to what each periodic collection does (the audit
// trail's pruning); call it before RunGC starts.
func (s *Service) OnCollect(fn func(context.Context)) { s.onCollect = append(s.onCollect, fn) }

// CollectGarbage removes the bytes of blobs nothing refers to. Each
// deletion happens inside a write transaction that finds the blob neither
// referenced nor leased; a publish leases in its own write transaction
// first, so the two are ordered and a blob being published is never
// removed.
func (s *Service) CollectGarbage(ctx context.Context) (GCStats, error) {
	st, err := s.collectCandidates(ctx)
	if err != nil {
		return st, err
	}
	st.Orphans, err = s.sweepOrphans(ctx)
	return st, err
}

// collectCandidates removes the bytes of the blobs that the metadata store
// names as no longer referenced (deletes and disposals name them).
func (s *Service) collectCandidates(ctx context.Context) (GCStats, error) {
	var st GCStats
	now := s.now()
	for {
		var batch int
		err := s.meta.Update(ctx, func(tx meta.Tx) error {
			if err := tx.PruneBlobLeases(now); err != nil {
				return err
			}
			// Deleted versions past their restore window: their leases
			// just ended with them, so their bytes go below.
			if err := tx.PurgeTrash(now); err != nil {
				return err
			}
			ds, err := tx.UnreferencedBlobs(now, 200)
			if err != nil {
				return err
			}
			for _, d := range ds {
				size, mod, err := s.blobs.Stat(ctx, blob.Digest(d))
				if err == nil && now.Sub(mod) < s.cfg.GCGrace {
					continue // re-uploaded moments ago; its lease is coming
				}
				if err != nil && !errors.Is(err, blob.ErrNotFound) {
					return err
				}
				if err == nil {
					if err := s.blobs.Delete(ctx, blob.Digest(d)); err != nil {
						return err
					}
					st.Deleted++
					st.DeletedBytes += size
				}
				if err := tx.ForgetBlob(d); err != nil {
					return err
				}
				batch++
			}
			return nil
		})
		if err != nil {
			return st, err
		}
		if batch == 0 {
			return st, nil
		}
	}
}

// sweepOrphans removes bytes a crashed upload wrote but never recorded.
// It walks every stored blob.
func (s *Service) sweepOrphans(ctx context.Context) (int, error) {
	now := s.now()
	orphans := 0
	err := s.blobs.Walk(ctx, func(d blob.Digest, size int64, mod time.Time) error {
		if now.Sub(mod) < s.cfg.BlobLease {
			return nil
		}
		// Almost every blob is recorded: a read answers that without
		// queueing behind writers; only suspected orphans take the writer.
		var known bool
		if err := s.meta.View(ctx, func(tx meta.Tx) (err error) {
			known, err = tx.KnownBlob(string(d))
			return err
		}); err != nil || known {
			return err
		}
		return s.meta.Update(ctx, func(tx meta.Tx) error {
			known, err := tx.KnownBlob(string(d))
			if err != nil || known {
				return err
			}
			ref, err := tx.BlobReferenced(string(d), now)
			if err != nil || ref {
				return err
			}
			orphans++
			return s.blobs.Delete(ctx, d)
		})
	})
	return orphans, err
}
