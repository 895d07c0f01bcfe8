package metatest

import (
	"errors"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// testTrash checks trashed versions are kept until they expire, replaced
// per version, listed per repository and dropped with their package.
func testTrash(t *testing.T, s meta.Store) {
	_, r, p := fixture(t, s)
	day := 24 * time.Hour
	entry := func(v string, expires time.Time) *meta.TrashedVersion {
		return &meta.TrashedVersion{PackageID: p.ID, Version: v, FormerStatus: model.StatusUnlisted, Revision: "rev-" + v, Deleted: epoch, Expires: expires, Doc: []byte(`{"v":"` + v + `"}`)}
	}
	update(t, s, func(tx meta.Tx) error {
		for _, e := range []*meta.TrashedVersion{entry("1.0.0", epoch.Add(day)), entry("2.0.0", epoch.Add(2*day)), entry("3.0.0", epoch.Add(3*day))} {
			if err := tx.TrashVersion(e); err != nil {
				return err
			}
			if e.ID == 0 {
				t.Errorf("%s: no ID", e.Version)
			}
		}
		// Trashing again replaces the entry.
		e := entry("1.0.0", epoch.Add(5*day))
		e.Revision = "rev-again"
		return tx.TrashVersion(e)
	})
	view(t, s, func(tx meta.Tx) error {
		v, err := tx.GetTrashed(p.ID, "1.0.0", epoch)
		if err != nil {
			return err
		}
		if v.Revision != "rev-again" || v.FormerStatus != model.StatusUnlisted || v.Key != p.Key || string(v.Doc) != `{"v":"1.0.0"}` || !v.Expires.Equal(epoch.Add(5*day)) {
			t.Errorf("got %+v", v)
		}
		if _, err := tx.GetTrashed(p.ID, "2.0.0", epoch.Add(2*day)); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("an expired entry: %v", err)
		}
		all, err := tx.ListTrash(r.ID, epoch.Add(2*day), 0, 0)
		if err != nil {
			return err
		}
		if len(all) != 2 || all[0].Version != "1.0.0" || all[1].Version != "3.0.0" {
			t.Errorf("unexpired at +2d: %+v", all)
		}
		page, err := tx.ListTrash(r.ID, epoch.Add(2*day), all[0].ID, 1)
		if err != nil {
			return err
		}
		if len(page) != 1 || page[0].Version != "3.0.0" {
			t.Errorf("after %d: %+v", all[0].ID, page)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error {
		if err := tx.ForgetTrashed(p.ID, "3.0.0"); err != nil {
			return err
		}
		if err := tx.ForgetTrashed(p.ID, "9.9.9"); err != nil {
			return err
		}
		return tx.PurgeTrash(epoch.Add(2 * day))
	})
	view(t, s, func(tx meta.Tx) error {
		all, err := tx.ListTrash(r.ID, epoch, 0, 0)
		if len(all) != 1 || all[0].Version != "1.0.0" {
			t.Errorf("after forget and purge: %+v", all)
		}
		return err
	})
	update(t, s, func(tx meta.Tx) error { return tx.DeletePackage(p.ID) })
	view(t, s, func(tx meta.Tx) error {
		all, err := tx.ListTrash(r.ID, epoch, 0, 0)
		if len(all) != 0 {
			t.Errorf("after deleting the package: %+v", all)
		}
		return err
	})
}
