package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/metatest"
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
		_, _, p, err := metatest.CreatePackage(tx, "d", "r", model.PackageKey{Format: model.FormatGeneric, Namespace: "ns", Name: "p"}, now)
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
