package metatest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// testGCCandidates: every way an asset row goes, and every disposal,
// makes its blob unreferenced, cascades included; a blob referenced again
// is not, one only a lease keeps comes up when the lease expires.
func testGCCandidates(t *testing.T, s meta.Store) {
	now := time.Unix(1_800_000_000, 0)
	var d *model.Domain
	repos := map[string]*model.Repository{}
	pkgs := map[string]*model.Package{}
	versions := map[string]*model.Version{}
	update(t, s, func(tx meta.Tx) error {
		d = &model.Domain{Name: "d", Owner: "111122223333", CreatedTime: now}
		if err := tx.CreateDomain(d); err != nil {
			return err
		}
		for _, rn := range []string{"r", "doomed"} {
			r := &model.Repository{DomainID: d.ID, Name: rn, AdministratorAccount: d.Owner, CreatedTime: now}
			if err := tx.CreateRepository(r); err != nil {
				return err
			}
			repos[rn] = r
		}
		for pn, rn := range map[string]string{"p": "r", "package": "r", "doomed": "doomed"} {
			name := pn
			if pn == "doomed" {
				name = "p"
			}
			p := &model.Package{RepositoryID: repos[rn].ID, Key: model.PackageKey{Format: model.FormatGeneric, Namespace: "ns", Name: name}, Origin: model.DefaultOriginForPublish}
			if err := tx.CreatePackage(p); err != nil {
				return err
			}
			pkgs[pn] = p
		}
		for name, pkg := range map[string]string{"assets": "p", "version": "p", "disposed": "p", "leased": "p", "package": "package", "repository": "doomed"} {
			v := &model.Version{PackageID: pkgs[pkg].ID, Version: name, Revision: "r", Status: model.StatusPublished, PublishedTime: now, OriginType: model.OriginInternal}
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
	unreferenced := func() []string {
		var out []string
		update(t, s, func(tx meta.Tx) (err error) {
			out, err = tx.UnreferencedBlobs(now, 0)
			return err
		})
		slices.Sort(out)
		return out
	}
	steps := []struct {
		what string
		do   func(tx meta.Tx) error
		want []string
	}{
		{"nothing", nil, nil},
		{"DeleteAssets", func(tx meta.Tx) error { return tx.DeleteAssets(versions["assets"].ID) }, []string{"blob-assets"}},
		{"DeleteVersions", func(tx meta.Tx) error { return tx.DeleteVersions([]int64{versions["version"].ID}) }, []string{"blob-assets", "blob-version"}},
		{"disposal", func(tx meta.Tx) error {
			return tx.SetVersionStatus([]int64{versions["disposed"].ID}, model.StatusDisposed)
		}, []string{"blob-assets", "blob-disposed", "blob-version"}},
		{"DeletePackage", func(tx meta.Tx) error { return tx.DeletePackage(pkgs["package"].ID) }, []string{"blob-assets", "blob-disposed", "blob-package", "blob-version"}},
		{"DeleteRepository", func(tx meta.Tx) error { return tx.DeleteRepository(repos["doomed"].ID) },
			[]string{"blob-assets", "blob-disposed", "blob-package", "blob-repository", "blob-version"}},
		{"ForgetBlob", func(tx meta.Tx) error { return tx.ForgetBlob("blob-version") }, []string{"blob-assets", "blob-disposed", "blob-package", "blob-repository"}},
		{"re-referenced", func(tx meta.Tx) error {
			v := &model.Version{PackageID: pkgs["p"].ID, Version: "again", Revision: "r", Status: model.StatusPublished, PublishedTime: now, OriginType: model.OriginInternal}
			if err := tx.CreateVersion(v); err != nil {
				return err
			}
			return tx.PutAsset(&model.Asset{VersionID: v.ID, Name: "a", Size: 1, Hashes: model.Hashes{SHA256: "blob-assets"}, Created: now})
		}, []string{"blob-disposed", "blob-package", "blob-repository"}},
		{"leased while deleted", func(tx meta.Tx) error {
			if err := tx.LeaseBlob("blob-leased", now.Add(time.Hour)); err != nil {
				return err
			}
			return tx.DeleteVersions([]int64{versions["leased"].ID})
		}, []string{"blob-disposed", "blob-package", "blob-repository"}},
	}
	for _, st := range steps {
		if st.do != nil {
			update(t, s, st.do)
		}
		if got := unreferenced(); fmt.Sprint(got) != fmt.Sprint(st.want) {
			t.Fatalf("after %s: UnreferencedBlobs = %v, want %v", st.what, got, st.want)
		}
	}
	// The lease expires: the blob comes up. The domain goes: nothing is
	// referenced any more.
	update(t, s, func(tx meta.Tx) error { return tx.PruneBlobLeases(now.Add(2 * time.Hour)) })
	if got := unreferenced(); !slices.Contains(got, "blob-leased") {
		t.Errorf("after the lease expired: %v", got)
	}
	update(t, s, func(tx meta.Tx) error { return tx.DeleteDomain(d.ID) })
	if got, want := unreferenced(), []string{"blob-assets", "blob-disposed", "blob-leased", "blob-package", "blob-repository"}; !slices.Equal(got, want) {
		t.Errorf("after DeleteDomain: %v, want every recorded blob %v", got, want)
	}
}
