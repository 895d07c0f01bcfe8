package service

import (
	"context"
	"errors"
	"strconv"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// ListPackageVersionsInput is ListPackageVersions' request.
type ListPackageVersionsInput struct {
	PackageRef
	Status     model.Status `json:"status"`
	SortBy     string       `json:"sortBy"`
	MaxResults int          `json:"maxResults"`
	NextToken  string       `json:"nextToken"`
	OriginType string       `json:"originType"`
}

// ListPackageVersionsOutput is one page of ListPackageVersions.
type ListPackageVersionsOutput struct {
	DefaultDisplayVersion string                  `json:"defaultDisplayVersion,omitempty"`
	Format                model.Format            `json:"format"`
	Namespace             string                  `json:"namespace,omitempty"`
	Package               string                  `json:"package"`
	Versions              []PackageVersionSummary `json:"versions"`
	NextToken             string                  `json:"nextToken,omitempty"`
}

// defaultDisplayVersion is the version the format's state designates
// (npm: the latest tag) where it is Published, else the most recently
// published Published version.
func (s *Service) defaultDisplayVersion(tx meta.Tx, p *model.Package) (string, error) {
	if pick := s.rulesOf(p.Key.Format).DisplayVersion; pick != nil {
		state, err := tx.PackageState(p.ID)
		if err != nil {
			return "", err
		}
		if want := pick(state); want != "" {
			vs, err := tx.GetVersions(p.ID, []string{want})
			if err != nil {
				return "", err
			}
			if v := vs[want]; v != nil && v.Status == model.StatusPublished {
				return want, nil
			}
		}
	}
	vs, err := tx.ListVersions(p.ID, meta.VersionFilter{Status: model.StatusPublished, Sort: meta.SortByPublished, Limit: 1})
	if err != nil || len(vs) == 0 {
		return "", err
	}
	return vs[0].Version, nil
}

// ListPackageVersions lists a package's versions, Archived ones only when asked (Decision 2).
func (s *Service) ListPackageVersions(ctx context.Context, c Caller, in ListPackageVersionsInput) (*ListPackageVersionsOutput, error) {
	kind := "versions/" + in.SortBy
	after, err := decodeToken(kind, in.NextToken)
	if err != nil {
		return nil, err
	}
	limit := pageSize(in.MaxResults, 50)
	var out ListPackageVersionsOutput
	err = s.meta.View(ctx, func(tx meta.Tx) error {
		sc, err := s.resolvePackage(ctx, tx, c, in.PackageRef, "ListPackageVersions")
		if err != nil {
			return err
		}
		p, err := s.getPackage(tx, sc.repo, sc.key)
		if err != nil {
			return err
		}
		out = ListPackageVersionsOutput{Format: p.Key.Format, Namespace: p.Key.Namespace, Package: p.Key.Name, Versions: []PackageVersionSummary{}}
		if out.DefaultDisplayVersion, err = s.defaultDisplayVersion(tx, p); err != nil {
			return err
		}
		vs, err := tx.ListVersions(p.ID, meta.VersionFilter{Status: in.Status, OriginType: in.OriginType, Sort: in.SortBy, After: after, Limit: limit + 1})
		if err != nil {
			return err
		}
		if len(vs) > limit {
			vs = vs[:limit]
			out.NextToken = encodeToken(kind, meta.VersionCursor(vs[limit-1], in.SortBy))
		}
		origins := versionOrigins(vs)
		out.Versions = make([]PackageVersionSummary, len(vs))
		for i, v := range vs {
			out.Versions[i] = PackageVersionSummary{Version: v.Version, Revision: v.Revision, Status: v.Status, Origin: origins[i]}
		}
		return nil
	})
	return &out, wrap("list package versions", err)
}

// VersionRef names one package version.
type VersionRef struct {
	PackageRef
	PackageVersion string `json:"packageVersion"`
}

func (v VersionRef) version() string { return model.NormalizeVersion(v.Format, v.PackageVersion) }

// loadVersion resolves, authorizes and loads a version with every field.
func (s *Service) loadVersion(ctx context.Context, tx meta.Tx, c Caller, in VersionRef, action string) (*pkgScope, *model.Package, *model.Version, error) {
	sc, err := s.resolvePackage(ctx, tx, c, in.PackageRef, action)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := s.getPackage(tx, sc.repo, sc.key)
	if err != nil {
		return nil, nil, nil, err
	}
	v, err := tx.GetVersion(p.ID, in.version())
	if errors.Is(err, meta.ErrNotFound) {
		return nil, nil, nil, versionNotFound(sc.key, in.version())
	}
	return sc, p, v, err
}

// DescribePackageVersionOutput is DescribePackageVersion's answer.
type DescribePackageVersionOutput struct {
	PackageVersion PackageVersionDescription `json:"packageVersion"`
}

func describeVersion(p *model.Package, v *model.Version) PackageVersionDescription {
	display := v.DisplayName
	if display == "" {
		display = p.Key.Name
	}
	return PackageVersionDescription{
		Format: p.Key.Format, Namespace: p.Key.Namespace, PackageName: p.Key.Name, DisplayName: display,
		Version: v.Version, Summary: v.Summary, HomePage: v.HomePage, SourceCodeRepository: v.SourceCodeRepo,
		PublishedTime: ts(v.PublishedTime), Licenses: v.Licenses, Revision: v.Revision, Status: v.Status, Origin: versionOrigin(v),
	}
}

// DescribePackageVersion describes one version of a package, whatever its status.
func (s *Service) DescribePackageVersion(ctx context.Context, c Caller, in VersionRef) (*DescribePackageVersionOutput, error) {
	var out DescribePackageVersionOutput
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		_, p, v, err := s.loadVersion(ctx, tx, c, in, "DescribePackageVersion")
		if err != nil {
			return err
		}
		out.PackageVersion = describeVersion(p, v)
		return nil
	})
	return &out, wrap("describe package version", err)
}

// ListPackageVersionAssetsInput is ListPackageVersionAssets' request.
type ListPackageVersionAssetsInput struct {
	VersionRef
	MaxResults int    `json:"maxResults"`
	NextToken  string `json:"nextToken"`
}

// ListPackageVersionAssetsOutput is one page of ListPackageVersionAssets.
type ListPackageVersionAssetsOutput struct {
	Format          model.Format   `json:"format"`
	Namespace       string         `json:"namespace,omitempty"`
	Package         string         `json:"package"`
	Version         string         `json:"version"`
	VersionRevision string         `json:"versionRevision"`
	NextToken       string         `json:"nextToken,omitempty"`
	Assets          []AssetSummary `json:"assets"`
}

// ListPackageVersionAssets lists a version's assets; a Disposed version has none (Decision 9).
func (s *Service) ListPackageVersionAssets(ctx context.Context, c Caller, in ListPackageVersionAssetsInput) (*ListPackageVersionAssetsOutput, error) {
	after, err := decodeToken("assets", in.NextToken)
	if err != nil {
		return nil, err
	}
	limit := pageSize(in.MaxResults, 50)
	var out ListPackageVersionAssetsOutput
	err = s.meta.View(ctx, func(tx meta.Tx) error {
		_, p, v, err := s.loadVersion(ctx, tx, c, in.VersionRef, "ListPackageVersionAssets")
		if err != nil {
			return err
		}
		out = ListPackageVersionAssetsOutput{Format: p.Key.Format, Namespace: p.Key.Namespace, Package: p.Key.Name, Version: v.Version, VersionRevision: v.Revision, Assets: []AssetSummary{}}
		if !v.Status.HasAssets() {
			return nil
		}
		as, err := tx.ListAssets(v.ID, after, limit+1)
		if err != nil {
			return err
		}
		if len(as) > limit {
			as = as[:limit]
			out.NextToken = encodeToken("assets", as[limit-1].Name)
		}
		for _, a := range as {
			out.Assets = append(out.Assets, assetSummary(a))
		}
		return nil
	})
	return &out, wrap("list package version assets", err)
}

// GetPackageVersionAssetInput is GetPackageVersionAsset's request.
type GetPackageVersionAssetInput struct {
	VersionRef
	Asset                  string `json:"asset"`
	PackageVersionRevision string `json:"packageVersionRevision"`
}

// AssetContent is an open asset with what the response headers need. The
// caller must close Body.
type AssetContent struct {
	Body     blob.Reader
	Asset    *model.Asset
	Version  string
	Revision string
}

// GetPackageVersionAsset opens an asset of a Published or Unlisted version; the caller closes it.
func (s *Service) GetPackageVersionAsset(ctx context.Context, c Caller, in GetPackageVersionAssetInput) (*AssetContent, error) {
	var out AssetContent
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		sc, _, v, err := s.loadVersion(ctx, tx, c, in.VersionRef, "GetPackageVersionAsset")
		if err != nil {
			return err
		}
		if !v.Status.Downloadable() {
			return model.NotFound(model.ResourceAsset, in.Asset, "Asset %s is not available: package version %s is %s.", in.Asset, v.Version, v.Status)
		}
		if in.PackageVersionRevision != "" && in.PackageVersionRevision != v.Revision {
			return model.NotFound(model.ResourcePackageVersion, v.Version, "Package version %s has no revision %s.", v.Version, in.PackageVersionRevision)
		}
		a, err := tx.GetAsset(v.ID, in.Asset)
		if errors.Is(err, meta.ErrNotFound) {
			return model.NotFound(model.ResourceAsset, in.Asset, "Asset not found. Package: %s, Version: %s, Asset: %s", model.DisplayName(sc.key), v.Version, in.Asset)
		}
		if err != nil {
			return err
		}
		out = AssetContent{Asset: a, Version: v.Version, Revision: v.Revision}
		return nil
	})
	if err != nil {
		return nil, wrap("get package version asset", err)
	}
	// The blob is opened after the snapshot closes: a concurrent dispose
	// may remove it in between, which reads as not found, never as a torn
	// asset.
	out.Body, err = s.blobs.Open(ctx, blob.Digest(out.Asset.Hashes.SHA256))
	if errors.Is(err, blob.ErrNotFound) {
		return nil, model.NotFound(model.ResourceAsset, in.Asset, "Asset %s is no longer available.", in.Asset)
	}
	if err != nil {
		return nil, wrap("open asset", err)
	}
	s.countDownload(out.Asset.VersionID)
	return &out, nil
}

// GetPackageVersionReadmeOutput is GetPackageVersionReadme's answer.
type GetPackageVersionReadmeOutput struct {
	Format          model.Format `json:"format"`
	Namespace       string       `json:"namespace,omitempty"`
	Package         string       `json:"package"`
	Version         string       `json:"version"`
	VersionRevision string       `json:"versionRevision"`
	Readme          string       `json:"readme"`
}

// GetPackageVersionReadme returns the readme a version was published with.
func (s *Service) GetPackageVersionReadme(ctx context.Context, c Caller, in VersionRef) (*GetPackageVersionReadmeOutput, error) {
	var out GetPackageVersionReadmeOutput
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		_, p, v, err := s.loadVersion(ctx, tx, c, in, "GetPackageVersionReadme")
		if err != nil {
			return err
		}
		out = GetPackageVersionReadmeOutput{Format: p.Key.Format, Namespace: p.Key.Namespace, Package: p.Key.Name, Version: v.Version, VersionRevision: v.Revision, Readme: v.Readme}
		return nil
	})
	return &out, wrap("get package version readme", err)
}

// ListPackageVersionDependenciesInput is ListPackageVersionDependencies' request.
type ListPackageVersionDependenciesInput struct {
	VersionRef
	NextToken string `json:"nextToken"`
}

// ListPackageVersionDependenciesOutput is ListPackageVersionDependencies' answer.
type ListPackageVersionDependenciesOutput struct {
	Format          model.Format       `json:"format"`
	Namespace       string             `json:"namespace,omitempty"`
	Package         string             `json:"package"`
	Version         string             `json:"version"`
	VersionRevision string             `json:"versionRevision"`
	NextToken       string             `json:"nextToken,omitempty"`
	Dependencies    []model.Dependency `json:"dependencies"`
}

// dependencyPage is how many dependencies one page returns (the operation
// has no max-results).
const dependencyPage = 100

// ListPackageVersionDependencies lists the dependencies a version declares.
func (s *Service) ListPackageVersionDependencies(ctx context.Context, c Caller, in ListPackageVersionDependenciesInput) (*ListPackageVersionDependenciesOutput, error) {
	after, err := decodeToken("dependencies", in.NextToken)
	if err != nil {
		return nil, err
	}
	start := 0
	if after != "" {
		if start, err = strconv.Atoi(after); err != nil || start < 0 {
			return nil, model.InvalidParameter("The nextToken is not valid for this request.")
		}
	}
	var out ListPackageVersionDependenciesOutput
	err = s.meta.View(ctx, func(tx meta.Tx) error {
		_, p, v, err := s.loadVersion(ctx, tx, c, in.VersionRef, "ListPackageVersionDependencies")
		if err != nil {
			return err
		}
		out = ListPackageVersionDependenciesOutput{Format: p.Key.Format, Namespace: p.Key.Namespace, Package: p.Key.Name, Version: v.Version, VersionRevision: v.Revision, Dependencies: []model.Dependency{}}
		deps := v.Dependencies
		if start > len(deps) {
			start = len(deps)
		}
		deps = deps[start:]
		if len(deps) > dependencyPage {
			deps = deps[:dependencyPage]
			out.NextToken = encodeToken("dependencies", strconv.Itoa(start+dependencyPage))
		}
		out.Dependencies = append(out.Dependencies, deps...)
		return nil
	})
	return &out, wrap("list package version dependencies", err)
}
