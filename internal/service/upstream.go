package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// maxResolveRepos is how many repositories one resolution searches,
// the asked repository included (CodeArtifact: 25).
const maxResolveRepos = 25

// PackageState is what a format endpoint needs to pick its path for a
// package read: the local package, if any, and whether its repository's
// upstreams or external connection may add to it.
type PackageState struct {
	Found      bool
	PkgID, Gen int64
	// Sources is true when a read of this package must also consult the
	// repository's upstreams or external connection: the repository has
	// some, and the origin rules (the package's own upstream restriction
	// and its group's INTERNAL_UPSTREAM and EXTERNAL_UPSTREAM modes) let
	// versions enter the repository from at least one of them.
	Sources bool
}

// PackageState reads the package's state in its repository at the cost
// of PackageGeneration (plus the package groups, for a repository with
// sources). A missing package is not an error here when the repository
// has sources; without them it is the usual not found.
func (s *Service) PackageState(ctx context.Context, c Caller, ref PackageRef) (PackageState, error) {
	var st PackageState
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		k, d, r, err := s.readPackageScope(ctx, tx, c, ref)
		if err != nil {
			return err
		}
		p, err := tx.GetPackage(r.ID, k)
		if errors.Is(err, meta.ErrNotFound) {
			p, err = nil, nil
		}
		if err != nil {
			return err
		}
		if p != nil {
			st.Found, st.PkgID, st.Gen = true, p.ID, p.Generation
		}
		var gate *originGate // only a repository with sources needs one
		for _, src := range []struct {
			has bool
			t   model.OriginRestrictionType
		}{{len(r.Upstreams) > 0, model.RestrictionInternalUpstream}, {len(r.ExternalConnections) > 0, model.RestrictionExternalUpstream}} {
			if !src.has || st.Sources {
				continue
			}
			if gate == nil {
				gate = s.newOriginGate(tx, d, k)
			}
			why, err := gate.blocked(r, p, src.t)
			if err != nil {
				return err
			}
			st.Sources = why == ""
		}
		if p == nil && !st.Sources {
			return packageNotFound(r.Name, k)
		}
		return nil
	})
	return st, err
}

// ChainEntry is one repository of a resolution, in search order.
type ChainEntry struct {
	Repo RepoRef
	// ExternalConnection is the repository's public connection, if any:
	// the format fetches what the chain lacks from there.
	ExternalConnection string
	// View is the repository's own view of the package, nil when it has
	// none.
	View *PackageView
}

// MergeChain is a package as a resolution chain shows it: for each
// version the nearest repository's copy (with its assets, when the views
// carry them), so a version Unlisted nearer hides an upstream's Published
// copy. It also names connection when an entry of the chain reaches it
// ("" otherwise). Package is the nearest view's, nil when no repository
// of the chain holds the package.
func MergeChain(chain []ChainEntry, connection string) (*PackageView, string) {
	merged := &PackageView{Assets: map[int64][]*model.Asset{}}
	seen := map[string]bool{}
	conn := ""
	for _, e := range chain {
		if e.ExternalConnection == connection && conn == "" {
			conn = e.ExternalConnection
		}
		if e.View == nil {
			continue
		}
		if merged.Package == nil {
			merged.Package = e.View.Package
		}
		for _, v := range e.View.Versions {
			if seen[v.Version] {
				continue
			}
			seen[v.Version] = true
			merged.Versions = append(merged.Versions, v)
			if a := e.View.Assets[v.ID]; a != nil {
				merged.Assets[v.ID] = a
			}
		}
	}
	return merged, conn
}

// NearestCopy finds the nearest entry of chain holding a downloadable
// copy of version (normalized), which wins over any copy further on, and
// whether that copy has file (true when file is empty). The search ends
// before it at an entry whose external connection stop reports (a public
// registry the format would have to ask), returning that connection; it
// returns a nil entry when nothing holds the version.
func NearestCopy(chain []ChainEntry, version, file string, stop func(conn string) bool) (e *ChainEntry, v *model.Version, hasFile bool, unreachable string) {
	for i := range chain {
		e := &chain[i]
		if e.View != nil {
			for _, v := range e.View.Versions {
				if v.Version != version || !v.Status.Downloadable() {
					continue
				}
				if file == "" {
					return e, v, true, ""
				}
				for _, a := range e.View.Assets[v.ID] {
					if a.Name == file {
						return e, v, true, ""
					}
				}
				return e, v, false, ""
			}
		}
		if e.ExternalConnection != "" && stop(e.ExternalConnection) {
			return nil, nil, false, e.ExternalConnection
		}
	}
	return nil, nil, false, ""
}

// ResolveChain walks the package's repository and its upstreams
// depth-first in priority order, at most maxResolveRepos, in one
// snapshot, and returns each repository's own view of the package. The
// origin rules prune it (see walkChain): a repository whose package
// blocks upstream versions ends its branch, nothing upstream is searched
// when the package's group does not let the asked repository retain
// versions from upstream (INTERNAL_UPSTREAM), and a connection is left out
// where the group does not let its repository ingest (EXTERNAL_UPSTREAM).
// An upstream the caller may not read from (ReadFromRepository) is
// skipped; the asked repository's refusal is the caller's error.
func (s *Service) ResolveChain(ctx context.Context, c Caller, ref PackageRef, opt ViewOptions) ([]ChainEntry, error) {
	k, err := ref.key()
	if err != nil {
		return nil, err
	}
	var out []ChainEntry
	err = s.meta.View(ctx, func(tx meta.Tx) error {
		d, first, err := s.readScope(ctx, tx, c, RepoRef{ref.Domain, ref.DomainOwner, ref.Repository})
		if err != nil {
			return err
		}
		return s.walkChain(ctx, tx, c, d, first, k, func(st chainStep) (bool, error) {
			e := ChainEntry{Repo: RepoRef{Domain: d.Name, DomainOwner: d.Owner, Repository: st.repo.Name}, ExternalConnection: st.external}
			if st.pkg != nil {
				view, err := s.loadView(tx, st.pkg, opt)
				if err != nil {
					return false, err
				}
				e.View = view
			}
			out = append(out, e)
			return false, nil
		})
	})
	return out, err
}

// upstreamPackage finds or creates the package a version from upstream
// is recorded in, once the origin gate lets versions enter r from source
// t (RestrictionInternalUpstream: retained from an upstream repository;
// RestrictionExternalUpstream: ingested through r's external connection).
// A refusal is a not found that says why.
func (s *Service) upstreamPackage(tx meta.Tx, d *model.Domain, r *model.Repository, k model.PackageKey, t model.OriginRestrictionType) (*model.Package, error) {
	p, err := tx.GetPackage(r.ID, k)
	if errors.Is(err, meta.ErrNotFound) {
		p, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if why, err := s.newOriginGate(tx, d, k).blocked(r, p, t); err != nil {
		return nil, err
	} else if why != "" {
		return nil, model.NotFound(model.ResourcePackage, k.Name, "%s", why)
	}
	if p == nil {
		// The first version came from upstream: CodeArtifact's defaults
		// for such a package.
		p = &model.Package{RepositoryID: r.ID, Key: k, Origin: model.DefaultOriginForUpstream}
		return p, tx.CreatePackage(p)
	}
	return p, nil
}

// RetainVersion records in ref's repository (the most-downstream one
// asked) a downloadable version found in the upstream repository from,
// as a reference to the same asset bytes. Origin type and entry point
// stay the source's. A version already present is left alone; the origin
// rules (package upstream=BLOCK, the group's INTERNAL_UPSTREAM) may refuse.
func (s *Service) RetainVersion(ctx context.Context, c Caller, ref PackageRef, from string, version string) error {
	var pkgID int64
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		k, d, r, err := s.readPackageScope(ctx, tx, c, ref)
		if err != nil {
			return err
		}
		src, err := tx.GetRepository(d.ID, from)
		if errors.Is(err, meta.ErrNotFound) {
			return repoNotFound(d.Name, from)
		}
		if err != nil {
			return err
		}
		sp, err := s.getPackage(tx, src, k)
		if err != nil {
			return err
		}
		version = model.NormalizeVersion(k.Format, version)
		sv, err := tx.GetVersion(sp.ID, version)
		if errors.Is(err, meta.ErrNotFound) || (err == nil && !sv.Status.Downloadable()) {
			return versionNotFound(k, version)
		}
		if err != nil {
			return err
		}
		p, err := s.upstreamPackage(tx, d, r, k, model.RestrictionInternalUpstream)
		if err != nil {
			return err
		}
		if v, err := tx.GetVersion(p.ID, version); err == nil {
			added, err := completeRetained(tx, sv, v)
			if added {
				pkgID = p.ID
			}
			return err
		} else if !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		pkgID = p.ID
		return s.copyVersion(tx, copySource{pkg: sp, version: sv}, p, nil)
	})
	if err == nil && pkgID != 0 {
		s.changed(pkgID)
	}
	return wrap("retain version", err)
}

// attachAsset records a stored asset as v's, once its content is known to
// be in the blob store.
func (s *Service) attachAsset(ctx context.Context, tx meta.Tx, v *model.Version, a *model.Asset) error {
	if _, _, err := s.blobs.Stat(ctx, blob.Digest(a.Hashes.SHA256)); err != nil {
		return fmt.Errorf("asset %s content missing before commit: %w", a.Name, err)
	}
	a.VersionID = v.ID
	return tx.PutAsset(a)
}

// completeRetained gives a version retained earlier the files its
// source gained since (a public version's files are fetched one at a
// time, each when first asked for). Only a Published copy of the same
// origin is completed; nothing is removed or replaced.
func completeRetained(tx meta.Tx, src, v *model.Version) (bool, error) {
	if v.Revision == src.Revision || v.Status != model.StatusPublished || v.OriginType != src.OriginType ||
		v.OriginExternal != src.OriginExternal || v.OriginRepository != src.OriginRepository {
		return false, nil
	}
	added := false
	after := ""
	for {
		as, err := tx.ListAssets(src.ID, after, 200)
		if err != nil {
			return false, err
		}
		for _, a := range as {
			if _, err := tx.GetAsset(v.ID, a.Name); err == nil {
				continue
			} else if !errors.Is(err, meta.ErrNotFound) {
				return false, err
			}
			na := *a
			na.ID, na.VersionID = 0, v.ID
			if err := tx.PutAsset(&na); err != nil {
				return false, err
			}
			added = true
		}
		if len(as) < 200 {
			break
		}
		after = as[len(as)-1].Name
	}
	if !added {
		return false, nil
	}
	// The source's format metadata describes the files it gained (a
	// RubyGems platform gem), so the copy takes it with them.
	v.Revision, v.FormatMetadata = src.Revision, src.FormatMetadata
	return true, tx.UpdateVersion(v)
}

// IngestRequest is a version fetched from a public registry through an
// external connection, its bytes already verified by the format.
type IngestRequest struct {
	Ref        PackageRef // in the repository holding the connection
	Connection string
	Version    string
	Asset      Upload
	Metadata   *VersionMetadata
	// State is set in the package's format-owned state with the version
	// (npm: the registry's dist-tags that point at it).
	State     map[string]string
	Published time.Time
	// MergeFormatMetadata, when set, gives a version an earlier ingestion
	// created its format metadata with this asset's part added (RubyGems
	// lists each platform gem of a version there); it is not called for a
	// new version, which takes Metadata.FormatMetadata.
	MergeFormatMetadata func(cur []byte) ([]byte, error)
}

// IngestExternal stores a version fetched through the repository's
// external connection: origin EXTERNAL, entry point the connection, and
// for a new package the defaults publish=BLOCK, upstream=ALLOW. A version
// already ingested through the connection gains the asset if it lacks it
// (see addExternalAsset); any other version present is left alone. The
// origin rules (package upstream=BLOCK, the group's EXTERNAL_UPSTREAM)
// may refuse.
func (s *Service) IngestExternal(ctx context.Context, c Caller, req IngestRequest) error {
	if err := model.CheckSafeName("packageVersion", req.Version); err != nil {
		return err
	}
	if err := model.CheckAssetName(req.Ref.Format, req.Asset.Name); err != nil {
		return err
	}
	a, leased, err := s.storeAsset(ctx, req.Asset)
	defer func() {
		// Released in the commit unless it failed.
		if leased != "" {
			s.releaseLeases(context.WithoutCancel(ctx), []string{leased})
		}
	}()
	if err != nil {
		return err
	}
	var pkgID int64
	err = s.meta.Update(ctx, func(tx meta.Tx) error {
		k, err := req.Ref.key()
		if err != nil {
			return err
		}
		// The caller was authorized on the repository it asked; this is
		// the service filling its upstream, so only existence is checked.
		d, r, err := s.getRepo(tx, req.Ref.DomainOwner, req.Ref.Domain, req.Ref.Repository)
		if err != nil {
			return err
		}
		if len(r.ExternalConnections) == 0 || r.ExternalConnections[0] != req.Connection {
			return model.NotFound(model.ResourceRepository, r.Name, "Repository %s has no external connection %s.", r.Name, req.Connection)
		}
		p, err := s.upstreamPackage(tx, d, r, k, model.RestrictionExternalUpstream)
		if err != nil {
			return err
		}
		version := model.NormalizeVersion(k.Format, req.Version)
		if v, err := tx.GetVersion(p.ID, version); err == nil {
			return s.addExternalAsset(ctx, tx, v, req, a, leased, &pkgID)
		} else if !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		published := req.Published
		if published.IsZero() {
			published = s.now()
		}
		v := &model.Version{PackageID: p.ID, Version: version, Status: model.StatusPublished, PublishedTime: published,
			OriginType: model.OriginExternal, OriginExternal: req.Connection, Revision: newRevision()}
		if m := req.Metadata; m != nil {
			v.DisplayName, v.Summary, v.HomePage, v.SourceCodeRepo = m.DisplayName, m.Summary, m.HomePage, m.SourceCodeRepo
			v.Licenses, v.Dependencies, v.Readme, v.FormatMetadata = m.Licenses, m.Dependencies, m.Readme, m.FormatMetadata
		}
		if err := tx.CreateVersion(v); err != nil {
			return err
		}
		if err := tx.ForgetTrashed(p.ID, version); err != nil {
			return err
		}
		if err := s.attachAsset(ctx, tx, v, a); err != nil {
			return err
		}
		if err := setState(tx, p.ID, req.State); err != nil {
			return err
		}
		if err := tx.ReleaseBlob(leased); err != nil {
			return err
		}
		pkgID = p.ID
		return nil
	})
	if err == nil {
		leased = "" // released in the commit, or the version was there
		if pkgID != 0 {
			s.changed(pkgID)
		}
	}
	return wrap("ingest external version", err)
}

// addExternalAsset completes a version an earlier ingestion created with
// another of its files (a wheel beside the sdist, a jar beside its pom):
// formats whose versions hold several files fetch each when first asked.
// A version that did not come through the same connection, that is not
// Published, or that has the file already is left alone (a concurrent
// ingestion won, or the repository's own copy wins).
func (s *Service) addExternalAsset(ctx context.Context, tx meta.Tx, v *model.Version, req IngestRequest, a *model.Asset, leased string, pkgID *int64) error {
	if v.OriginType != model.OriginExternal || v.OriginExternal != req.Connection || v.Status != model.StatusPublished {
		return tx.ReleaseBlob(leased)
	}
	if _, err := tx.GetAsset(v.ID, a.Name); err == nil {
		return tx.ReleaseBlob(leased)
	} else if !errors.Is(err, meta.ErrNotFound) {
		return err
	}
	if err := s.attachAsset(ctx, tx, v, a); err != nil {
		return err
	}
	if req.MergeFormatMetadata != nil {
		doc, err := req.MergeFormatMetadata(v.FormatMetadata)
		if err != nil {
			return err
		}
		v.FormatMetadata = doc
	}
	v.Revision = newRevision() // its assets changed
	if err := tx.UpdateVersion(v); err != nil {
		return err
	}
	*pkgID = v.PackageID
	return tx.ReleaseBlob(leased)
}
