package metatest

import (
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// testDownloads checks counts add up, last times only advance, and
// counts of versions deleted meanwhile are dropped.
func testDownloads(t *testing.T, s meta.Store) {
	_, _, p := fixture(t, s)
	var a, b *model.Version
	update(t, s, func(tx meta.Tx) error {
		a, b = newVersion(p.ID, "1.0.0", model.StatusPublished, epoch), newVersion(p.ID, "2.0.0", model.StatusPublished, epoch)
		if err := tx.CreateVersion(a); err != nil {
			return err
		}
		return tx.CreateVersion(b)
	})
	update(t, s, func(tx meta.Tx) error {
		return tx.AddDownloads([]meta.DownloadCount{{VersionID: a.ID, Count: 2, Last: epoch.Add(time.Hour)}, {VersionID: 999999, Count: 1, Last: epoch}})
	})
	update(t, s, func(tx meta.Tx) error {
		return tx.AddDownloads([]meta.DownloadCount{{VersionID: a.ID, Count: 3, Last: epoch}, {VersionID: b.ID, Count: 1, Last: epoch.Add(2 * time.Hour)}})
	})
	view(t, s, func(tx meta.Tx) error {
		last, err := tx.LastDownloads(p.ID)
		if len(last) != 2 || !last[a.ID].Equal(epoch.Add(time.Hour)) || !last[b.ID].Equal(epoch.Add(2*time.Hour)) {
			t.Errorf("last downloads: %v", last)
		}
		return err
	})
	update(t, s, func(tx meta.Tx) error { return tx.DeleteVersions([]int64{b.ID}) })
	view(t, s, func(tx meta.Tx) error {
		last, err := tx.LastDownloads(p.ID)
		if len(last) != 1 {
			t.Errorf("after deleting a version: %v", last)
		}
		return err
	})
}
