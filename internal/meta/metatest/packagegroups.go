package metatest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

func patterns(gs []*model.PackageGroup) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.Pattern
	}
	return out
}

func newGroup(domainID int64, pattern string) *model.PackageGroup {
	return &model.PackageGroup{DomainID: domainID, Pattern: pattern, CreatedTime: epoch.Add(1), Modes: model.DefaultGroupModes(pattern)}
}

// Every domain has its root group from the start; groups are unique by
// their case-folded pattern and load with their modes and list lengths.
func testPackageGroups(t *testing.T, s meta.Store) {
	d, _, _ := fixture(t, s)
	view(t, s, func(tx meta.Tx) error {
		root, err := tx.GetPackageGroup(d.ID, "/*")
		if err != nil {
			return fmt.Errorf("root group of a new domain: %v", err)
		}
		if root.Pattern != "/*" || !root.CreatedTime.Equal(epoch) || root.DomainID != d.ID {
			return fmt.Errorf("root = %+v", root)
		}
		for _, rt := range model.RestrictionTypes {
			if root.Modes[rt] != model.ModeAllow || root.AllowedCounts[rt] != 0 {
				return fmt.Errorf("root %s = %s (%d repositories)", rt, root.Modes[rt], root.AllowedCounts[rt])
			}
		}
		return nil
	})
	var created []*model.PackageGroup
	update(t, s, func(tx meta.Tx) error {
		for _, p := range []string{"/npm/*", "/npm/space/*", "/maven/com.example/*", "/pypi//requests$"} {
			g := newGroup(d.ID, p)
			g.ContactInfo, g.Description = "team@"+p, "about "+p
			if err := tx.CreatePackageGroup(g); err != nil {
				return err
			}
			if g.ID == 0 {
				return fmt.Errorf("CreatePackageGroup did not set ID")
			}
			created = append(created, g)
		}
		for _, dup := range []string{"/npm/*", "/maven/Com.Example/*", "/*"} {
			if err := tx.CreatePackageGroup(newGroup(d.ID, dup)); !errors.Is(err, meta.ErrExists) {
				return fmt.Errorf("duplicate %s: %v, want ErrExists", dup, err)
			}
		}
		return nil
	})
	// The same pattern in another domain is another group.
	other := &model.Domain{Name: "other", Owner: d.Owner, CreatedTime: epoch}
	update(t, s, func(tx meta.Tx) error {
		if err := tx.CreateDomain(other); err != nil {
			return err
		}
		return tx.CreatePackageGroup(newGroup(other.ID, "/npm/*"))
	})
	view(t, s, func(tx meta.Tx) error {
		g, err := tx.GetPackageGroup(d.ID, "/maven/COM.EXAMPLE/*")
		if err != nil || g.Pattern != "/maven/com.example/*" || g.ContactInfo != "team@/maven/com.example/*" || g.Description != "about /maven/com.example/*" ||
			!g.CreatedTime.Equal(epoch.Add(1)) || g.Modes[model.RestrictionPublish] != model.ModeInherit {
			return fmt.Errorf("GetPackageGroup by another case = %+v, %v", g, err)
		}
		if _, err := tx.GetPackageGroup(d.ID, "/npm/other/*"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("missing group: %v", err)
		}
		all, err := tx.ListPackageGroups(d.ID)
		if want := []string{"/*", "/maven/com.example/*", "/npm/*", "/npm/space/*", "/pypi//requests$"}; err != nil || !slices.Equal(patterns(all), want) {
			return fmt.Errorf("ListPackageGroups = %v, %v; want %v", patterns(all), err, want)
		}
		npm, err := tx.ListPackageGroups(d.ID, "", model.FormatNpm)
		if want := []string{"/*", "/npm/*", "/npm/space/*"}; err != nil || !slices.Equal(patterns(npm), want) {
			return fmt.Errorf("npm groups = %v, %v; want %v", patterns(npm), err, want)
		}
		pypi, err := tx.ListPackageGroups(d.ID, model.FormatPyPI)
		if want := []string{"/pypi//requests$"}; err != nil || !slices.Equal(patterns(pypi), want) {
			return fmt.Errorf("pypi groups without the root = %v, %v", patterns(pypi), err)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error {
		g := created[1]
		g.ContactInfo, g.Description = "", "changed"
		g.Modes[model.RestrictionPublish] = model.ModeBlock
		g.Modes[model.RestrictionExternalUpstream] = model.ModeAllowSpecificRepo
		return tx.UpdatePackageGroup(g)
	})
	view(t, s, func(tx meta.Tx) error {
		g, err := tx.GetPackageGroup(d.ID, "/npm/space/*")
		if err != nil || g.ContactInfo != "" || g.Description != "changed" || g.Modes[model.RestrictionPublish] != model.ModeBlock ||
			g.Modes[model.RestrictionExternalUpstream] != model.ModeAllowSpecificRepo || g.Modes[model.RestrictionInternalUpstream] != model.ModeInherit {
			return fmt.Errorf("after update = %+v, %v", g, err)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error { return tx.DeletePackageGroup(created[0].ID) })
	view(t, s, func(tx meta.Tx) error {
		if _, err := tx.GetPackageGroup(d.ID, "/npm/*"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("deleted group: %v", err)
		}
		if _, err := tx.GetPackageGroup(other.ID, "/npm/*"); err != nil {
			return fmt.Errorf("the other domain's group went too: %v", err)
		}
		return nil
	})
	// A domain's groups go with it.
	update(t, s, func(tx meta.Tx) error { return tx.DeleteDomain(other.ID) })
	view(t, s, func(tx meta.Tx) error {
		if gs, err := tx.ListPackageGroups(other.ID); err != nil || len(gs) != 0 {
			return fmt.Errorf("groups of a deleted domain: %v, %v", patterns(gs), err)
		}
		return nil
	})
}

func testAllowedRepositories(t *testing.T, s meta.Store) {
	d, r, _ := fixture(t, s)
	g := newGroup(d.ID, "/npm/*")
	var repos []*model.Repository
	update(t, s, func(tx meta.Tx) error {
		if err := tx.CreatePackageGroup(g); err != nil {
			return err
		}
		for _, name := range []string{"zeta", "alpha", "mid"} {
			nr := &model.Repository{DomainID: d.ID, Name: name, AdministratorAccount: d.Owner, CreatedTime: epoch}
			if err := tx.CreateRepository(nr); err != nil {
				return err
			}
			repos = append(repos, nr)
		}
		for _, nr := range append(repos, r) {
			if added, err := tx.AddAllowedRepository(g.ID, model.RestrictionPublish, nr.ID); err != nil || !added {
				return fmt.Errorf("add %s: %v, %v", nr.Name, added, err)
			}
		}
		if added, err := tx.AddAllowedRepository(g.ID, model.RestrictionPublish, r.ID); err != nil || added {
			return fmt.Errorf("adding twice: %v, %v", added, err)
		}
		if added, err := tx.AddAllowedRepository(g.ID, model.RestrictionInternalUpstream, r.ID); err != nil || !added {
			return fmt.Errorf("add to another list: %v, %v", added, err)
		}
		return nil
	})
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.GetPackageGroup(d.ID, "/npm/*")
		if err != nil || got.AllowedCounts[model.RestrictionPublish] != 4 || got.AllowedCounts[model.RestrictionInternalUpstream] != 1 ||
			got.AllowedCounts[model.RestrictionExternalUpstream] != 0 {
			return fmt.Errorf("counts = %v, %v", got.AllowedCounts, err)
		}
		page1, err := tx.ListAllowedRepositories(g.ID, model.RestrictionPublish, "", 2)
		if err != nil || !slices.Equal(page1, []string{"alpha", "mid"}) {
			return fmt.Errorf("page 1 = %v, %v", page1, err)
		}
		page2, err := tx.ListAllowedRepositories(g.ID, model.RestrictionPublish, "mid", 2)
		if err != nil || !slices.Equal(page2, []string{"repo", "zeta"}) {
			return fmt.Errorf("page 2 = %v, %v", page2, err)
		}
		if ok, err := tx.AllowedRepository(g.ID, model.RestrictionPublish, repos[0].ID); err != nil || !ok {
			return fmt.Errorf("AllowedRepository zeta = %v, %v", ok, err)
		}
		if ok, err := tx.AllowedRepository(g.ID, model.RestrictionExternalUpstream, repos[0].ID); err != nil || ok {
			return fmt.Errorf("AllowedRepository on another list = %v, %v", ok, err)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error {
		if removed, err := tx.RemoveAllowedRepository(g.ID, model.RestrictionPublish, repos[2].ID); err != nil || !removed {
			return fmt.Errorf("remove mid: %v, %v", removed, err)
		}
		if removed, err := tx.RemoveAllowedRepository(g.ID, model.RestrictionPublish, repos[2].ID); err != nil || removed {
			return fmt.Errorf("removing twice: %v, %v", removed, err)
		}
		// Deleting a repository takes it off every list.
		return tx.DeleteRepository(repos[0].ID)
	})
	view(t, s, func(tx meta.Tx) error {
		names, err := tx.ListAllowedRepositories(g.ID, model.RestrictionPublish, "", 0)
		if err != nil || !slices.Equal(names, []string{"alpha", "repo"}) {
			return fmt.Errorf("after removals = %v, %v", names, err)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error {
		names, err := tx.ClearAllowedRepositories(g.ID, model.RestrictionPublish)
		if err != nil || !slices.Equal(names, []string{"alpha", "repo"}) {
			return fmt.Errorf("ClearAllowedRepositories = %v, %v", names, err)
		}
		return nil
	})
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.GetPackageGroup(d.ID, "/npm/*")
		if err != nil || got.AllowedCounts[model.RestrictionPublish] != 0 || got.AllowedCounts[model.RestrictionInternalUpstream] != 1 {
			return fmt.Errorf("counts after clear = %v, %v", got.AllowedCounts, err)
		}
		return nil
	})
	// Deleting the group drops its lists.
	update(t, s, func(tx meta.Tx) error { return tx.DeletePackageGroup(g.ID) })
	view(t, s, func(tx meta.Tx) error {
		if names, err := tx.ListAllowedRepositories(g.ID, model.RestrictionInternalUpstream, "", 0); err != nil || len(names) != 0 {
			return fmt.Errorf("lists of a deleted group: %v, %v", names, err)
		}
		return nil
	})
}

func testDomainPackages(t *testing.T, s meta.Store) {
	d, r, p := fixture(t, s)
	keys := []model.PackageKey{
		{Format: model.FormatNpm, Namespace: "types", Name: "node"},
		{Format: model.FormatPyPI, Name: "requests"},
		{Format: model.FormatMaven, Namespace: "com.acme", Name: "lib"},
	}
	update(t, s, func(tx meta.Tx) error {
		r2 := &model.Repository{DomainID: d.ID, Name: "second", AdministratorAccount: d.Owner, CreatedTime: epoch}
		if err := tx.CreateRepository(r2); err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.CreatePackage(&model.Package{RepositoryID: r.ID, Key: k, Origin: model.DefaultOriginForPublish}); err != nil {
				return err
			}
		}
		// The same package in two repositories is listed once.
		if err := tx.CreatePackage(&model.Package{RepositoryID: r2.ID, Key: p.Key, Origin: model.DefaultOriginForPublish}); err != nil {
			return err
		}
		// Another domain's packages are not listed.
		od := &model.Domain{Name: "elsewhere", Owner: d.Owner, CreatedTime: epoch}
		if err := tx.CreateDomain(od); err != nil {
			return err
		}
		or := &model.Repository{DomainID: od.ID, Name: "repo", AdministratorAccount: d.Owner, CreatedTime: epoch}
		if err := tx.CreateRepository(or); err != nil {
			return err
		}
		return tx.CreatePackage(&model.Package{RepositoryID: or.ID, Key: model.PackageKey{Format: model.FormatNpm, Name: "stranger"}, Origin: model.DefaultOriginForPublish})
	})
	view(t, s, func(tx meta.Tx) error {
		all, err := tx.ListDomainPackages(d.ID, nil, "", 0)
		want := []model.PackageKey{keys[2], p.Key, keys[0], keys[1]}
		if err != nil || !slices.Equal(all, want) {
			return fmt.Errorf("ListDomainPackages = %v, %v; want %v", all, err, want)
		}
		page, err := tx.ListDomainPackages(d.ID, nil, meta.PackageCursor(&model.Package{Key: p.Key}), 1)
		if err != nil || !slices.Equal(page, want[2:3]) {
			return fmt.Errorf("after %v = %v, %v", p.Key, page, err)
		}
		npm, err := tx.ListDomainPackages(d.ID, []model.Format{model.FormatNpm, model.FormatPyPI}, "", 0)
		if err != nil || !slices.Equal(npm, want[1:]) {
			return fmt.Errorf("npm and pypi = %v, %v", npm, err)
		}
		return nil
	})
}
