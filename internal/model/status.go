package model

// Status is a package version's status (PackageVersionStatus).
type Status string

const (
	StatusPublished  Status = "Published"
	StatusUnfinished Status = "Unfinished"
	StatusUnlisted   Status = "Unlisted"
	StatusArchived   Status = "Archived"
	StatusDisposed   Status = "Disposed"
	StatusDeleted    Status = "Deleted"
)

// Statuses lists every status in the service model's order.
var Statuses = []Status{StatusPublished, StatusUnfinished, StatusUnlisted, StatusArchived, StatusDisposed, StatusDeleted}

func (s Status) Valid() bool {
	for _, t := range Statuses {
		if s == t {
			return true
		}
	}
	return false
}

// Downloadable reports whether a version's assets may be fetched: only
// Published and Unlisted ones (Unlisted keeps lockfile-pinned installs
// working).
func (s Status) Downloadable() bool { return s == StatusPublished || s == StatusUnlisted }

// HasAssets reports whether a version in this status has assets to list.
// Disposing removes a version's bytes for good, so a Disposed version
// lists none even though its metadata stays; a Deleted one is gone.
func (s Status) HasAssets() bool { return s != StatusDisposed && s != StatusDeleted }

// Served reports whether a package manager's read serves a version in
// this status: a downloadable one, or an Unfinished one when the reader
// asked for those (a publisher checking what it just uploaded).
func (s Status) Served(includeUnfinished bool) bool {
	return s.Downloadable() || (includeUnfinished && s == StatusUnfinished)
}

// Listed reports whether package managers see the version in their
// listings (packuments, simple pages, maven-metadata.xml).
func (s Status) Listed() bool { return s == StatusPublished }

// HiddenByDefault reports whether ListPackageVersions omits the version
// when no status filter is given.
func (s Status) HiddenByDefault() bool { return s == StatusArchived }

// BlocksRepublish reports whether a package manager may not publish into
// an existing version with this status.
func (s Status) BlocksRepublish() bool {
	return s == StatusArchived || s == StatusDisposed
}

// Copyable reports whether CopyPackageVersions may copy a version in this
// status: Published, Unlisted and Archived ones, which keep their status
// in the destination. Unfinished versions are incomplete and Disposed ones
// have no bytes left.
func (s Status) Copyable() bool {
	return s == StatusPublished || s == StatusUnlisted || s == StatusArchived
}

// ValidTarget reports whether UpdatePackageVersionsStatus may move a
// version to s.
func ValidTarget(s Status) bool {
	return s == StatusPublished || s == StatusUnlisted || s == StatusArchived
}

// CanTransition reports whether UpdatePackageVersionsStatus may move a
// version from one status to another. Nothing leaves Disposed except a
// delete, and nothing goes back to Unfinished.
func CanTransition(from, to Status) bool {
	if !ValidTarget(to) {
		return false
	}
	switch from {
	case StatusPublished, StatusUnlisted, StatusArchived, StatusUnfinished:
		return true
	default:
		return false
	}
}
