package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// maxAssetsPerVersion is CodeArtifact's limit.
const maxAssetsPerVersion = 150

// VersionMetadata is what a format extracts from an upload (package.json,
// a wheel's METADATA, a POM) to describe the version.
type VersionMetadata struct {
	DisplayName    string
	Summary        string
	HomePage       string
	SourceCodeRepo string
	Licenses       []model.License
	Dependencies   []model.Dependency
	Readme         string
	FormatMetadata []byte
}

// Upload is one asset's bytes on their way in.
type Upload struct {
	Name string
	Body io.Reader
	// SHA256, when set, is what the client says the content hashes to; a
	// mismatch stores nothing.
	SHA256 string
}

// PublishRequest is a publish of assets into one package version, shared
// by PublishPackageVersion and every format's upload endpoint.
type PublishRequest struct {
	Ref     PackageRef
	Version string
	Assets  []Upload
	// Unfinished leaves a new (or still unfinished) version Unfinished.
	Unfinished bool
	// AddToPublished lets new assets join a version that is already
	// Published or Unlisted (PyPI files, Maven classifiers). Otherwise a
	// finished version only accepts byte-identical re-uploads.
	AddToPublished bool
	// Metadata, when set, replaces the version's descriptive metadata.
	// Publish reads it only after every asset's body has been read to
	// its end, inside the commit, so a format may complete it from what
	// the bytes hold (a checksum, a readme inside the archive) as they
	// stream past.
	Metadata *VersionMetadata
	// State is set in the package's format-owned state with the publish
	// (npm: the dist-tags the client sent).
	State map[string]string
	// MergeFormatMetadata, when set, computes the version's format
	// metadata from the document it holds (nil for a new version) inside
	// the publish's write, after Metadata is applied: formats whose assets
	// each add an entry to one document (RubyGems platform gems) keep
	// every entry when publishes race. Returning the same bytes changes
	// nothing.
	MergeFormatMetadata func(current []byte) ([]byte, error)
	// RefuseExisting refuses (409) a version that exists in any status,
	// even for byte-identical content: a Swift release, once published,
	// is never published again, and its metadata never changes.
	RefuseExisting bool
}

// PublishResult describes the version after a publish.
type PublishResult struct {
	Format    model.Format
	Namespace string
	Package   string
	Version   string
	Revision  string
	Status    model.Status
	Assets    []*model.Asset
	Created   bool // the version did not exist before
}

func assetConflict(k model.PackageKey, version, asset string) error {
	return model.Conflict(model.ResourceAsset, asset, "Asset %s of %s version %s already exists with different content. Delete the version to publish new content.", asset, model.DisplayName(k), version)
}

// checkPublishable applies the rules that refuse a publish before or after
// the bytes arrive.
func checkPublishable(k model.PackageKey, p *model.Package, v *model.Version, req *PublishRequest) error {
	if p != nil && p.Origin.Publish == model.Block {
		return model.AccessDenied("Publishing to package %s is blocked by its origin configuration (publish=BLOCK).", model.DisplayName(k))
	}
	if v == nil {
		return nil
	}
	if req.RefuseExisting {
		return model.Conflict(model.ResourcePackageVersion, v.Version, "Package version %s of %s already exists (%s).", v.Version, model.DisplayName(k), v.Status)
	}
	if v.Status.BlocksRepublish() {
		return model.Conflict(model.ResourcePackageVersion, v.Version, "Package version %s of %s is %s and cannot be published to.", v.Version, model.DisplayName(k), v.Status)
	}
	return nil
}

// Publish stores the request's assets and records them in one
// transaction. Bytes are durable before the metadata commit, and leased so
// the garbage collector keeps them until then; a crash at any point leaves
// either the whole publish visible or none of it.
func (s *Service) Publish(ctx context.Context, c Caller, req PublishRequest) (*PublishResult, error) {
	if len(req.Assets) == 0 {
		return nil, model.InvalidParameter("A publish needs at least one asset.")
	}
	if err := model.CheckSafeName("packageVersion", req.Version); err != nil {
		return nil, err
	}
	if err := model.CheckVersion(req.Ref.Format, req.Version); err != nil {
		return nil, err
	}
	for _, a := range req.Assets {
		if err := model.CheckAssetName(req.Ref.Format, a.Name); err != nil {
			return nil, err
		}
	}
	version := model.NormalizeVersion(req.Ref.Format, req.Version)
	// Fail fast, before reading any bytes.
	var sc *pkgScope
	var conns []externalSource
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		var err error
		if sc, err = s.resolvePackage(ctx, tx, c, req.Ref, "PublishPackageVersion"); err != nil {
			return err
		}
		_, v, err := s.publishState(tx, sc, version, &req)
		if err != nil {
			return err
		}
		if v == nil {
			conns, err = s.upstreamVersion(ctx, tx, c, sc, version)
		}
		return err
	})
	if err == nil {
		// Outside the transaction: it may wait on a public registry.
		err = s.checkExternalVersion(ctx, sc, conns, version)
	}
	if err != nil {
		return nil, wrap("publish", err)
	}

	stored := make([]*model.Asset, 0, len(req.Assets))
	var leased []string
	defer func() {
		if len(leased) > 0 {
			s.releaseLeases(context.WithoutCancel(ctx), leased)
		}
	}()
	for _, up := range req.Assets {
		a, d, err := s.storeAsset(ctx, up)
		if d != "" {
			leased = append(leased, d)
		}
		if err != nil {
			return nil, err
		}
		stored = append(stored, a)
	}

	var res *PublishResult
	var pkgID int64
	err = s.meta.Update(ctx, func(tx meta.Tx) error {
		sc, err := s.resolvePackage(ctx, tx, c, req.Ref, "PublishPackageVersion")
		if err != nil {
			return err
		}
		res, pkgID, err = s.commitPublish(ctx, tx, c, sc, version, &req, stored)
		if err != nil {
			return err
		}
		for _, d := range leased {
			if err := tx.ReleaseBlob(d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("publish", err)
	}
	leased = nil
	s.changed(pkgID)
	return res, nil
}

// storeAsset streams one upload into the blob store under a lease, so the
// garbage collector keeps the bytes until the asset is committed. It
// returns the leased digest even on failure, for the caller to release.
func (s *Service) storeAsset(ctx context.Context, up Upload) (*model.Asset, string, error) {
	lease := func(d string) error {
		return s.meta.Update(Bookkeeping(ctx), func(tx meta.Tx) error { return tx.LeaseBlob(d, s.now().Add(s.cfg.BlobLease)) })
	}
	var leased string
	if up.SHA256 != "" {
		// Known digest: lease before the bytes exist, so the collector can
		// never see them unreferenced.
		if err := blob.Digest(up.SHA256).Validate(); err != nil {
			return nil, "", model.InvalidParameter("Invalid SHA256 for asset %s: %s", up.Name, up.SHA256)
		}
		if err := lease(up.SHA256); err != nil {
			return nil, "", err
		}
		leased = up.SHA256
	}
	info, err := s.blobs.Put(ctx, up.Body, blob.Digest(up.SHA256), s.cfg.MaxAssetSize)
	switch {
	case errors.Is(err, blob.ErrDigestMismatch):
		return nil, leased, model.InvalidParameter("The SHA256 hash of the content of asset %s does not match the hash provided.", up.Name)
	case errors.Is(err, io.ErrUnexpectedEOF):
		// The client's body ended before its Content-Length: its fault,
		// and nothing was stored.
		return nil, leased, model.InvalidParameter("The content of asset %s ended before its declared length.", up.Name)
	case errors.Is(err, blob.ErrTooLarge):
		return nil, leased, model.QuotaExceeded(model.ResourceAsset, up.Name, "Asset %s is larger than the maximum asset size of %d bytes.", up.Name, s.cfg.MaxAssetSize)
	case err != nil:
		return nil, leased, fmt.Errorf("store asset %s: %w", up.Name, err)
	}
	if leased == "" {
		// Digest learnt from the bytes: Put just refreshed the blob's
		// modification time, and the collector spares blobs younger than
		// its grace period, so leasing now is in time.
		if err := lease(string(info.Digest)); err != nil {
			return nil, "", err
		}
		leased = string(info.Digest)
	}
	return &model.Asset{
		Name: up.Name, Size: info.Size, Created: s.now(),
		Hashes: info.Hashes,
	}, leased, nil
}

func (s *Service) releaseLeases(ctx context.Context, digests []string) {
	err := s.meta.Update(Bookkeeping(ctx), func(tx meta.Tx) error {
		for _, d := range digests {
			if err := tx.ReleaseBlob(d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Warn("release blob leases", "err", err)
	}
	s.kickGC()
}

// publishState checks that the package's group lets the repository take
// publishes and loads the package and version as they stand (nil when
// absent), refusing a version that cannot be published over. Publish
// runs it before reading any bytes and again inside the write.
func (s *Service) publishState(tx meta.Tx, sc *pkgScope, version string, req *PublishRequest) (*model.Package, *model.Version, error) {
	if err := s.checkGroupPublish(tx, sc); err != nil {
		return nil, nil, err
	}
	p, err := tx.GetPackage(sc.repo.ID, sc.key)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, nil, checkNameCollision(tx, sc, nil, req.Ref.Package)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := checkNameCollision(tx, sc, p, req.Ref.Package); err != nil {
		return nil, nil, err
	}
	v, err := tx.GetVersion(p.ID, version)
	if errors.Is(err, meta.ErrNotFound) {
		v, err = nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if err := checkPublishable(sc.key, p, v, req); err != nil {
		return nil, nil, err
	}
	return p, v, nil
}

// checkNameCollision refuses a publish under a name that the format's
// rules (model.NameCollision: Cargo's case and '-'/'_' rule) say passes
// for another package's: a new package whose name collides with one
// already in the repository, or an existing package (p) whose versions
// spell its name otherwise.
func checkNameCollision(tx meta.Tx, sc *pkgScope, p *model.Package, name string) error {
	f := sc.key.Format
	collision := func(existing string) error {
		return model.Conflict(model.ResourcePackage, existing, "The name %s collides with package %s in repository %s: names that differ only in case or in '-' against '_' are the same package here; publish under the name %s.", name, existing, sc.repo.Name, existing)
	}
	if p != nil {
		if !model.HasNameCollisions(f) {
			return nil
		}
		vs, err := tx.ListVersions(p.ID, meta.VersionFilter{AllStatuses: true, Limit: 1})
		if err != nil {
			return err
		}
		if len(vs) > 0 && vs[0].DisplayName != "" && model.NameCollision(f, vs[0].DisplayName, name) {
			return collision(vs[0].DisplayName)
		}
		return nil
	}
	prefix, ok := model.CollisionPrefix(f, sc.key.Name)
	if !ok {
		return nil
	}
	ps, err := tx.ListPackages(sc.repo.ID, meta.PackageFilter{Format: f, NamePrefix: prefix})
	if err != nil {
		return err
	}
	for _, q := range ps {
		if q.Key.Namespace == sc.key.Namespace && model.NameCollision(f, q.Key.Name, sc.key.Name) {
			return collision(q.Key.Name)
		}
	}
	return nil
}

// commitPublish re-checks the version's state inside the write transaction
// (another request may have changed it while the bytes streamed) and
// records the assets.
func (s *Service) commitPublish(ctx context.Context, tx meta.Tx, c Caller, sc *pkgScope, version string, req *PublishRequest, stored []*model.Asset) (*PublishResult, int64, error) {
	p, v, err := s.publishState(tx, sc, version, req)
	if err != nil {
		return nil, 0, err
	}
	if v == nil {
		// Upstream may have gained the version while the bytes streamed.
		// (Public registries were asked before; they are not asked again
		// inside the transaction.)
		if _, err := s.upstreamVersion(ctx, tx, c, sc, version); err != nil {
			return nil, 0, err
		}
	}
	if p == nil {
		p = &model.Package{RepositoryID: sc.repo.ID, Key: sc.key, Origin: model.DefaultOriginForPublish}
		if err := tx.CreatePackage(p); err != nil {
			return nil, 0, err
		}
	}
	created := v == nil
	if created {
		v = &model.Version{PackageID: p.ID, Version: version, Status: model.StatusPublished, PublishedTime: s.now(),
			OriginType: model.OriginInternal, OriginRepository: sc.repo.Name}
		if req.Unfinished {
			v.Status = model.StatusUnfinished
		}
	}
	changed := created
	var fresh []*model.Asset
	for _, a := range stored {
		var old *model.Asset
		if !created {
			old, err = tx.GetAsset(v.ID, a.Name)
			if errors.Is(err, meta.ErrNotFound) {
				old, err = nil, nil
			}
			if err != nil {
				return nil, 0, err
			}
		}
		switch {
		case old != nil && old.Hashes.SHA256 == a.Hashes.SHA256:
			// Byte-identical re-upload: idempotent.
		case old != nil:
			return nil, 0, assetConflict(sc.key, version, a.Name)
		case !created && v.Status != model.StatusUnfinished && !req.AddToPublished:
			return nil, 0, model.Conflict(model.ResourcePackageVersion, version, "Package version %s of %s is already %s; new assets can only be added to an Unfinished version.", version, model.DisplayName(sc.key), v.Status)
		default:
			fresh = append(fresh, a)
		}
	}
	if !created && len(fresh) > 0 {
		n, err := tx.ListAssets(v.ID, "", maxAssetsPerVersion+1)
		if err != nil {
			return nil, 0, err
		}
		if len(n)+len(fresh) > maxAssetsPerVersion {
			return nil, 0, model.QuotaExceeded(model.ResourcePackageVersion, version, "A package version can have at most %d assets.", maxAssetsPerVersion)
		}
	}
	if len(fresh) > 0 || req.Metadata != nil {
		changed = true
	}
	if !req.Unfinished && v.Status == model.StatusUnfinished {
		v.Status = model.StatusPublished
		changed = true
	}
	if req.Metadata != nil {
		m := req.Metadata
		v.DisplayName, v.Summary, v.HomePage, v.SourceCodeRepo = m.DisplayName, m.Summary, m.HomePage, m.SourceCodeRepo
		v.Licenses, v.Dependencies, v.Readme, v.FormatMetadata = m.Licenses, m.Dependencies, m.Readme, m.FormatMetadata
	}
	if req.MergeFormatMetadata != nil {
		doc, err := req.MergeFormatMetadata(v.FormatMetadata)
		if err != nil {
			return nil, 0, err
		}
		if !bytes.Equal(doc, v.FormatMetadata) {
			v.FormatMetadata = doc
			changed = true
		}
	}
	if changed {
		v.Revision = newRevision()
		if created {
			err = tx.CreateVersion(v)
			if err == nil {
				// A version published again under a deleted one's number
				// replaces it for good.
				err = tx.ForgetTrashed(v.PackageID, v.Version)
			}
		} else {
			err = tx.UpdateVersion(v)
		}
		if err != nil {
			return nil, 0, err
		}
	}
	for _, a := range fresh {
		// The lease protects the bytes; this turns a broken invariant into
		// a failed publish instead of an asset without content.
		if _, _, err := s.blobs.Stat(ctx, blob.Digest(a.Hashes.SHA256)); err != nil {
			return nil, 0, fmt.Errorf("asset %s content missing before commit: %w", a.Name, err)
		}
		a.VersionID = v.ID
		if err := tx.PutAsset(a); err != nil {
			return nil, 0, err
		}
	}
	if err := setState(tx, p.ID, req.State); err != nil {
		return nil, 0, err
	}
	return &PublishResult{Format: sc.key.Format, Namespace: sc.key.Namespace, Package: sc.key.Name, Version: v.Version,
		Revision: v.Revision, Status: v.Status, Assets: stored, Created: created}, p.ID, nil
}

// PublishPackageVersionInput is PublishPackageVersion's request, less the asset's bytes.
type PublishPackageVersionInput struct {
	PackageRef
	PackageVersion string `json:"packageVersion"`
	AssetName      string `json:"assetName"`
	AssetSHA256    string `json:"assetSHA256"`
	Unfinished     bool   `json:"unfinished"`
}

// PublishPackageVersionOutput is PublishPackageVersion's answer.
type PublishPackageVersionOutput struct {
	Format          model.Format `json:"format"`
	Namespace       string       `json:"namespace,omitempty"`
	Package         string       `json:"package"`
	Version         string       `json:"version"`
	VersionRevision string       `json:"versionRevision"`
	Status          model.Status `json:"status"`
	Asset           AssetSummary `json:"asset"`
}

// PublishPackageVersion is the control plane's generic-format publish.
func (s *Service) PublishPackageVersion(ctx context.Context, c Caller, in PublishPackageVersionInput, body io.Reader) (*PublishPackageVersionOutput, error) {
	if in.Format != model.FormatGeneric {
		return nil, model.InvalidParameter("PublishPackageVersion only supports the generic format, not %s.", in.Format)
	}
	res, err := s.Publish(ctx, c, PublishRequest{
		Ref: in.PackageRef, Version: in.PackageVersion, Unfinished: in.Unfinished,
		Assets: []Upload{{Name: in.AssetName, Body: body, SHA256: in.AssetSHA256}},
	})
	if err != nil {
		return nil, err
	}
	return &PublishPackageVersionOutput{Format: res.Format, Namespace: res.Namespace, Package: res.Package, Version: res.Version,
		VersionRevision: res.Revision, Status: res.Status, Asset: assetSummary(res.Assets[0])}, nil
}
