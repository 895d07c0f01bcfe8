package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// Every way an asset row goes makes its blob a collection candidate:
// DeleteAssets, DeleteVersions, and the cascade of DeletePackage.
func TestGCCandidatesCoverCascades(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Unix(1_800_000_000, 0)
	var pkg *model.Package
	versions := map[string]*model.Version{}
	err = s.Update(ctx, func(tx meta.Tx) error {
		var err error
		if _, pkg, err = createPackage(tx, now); err != nil {
			return err
		}
		for _, name := range []string{"assets", "version", "package"} {
			v := &model.Version{PackageID: pkg.ID, Version: name, Revision: "r", Status: model.StatusPublished, PublishedTime: now, OriginType: model.OriginInternal}
			if err := tx.CreateVersion(v); err != nil {
				return err
			}
			versions[name] = v
			if err := tx.PutAsset(&model.Asset{VersionID: v.ID, Name: "a", Size: 1, Hashes: model.Hashes{SHA256: "blob-" + name}, Created: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	unreferenced := func() []string {
		var out []string
		if err := s.Update(ctx, func(tx meta.Tx) error {
			out, err = tx.UnreferencedBlobs(now, 0)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		slices.Sort(out)
		return out
	}
	steps := []struct {
		do   func(tx meta.Tx) error
		want []string
	}{
		{nil, nil},
		{func(tx meta.Tx) error { return tx.DeleteAssets(versions["assets"].ID) }, []string{"blob-assets"}},
		{func(tx meta.Tx) error { return tx.DeleteVersions([]int64{versions["version"].ID}) }, []string{"blob-assets", "blob-version"}},
		{func(tx meta.Tx) error { return tx.DeletePackage(pkg.ID) }, []string{"blob-assets", "blob-package", "blob-version"}},
		{func(tx meta.Tx) error { return tx.ForgetBlob("blob-version") }, []string{"blob-assets", "blob-package"}},
	}
	for i, st := range steps {
		if st.do != nil {
			if err := s.Update(ctx, st.do); err != nil {
				t.Fatal(err)
			}
		}
		if got := unreferenced(); fmt.Sprint(got) != fmt.Sprint(st.want) {
			t.Fatalf("step %d: UnreferencedBlobs = %v, want %v", i, got, st.want)
		}
	}
}

// A collection's cost follows what changed, not what is stored: with many
// referenced blobs, finding the one unreferenced stays cheap.
func BenchmarkUnreferencedBlobs(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "meta.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	now := time.Unix(1_800_000_000, 0)
	err = s.Update(ctx, func(tx meta.Tx) error {
		_, p, err := createPackage(tx, now)
		if err != nil {
			return err
		}
		for i := 0; i < 50_000; i++ {
			v := &model.Version{PackageID: p.ID, Version: fmt.Sprint(i), Revision: "r", Status: model.StatusPublished, PublishedTime: now, OriginType: model.OriginInternal}
			if err := tx.CreateVersion(v); err != nil {
				return err
			}
			if err := tx.PutAsset(&model.Asset{VersionID: v.ID, Name: "a", Size: 1, Hashes: model.Hashes{SHA256: fmt.Sprint("blob-", i)}, Created: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		err := s.Update(ctx, func(tx meta.Tx) error {
			_, err := tx.UnreferencedBlobs(now, 200)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// createPackage makes domain d (owner 111122223333), its repository r and
// the generic package ns/p in it.
func createPackage(tx meta.Tx, now time.Time) (*model.Repository, *model.Package, error) {
	d := &model.Domain{Name: "d", Owner: "111122223333", CreatedTime: now}
	if err := tx.CreateDomain(d); err != nil {
		return nil, nil, err
	}
	r := &model.Repository{DomainID: d.ID, Name: "r", AdministratorAccount: d.Owner, CreatedTime: now}
	if err := tx.CreateRepository(r); err != nil {
		return nil, nil, err
	}
	p := &model.Package{RepositoryID: r.ID, Key: model.PackageKey{Format: model.FormatGeneric, Namespace: "ns", Name: "p"}, Origin: model.DefaultOriginForPublish}
	if err := tx.CreatePackage(p); err != nil {
		return nil, nil, err
	}
	return r, p, nil
}
