// Package meta defines the metadata store: domains, repositories,
// packages, versions, assets, tags and the bookkeeping that keeps blobs
// safe from garbage collection. Implementations live in subpackages and
// all pass the contract suite in metatest.
//
// The store holds no business rules: it reads and writes rows inside
// transactions, and the service layer decides what may change. Update
// transactions are serialized, which is what makes batch operations
// linearizable.
package meta

import (
	"context"
	"errors"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

var (
	// ErrNotFound is returned when a row does not exist.
	ErrNotFound = errors.New("meta: not found")
	// ErrExists is returned when a row with the same key exists already.
	ErrExists = errors.New("meta: already exists")
)

// Store opens transactions over the metadata.
type Store interface {
	// View runs fn in a read-only transaction with a consistent snapshot.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction. Update transactions are
	// serialized; fn's error rolls everything back.
	Update(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Tx is one transaction. Its methods use the context Update or View was
// given. Lists are keyset-paginated: After is the key of the last row of
// the previous page, in the form documented on each filter, and "" starts
// at the beginning.
type Tx interface {
	Domains
	Repositories
	Packages
	PackageStates
	Versions
	Assets
	Tags
	Blobs
	Settings
	PackageGroups
	Events
	RetentionRules
	Trash
	Downloads
	SizesReader
	Audit
	ConsoleSessions
}

type Domains interface {
	CreateDomain(d *model.Domain) error // sets d.ID; ErrExists
	GetDomain(owner, name string) (*model.Domain, error)
	// ListDomains lists the domains of owner ("" for every owner), ordered
	// by name then owner; After is "name/owner".
	ListDomains(owner, after string, limit int) ([]*model.Domain, error)
	DeleteDomain(id int64) error
	// DomainUsage returns the repository count and the bytes of distinct
	// assets stored in the domain.
	DomainUsage(id int64) (repositories int, assetBytes int64, err error)
}

// RepositoryFilter selects repositories. Zero fields match everything.
type RepositoryFilter struct {
	DomainID             int64
	AdministratorAccount string
	Prefix               string
	After                string // "name/id"
	Limit                int
}

type Repositories interface {
	CreateRepository(r *model.Repository) error // sets r.ID; ErrExists
	GetRepository(domainID int64, name string) (*model.Repository, error)
	UpdateRepository(r *model.Repository) error
	DeleteRepository(id int64) error
	// ListRepositories orders by name then id.
	ListRepositories(f RepositoryFilter) ([]*model.Repository, error)
	// Downstreams lists the names of repositories in the domain that have
	// name as an upstream.
	Downstreams(domainID int64, name string) ([]string, error)
}

// PackageFilter selects packages in a repository.
type PackageFilter struct {
	Format          model.Format // "" for all
	NamespacePrefix string
	HasNamespace    *bool // when set, only packages with (or without) a namespace
	NamePrefix      string
	Publish         string // origin restriction filter, "" for all
	Upstream        string
	After           string // "format/namespace/name" as returned by PackageCursor
	Limit           int
}

// PackageCursor is the After value that continues a package listing
// after p.
func PackageCursor(p *model.Package) string {
	return string(p.Key.Format) + "\x00" + p.Key.Namespace + "\x00" + p.Key.Name
}

type Packages interface {
	CreatePackage(p *model.Package) error // sets p.ID; ErrExists
	GetPackage(repoID int64, k model.PackageKey) (*model.Package, error)
	GetPackageByID(id int64) (*model.Package, error)
	SetPackageOrigin(id int64, o model.OriginRestrictions) error
	// DeletePackage removes the package with its versions, assets and
	// state.
	DeletePackage(id int64) error
	// ListPackages orders by format, namespace, name.
	ListPackages(repoID int64, f PackageFilter) ([]*model.Package, error)
}

// PackageStates keep the per-package state a package's format owns
// (npm: its dist-tags), string keys to string values. The store gives
// them no meaning; each write moves the package's generation, and
// deleting the package deletes its state.
type PackageStates interface {
	PackageState(pkgID int64) (map[string]string, error)
	SetPackageState(pkgID int64, key, value string) error
	DeletePackageState(pkgID int64, key string) error
}

// Version sort orders.
const (
	SortByVersion   = ""
	SortByPublished = "PUBLISHED_TIME" // newest first
)

// VersionFilter selects versions of one package.
type VersionFilter struct {
	Status          model.Status // "" for all but those hidden by default
	AllStatuses     bool         // ignore Status and include hidden ones
	OriginType      string
	Sort            string
	After           string // as returned by VersionCursor for the same Sort
	Limit           int    // 0 for no limit
	WithFormatMeta  bool   // load FormatMetadata (npm manifests, ...)
	WithDetails     bool   // load summary, licenses, dependencies, readme
	PublishedBefore time.Time
}

type Versions interface {
	CreateVersion(v *model.Version) error // sets v.ID; ErrExists
	// GetVersion loads every field of the version.
	GetVersion(pkgID int64, version string) (*model.Version, error)
	// GetVersions loads the named versions that exist (without readme and
	// format metadata), keyed by version string.
	GetVersions(pkgID int64, versions []string) (map[string]*model.Version, error)
	// UpdateVersion rewrites every field of the version.
	UpdateVersion(v *model.Version) error
	SetVersionStatus(ids []int64, s model.Status) error
	DeleteVersions(ids []int64) error
	ListVersions(pkgID int64, f VersionFilter) ([]*model.Version, error)
	// TouchPackage marks the package changed (its Generation increases).
	// Every version, asset and package state write does this already.
	TouchPackage(pkgID int64) error
}

// VersionCursor is the After value that continues a listing after v in
// the given sort order.
func VersionCursor(v *model.Version, sort string) string {
	if sort == SortByPublished {
		return time.Unix(0, v.PublishedTime.UnixNano()).UTC().Format(time.RFC3339Nano) + "\x00" + v.Version
	}
	return v.Version
}

type Assets interface {
	// PutAsset records an asset of a version; ErrExists if the name is
	// taken. It also records the blob as stored.
	PutAsset(a *model.Asset) error
	GetAsset(versionID int64, name string) (*model.Asset, error)
	// ListAssets orders by name; After is the last name.
	ListAssets(versionID int64, after string, limit int) ([]*model.Asset, error)
	DeleteAssets(versionID int64) error
}

// Tag is a resource tag.
type Tag struct {
	Key   string
	Value string
}

type Tags interface {
	// GetTags returns the resource's tags ordered by key.
	GetTags(arn string) ([]Tag, error)
	// SetTags adds or replaces the given tags.
	SetTags(arn string, tags []Tag) error
	RemoveTags(arn string, keys []string) error
	// DeleteTags removes every tag of the resource.
	DeleteTags(arn string) error
}

// Blobs tracks which content digests the metadata refers to, so that the
// garbage collector can reclaim the rest without racing a publish.
//
// A publish first leases the digest (in its own committed transaction),
// then writes the bytes, then records the asset and drops the lease in one
// transaction. The collector deletes a blob only inside an Update
// transaction that finds it neither referenced nor leased, so the two
// cannot interleave.
type Blobs interface {
	LeaseBlob(digest string, until time.Time) error
	ReleaseBlob(digest string) error
	// BlobReferenced reports whether a non-disposed asset or a live lease
	// refers to digest.
	BlobReferenced(digest string, now time.Time) (bool, error)
	// UnreferencedBlobs lists recorded digests that nothing refers to.
	UnreferencedBlobs(now time.Time, limit int) ([]string, error)
	// PruneBlobLeases drops expired leases: publishes that died.
	PruneBlobLeases(now time.Time) error
	// ForgetBlob drops the record of a digest whose bytes were deleted.
	ForgetBlob(digest string) error
	// KnownBlob reports whether the digest is recorded (for the sweep of
	// bytes that a crash left without metadata).
	KnownBlob(digest string) (bool, error)
}

// Settings is a small key/value table for server state such as signing
// keys.
type Settings interface {
	GetSetting(key string) (string, error) // ErrNotFound
	PutSetting(key, value string) error
}

// PackageGroups stores the package groups of domains and their allowed
// repository lists. Every domain has its root group "/*" (every
// restriction ALLOW) from the moment it is created, stored like any other
// group. Patterns are unique in a domain by model.PatternKey; the store
// does not otherwise interpret them beyond their format segment.
type PackageGroups interface {
	CreatePackageGroup(g *model.PackageGroup) error // sets g.ID; ErrExists
	// GetPackageGroup finds the group whose pattern has pattern's
	// model.PatternKey, with its AllowedCounts.
	GetPackageGroup(domainID int64, pattern string) (*model.PackageGroup, error)
	// UpdatePackageGroup rewrites the contact info, description and modes.
	UpdatePackageGroup(g *model.PackageGroup) error
	// DeletePackageGroup removes the group and its allowed repository
	// lists.
	DeletePackageGroup(id int64) error
	// ListPackageGroups lists a domain's groups, with their AllowedCounts,
	// ordered by pattern: every group, or those whose pattern is of one of
	// the formats ("" selects the root group).
	ListPackageGroups(domainID int64, formats ...model.Format) ([]*model.PackageGroup, error)
	// AddAllowedRepository and RemoveAllowedRepository change a group's
	// allowed repository list for a restriction type and report whether it
	// changed. Deleting a repository takes it off every list.
	AddAllowedRepository(groupID int64, t model.OriginRestrictionType, repoID int64) (bool, error)
	RemoveAllowedRepository(groupID int64, t model.OriginRestrictionType, repoID int64) (bool, error)
	// ClearAllowedRepositories empties a list and returns the names it
	// held, ordered.
	ClearAllowedRepositories(groupID int64, t model.OriginRestrictionType) ([]string, error)
	// ListAllowedRepositories lists the repository names of a list,
	// ordered; After is the last name of the previous page.
	ListAllowedRepositories(groupID int64, t model.OriginRestrictionType, after string, limit int) ([]string, error)
	// AllowedRepository reports whether the repository is on the list.
	AllowedRepository(groupID int64, t model.OriginRestrictionType, repoID int64) (bool, error)
	// ListDomainPackages lists the distinct coordinates of the packages in
	// any repository of the domain, of the given formats (all when none),
	// ordered by format, namespace and name; After is a PackageCursor.
	ListDomainPackages(domainID int64, formats []model.Format, after string, limit int) ([]model.PackageKey, error)
}
