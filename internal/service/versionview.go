package service

import (
	"context"
	"errors"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// VersionView is one version of a package with its assets, for format
// endpoints that describe a single version (Maven's checksums and
// SNAPSHOT metadata) without loading the whole package.
type VersionView struct {
	Package *model.Package
	Version *model.Version
	Assets  []*model.Asset
}

// ViewVersion loads one version and its assets in one snapshot, authorized
// as ReadFromRepository. Versions that are not downloadable read as not
// found, except Unfinished ones when opt.IncludeUnfinished is set (a
// publisher verifying what it just uploaded). opt.WithAssets is implied.
func (s *Service) ViewVersion(ctx context.Context, c Caller, ref PackageRef, version string, opt ViewOptions) (*VersionView, error) {
	k, err := ref.key()
	if err != nil {
		return nil, err
	}
	version = model.NormalizeVersion(ref.Format, version)
	var out VersionView
	err = s.meta.View(ctx, func(tx meta.Tx) error {
		_, r, err := s.readScope(ctx, tx, c, RepoRef{ref.Domain, ref.DomainOwner, ref.Repository})
		if err != nil {
			return err
		}
		p, err := s.getPackage(tx, r, k)
		if err != nil {
			return err
		}
		v, err := tx.GetVersion(p.ID, version)
		if errors.Is(err, meta.ErrNotFound) {
			return versionNotFound(k, version)
		}
		if err != nil {
			return err
		}
		if !v.Status.Downloadable() && !(opt.IncludeUnfinished && v.Status == model.StatusUnfinished) {
			return versionNotFound(k, version)
		}
		as, err := tx.ListAssets(v.ID, "", 0)
		if err != nil {
			return err
		}
		out = VersionView{Package: p, Version: v, Assets: as}
		return nil
	})
	if err != nil {
		return nil, wrap("view version", err)
	}
	return &out, nil
}
