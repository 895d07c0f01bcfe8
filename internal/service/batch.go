package service

import (
	"context"
	"errors"
	"slices"
	"sort"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// DeletePackageVersionsInput is DeletePackageVersions' request.
type DeletePackageVersionsInput struct {
	PackageRef
	Versions       []string     `json:"versions"`
	ExpectedStatus model.Status `json:"expectedStatus"`
}

// DisposePackageVersionsInput is DisposePackageVersions' request.
type DisposePackageVersionsInput struct {
	PackageRef
	Versions         []string          `json:"versions"`
	VersionRevisions map[string]string `json:"versionRevisions"`
	ExpectedStatus   model.Status      `json:"expectedStatus"`
}

// UpdatePackageVersionsStatusInput is UpdatePackageVersionsStatus' request.
type UpdatePackageVersionsStatusInput struct {
	PackageRef
	Versions         []string          `json:"versions"`
	VersionRevisions map[string]string `json:"versionRevisions"`
	ExpectedStatus   model.Status      `json:"expectedStatus"`
	TargetStatus     model.Status      `json:"targetStatus"`
}

// BatchOutput is the per-version result of the batch operations.
type BatchOutput struct {
	SuccessfulVersions map[string]model.VersionResult `json:"successfulVersions"`
	FailedVersions     map[string]model.VersionError  `json:"failedVersions"`
}

// DeletePackageVersions removes versions of a package, all or none (Decision 1).
func (s *Service) DeletePackageVersions(ctx context.Context, c Caller, in DeletePackageVersionsInput) (*BatchOutput, error) {
	return s.runBatch(ctx, c, in.PackageRef, "DeletePackageVersions", model.Batch{Op: model.OpDelete, Versions: in.Versions, Expected: in.ExpectedStatus})
}

// DisposePackageVersions marks versions Disposed and frees their bytes, all or none.
func (s *Service) DisposePackageVersions(ctx context.Context, c Caller, in DisposePackageVersionsInput) (*BatchOutput, error) {
	return s.runBatch(ctx, c, in.PackageRef, "DisposePackageVersions", model.Batch{Op: model.OpDispose, Versions: in.Versions, Revisions: in.VersionRevisions, Expected: in.ExpectedStatus})
}

// UpdatePackageVersionsStatus moves versions to Published, Unlisted or Archived, all or none.
func (s *Service) UpdatePackageVersionsStatus(ctx context.Context, c Caller, in UpdatePackageVersionsStatusInput) (*BatchOutput, error) {
	return s.runBatch(ctx, c, in.PackageRef, "UpdatePackageVersionsStatus", model.Batch{Op: model.OpUpdateStatus, Versions: in.Versions, Revisions: in.VersionRevisions, Expected: in.ExpectedStatus, Target: in.TargetStatus})
}

// normalizeVersions applies the format's version normalization to a
// request's versions and the keys of its versionRevisions.
func normalizeVersions(f model.Format, versions []string, revs map[string]string) ([]string, map[string]string) {
	out := make([]string, len(versions))
	for i, v := range versions {
		out[i] = model.NormalizeVersion(f, v)
	}
	if len(revs) == 0 {
		return out, revs
	}
	norm := make(map[string]string, len(revs))
	for v, r := range revs {
		norm[model.NormalizeVersion(f, v)] = r
	}
	return out, norm
}

// runBatch checks every version, then applies all changes in the same
// serialized transaction, so concurrent batches over the same versions
// see each other's results and never both succeed for one version.
func (s *Service) runBatch(ctx context.Context, c Caller, ref PackageRef, action string, b model.Batch) (*BatchOutput, error) {
	b.Versions, b.Revisions = normalizeVersions(ref.Format, b.Versions, b.Revisions)
	if err := b.Check(); err != nil {
		return nil, err
	}
	var out BatchOutput
	var pkgID int64
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		sc, err := s.resolvePackage(ctx, tx, c, ref, action)
		if err != nil {
			return err
		}
		p, err := s.getPackage(tx, sc.repo, sc.key)
		if err != nil {
			return err
		}
		pkgID = p.ID
		current, err := tx.GetVersions(p.ID, b.Unique())
		if err != nil {
			return err
		}
		ok, failed := b.Plan(current)
		out = BatchOutput{SuccessfulVersions: ok, FailedVersions: failed}
		if len(ok) == 0 {
			return nil
		}
		ids := make([]int64, 0, len(ok))
		names := make([]string, 0, len(ok))
		for v := range ok {
			ids = append(ids, current[v].ID)
			names = append(names, v)
		}
		sort.Strings(names)
		rules := s.rulesOf(p.Key.Format)
		switch b.Op {
		case model.OpDelete:
			if err := s.trashVersions(tx, sc.domain.ID, p.ID, ok); err != nil {
				return err
			}
			if err := tx.DeleteVersions(ids); err != nil {
				return err
			}
			if rules.VersionsDeleted != nil {
				return rules.VersionsDeleted(tx, p.ID, names)
			}
			return nil
		default:
			target := b.Target
			if b.Op == model.OpDispose {
				target = model.StatusDisposed
			}
			if err := tx.SetVersionStatus(ids, target); err != nil {
				return err
			}
			if rules.StatusChanged != nil {
				return rules.StatusChanged(tx, p.ID, names, target)
			}
			return nil
		}
	})
	if err != nil {
		return nil, wrap(action, err)
	}
	if len(out.SuccessfulVersions) > 0 {
		s.changed(pkgID)
		if b.Op != model.OpUpdateStatus {
			s.kickGC()
		}
	}
	return &out, nil
}

// CopyPackageVersionsInput is CopyPackageVersions' request.
type CopyPackageVersionsInput struct {
	Domain                string            `json:"domain"`
	DomainOwner           string            `json:"domainOwner"`
	SourceRepository      string            `json:"sourceRepository"`
	DestinationRepository string            `json:"destinationRepository"`
	Format                model.Format      `json:"format"`
	Namespace             string            `json:"namespace"`
	Package               string            `json:"package"`
	Versions              []string          `json:"versions"`
	VersionRevisions      map[string]string `json:"versionRevisions"`
	AllowOverwrite        bool              `json:"allowOverwrite"`
	IncludeFromUpstream   bool              `json:"includeFromUpstream"`
}

// copySource is where a version to copy was found.
type copySource struct {
	pkg     *model.Package
	version *model.Version
}

// CopyPackageVersions copies versions, with their assets' records and
// the dist-tags pointing at them, from one repository into another.
// With includeFromUpstream each version is taken from the nearest
// repository of the source's resolution chain that has it, walked as a
// read of the source would walk it (walkChain).
func (s *Service) CopyPackageVersions(ctx context.Context, c Caller, in CopyPackageVersionsInput) (*BatchOutput, error) {
	cp := model.Copy{Source: in.SourceRepository, Destination: in.DestinationRepository,
		Versions: in.Versions, Revisions: in.VersionRevisions, AllowOverwrite: in.AllowOverwrite}
	cp.Versions, cp.Revisions = normalizeVersions(in.Format, cp.Versions, cp.Revisions)
	if err := cp.Check(); err != nil {
		return nil, err
	}
	versions := cp.Unique()
	var out BatchOutput
	var dstPkgID int64
	var overwrote bool
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		src, err := s.resolvePackage(ctx, tx, c, PackageRef{Domain: in.Domain, DomainOwner: in.DomainOwner, Repository: in.SourceRepository, Format: in.Format, Namespace: in.Namespace, Package: in.Package}, "ReadFromRepository")
		if err != nil {
			return err
		}
		dst, err := s.resolvePackage(ctx, tx, c, PackageRef{Domain: in.Domain, DomainOwner: in.DomainOwner, Repository: in.DestinationRepository, Format: in.Format, Namespace: in.Namespace, Package: in.Package}, "CopyPackageVersions")
		if err != nil {
			return err
		}
		found, err := s.findForCopy(ctx, tx, c, src, versions, in.IncludeFromUpstream)
		if err != nil {
			return err
		}
		if len(found) == 0 && !in.IncludeFromUpstream {
			// The package itself must exist in the source repository.
			if _, err := s.getPackage(tx, src.repo, src.key); err != nil {
				return err
			}
		}
		dp, err := tx.GetPackage(dst.repo.ID, dst.key)
		if errors.Is(err, meta.ErrNotFound) {
			dp, err = nil, nil
		}
		if err != nil {
			return err
		}
		var existing map[string]*model.Version
		if dp != nil {
			if existing, err = tx.GetVersions(dp.ID, versions); err != nil {
				return err
			}
		}
		sources := make(map[string]*model.Version, len(found))
		for v, f := range found {
			sources[v] = f.version
		}
		ok, failed := cp.Plan(sources, existing)
		out = BatchOutput{SuccessfulVersions: ok, FailedVersions: failed}
		for _, v := range versions {
			if _, planned := ok[v]; !planned {
				continue
			}
			if dp == nil {
				dp = &model.Package{RepositoryID: dst.repo.ID, Key: dst.key, Origin: model.DefaultOriginForPublish}
				if err := tx.CreatePackage(dp); err != nil {
					return err
				}
			}
			if err := s.copyVersion(tx, found[v], dp, existing[v]); err != nil {
				return err
			}
			overwrote = overwrote || existing[v] != nil
		}
		if dp != nil {
			dstPkgID = dp.ID
			return s.copiedHook(tx, found, dp, out.SuccessfulVersions)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("copy package versions", err)
	}
	if dstPkgID != 0 {
		s.changed(dstPkgID)
	}
	if overwrote {
		s.kickGC() // the replaced assets' bytes may now be unreferenced
	}
	return &out, nil
}

// findForCopy finds each version's nearest copy: in the source repository
// alone, or with upstream along the chain a read of the source by the
// same caller would walk (walkChain: upstreams the caller may not read
// from are skipped, and the origin rules prune the chain as they do for
// resolution).
func (s *Service) findForCopy(ctx context.Context, tx meta.Tx, c Caller, src *pkgScope, versions []string, upstream bool) (map[string]copySource, error) {
	found := map[string]copySource{}
	err := s.walkChain(ctx, tx, c, src.domain, src.repo, src.key, func(st chainStep) (bool, error) {
		if st.pkg != nil {
			var missing []string
			for _, v := range versions {
				if _, ok := found[v]; !ok {
					missing = append(missing, v)
				}
			}
			vs, err := tx.GetVersions(st.pkg.ID, missing)
			if err != nil {
				return false, err
			}
			for name := range vs {
				// The whole version: the copy carries its readme, details
				// and format metadata.
				full, err := tx.GetVersion(st.pkg.ID, name)
				if err != nil {
					return false, err
				}
				found[name] = copySource{pkg: st.pkg, version: full}
			}
		}
		return !upstream || len(found) == len(versions), nil
	})
	return found, err
}

// copyVersion writes the source version and its asset records into the
// destination package. The bytes are shared: assets are stored once per
// content.
func (s *Service) copyVersion(tx meta.Tx, f copySource, dp *model.Package, existing *model.Version) error {
	nv := *f.version
	nv.PackageID = dp.ID
	if existing != nil {
		nv.ID = existing.ID
		if err := tx.DeleteAssets(existing.ID); err != nil {
			return err
		}
		if err := tx.UpdateVersion(&nv); err != nil {
			return err
		}
	} else {
		nv.ID = 0
		if err := tx.CreateVersion(&nv); err != nil {
			return err
		}
		// A version made anew under a deleted one's number replaces it
		// for good.
		if err := tx.ForgetTrashed(dp.ID, nv.Version); err != nil {
			return err
		}
	}
	after := ""
	for {
		as, err := tx.ListAssets(f.version.ID, after, 200)
		if err != nil {
			return err
		}
		for _, a := range as {
			na := *a
			na.ID, na.VersionID = 0, nv.ID
			if err := tx.PutAsset(&na); err != nil {
				return err
			}
		}
		if len(as) < 200 {
			return nil
		}
		after = as[len(as)-1].Name
	}
}

// copiedHook tells the format which versions were copied from each
// source package.
func (s *Service) copiedHook(tx meta.Tx, found map[string]copySource, dp *model.Package, copied map[string]model.VersionResult) error {
	hook := s.rulesOf(dp.Key.Format).VersionsCopied
	if hook == nil || len(copied) == 0 {
		return nil
	}
	bySource := map[int64][]string{}
	var sources []int64
	for v := range copied {
		id := found[v].pkg.ID
		if bySource[id] == nil {
			sources = append(sources, id)
		}
		bySource[id] = append(bySource[id], v)
	}
	slices.Sort(sources)
	for _, id := range sources {
		vs := bySource[id]
		sort.Strings(vs)
		if err := hook(tx, id, dp.ID, vs); err != nil {
			return err
		}
	}
	return nil
}
