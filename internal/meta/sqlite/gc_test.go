package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

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
