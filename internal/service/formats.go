package service

import (
	"context"
	"errors"
	"slices"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// The methods in this file serve package-format endpoints: they read what
// a package manager may see, authorized as ReadFromRepository on the
// repository, and change what package managers change (format-owned
// package state, version metadata), authorized as PutPackageMetadata.

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
	// State is the package's format-owned state (npm: dist-tags), for
	// formats that keep any (FormatRules.State).
	State  map[string]string
	Assets map[int64][]*model.Asset // by version ID, when asked
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
		view, err = s.loadView(tx, p, opt)
		return err
	})
	if err != nil {
		return nil, err
	}
	return view, nil
}

// loadView reads a package's view inside a transaction.
func (s *Service) loadView(tx meta.Tx, p *model.Package, opt ViewOptions) (*PackageView, error) {
	view := &PackageView{Package: p}
	vs, err := tx.ListVersions(p.ID, meta.VersionFilter{AllStatuses: true, WithFormatMeta: true, WithDetails: true})
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v.Status.Served(opt.IncludeUnfinished) {
			view.Versions = append(view.Versions, v)
		}
	}
	if view.State, err = s.loadState(tx, p); err != nil {
		return nil, err
	}
	if opt.WithAssets {
		view.Assets = map[int64][]*model.Asset{}
		for _, v := range view.Versions {
			as, err := tx.ListAssets(v.ID, "", 0)
			if err != nil {
				return nil, err
			}
			view.Assets[v.ID] = as
		}
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

// OpenAssetThrough is OpenAsset for a read that resolves through
// upstreams: an asset the repository lacks is first filled by fill (which
// finds it along the resolution and retains it here), when the package
// takes versions from upstream at all (PackageState's Sources).
func (s *Service) OpenAssetThrough(ctx context.Context, c Caller, ref PackageRef, version, asset string, fill func(context.Context) error) (*AssetContent, error) {
	ac, err := s.OpenAsset(ctx, c, ref, version, asset)
	if !errors.Is(err, model.ErrNotFound) {
		return ac, err
	}
	if st, serr := s.PackageState(ctx, c, ref); serr != nil || !st.Sources {
		return nil, err
	}
	if err := fill(ctx); err != nil {
		return nil, err
	}
	return s.OpenAsset(ctx, c, ref, version, asset)
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

// StateEdit is a change to a package's format-owned state in progress
// (EditPackageState).
type StateEdit struct {
	// Package is the package whose state is edited.
	Package *model.Package
	tx      meta.Tx
}

// State is the package's current state.
func (e *StateEdit) State() (map[string]string, error) {
	return e.tx.PackageState(e.Package.ID)
}

// Set sets key to value.
func (e *StateEdit) Set(key, value string) error {
	return e.tx.SetPackageState(e.Package.ID, key, value)
}

// Delete removes key.
func (e *StateEdit) Delete(key string) error {
	return e.tx.DeletePackageState(e.Package.ID, key)
}

// DownloadableVersion returns the summary of a version of the package a
// client may fetch (Published or Unlisted), or the not-found error that
// any other status or a missing version gets.
func (e *StateEdit) DownloadableVersion(version string) (*model.Version, error) {
	version = model.NormalizeVersion(e.Package.Key.Format, version)
	vs, err := e.tx.GetVersions(e.Package.ID, []string{version})
	if err != nil {
		return nil, err
	}
	if v := vs[version]; v != nil && v.Status.Downloadable() {
		return v, nil
	}
	return nil, versionNotFound(e.Package.Key, version)
}

// EditPackageState changes a package's format-owned state (npm dist-tag
// add and rm) in one transaction, authorized as PutPackageMetadata: edit
// reads and writes it through e, and its error rolls everything back.
func (s *Service) EditPackageState(ctx context.Context, c Caller, ref PackageRef, edit func(e *StateEdit) error) error {
	var pkgID int64
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		p, err := s.metadataScope(ctx, tx, c, ref)
		if err != nil {
			return err
		}
		pkgID = p.ID
		return edit(&StateEdit{Package: p, tx: tx})
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
		var finished []string
		for _, v := range vs {
			if v.Status == model.StatusUnfinished {
				ids = append(ids, v.ID)
				finished = append(finished, v.Version)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		if err := tx.SetVersionStatus(ids, model.StatusPublished); err != nil {
			return err
		}
		if hook := s.rulesOf(p.Key.Format).StatusChanged; hook != nil {
			slices.Sort(finished)
			return hook(tx, p.ID, finished, model.StatusPublished)
		}
		return nil
	})
	if err == nil {
		s.changed(pkgID)
	}
	return err
}
