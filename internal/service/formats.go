package service

import (
	"context"
	"errors"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// The methods in this file serve package-format endpoints: they read what
// a package manager may see, authorized as ReadFromRepository on the
// repository, and change what package managers change (dist-tags, version
// metadata), authorized as PutPackageMetadata.

// RepoRef names a repository.
type RepoRef struct {
	Domain      string
	DomainOwner string
	Repository  string
}

func (r RepoRef) pkg(k model.PackageKey) PackageRef {
	return PackageRef{Domain: r.Domain, DomainOwner: r.DomainOwner, Repository: r.Repository, Format: k.Format, Namespace: k.Namespace, Package: k.Name}
}

// Package returns a package reference in the repository.
func (r RepoRef) Package(f model.Format, namespace, name string) PackageRef {
	return r.pkg(model.PackageKey{Format: f, Namespace: namespace, Name: name})
}

// readScope resolves a repository and authorizes a package-manager read.
func (s *Service) readScope(ctx context.Context, tx meta.Tx, c Caller, ref RepoRef) (*model.Domain, *model.Repository, error) {
	d, r, err := s.getRepo(tx, ref.DomainOwner, ref.Domain, ref.Repository)
	if err != nil {
		return nil, nil, err
	}
	if err := s.authorize(ctx, c, "ReadFromRepository", s.repoARN(r), d.Owner); err != nil {
		return nil, nil, err
	}
	return d, r, nil
}

// readPackageScope checks ref's coordinate and resolves its repository
// for a package-manager read.
func (s *Service) readPackageScope(ctx context.Context, tx meta.Tx, c Caller, ref PackageRef) (model.PackageKey, *model.Domain, *model.Repository, error) {
	k, err := ref.key()
	if err != nil {
		return model.PackageKey{}, nil, nil, err
	}
	d, r, err := s.readScope(ctx, tx, c, RepoRef{ref.Domain, ref.DomainOwner, ref.Repository})
	return k, d, r, err
}

// readPackage resolves and loads a package for a package-manager read.
func (s *Service) readPackage(ctx context.Context, tx meta.Tx, c Caller, ref PackageRef) (*model.Package, error) {
	k, _, r, err := s.readPackageScope(ctx, tx, c, ref)
	if err != nil {
		return nil, err
	}
	return s.getPackage(tx, r, k)
}

// readVersion loads the summary of a version a package manager may fetch: Published or
// Unlisted, and Unfinished when asked. Any other reads as not found.
func (s *Service) readVersion(ctx context.Context, tx meta.Tx, c Caller, ref PackageRef, version string, unfinished bool) (*model.Package, *model.Version, error) {
	p, err := s.readPackage(ctx, tx, c, ref)
	if err != nil {
		return nil, nil, err
	}
	version = model.NormalizeVersion(ref.Format, version)
	// The summary row is enough to decide and serve a download; the
	// readme and format metadata can be large.
	vs, err := tx.GetVersions(p.ID, []string{version})
	if err != nil {
		return nil, nil, err
	}
	v := vs[version]
	if v == nil || !v.Status.Served(unfinished) {
		return nil, nil, versionNotFound(p.Key, version)
	}
	return p, v, nil
}

// PackageGeneration returns the package's generation, which changes with
// every change to it: the cheap validity check for cached documents.
func (s *Service) PackageGeneration(ctx context.Context, c Caller, ref PackageRef) (pkgID, gen int64, err error) {
	err = s.meta.View(ctx, func(tx meta.Tx) error {
		p, err := s.readPackage(ctx, tx, c, ref)
		if err != nil {
			return err
		}
		pkgID, gen = p.ID, p.Generation
		return nil
	})
	return pkgID, gen, err
}

// PackageView is everything a package manager's listing of one package is
// built from.
type PackageView struct {
	Package *model.Package
	// Versions are those a client may see or fetch: Published, Unlisted
	// and, when asked, Unfinished; with format metadata and details.
	Versions []*model.Version
	DistTags map[string]string
	Assets   map[int64][]*model.Asset // by version ID, when asked
}

// ViewOptions select what ViewPackage loads.
type ViewOptions struct {
	IncludeUnfinished bool
	WithAssets        bool
}

// ViewPackage loads a package for a package manager in one snapshot.
func (s *Service) ViewPackage(ctx context.Context, c Caller, ref PackageRef, opt ViewOptions) (*PackageView, error) {
	var view *PackageView
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		p, err := s.readPackage(ctx, tx, c, ref)
		if err != nil {
			return err
		}
		view, err = loadView(tx, p, opt)
		return err
	})
	if err != nil {
		return nil, err
	}
	return view, nil
}

// ListPackageKeys lists the packages of a format in a repository, for
// index pages.
func (s *Service) ListPackageKeys(ctx context.Context, c Caller, ref RepoRef, f model.Format) ([]model.PackageKey, error) {
	var out []model.PackageKey
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		_, r, err := s.readScope(ctx, tx, c, ref)
		if err != nil {
			return err
		}
		ps, err := tx.ListPackages(r.ID, meta.PackageFilter{Format: f})
		for _, p := range ps {
			out = append(out, p.Key)
		}
		return err
	})
	return out, err
}

// OpenAsset opens an asset of a downloadable version for a package
// manager. Archived, Disposed, Unfinished and missing versions read as not
// found. The caller must close the body.
func (s *Service) OpenAsset(ctx context.Context, c Caller, ref PackageRef, version, asset string) (*AssetContent, error) {
	var out AssetContent
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		p, v, err := s.readVersion(ctx, tx, c, ref, version, false)
		if err != nil {
			return err
		}
		a, err := tx.GetAsset(v.ID, asset)
		if errors.Is(err, meta.ErrNotFound) {
			return model.NotFound(model.ResourceAsset, asset, "Asset %s not found in %s %s", asset, model.DisplayName(p.Key), v.Version)
		}
		if err != nil {
			return err
		}
		out = AssetContent{Asset: a, Version: v.Version, Revision: v.Revision}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Body, err = s.blobs.Open(ctx, blob.Digest(out.Asset.Hashes.SHA256))
	if errors.Is(err, blob.ErrNotFound) {
		return nil, model.NotFound(model.ResourceAsset, asset, "Asset %s is no longer available.", asset)
	}
	if err != nil {
		return nil, err
	}
	s.countDownload(out.Asset.VersionID)
	return &out, nil
}

// metadataScope resolves a package for a metadata change by a package
// manager (PutPackageMetadata).
func (s *Service) metadataScope(ctx context.Context, tx meta.Tx, c Caller, ref PackageRef) (*model.Package, error) {
	sc, err := s.resolvePackage(ctx, tx, c, ref, "PutPackageMetadata")
	if err != nil {
		return nil, err
	}
	return s.getPackage(tx, sc.repo, sc.key)
}

// SetDistTag points an npm dist-tag at an existing, downloadable version.
func (s *Service) SetDistTag(ctx context.Context, c Caller, ref PackageRef, tag, version string) error {
	var pkgID int64
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		p, err := s.metadataScope(ctx, tx, c, ref)
		if err != nil {
			return err
		}
		vs, err := tx.GetVersions(p.ID, []string{version})
		if err != nil {
			return err
		}
		if v := vs[version]; v == nil || !v.Status.Downloadable() {
			return versionNotFound(p.Key, version)
		}
		pkgID = p.ID
		return tx.SetDistTag(p.ID, tag, version)
	})
	if err == nil {
		s.changed(pkgID)
	}
	return err
}

// DeleteDistTag removes an npm dist-tag.
func (s *Service) DeleteDistTag(ctx context.Context, c Caller, ref PackageRef, tag string) error {
	var pkgID int64
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		p, err := s.metadataScope(ctx, tx, c, ref)
		if err != nil {
			return err
		}
		tags, err := tx.DistTags(p.ID)
		if err != nil {
			return err
		}
		if _, ok := tags[tag]; !ok {
			return model.NotFound(model.ResourcePackage, tag, "Dist-tag %s not found on %s", tag, model.DisplayName(p.Key))
		}
		pkgID = p.ID
		return tx.DeleteDistTag(p.ID, tag)
	})
	if err == nil {
		s.changed(pkgID)
	}
	return err
}

// UpdateFormatMetadata rewrites versions' format metadata (npm deprecate)
// in one transaction. edit gets each existing version's current document
// and returns the new one; returning the same bytes leaves it unchanged.
func (s *Service) UpdateFormatMetadata(ctx context.Context, c Caller, ref PackageRef, edit func(version string, doc []byte) ([]byte, error)) error {
	var pkgID int64
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		p, err := s.metadataScope(ctx, tx, c, ref)
		if err != nil {
			return err
		}
		pkgID = p.ID
		vs, err := tx.ListVersions(p.ID, meta.VersionFilter{AllStatuses: true})
		if err != nil {
			return err
		}
		for _, summary := range vs {
			v, err := tx.GetVersion(p.ID, summary.Version)
			if err != nil {
				return err
			}
			doc, err := edit(v.Version, v.FormatMetadata)
			if err != nil {
				return err
			}
			if string(doc) == string(v.FormatMetadata) {
				continue
			}
			v.FormatMetadata = doc
			v.Revision = newRevision()
			if err := tx.UpdateVersion(v); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.changed(pkgID)
	}
	return err
}

// FinishVersions moves Unfinished versions to Published: Maven's
// maven-metadata.xml upload completes a version.
func (s *Service) FinishVersions(ctx context.Context, c Caller, ref PackageRef, versions []string) error {
	var pkgID int64
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		p, err := s.metadataScope(ctx, tx, c, ref)
		if err != nil {
			return err
		}
		pkgID = p.ID
		vs, err := tx.GetVersions(p.ID, versions)
		if err != nil {
			return err
		}
		var ids []int64
		for _, v := range vs {
			if v.Status == model.StatusUnfinished {
				ids = append(ids, v.ID)
			}
		}
		return tx.SetVersionStatus(ids, model.StatusPublished)
	})
	if err == nil {
		s.changed(pkgID)
	}
	return err
}
