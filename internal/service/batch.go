package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

type DeletePackageVersionsInput struct {
	PackageRef
	Versions       []string     `json:"versions"`
	ExpectedStatus model.Status `json:"expectedStatus"`
}

type DisposePackageVersionsInput struct {
	PackageRef
	Versions         []string          `json:"versions"`
	VersionRevisions map[string]string `json:"versionRevisions"`
	ExpectedStatus   model.Status      `json:"expectedStatus"`
}

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

func (s *Service) DeletePackageVersions(ctx context.Context, c Caller, in DeletePackageVersionsInput) (*BatchOutput, error) {
	return s.runBatch(ctx, c, in.PackageRef, "DeletePackageVersions", model.Batch{Op: model.OpDelete, Versions: in.Versions, Expected: in.ExpectedStatus})
}

func (s *Service) DisposePackageVersions(ctx context.Context, c Caller, in DisposePackageVersionsInput) (*BatchOutput, error) {
	return s.runBatch(ctx, c, in.PackageRef, "DisposePackageVersions", model.Batch{Op: model.OpDispose, Versions: in.Versions, Revisions: in.VersionRevisions, Expected: in.ExpectedStatus})
}

func (s *Service) UpdatePackageVersionsStatus(ctx context.Context, c Caller, in UpdatePackageVersionsStatusInput) (*BatchOutput, error) {
	return s.runBatch(ctx, c, in.PackageRef, "UpdatePackageVersionsStatus", model.Batch{Op: model.OpUpdateStatus, Versions: in.Versions, Revisions: in.VersionRevisions, Expected: in.ExpectedStatus, Target: in.TargetStatus})
}

// normalizeVersions applies the format's version normalization to a batch.
func normalizeBatch(f model.Format, b *model.Batch) {
	for i, v := range b.Versions {
		b.Versions[i] = model.NormalizeVersion(f, v)
	}
	if len(b.Revisions) > 0 {
		revs := make(map[string]string, len(b.Revisions))
		for v, r := range b.Revisions {
			revs[model.NormalizeVersion(f, v)] = r
		}
		b.Revisions = revs
	}
}

// runBatch checks every version, then applies all changes in the same
// serialized transaction, so concurrent batches over the same versions
// see each other's results and never both succeed for one version.
func (s *Service) runBatch(ctx context.Context, c Caller, ref PackageRef, action string, b model.Batch) (*BatchOutput, error) {
	normalizeBatch(ref.Format, &b)
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

func (s *Service) CopyPackageVersions(ctx context.Context, c Caller, in CopyPackageVersionsInput) (*BatchOutput, error) {
	if (len(in.Versions) == 0) == (len(in.VersionRevisions) == 0) {
		return nil, model.InvalidParameter("Exactly one of versions or versionRevisions must be specified.")
	}
	if len(in.VersionRevisions) > model.MaxBatchVersions {
		return nil, model.Validationf("1 validation error detected: Value at 'versionRevisions' failed to satisfy constraint: Member must have length less than or equal to %d", model.MaxBatchVersions)
	}
	if in.SourceRepository == in.DestinationRepository {
		return nil, model.InvalidParameter("The source and destination repositories must be different.")
	}
	revs := map[string]string{}
	var versions []string
	seen := map[string]bool{}
	add := func(v string) {
		v = model.NormalizeVersion(in.Format, v)
		if !seen[v] {
			seen[v] = true
			versions = append(versions, v)
		}
	}
	for _, v := range in.Versions {
		add(v)
	}
	for v, r := range in.VersionRevisions {
		add(v)
		revs[model.NormalizeVersion(in.Format, v)] = r
	}
	sort.Strings(versions)
	out := BatchOutput{SuccessfulVersions: map[string]model.VersionResult{}, FailedVersions: map[string]model.VersionError{}}
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
		found, err := s.findForCopy(tx, src, versions, in.IncludeFromUpstream)
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
		for _, v := range versions {
			f, ok := found[v]
			switch {
			case !ok:
				out.FailedVersions[v] = model.VersionError{ErrorCode: model.CodeNotFound, ErrorMessage: fmt.Sprintf("version %s not found", v)}
				continue
			case revs[v] != "" && revs[v] != f.version.Revision:
				out.FailedVersions[v] = model.VersionError{ErrorCode: model.CodeMismatchedRevision, ErrorMessage: fmt.Sprintf("current revision: %s, expected revision: %s", f.version.Revision, revs[v])}
				continue
			case !copyable(f.version.Status):
				out.FailedVersions[v] = model.VersionError{ErrorCode: model.CodeNotAllowed, ErrorMessage: fmt.Sprintf("version %s is %s and cannot be copied", v, f.version.Status)}
				continue
			case existing[v] != nil && !in.AllowOverwrite:
				out.FailedVersions[v] = model.VersionError{ErrorCode: model.CodeAlreadyExists, ErrorMessage: fmt.Sprintf("version %s already exists in repository %s", v, in.DestinationRepository)}
				continue
			}
			if dp == nil {
				dp = &model.Package{RepositoryID: dst.repo.ID, Key: dst.key, Origin: model.DefaultOriginForPublish}
				if err := tx.CreatePackage(dp); err != nil {
					return err
				}
			}
			if err := s.copyVersion(tx, f, dp, existing[v]); err != nil {
				return err
			}
			overwrote = overwrote || existing[v] != nil
			out.SuccessfulVersions[v] = model.VersionResult{Revision: f.version.Revision, Status: f.version.Status}
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

func copyable(st model.Status) bool {
	return st == model.StatusPublished || st == model.StatusUnlisted || st == model.StatusArchived
}

// findForCopy looks the versions up in the source repository and, when
// asked, in its upstreams (depth-first in priority order, as resolution
// does).
func (s *Service) findForCopy(tx meta.Tx, src *pkgScope, versions []string, upstream bool) (map[string]copySource, error) {
	found := map[string]copySource{}
	visited := map[string]bool{}
	var visit func(r *model.Repository) error
	visit = func(r *model.Repository) error {
		if visited[r.Name] || len(visited) >= 25 {
			return nil
		}
		visited[r.Name] = true
		p, err := tx.GetPackage(r.ID, src.key)
		if err == nil {
			vs, err := tx.GetVersions(p.ID, versions)
			if err != nil {
				return err
			}
			for name := range vs {
				if _, ok := found[name]; !ok {
					full, err := tx.GetVersion(p.ID, name)
					if err != nil {
						return err
					}
					found[name] = copySource{pkg: p, version: full}
				}
			}
		} else if !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		if !upstream {
			return nil
		}
		for _, name := range r.Upstreams {
			up, err := tx.GetRepository(src.domain.ID, name)
			if errors.Is(err, meta.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if err := visit(up); err != nil {
				return err
			}
		}
		return nil
	}
	return found, visit(src.repo)
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
