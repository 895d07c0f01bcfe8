package job

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/retention"
	"github.com/wharf-dev/wharf/internal/service"
)

const account = "111122223333"

var (
	ctx  = context.Background()
	root = service.Caller{Account: account, ARN: "arn:aws:iam::" + account + ":root"}
	t0   = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
)

// rig is a runner over a fresh SQLite store with domain "acme" and
// repository "main"; the clock stands at t0.
type rig struct {
	m   meta.Store
	svc *service.Service
	r   *Runner
}

func newRig(tb testing.TB, dir string) *rig {
	tb.Helper()
	m, err := sqlite.Open(ctx, filepath.Join(dir, "wharf.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	b, err := fs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		tb.Fatal(err)
	}
	now := func() time.Time { return t0 }
	svc := service.New(m, b, nil, service.Config{Now: now})
	return &rig{m: m, svc: svc, r: New(svc, m, now, nil)}
}

func (g *rig) setup(tb testing.TB) {
	tb.Helper()
	if _, err := g.svc.CreateDomain(ctx, root, service.CreateDomainInput{Domain: "acme"}); err != nil {
		tb.Fatal(err)
	}
	if _, err := g.svc.CreateRepository(ctx, root, service.CreateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: "acme", Repository: "main"}}); err != nil {
		tb.Fatal(err)
	}
}

// seed writes packages straight into the store: package i has
// versions(i) versions, one a day, the newest a day before t0.
func (g *rig) seed(tb testing.TB, packages int, versions func(i int) int) int {
	tb.Helper()
	total := 0
	const batch = 2000
	for lo := 0; lo < packages; lo += batch {
		err := g.m.Update(ctx, func(tx meta.Tx) error {
			d, err := tx.GetDomain(account, "acme")
			if err != nil {
				return err
			}
			r, err := tx.GetRepository(d.ID, "main")
			if err != nil {
				return err
			}
			for i := lo; i < min(lo+batch, packages); i++ {
				p := &model.Package{RepositoryID: r.ID, Key: model.PackageKey{Format: model.FormatGeneric, Namespace: "ns", Name: fmt.Sprintf("pkg-%06d", i)}, Origin: model.DefaultOriginForPublish}
				if err := tx.CreatePackage(p); err != nil {
					return err
				}
				n := versions(i)
				for j := 0; j < n; j++ {
					v := &model.Version{PackageID: p.ID, Version: fmt.Sprintf("1.0.%d", j), Status: model.StatusPublished, Revision: fmt.Sprintf("r%d-%d", i, j),
						PublishedTime: t0.Add(-time.Duration(n-j) * 24 * time.Hour), OriginType: model.OriginInternal, OriginRepository: "main"}
					if err := tx.CreateVersion(v); err != nil {
						return err
					}
				}
				total += n
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return total
}

func (g *rig) count(tb testing.TB, s model.Status) int {
	tb.Helper()
	n := 0
	err := g.m.View(ctx, func(tx meta.Tx) error {
		r, err := tx.GetRepository(1, "main")
		if err != nil {
			return err
		}
		ps, err := tx.ListPackages(r.ID, meta.PackageFilter{})
		for _, p := range ps {
			vs, err := tx.ListVersions(p.ID, meta.VersionFilter{AllStatuses: true})
			if err != nil {
				return err
			}
			for _, v := range vs {
				if v.Status == s {
					n++
				}
			}
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestScheduledRunActsAsOwner checks the server's scheduled runs act as
// the principal who put each rule: a rule its owner may run acts, and
// one whose owner the authorizer refuses changes nothing.
func TestScheduledRunActsAsOwner(t *testing.T) {
	g := newRig(t, t.TempDir())
	g.setup(t)
	g.seed(t, 3, func(int) int { return 5 })
	if _, err := g.r.PutRule(ctx, root, "", "acme", retention.Rule{Name: "unlist", KeepNewest: 2, Action: retention.ActionUnlist}); err != nil {
		t.Fatal(err)
	}
	// A rule stored for a principal of another account, which the
	// service's authorizer (same account only) refuses.
	err := g.m.Update(ctx, func(tx meta.Tx) error {
		return tx.PutRetentionRule(&meta.RetentionRule{DomainID: 1, Name: "foreign", Rule: []byte(`{"name":"foreign","keepNewest":1,"order":"PUBLISHED_TIME","statuses":["Published","Unlisted"],"action":"DELETE"}`),
			Owner: "999988887777", OwnerARN: "arn:aws:iam::999988887777:root", Updated: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
	g.r.runAll(ctx)
	if n := g.count(t, model.StatusUnlisted); n != 9 {
		t.Errorf("%d versions unlisted, want 9", n)
	}
	if n := g.count(t, model.StatusPublished); n != 6 {
		t.Errorf("%d versions left Published, want 6 (the foreign rule deleted some)", n)
	}
	info, err := g.r.GetRule(ctx, root, "", "acme", "unlist")
	if err != nil || info.LastRun == nil || info.LastRun.State != StateDone || info.LastRun.Versions != 9 {
		t.Fatalf("last run: %+v %v", info, err)
	}
	if info, _ := g.r.GetRule(ctx, root, "", "acme", "foreign"); info.LastRun == nil || info.LastRun.State != StateFailed || info.LastRun.Error == "" {
		t.Errorf("the refused run: %+v", info.LastRun)
	}
}

// BenchmarkEvaluateKeepNewest10 dry-runs a keep-newest-10 rule over a
// repository of 1M versions in 100k packages (1 to 19 versions each,
// seeded through the metadata store), reporting the versions selected
// and the peak heap, which must not grow with the repository: packages
// stream through a page at a time. -bench 'KeepNewest10/100k' is the
// issue's figure; /10k shows memory stays flat at a tenth of the size.
func BenchmarkEvaluateKeepNewest10(b *testing.B) {
	for _, sc := range []struct {
		name     string
		packages int
	}{{"10k", 10_000}, {"100k", 100_000}} {
		b.Run(sc.name, func(b *testing.B) {
			g := newRig(b, b.TempDir())
			g.setup(b)
			start := time.Now()
			total := g.seed(b, sc.packages, func(i int) int { return i%19 + 1 })
			b.Logf("seeded %d versions in %d packages in %s", total, sc.packages, time.Since(start).Round(time.Millisecond))
			if _, err := g.r.PutRule(ctx, root, "", "acme", retention.Rule{Name: "keep10", KeepNewest: 10, Action: retention.ActionDelete}); err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			var peak atomic.Uint64
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				var ms runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
				}
			}()
			b.ResetTimer()
			var selected int
			for b.Loop() {
				sum, err := g.r.DryRun(ctx, root, "", "acme", "keep10", func(Item) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
				selected = sum.Versions
			}
			b.StopTimer()
			close(stop)
			<-done
			b.ReportMetric(float64(total), "versions")
			b.ReportMetric(float64(selected), "selected")
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(base.HeapInuse)/(1<<20), "base-heap-MB")
		})
	}
}
