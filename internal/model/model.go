// Package model holds CodeArtifact's resources and the rules that govern
// them: formats, statuses and their transitions, names and namespaces,
// ARNs, and the per-version outcome of batch operations. It does no I/O,
// so every rule here is testable on its own and shared by the control
// plane and every package format.
package model

import "time"

// Format is a package format (PackageFormat in the service model).
type Format string

const (
	FormatNpm     Format = "npm"
	FormatPyPI    Format = "pypi"
	FormatMaven   Format = "maven"
	FormatNuGet   Format = "nuget"
	FormatGeneric Format = "generic"
	FormatRuby    Format = "ruby"
	FormatSwift   Format = "swift"
	FormatCargo   Format = "cargo"
)

// Formats lists every format in the service model's order.
var Formats = []Format{FormatNpm, FormatPyPI, FormatMaven, FormatNuGet, FormatGeneric, FormatRuby, FormatSwift, FormatCargo}

func (f Format) Valid() bool {
	for _, g := range Formats {
		if f == g {
			return true
		}
	}
	return false
}

// Domain is a CodeArtifact domain. Domains are keyed by (Owner, Name).
type Domain struct {
	ID            int64
	Name          string
	Owner         string
	EncryptionKey string
	CreatedTime   time.Time
}

// Repository is a repository within a domain.
type Repository struct {
	ID                   int64
	DomainID             int64
	DomainName           string
	DomainOwner          string
	Name                 string
	Description          string
	AdministratorAccount string
	Upstreams            []string // repository names, in priority order
	ExternalConnections  []string // e.g. public:npmjs
	CreatedTime          time.Time
}

// Origin restriction values.
const (
	Allow = "ALLOW"
	Block = "BLOCK"
)

// OriginRestrictions are a package's origin controls in one repository.
type OriginRestrictions struct {
	Publish  string `json:"publish"`
	Upstream string `json:"upstream"`
}

// DefaultOriginForPublish is what a package gets when its first version is
// published directly (as opposed to ingested from an upstream).
var DefaultOriginForPublish = OriginRestrictions{Publish: Allow, Upstream: Block}

// DefaultOriginForUpstream is what a package gets when its first version
// came from an upstream or external connection.
var DefaultOriginForUpstream = OriginRestrictions{Publish: Block, Upstream: Allow}

// PackageKey identifies a package within a repository, in normalized form.
type PackageKey struct {
	Format    Format
	Namespace string
	Name      string
}

// Package is a package within a repository.
type Package struct {
	ID           int64
	RepositoryID int64
	Key          PackageKey
	Origin       OriginRestrictions
	// Generation increases on every change to the package or its versions,
	// so format endpoints can cache derived documents (npm packuments,
	// simple pages, maven-metadata.xml) keyed by it.
	Generation int64
}

// Origin types of a package version.
const (
	OriginInternal = "INTERNAL"
	OriginExternal = "EXTERNAL"
	OriginUnknown  = "UNKNOWN"
)

// License is a version's license (LicenseInfo).
type License struct {
	Name string `json:"name,omitempty"`
	URL  string `json:"url,omitempty"`
}

// Dependency is a version's dependency (PackageDependency).
type Dependency struct {
	Namespace          string `json:"namespace,omitempty"`
	Package            string `json:"package,omitempty"`
	DependencyType     string `json:"dependencyType,omitempty"`
	VersionRequirement string `json:"versionRequirement,omitempty"`
}

// Version is a package version.
type Version struct {
	ID            int64
	PackageID     int64
	Version       string
	DisplayName   string // original spelling where the format normalizes
	Revision      string
	Status        Status
	PublishedTime time.Time
	OriginType    string
	// OriginRepository is the repository the version was published to,
	// or OriginExternal names an external connection it came from.
	OriginRepository string
	OriginExternal   string
	Summary          string
	HomePage         string
	SourceCodeRepo   string
	Licenses         []License
	Dependencies     []Dependency
	Readme           string
	// FormatMetadata is the format's own document for the version (an npm
	// version manifest, say), opaque to the model.
	FormatMetadata []byte
}

// Hashes are an asset's digests, lowercase hex.
type Hashes struct {
	MD5    string
	SHA1   string
	SHA256 string
	SHA512 string
}

// Asset is one file of a package version. Its bytes live in the blob
// store under Hashes.SHA256.
type Asset struct {
	ID        int64
	VersionID int64
	Name      string
	Size      int64
	Hashes    Hashes
	Created   time.Time
}
