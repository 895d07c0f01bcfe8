package service

import (
	"strconv"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

// The types in this file are the operations' response members, shaped
// and named as in the CodeArtifact service model so that handlers encode
// them as they are.

// Timestamp encodes as epoch seconds, the rest-json default the SDKs
// expect.
type Timestamp time.Time

// MarshalJSON encodes the time as epoch seconds with milliseconds.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	return strconv.AppendFloat(nil, float64(tt.UnixMilli())/1000, 'f', -1, 64), nil
}

func ts(t time.Time) *Timestamp {
	if t.IsZero() {
		return nil
	}
	v := Timestamp(t)
	return &v
}

// DomainDescription describes a domain.
type DomainDescription struct {
	Name            string     `json:"name"`
	Owner           string     `json:"owner"`
	Arn             string     `json:"arn"`
	Status          string     `json:"status"`
	CreatedTime     *Timestamp `json:"createdTime,omitempty"`
	EncryptionKey   string     `json:"encryptionKey,omitempty"`
	RepositoryCount int        `json:"repositoryCount"`
	AssetSizeBytes  int64      `json:"assetSizeBytes"`
	S3BucketArn     string     `json:"s3BucketArn,omitempty"`
}

// DomainSummary is a domain as ListDomains lists it.
type DomainSummary struct {
	Name          string     `json:"name"`
	Owner         string     `json:"owner"`
	Arn           string     `json:"arn"`
	Status        string     `json:"status"`
	CreatedTime   *Timestamp `json:"createdTime,omitempty"`
	EncryptionKey string     `json:"encryptionKey,omitempty"`
}

// UpstreamRepositoryInfo names one upstream of a repository.
type UpstreamRepositoryInfo struct {
	RepositoryName string `json:"repositoryName"`
}

// ExternalConnectionInfo is a repository's public connection (RepositoryExternalConnectionInfo).
type ExternalConnectionInfo struct {
	ExternalConnectionName string `json:"externalConnectionName"`
	PackageFormat          string `json:"packageFormat,omitempty"`
	Status                 string `json:"status"`
}

// RepositoryDescription describes a repository.
type RepositoryDescription struct {
	Name                 string                   `json:"name"`
	AdministratorAccount string                   `json:"administratorAccount"`
	DomainName           string                   `json:"domainName"`
	DomainOwner          string                   `json:"domainOwner"`
	Arn                  string                   `json:"arn"`
	Description          string                   `json:"description,omitempty"`
	Upstreams            []UpstreamRepositoryInfo `json:"upstreams"`
	ExternalConnections  []ExternalConnectionInfo `json:"externalConnections"`
	CreatedTime          *Timestamp               `json:"createdTime,omitempty"`
}

// RepositorySummary is a repository as the repository listings list it.
type RepositorySummary struct {
	Name                 string     `json:"name"`
	AdministratorAccount string     `json:"administratorAccount"`
	DomainName           string     `json:"domainName"`
	DomainOwner          string     `json:"domainOwner"`
	Arn                  string     `json:"arn"`
	Description          string     `json:"description,omitempty"`
	CreatedTime          *Timestamp `json:"createdTime,omitempty"`
}

// OriginConfiguration is a package's origin controls (PackageOriginConfiguration).
type OriginConfiguration struct {
	Restrictions model.OriginRestrictions `json:"restrictions"`
}

// PackageSummary is a package as ListPackages lists it.
type PackageSummary struct {
	Format              model.Format         `json:"format"`
	Namespace           string               `json:"namespace,omitempty"`
	Package             string               `json:"package"`
	OriginConfiguration *OriginConfiguration `json:"originConfiguration,omitempty"`
}

// PackageDescription describes a package.
type PackageDescription struct {
	Format              model.Format         `json:"format"`
	Namespace           string               `json:"namespace,omitempty"`
	Name                string               `json:"name"`
	OriginConfiguration *OriginConfiguration `json:"originConfiguration,omitempty"`
}

// DomainEntryPoint is where a version entered the domain: a repository or an external connection.
type DomainEntryPoint struct {
	RepositoryName         string `json:"repositoryName,omitempty"`
	ExternalConnectionName string `json:"externalConnectionName,omitempty"`
}

// VersionOrigin is a version's origin (PackageVersionOrigin).
type VersionOrigin struct {
	DomainEntryPoint *DomainEntryPoint `json:"domainEntryPoint,omitempty"`
	OriginType       string            `json:"originType"`
}

// PackageVersionSummary is a version as ListPackageVersions lists it.
type PackageVersionSummary struct {
	Version  string         `json:"version"`
	Revision string         `json:"revision,omitempty"`
	Status   model.Status   `json:"status"`
	Origin   *VersionOrigin `json:"origin,omitempty"`
}

// PackageVersionDescription describes a package version.
type PackageVersionDescription struct {
	Format               model.Format    `json:"format"`
	Namespace            string          `json:"namespace,omitempty"`
	PackageName          string          `json:"packageName"`
	DisplayName          string          `json:"displayName,omitempty"`
	Version              string          `json:"version"`
	Summary              string          `json:"summary,omitempty"`
	HomePage             string          `json:"homePage,omitempty"`
	SourceCodeRepository string          `json:"sourceCodeRepository,omitempty"`
	PublishedTime        *Timestamp      `json:"publishedTime,omitempty"`
	Licenses             []model.License `json:"licenses,omitempty"`
	Revision             string          `json:"revision,omitempty"`
	Status               model.Status    `json:"status"`
	Origin               *VersionOrigin  `json:"origin,omitempty"`
}

// AssetSummary is an asset with its size and hashes.
type AssetSummary struct {
	Name   string            `json:"name"`
	Size   int64             `json:"size"`
	Hashes map[string]string `json:"hashes,omitempty"`
}

func assetSummary(a *model.Asset) AssetSummary {
	return AssetSummary{Name: a.Name, Size: a.Size, Hashes: map[string]string{
		"MD5": a.Hashes.MD5, "SHA-1": a.Hashes.SHA1, "SHA-256": a.Hashes.SHA256, "SHA-512": a.Hashes.SHA512,
	}}
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func versionOrigin(v *model.Version) *VersionOrigin {
	var o VersionOrigin
	var ep DomainEntryPoint
	fillOrigin(v, &o, &ep)
	return &o
}

// fillOrigin sets o (pointing at ep when there is an entry point) from v.
func fillOrigin(v *model.Version, o *VersionOrigin, ep *DomainEntryPoint) {
	*o = VersionOrigin{OriginType: v.OriginType}
	switch {
	case v.OriginExternal != "":
		*ep = DomainEntryPoint{ExternalConnectionName: v.OriginExternal}
		o.DomainEntryPoint = ep
	case v.OriginRepository != "":
		*ep = DomainEntryPoint{RepositoryName: v.OriginRepository}
		o.DomainEntryPoint = ep
	}
}

// versionOrigins are the origins of a page of versions, in two
// allocations rather than two per version.
func versionOrigins(vs []*model.Version) []*VersionOrigin {
	origins := make([]VersionOrigin, len(vs))
	eps := make([]DomainEntryPoint, len(vs))
	out := make([]*VersionOrigin, len(vs))
	for i, v := range vs {
		fillOrigin(v, &origins[i], &eps[i])
		out[i] = &origins[i]
	}
	return out
}
