package service

import (
	"context"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// VersionView is one version of a package with its assets, for format
// endpoints that describe a single version (Maven's checksums and
// SNAPSHOT metadata) without loading the whole package.
type VersionView struct {
	Package *model.Package
	Version *model.Version // summary fields only: no readme, details or format metadata
	Assets  []*model.Asset
}

// ViewVersion loads one version and its assets in one snapshot, authorized
// as ReadFromRepository. Versions that are not downloadable read as not
// found, except Unfinished ones when opt.IncludeUnfinished is set (a
// publisher verifying what it just uploaded). opt.WithAssets is implied.
func (s *Service) ViewVersion(ctx context.Context, c Caller, ref PackageRef, version string, opt ViewOptions) (*VersionView, error) {
	var out VersionView
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		p, v, err := s.readVersion(ctx, tx, c, ref, version, opt.IncludeUnfinished)
		if err != nil {
			return err
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
