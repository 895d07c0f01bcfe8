// Package metatest is the contract every meta.Store implementation must
// pass. Each backend's tests call Run with a constructor for an empty
// store.
package metatest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// Run runs the contract suite against stores made by open.
func Run(t *testing.T, open func(t *testing.T) meta.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, meta.Store)
	}{
		{"Domains", testDomains},
		{"Repositories", testRepositories},
		{"Packages", testPackages},
		{"PackageState", testPackageState},
		{"Versions", testVersions},
		{"VersionPagination", testVersionPagination},
		{"Assets", testAssets},
		{"BlobReferences", testBlobReferences},
		{"GCCandidates", testGCCandidates},
		{"Tags", testTags},
		{"Settings", testSettings},
		{"Cascade", testCascade},
		{"RecreatedPackageIdentity", testRecreatedPackageIdentity},
		{"Rollback", testRollback},
		{"SerializedUpdates", testSerializedUpdates},
		{"PackageGroups", testPackageGroups},
		{"AllowedRepositories", testAllowedRepositories},
		{"DomainPackages", testDomainPackages},
		{"Events", testEvents},
		{"EventsRollback", testEventsRollback},
		{"WebhookSecret", testWebhookSecret},
		{"ConsoleSessions", testConsoleSessions},
		{"RetentionRules", testRetentionRules},
		{"Trash", testTrash},
		{"Downloads", testDownloads},
		{"Sizes", testSizes},
		{"Audit", testAudit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

var ctx = context.Background()

func update(t *testing.T, s meta.Store, fn func(meta.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

func view(t *testing.T, s meta.Store, fn func(meta.Tx) error) {
	t.Helper()
	if err := s.View(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)

// fixture creates a domain, a repository and a package.
func fixture(t *testing.T, s meta.Store) (*model.Domain, *model.Repository, *model.Package) {
	t.Helper()
	var d *model.Domain
	var r *model.Repository
	var p *model.Package
	update(t, s, func(tx meta.Tx) (err error) {
		d, r, p, err = CreatePackage(tx, "dom", "repo", model.PackageKey{Format: model.FormatNpm, Name: "left-pad"}, epoch)
		return err
	})
	return d, r, p
}

// CreatePackage creates domain (owned by 111122223333), its repository
// repo and the package k in it: the fixture stores' own tests start from.
func CreatePackage(tx meta.Tx, domain, repo string, k model.PackageKey, at time.Time) (*model.Domain, *model.Repository, *model.Package, error) {
	d := &model.Domain{Name: domain, Owner: "111122223333", CreatedTime: at}
	if err := tx.CreateDomain(d); err != nil {
		return nil, nil, nil, err
	}
	r := &model.Repository{DomainID: d.ID, Name: repo, AdministratorAccount: d.Owner, CreatedTime: at}
	if err := tx.CreateRepository(r); err != nil {
		return nil, nil, nil, err
	}
	p := &model.Package{RepositoryID: r.ID, Key: k, Origin: model.DefaultOriginForPublish}
	if err := tx.CreatePackage(p); err != nil {
		return nil, nil, nil, err
	}
	return d, r, p, nil
}

func newVersion(pkgID int64, v string, st model.Status, published time.Time) *model.Version {
	return &model.Version{PackageID: pkgID, Version: v, Revision: "rev-" + v, Status: st, PublishedTime: published, OriginType: model.OriginInternal, OriginRepository: "repo"}
}

func testDomains(t *testing.T, s meta.Store) {
	for _, d := range []*model.Domain{{Name: "b", Owner: "111111111111"}, {Name: "a", Owner: "222222222222"}, {Name: "a", Owner: "111111111111"}} {
		d.CreatedTime = epoch
		update(t, s, func(tx meta.Tx) error { return tx.CreateDomain(d) })
		if d.ID == 0 {
			t.Fatal("CreateDomain did not set ID")
		}
	}
	err := s.Update(ctx, func(tx meta.Tx) error { return tx.CreateDomain(&model.Domain{Name: "a", Owner: "111111111111"}) })
	if !errors.Is(err, meta.ErrExists) {
		t.Fatalf("duplicate domain: %v, want ErrExists", err)
	}
	view(t, s, func(tx meta.Tx) error {
		d, err := tx.GetDomain("222222222222", "a")
		if err != nil || d.Name != "a" || !d.CreatedTime.Equal(epoch) {
			return fmt.Errorf("GetDomain = %+v, %v", d, err)
		}
		if _, err := tx.GetDomain("333333333333", "a"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("missing domain: %v", err)
		}
		mine, err := tx.ListDomains("111111111111", "", 0)
		if err != nil || len(mine) != 2 {
			return fmt.Errorf("ListDomains by owner = %v, %v", mine, err)
		}
		page1, err := tx.ListDomains("", "", 2)
		if err != nil || len(page1) != 2 || page1[0].Owner != "111111111111" || page1[1].Owner != "222222222222" {
			return fmt.Errorf("ListDomains page 1 = %v, %v", page1, err)
		}
		page2, err := tx.ListDomains("", page1[1].Name+"/"+page1[1].Owner, 2)
		if err != nil || len(page2) != 1 || page2[0].Name != "b" {
			return fmt.Errorf("ListDomains page 2 = %v, %v", page2, err)
		}
		return nil
	})
}

func testRepositories(t *testing.T, s meta.Store) {
	d, r, _ := fixture(t, s)
	update(t, s, func(tx meta.Tx) error {
		for _, name := range []string{"app", "apple", "zeta"} {
			nr := &model.Repository{DomainID: d.ID, Name: name, AdministratorAccount: "444444444444", Upstreams: []string{"repo"}, CreatedTime: epoch}
			if err := tx.CreateRepository(nr); err != nil {
				return err
			}
		}
		err := tx.CreateRepository(&model.Repository{DomainID: d.ID, Name: "app", AdministratorAccount: "1", CreatedTime: epoch})
		if !errors.Is(err, meta.ErrExists) {
			return fmt.Errorf("duplicate repository: %v", err)
		}
		return nil
	})
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.GetRepository(d.ID, "app")
		if err != nil || got.DomainName != "dom" || got.DomainOwner != "111122223333" || len(got.Upstreams) != 1 {
			return fmt.Errorf("GetRepository = %+v, %v", got, err)
		}
		list, err := tx.ListRepositories(meta.RepositoryFilter{DomainID: d.ID, Prefix: "app"})
		if err != nil || len(list) != 2 {
			return fmt.Errorf("prefix app = %d repos, %v", len(list), err)
		}
		list, err = tx.ListRepositories(meta.RepositoryFilter{AdministratorAccount: "444444444444", Limit: 2})
		if err != nil || len(list) != 2 || list[0].Name != "app" || list[1].Name != "apple" {
			return fmt.Errorf("admin filter = %v, %v", list, err)
		}
		list, err = tx.ListRepositories(meta.RepositoryFilter{AdministratorAccount: "444444444444", After: fmt.Sprintf("%s/%d", list[1].Name, list[1].ID)})
		if err != nil || len(list) != 1 || list[0].Name != "zeta" {
			return fmt.Errorf("page 2 = %v, %v", list, err)
		}
		// LIKE metacharacters in a prefix are literal.
		list, err = tx.ListRepositories(meta.RepositoryFilter{Prefix: "a_p"})
		if err != nil || len(list) != 0 {
			return fmt.Errorf("prefix a_p = %v, %v", list, err)
		}
		down, err := tx.Downstreams(d.ID, r.Name)
		if err != nil || len(down) != 3 {
			return fmt.Errorf("tx.Downstreams = %v, %v", down, err)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error {
		r.Description = "changed"
		r.Upstreams = nil
		if err := tx.UpdateRepository(r); err != nil {
			return err
		}
		got, err := tx.GetRepository(d.ID, "repo")
		if err != nil || got.Description != "changed" || got.Upstreams == nil && len(got.Upstreams) != 0 {
			return fmt.Errorf("after update = %+v, %v", got, err)
		}
		return tx.DeleteRepository(r.ID)
	})
	view(t, s, func(tx meta.Tx) error {
		if _, err := tx.GetRepository(d.ID, "repo"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("deleted repository: %v", err)
		}
		return nil
	})
}

func testPackages(t *testing.T, s meta.Store) {
	_, r, p := fixture(t, s)
	keys := []model.PackageKey{
		{Format: model.FormatNpm, Namespace: "types", Name: "node"},
		{Format: model.FormatNpm, Namespace: "typescript-eslint", Name: "parser"},
		{Format: model.FormatPyPI, Name: "requests"},
		{Format: model.FormatMaven, Namespace: "com.acme", Name: "lib"},
	}
	update(t, s, func(tx meta.Tx) error {
		for _, k := range keys {
			if err := tx.CreatePackage(&model.Package{RepositoryID: r.ID, Key: k, Origin: model.DefaultOriginForUpstream}); err != nil {
				return err
			}
		}
		if err := tx.CreatePackage(&model.Package{RepositoryID: r.ID, Key: keys[0], Origin: model.DefaultOriginForPublish}); !errors.Is(err, meta.ErrExists) {
			return fmt.Errorf("duplicate package: %v", err)
		}
		return tx.SetPackageOrigin(p.ID, model.OriginRestrictions{Publish: model.Block, Upstream: model.Block})
	})
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.GetPackage(r.ID, p.Key)
		if err != nil || got.Origin.Publish != model.Block || got.Generation <= p.Generation {
			return fmt.Errorf("GetPackage = %+v, %v", got, err)
		}
		all, err := tx.ListPackages(r.ID, meta.PackageFilter{})
		if err != nil || len(all) != 5 {
			return fmt.Errorf("ListPackages all = %d, %v", len(all), err)
		}
		npm, err := tx.ListPackages(r.ID, meta.PackageFilter{Format: model.FormatNpm, NamespacePrefix: "type"})
		if err != nil || len(npm) != 2 {
			return fmt.Errorf("namespace prefix = %d, %v", len(npm), err)
		}
		first, err := tx.ListPackages(r.ID, meta.PackageFilter{Limit: 2})
		if err != nil || len(first) != 2 {
			return fmt.Errorf("page 1 = %d, %v", len(first), err)
		}
		rest, err := tx.ListPackages(r.ID, meta.PackageFilter{After: meta.PackageCursor(first[1])})
		if err != nil || len(rest) != 3 {
			return fmt.Errorf("page 2 = %d, %v", len(rest), err)
		}
		blocked, err := tx.ListPackages(r.ID, meta.PackageFilter{Publish: model.Block})
		if err != nil || len(blocked) != 5 {
			return fmt.Errorf("publish=BLOCK = %d, %v", len(blocked), err)
		}
		no := false
		unscoped, err := tx.ListPackages(r.ID, meta.PackageFilter{HasNamespace: &no, NamePrefix: "left"})
		if err != nil || len(unscoped) != 1 {
			return fmt.Errorf("no namespace, prefix left = %d, %v", len(unscoped), err)
		}
		return nil
	})
}

// Package state is per package, keyed, moves the package's generation
// on every write, and goes with the package.
func testPackageState(t *testing.T, s meta.Store) {
	_, r, p := fixture(t, s)
	other := &model.Package{RepositoryID: r.ID, Key: model.PackageKey{Format: model.FormatNpm, Name: "other"}, Origin: model.DefaultOriginForPublish}
	update(t, s, func(tx meta.Tx) error { return tx.CreatePackage(other) })
	gen := func(tx meta.Tx) int64 {
		pk, err := tx.GetPackageByID(p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return pk.Generation
	}
	steps := []struct {
		name string
		edit func(tx meta.Tx) error
		want map[string]string
	}{
		{"set", func(tx meta.Tx) error { return tx.SetPackageState(p.ID, "latest", "1.0.0") }, map[string]string{"latest": "1.0.0"}},
		{"overwrite", func(tx meta.Tx) error { return tx.SetPackageState(p.ID, "latest", "2.0.0") }, map[string]string{"latest": "2.0.0"}},
		{"another key", func(tx meta.Tx) error { return tx.SetPackageState(p.ID, "beta", "3.0.0-beta") }, map[string]string{"latest": "2.0.0", "beta": "3.0.0-beta"}},
		{"delete", func(tx meta.Tx) error { return tx.DeletePackageState(p.ID, "beta") }, map[string]string{"latest": "2.0.0"}},
		{"another package", func(tx meta.Tx) error { return tx.SetPackageState(other.ID, "latest", "9.0.0") }, map[string]string{"latest": "2.0.0"}},
	}
	for _, st := range steps {
		var before int64
		update(t, s, func(tx meta.Tx) error {
			before = gen(tx)
			return st.edit(tx)
		})
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.PackageState(p.ID)
			if err != nil || !reflect.DeepEqual(got, st.want) {
				return fmt.Errorf("%s: state %v, %v; want %v", st.name, got, err, st.want)
			}
			if moved := gen(tx) > before; moved != (st.name != "another package") {
				return fmt.Errorf("%s: generation %d -> %d", st.name, before, gen(tx))
			}
			return nil
		})
	}
	update(t, s, func(tx meta.Tx) error { return tx.DeletePackage(other.ID) })
	view(t, s, func(tx meta.Tx) error {
		if got, err := tx.PackageState(other.ID); err != nil || len(got) != 0 {
			return fmt.Errorf("state of a deleted package: %v, %v", got, err)
		}
		return nil
	})
}

func testVersions(t *testing.T, s meta.Store) {
	_, _, p := fixture(t, s)
	v := newVersion(p.ID, "1.0.0", model.StatusPublished, epoch)
	v.Summary, v.Readme, v.FormatMetadata = "sum", "# readme", []byte(`{"name":"left-pad"}`)
	v.Licenses = []model.License{{Name: "MIT"}}
	v.Dependencies = []model.Dependency{{Package: "x", DependencyType: "regular", VersionRequirement: "^1"}}
	update(t, s, func(tx meta.Tx) error {
		if err := tx.CreateVersion(v); err != nil {
			return err
		}
		if err := tx.CreateVersion(newVersion(p.ID, "1.0.0", model.StatusPublished, epoch)); !errors.Is(err, meta.ErrExists) {
			return fmt.Errorf("duplicate version: %v", err)
		}
		for i, st := range []model.Status{model.StatusArchived, model.StatusUnlisted, model.StatusDisposed} {
			if err := tx.CreateVersion(newVersion(p.ID, fmt.Sprintf("2.%d.0", i), st, epoch.Add(time.Duration(i+1)*time.Second))); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.GetVersion(p.ID, "1.0.0")
		if err != nil {
			return err
		}
		if got.Summary != "sum" || got.Readme != "# readme" || string(got.FormatMetadata) != `{"name":"left-pad"}` ||
			len(got.Licenses) != 1 || len(got.Dependencies) != 1 || !got.PublishedTime.Equal(epoch) || got.Revision != "rev-1.0.0" {
			return fmt.Errorf("GetVersion = %+v", got)
		}
		if _, err := tx.GetVersion(p.ID, "9"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("missing version: %v", err)
		}
		m, err := tx.GetVersions(p.ID, []string{"1.0.0", "2.0.0", "9"})
		if err != nil || len(m) != 2 || m["2.0.0"].Status != model.StatusArchived {
			return fmt.Errorf("GetVersions = %v, %v", m, err)
		}
		def, err := tx.ListVersions(p.ID, meta.VersionFilter{})
		if err != nil || len(def) != 3 {
			return fmt.Errorf("default listing hides Archived: got %d, %v", len(def), err)
		}
		arch, err := tx.ListVersions(p.ID, meta.VersionFilter{Status: model.StatusArchived})
		if err != nil || len(arch) != 1 {
			return fmt.Errorf("status=Archived: %d, %v", len(arch), err)
		}
		all, err := tx.ListVersions(p.ID, meta.VersionFilter{AllStatuses: true, Sort: meta.SortByPublished})
		if err != nil || len(all) != 4 || all[0].Version != "2.2.0" || all[3].Version != "1.0.0" {
			return fmt.Errorf("by published = %v, %v", all, err)
		}
		return nil
	})
	var gen int64
	update(t, s, func(tx meta.Tx) error {
		pk, err := tx.GetPackageByID(p.ID)
		if err != nil {
			return err
		}
		gen = pk.Generation
		m, err := tx.GetVersions(p.ID, []string{"1.0.0", "2.1.0"})
		if err != nil {
			return err
		}
		if err := tx.SetVersionStatus([]int64{m["1.0.0"].ID, m["2.1.0"].ID}, model.StatusArchived); err != nil {
			return err
		}
		return tx.DeleteVersions([]int64{m["2.1.0"].ID})
	})
	view(t, s, func(tx meta.Tx) error {
		pk, err := tx.GetPackageByID(p.ID)
		if err != nil || pk.Generation <= gen {
			return fmt.Errorf("generation did not advance: %d -> %+v, %v", gen, pk, err)
		}
		m, err := tx.GetVersions(p.ID, []string{"1.0.0", "2.1.0"})
		if err != nil || len(m) != 1 || m["1.0.0"].Status != model.StatusArchived {
			return fmt.Errorf("after status change and delete: %v, %v", m, err)
		}
		return nil
	})
}

// Keyset pagination must neither skip nor repeat versions that existed
// throughout, while others are added and removed between pages.
func testVersionPagination(t *testing.T, s meta.Store) {
	_, _, p := fixture(t, s)
	update(t, s, func(tx meta.Tx) error {
		for i := 0; i < 50; i++ {
			if err := tx.CreateVersion(newVersion(p.ID, fmt.Sprintf("1.%03d", i), model.StatusPublished, epoch.Add(time.Duration(i%7)*time.Minute))); err != nil {
				return err
			}
		}
		return nil
	})
	for _, sortBy := range []string{meta.SortByVersion, meta.SortByPublished} {
		seen := map[string]int{}
		after := ""
		for page := 0; ; page++ {
			var got []*model.Version
			view(t, s, func(tx meta.Tx) (err error) {
				got, err = tx.ListVersions(p.ID, meta.VersionFilter{Sort: sortBy, After: after, Limit: 7})
				return err
			})
			if len(got) == 0 {
				break
			}
			for _, v := range got {
				seen[v.Version]++
			}
			after = meta.VersionCursor(got[len(got)-1], sortBy)
			// Churn between pages: add a version, remove a new one.
			update(t, s, func(tx meta.Tx) error {
				return tx.CreateVersion(newVersion(p.ID, fmt.Sprintf("9.%s.%03d", sortBy, page), model.StatusPublished, epoch.Add(time.Hour)))
			})
		}
		for i := 0; i < 50; i++ {
			if n := seen[fmt.Sprintf("1.%03d", i)]; n != 1 {
				t.Errorf("sort %q: version 1.%03d seen %d times", sortBy, i, n)
			}
		}
	}
}

func testAssets(t *testing.T, s meta.Store) {
	_, _, p := fixture(t, s)
	v := newVersion(p.ID, "1.0.0", model.StatusPublished, epoch)
	update(t, s, func(tx meta.Tx) error {
		if err := tx.CreateVersion(v); err != nil {
			return err
		}
		for _, name := range []string{"b.tgz", "a.tgz", "c.tgz"} {
			a := &model.Asset{VersionID: v.ID, Name: name, Size: 3, Hashes: model.Hashes{SHA256: "d-" + name}, Created: epoch}
			if err := tx.PutAsset(a); err != nil {
				return err
			}
		}
		if err := tx.PutAsset(&model.Asset{VersionID: v.ID, Name: "a.tgz", Hashes: model.Hashes{SHA256: "x"}}); !errors.Is(err, meta.ErrExists) {
			return fmt.Errorf("duplicate asset: %v", err)
		}
		return nil
	})
	view(t, s, func(tx meta.Tx) error {
		page, err := tx.ListAssets(v.ID, "", 2)
		if err != nil || len(page) != 2 || page[0].Name != "a.tgz" || page[1].Name != "b.tgz" {
			return fmt.Errorf("ListAssets = %v, %v", page, err)
		}
		page, err = tx.ListAssets(v.ID, "b.tgz", 2)
		if err != nil || len(page) != 1 || page[0].Name != "c.tgz" {
			return fmt.Errorf("ListAssets page 2 = %v, %v", page, err)
		}
		a, err := tx.GetAsset(v.ID, "c.tgz")
		if err != nil || a.Hashes.SHA256 != "d-c.tgz" || a.Size != 3 {
			return fmt.Errorf("GetAsset = %+v, %v", a, err)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error { return tx.DeleteAssets(v.ID) })
	view(t, s, func(tx meta.Tx) error {
		page, err := tx.ListAssets(v.ID, "", 0)
		if err != nil || len(page) != 0 {
			return fmt.Errorf("after DeleteAssets = %v, %v", page, err)
		}
		return nil
	})
}

func testBlobReferences(t *testing.T, s meta.Store) {
	_, _, p := fixture(t, s)
	now := epoch.Add(time.Hour)
	v := newVersion(p.ID, "1.0.0", model.StatusPublished, epoch)
	update(t, s, func(tx meta.Tx) error {
		if err := tx.LeaseBlob("leased", now.Add(time.Minute)); err != nil {
			return err
		}
		if err := tx.LeaseBlob("expired", now.Add(-time.Minute)); err != nil {
			return err
		}
		if err := tx.CreateVersion(v); err != nil {
			return err
		}
		for _, d := range []string{"used", "leased", "expired"} {
			if err := tx.PutAsset(&model.Asset{VersionID: v.ID, Name: d, Hashes: model.Hashes{SHA256: d}, Size: 1}); err != nil {
				return err
			}
		}
		// The assets of "leased" and "expired" go away with their
		// version's disposal; "used" stays referenced by a second version.
		v2 := newVersion(p.ID, "2.0.0", model.StatusPublished, epoch)
		if err := tx.CreateVersion(v2); err != nil {
			return err
		}
		if err := tx.PutAsset(&model.Asset{VersionID: v2.ID, Name: "used", Hashes: model.Hashes{SHA256: "used"}, Size: 1}); err != nil {
			return err
		}
		return tx.SetVersionStatus([]int64{v.ID}, model.StatusDisposed)
	})
	update(t, s, func(tx meta.Tx) error {
		for d, want := range map[string]bool{"used": true, "leased": true, "expired": false, "never": false} {
			got, err := tx.BlobReferenced(d, now)
			if err != nil || got != want {
				return fmt.Errorf("BlobReferenced(%s) = %v, %v; want %v", d, got, err, want)
			}
		}
		un, err := tx.UnreferencedBlobs(now, 0)
		if err != nil || len(un) != 1 || un[0] != "expired" {
			return fmt.Errorf("UnreferencedBlobs = %v, %v", un, err)
		}
		if err := tx.PruneBlobLeases(now); err != nil {
			return err
		}
		if err := tx.ReleaseBlob("leased"); err != nil {
			return err
		}
		un, err = tx.UnreferencedBlobs(now, 0)
		if err != nil || len(un) != 2 {
			return fmt.Errorf("after release = %v, %v", un, err)
		}
		if known, err := tx.KnownBlob("expired"); err != nil || !known {
			return fmt.Errorf("KnownBlob = %v, %v", known, err)
		}
		if err := tx.ForgetBlob("expired"); err != nil {
			return err
		}
		if known, err := tx.KnownBlob("expired"); err != nil || known {
			return fmt.Errorf("KnownBlob after forget = %v, %v", known, err)
		}
		return nil
	})
}

func testTags(t *testing.T, s meta.Store) {
	update(t, s, func(tx meta.Tx) error {
		if err := tx.SetTags("arn:d", []meta.Tag{{Key: "b", Value: "2"}, {Key: "a", Value: "1"}}); err != nil {
			return err
		}
		if err := tx.SetTags("arn:d/r", []meta.Tag{{Key: "k", Value: "v"}}); err != nil {
			return err
		}
		if err := tx.SetTags("arn:d", []meta.Tag{{Key: "a", Value: "changed"}}); err != nil {
			return err
		}
		if err := tx.RemoveTags("arn:d", []string{"b", "missing"}); err != nil {
			return err
		}
		got, err := tx.GetTags("arn:d")
		if err != nil || len(got) != 1 || got[0] != (meta.Tag{Key: "a", Value: "changed"}) {
			return fmt.Errorf("GetTags = %v, %v", got, err)
		}
		if err := tx.DeleteTags("arn:d"); err != nil {
			return err
		}
		got, err = tx.GetTags("arn:d")
		if err != nil || len(got) != 0 {
			return fmt.Errorf("after DeleteTags = %v, %v", got, err)
		}
		got, err = tx.GetTags("arn:d/r")
		if err != nil || len(got) != 1 {
			return fmt.Errorf("DeleteTags touched another resource: %v, %v", got, err)
		}
		return nil
	})
}

func testSettings(t *testing.T, s meta.Store) {
	update(t, s, func(tx meta.Tx) error {
		if _, err := tx.GetSetting("k"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("missing setting: %v", err)
		}
		if err := tx.PutSetting("k", "1"); err != nil {
			return err
		}
		if err := tx.PutSetting("k", "2"); err != nil {
			return err
		}
		v, err := tx.GetSetting("k")
		if err != nil || v != "2" {
			return fmt.Errorf("GetSetting = %q, %v", v, err)
		}
		return nil
	})
}

func testCascade(t *testing.T, s meta.Store) {
	d, r, p := fixture(t, s)
	v := newVersion(p.ID, "1.0.0", model.StatusPublished, epoch)
	update(t, s, func(tx meta.Tx) error {
		if err := tx.CreateVersion(v); err != nil {
			return err
		}
		return tx.PutAsset(&model.Asset{VersionID: v.ID, Name: "a", Hashes: model.Hashes{SHA256: "h"}, Size: 5})
	})
	view(t, s, func(tx meta.Tx) error {
		n, size, err := tx.DomainUsage(d.ID)
		if err != nil || n != 1 || size != 5 {
			return fmt.Errorf("DomainUsage = %d, %d, %v", n, size, err)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error { return tx.DeleteDomain(d.ID) })
	view(t, s, func(tx meta.Tx) error {
		if _, err := tx.GetRepository(d.ID, r.Name); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("repository survived its domain: %v", err)
		}
		if _, err := tx.GetPackageByID(p.ID); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("package survived its domain: %v", err)
		}
		if a, err := tx.ListAssets(v.ID, "", 0); err != nil || len(a) != 0 {
			return fmt.Errorf("assets survived: %v, %v", a, err)
		}
		if ref, err := tx.BlobReferenced("h", epoch); err != nil || ref {
			return fmt.Errorf("blob still referenced: %v, %v", ref, err)
		}
		return nil
	})
}

func testRollback(t *testing.T, s meta.Store) {
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx meta.Tx) error {
		if err := tx.CreateDomain(&model.Domain{Name: "gone", Owner: "111122223333", CreatedTime: epoch}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	view(t, s, func(tx meta.Tx) error {
		if _, err := tx.GetDomain("111122223333", "gone"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("rolled-back domain visible: %v", err)
		}
		return nil
	})
}

// Read-modify-write inside Update must never lose an increment.
func testSerializedUpdates(t *testing.T, s meta.Store) {
	const workers, rounds = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				err := s.Update(ctx, func(tx meta.Tx) error {
					v, err := tx.GetSetting("counter")
					if errors.Is(err, meta.ErrNotFound) {
						v, err = "0", nil
					}
					if err != nil {
						return err
					}
					var n int
					fmt.Sscan(v, &n)
					return tx.PutSetting("counter", fmt.Sprint(n+1))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	view(t, s, func(tx meta.Tx) error {
		v, err := tx.GetSetting("counter")
		if err != nil || v != fmt.Sprint(workers*rounds) {
			return fmt.Errorf("counter = %s, %v; want %d", v, err, workers*rounds)
		}
		return nil
	})
}

// Caches key derived documents on (package ID, generation): a package
// deleted and created again must never present a pair seen before.
func testRecreatedPackageIdentity(t *testing.T, s meta.Store) {
	_, r, p := fixture(t, s)
	type pair struct{ id, gen int64 }
	seen := map[pair]bool{{p.ID, p.Generation}: true}
	for i := 0; i < 3; i++ {
		update(t, s, func(tx meta.Tx) error {
			if err := tx.DeletePackage(p.ID); err != nil {
				return err
			}
			p = &model.Package{RepositoryID: r.ID, Key: p.Key, Origin: model.DefaultOriginForPublish}
			return tx.CreatePackage(p)
		})
		var got *model.Package
		view(t, s, func(tx meta.Tx) (err error) {
			got, err = tx.GetPackageByID(p.ID)
			return err
		})
		if got.Generation != p.Generation {
			t.Fatalf("CreatePackage reported generation %d, stored %d", p.Generation, got.Generation)
		}
		k := pair{got.ID, got.Generation}
		if seen[k] {
			t.Fatalf("re-created package reuses (id %d, generation %d)", k.id, k.gen)
		}
		seen[k] = true
	}
}
