package metatest

import (
	"testing"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// testSizes: the counts follow what is stored, and a blob two assets
// share counts once.
func testSizes(t *testing.T, s meta.Store) {
	sizes := func() meta.Sizes {
		var sz meta.Sizes
		view(t, s, func(tx meta.Tx) (err error) { sz, err = tx.Sizes(); return err })
		return sz
	}
	if got := sizes(); got != (meta.Sizes{}) {
		t.Fatalf("empty store: %+v", got)
	}
	_, _, p := fixture(t, s)
	update(t, s, func(tx meta.Tx) error {
		for _, v := range []string{"1.0.0", "2.0.0"} {
			ver := newVersion(p.ID, v, model.StatusPublished, epoch)
			if err := tx.CreateVersion(ver); err != nil {
				return err
			}
			for _, a := range []struct {
				name, digest string
				size         int64
			}{{"a.tgz", "shared", 100}, {"b-" + v, "own-" + v, 7}} {
				if err := tx.PutAsset(&model.Asset{VersionID: ver.ID, Name: a.name, Hashes: model.Hashes{SHA256: a.digest}, Size: a.size}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	want := meta.Sizes{Domains: 1, Repositories: 1, Packages: 1, Versions: 2, Assets: 4, Blobs: 3, BlobBytes: 114}
	if got := sizes(); got != want {
		t.Fatalf("sizes = %+v, want %+v", got, want)
	}
}
