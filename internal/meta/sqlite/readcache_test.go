package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/metatest"
	"github.com/wharf-dev/wharf/internal/model"
)

func openExclusive(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := Open(context.Background(), path, Exclusive())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// seed makes domain d, repository r, generic package ns/p with versions
// 1.0 and 2.0 (one asset each) and dist-tag latest -> 1.0.
func seed(t *testing.T, s *Store) (repoID, pkgID int64) {
	t.Helper()
	now := time.Unix(1_800_000_000, 0)
	err := s.Update(context.Background(), func(tx meta.Tx) error {
		_, r, p, err := metatest.CreatePackage(tx, "d", "r", key, now)
		if err != nil {
			return err
		}
		for i, v := range []string{"1.0", "2.0"} {
			ver := &model.Version{PackageID: p.ID, Version: v, Revision: "rev-" + v, Status: model.StatusPublished,
				PublishedTime: now.Add(time.Duration(i) * time.Second), OriginType: model.OriginInternal}
			if err := tx.CreateVersion(ver); err != nil {
				return err
			}
			if err := tx.PutAsset(&model.Asset{VersionID: ver.ID, Name: "a.bin", Size: 1, Created: now, Hashes: model.Hashes{SHA256: strings.Repeat("a", 64)}}); err != nil {
				return err
			}
		}
		repoID, pkgID = r.ID, p.ID
		return tx.SetPackageState(p.ID, "latest", "1.0")
	})
	if err != nil {
		t.Fatal(err)
	}
	return repoID, pkgID
}

var key = model.PackageKey{Format: model.FormatGeneric, Namespace: "ns", Name: "p"}

// lookup does what a download does: domain, repository, package,
// version summary, asset.
func lookup(tx meta.Tx, version string) (*model.Version, *model.Asset, error) {
	d, err := tx.GetDomain("111122223333", "d")
	if err != nil {
		return nil, nil, err
	}
	r, err := tx.GetRepository(d.ID, "r")
	if err != nil {
		return nil, nil, err
	}
	p, err := tx.GetPackage(r.ID, key)
	if err != nil {
		return nil, nil, err
	}
	vs, err := tx.GetVersions(p.ID, []string{version})
	if err != nil {
		return nil, nil, err
	}
	v := vs[version]
	if v == nil {
		return nil, nil, meta.ErrNotFound
	}
	a, err := tx.GetAsset(v.ID, "a.bin")
	return v, a, err
}

// A second server on the same database is refused; after Close the lock
// is free again. Opening without Exclusive (wharf admin) is not refused.
func TestExclusiveLock(t *testing.T) {
	s, path := openExclusive(t)
	if _, err := Open(context.Background(), path, Exclusive()); err == nil || !strings.Contains(err.Error(), "in use by another wharf server") {
		t.Fatalf("second exclusive open: %v", err)
	}
	shared, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("shared open beside an exclusive one: %v", err)
	}
	shared.Close()
	s.Close()
	again, err := Open(context.Background(), path, Exclusive())
	if err != nil {
		t.Fatalf("exclusive open after Close: %v", err)
	}
	again.Close()
}

// A repeated download's lookups run no SQL; every kind of change is seen
// by the next read at once.
func TestReadCacheExact(t *testing.T) {
	ctx := context.Background()
	s, _ := openExclusive(t)
	_, pkgID := seed(t, s)
	read := func() (*model.Version, *model.Asset, error) {
		var v *model.Version
		var a *model.Asset
		err := s.View(ctx, func(tx meta.Tx) (err error) {
			v, a, err = lookup(tx, "1.0")
			return err
		})
		return v, a, err
	}
	if _, _, err := read(); err != nil {
		t.Fatal(err)
	}
	before := s.rc.begins.Load()
	v, a, err := read()
	if err != nil || v.Status != model.StatusPublished || a.Size != 1 {
		t.Fatalf("cached read: %+v %+v %v", v, a, err)
	}
	if n := s.rc.begins.Load() - before; n != 0 {
		t.Fatalf("a repeated lookup began %d SQLite transactions, want 0", n)
	}
	// What a caller does to its copy stays with it.
	v.Status, a.Size = "scribbled", 99
	if v, a, _ := read(); v.Status != model.StatusPublished || a.Size != 1 {
		t.Fatalf("the cache handed out a shared value: %+v %+v", v, a)
	}

	changes := []struct {
		name  string
		write func(tx meta.Tx) error
		check func(v *model.Version, a *model.Asset, err error) error
	}{
		{"status", func(tx meta.Tx) error { return tx.SetVersionStatus([]int64{v.ID}, model.StatusArchived) },
			func(v *model.Version, _ *model.Asset, err error) error {
				if err != nil || v.Status != model.StatusArchived {
					return fmt.Errorf("got %+v, %v", v, err)
				}
				return nil
			}},
		{"asset deleted", func(tx meta.Tx) error { return tx.DeleteAssets(v.ID) },
			func(_ *model.Version, a *model.Asset, err error) error {
				if err != meta.ErrNotFound {
					return fmt.Errorf("got %+v, %v", a, err)
				}
				return nil
			}},
		{"version deleted", func(tx meta.Tx) error { return tx.DeleteVersions([]int64{v.ID}) },
			func(v *model.Version, _ *model.Asset, err error) error {
				if err != meta.ErrNotFound {
					return fmt.Errorf("got %+v, %v", v, err)
				}
				return nil
			}},
	}
	for _, c := range changes {
		if err := s.Update(ctx, c.write); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := c.check(read()); err != nil {
			t.Fatalf("after %s: %v", c.name, err)
		}
		if err := c.check(read()); err != nil { // and from the cache
			t.Fatalf("after %s, again: %v", c.name, err)
		}
	}

	// Lists and dist-tags too.
	list := func() (string, map[string]string) {
		var names []string
		var tags map[string]string
		err := s.View(ctx, func(tx meta.Tx) error {
			vs, err := tx.ListVersions(pkgID, meta.VersionFilter{Limit: 10})
			if err != nil {
				return err
			}
			for _, v := range vs {
				names = append(names, v.Version)
			}
			tags, err = tx.PackageState(pkgID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(names, ","), tags
	}
	if got, tags := list(); got != "2.0" || tags["latest"] != "1.0" {
		t.Fatalf("list: %s %v", got, tags)
	}
	list()
	if err := s.Update(ctx, func(tx meta.Tx) error {
		if err := tx.CreateVersion(&model.Version{PackageID: pkgID, Version: "3.0", Revision: "r3", Status: model.StatusPublished, OriginType: model.OriginInternal}); err != nil {
			return err
		}
		return tx.SetPackageState(pkgID, "latest", "3.0")
	}); err != nil {
		t.Fatal(err)
	}
	if got, tags := list(); got != "2.0,3.0" || tags["latest"] != "3.0" {
		t.Fatalf("list after a publish: %s %v", got, tags)
	}
}

// A read that answered from the cache and then meets a commit before its
// first statement is run again without the cache, so it never mixes the
// old cached answers with the new snapshot.
func TestReadCacheStaleRetry(t *testing.T) {
	ctx := context.Background()
	s, _ := openExclusive(t)
	_, pkgID := seed(t, s)
	warm := func(tx meta.Tx) error { _, _, err := lookup(tx, "1.0"); return err }
	if err := s.View(ctx, warm); err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, warm); err != nil {
		t.Fatal(err)
	}
	runs := 0
	var status model.Status
	var readme string
	err := s.View(ctx, func(tx meta.Tx) error {
		runs++
		v, _, err := lookup(tx, "1.0") // from the cache on the first run
		if err != nil {
			return err
		}
		status = v.Status
		if runs == 1 {
			// A write commits between the cached answers and the first
			// statement (the writer does not wait for readers in WAL).
			if err := s.Update(ctx, func(tx meta.Tx) error {
				full, err := tx.GetVersion(pkgID, "1.0")
				if err != nil {
					return err
				}
				full.Status, full.Readme = model.StatusUnlisted, "changed"
				return tx.UpdateVersion(full)
			}); err != nil {
				t.Fatal(err)
			}
		}
		full, err := tx.GetVersion(pkgID, "1.0") // needs SQL
		if err != nil {
			return err
		}
		readme = full.Readme
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 2 || status != model.StatusUnlisted || readme != "changed" {
		t.Fatalf("runs %d, status %s, readme %q: want a second run that sees the commit throughout", runs, status, readme)
	}
}

// Readers see a version's status and the dist-tag that a writer changes
// together in one transaction always in agreement, while the writer
// flips them as fast as it can.
func TestReadCacheConsistentUnderWrites(t *testing.T) {
	ctx := context.Background()
	s, _ := openExclusive(t)
	_, pkgID := seed(t, s)
	var v1 int64
	if err := s.View(ctx, func(tx meta.Tx) error {
		v, err := tx.GetVersion(pkgID, "1.0")
		v1 = v.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Counts, not a time window: on a loaded machine a window can pass
	// with too few commits to tell anything.
	const wantWrites, wantReads = 200, 200
	var wg sync.WaitGroup
	var writes, reads atomic.Int64
	var writing atomic.Bool
	writing.Store(true)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer writing.Store(false)
		for i := 0; i < wantWrites; i++ {
			st, tag := model.StatusPublished, "1.0"
			if i%2 == 1 {
				st, tag = model.StatusUnlisted, "2.0"
			}
			if err := s.Update(ctx, func(tx meta.Tx) error {
				if err := tx.SetVersionStatus([]int64{v1}, st); err != nil {
					return err
				}
				return tx.SetPackageState(pkgID, "latest", tag)
			}); err != nil {
				t.Error(err)
				return
			}
			writes.Add(1)
		}
	}()
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for writing.Load() || reads.Load() < wantReads {
				err := s.View(ctx, func(tx meta.Tx) error {
					v, _, err := lookup(tx, "1.0")
					if err != nil {
						return err
					}
					tags, err := tx.PackageState(pkgID)
					if err != nil {
						return err
					}
					want := map[model.Status]string{model.StatusPublished: "1.0", model.StatusUnlisted: "2.0"}[v.Status]
					if tags["latest"] != want {
						return fmt.Errorf("status %s with latest %s: a mixed snapshot", v.Status, tags["latest"])
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				reads.Add(1)
			}
		}()
	}
	wg.Wait()
	if writes.Load() != wantWrites || reads.Load() < wantReads {
		t.Fatalf("too little happened to tell: %d writes, %d reads", writes.Load(), reads.Load())
	}
}
