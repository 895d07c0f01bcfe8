package model

// CodeArtifact's EventBridge event "CodeArtifact Package Version State
// Change": the envelope and its detail, field for field as AWS documents
// them, so that consumers written for CodeArtifact read Wharf's webhooks
// unchanged.

// Event detail types and sources.
const (
	EventDetailType = "CodeArtifact Package Version State Change"
	EventSource     = "aws.codeartifact"
)

// Operation types of a package version event.
const (
	OperationCreated = "Created"
	OperationUpdated = "Updated"
	OperationDeleted = "Deleted"
)

// EventEnvelope is an EventBridge event.
type EventEnvelope struct {
	Version    string       `json:"version"`
	ID         string       `json:"id"`
	DetailType string       `json:"detail-type"`
	Source     string       `json:"source"`
	Account    string       `json:"account"`
	Time       string       `json:"time"`
	Region     string       `json:"region"`
	Resources  []string     `json:"resources"`
	Detail     VersionEvent `json:"detail"`
}

// VersionEvent is the detail of a package version state change.
type VersionEvent struct {
	DomainName             string        `json:"domainName"`
	DomainOwner            string        `json:"domainOwner"`
	RepositoryName         string        `json:"repositoryName"`
	PackageFormat          Format        `json:"packageFormat"`
	PackageNamespace       *string       `json:"packageNamespace"` // null without a namespace, as in AWS's example
	PackageName            string        `json:"packageName"`
	PackageVersion         string        `json:"packageVersion"`
	PackageVersionState    Status        `json:"packageVersionState"`
	PackageVersionRevision string        `json:"packageVersionRevision"`
	Changes                VersionChange `json:"changes"`
	OperationType          string        `json:"operationType"`
	SequenceNumber         int64         `json:"sequenceNumber"`
	EventDeduplicationID   string        `json:"eventDeduplicationId"`
}

// VersionChange counts what an event changed.
type VersionChange struct {
	AssetsAdded     int  `json:"assetsAdded"`
	AssetsRemoved   int  `json:"assetsRemoved"`
	AssetsUpdated   int  `json:"assetsUpdated"`
	MetadataUpdated bool `json:"metadataUpdated"`
	StatusChanged   bool `json:"statusChanged"`
}

// VersionState is what an event compares: a version's status, revision
// and assets (name to SHA-256).
type VersionState struct {
	Status   Status
	Revision string
	Assets   map[string]string
}

// DiffVersion describes the change from before to after (nil: the version
// did not exist, or no longer does). ok is false when nothing an event
// reports changed. A created version counts its assets as added and its
// metadata and status as changed; a deleted one counts its assets as
// removed.
func DiffVersion(before, after *VersionState) (op string, c VersionChange, ok bool) {
	switch {
	case before == nil && after == nil:
		return "", c, false
	case before == nil:
		return OperationCreated, VersionChange{AssetsAdded: len(after.Assets), MetadataUpdated: true, StatusChanged: true}, true
	case after == nil:
		return OperationDeleted, VersionChange{AssetsRemoved: len(before.Assets)}, true
	}
	for name, digest := range after.Assets {
		old, had := before.Assets[name]
		switch {
		case !had:
			c.AssetsAdded++
		case old != digest:
			c.AssetsUpdated++
		}
	}
	for name := range before.Assets {
		if _, kept := after.Assets[name]; !kept {
			c.AssetsRemoved++
		}
	}
	c.StatusChanged = before.Status != after.Status
	// The revision identifies assets and metadata together: when it moved
	// and no asset did, the metadata did.
	c.MetadataUpdated = before.Revision != after.Revision && c.AssetsAdded+c.AssetsRemoved+c.AssetsUpdated == 0
	if c == (VersionChange{}) && before.Revision == after.Revision {
		return "", c, false
	}
	return OperationUpdated, c, true
}
