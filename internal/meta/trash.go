package meta

import (
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

// TrashedVersion is a deleted version kept for its domain's restore
// window: enough to put it back as it was (Doc, opaque to the store).
type TrashedVersion struct {
	ID        int64
	PackageID int64
	// Key is the package's coordinate, filled in by reads.
	Key          model.PackageKey
	Version      string
	FormerStatus model.Status
	Revision     string
	Deleted      time.Time
	Expires      time.Time
	Doc          []byte
}

// Trash keeps deleted versions for a restore window. Entries past their
// Expires are invisible to reads.
type Trash interface {
	// TrashVersion records a deleted version, replacing an earlier entry
	// for the same package and version; sets v.ID.
	TrashVersion(v *TrashedVersion) error
	// GetTrashed returns the unexpired entry of a version; ErrNotFound.
	GetTrashed(pkgID int64, version string, now time.Time) (*TrashedVersion, error)
	// ListTrash lists a repository's unexpired entries by ID, after the
	// ID afterID.
	ListTrash(repoID int64, now time.Time, afterID int64, limit int) ([]*TrashedVersion, error)
	// ForgetTrashed drops the entry of a version, if any.
	ForgetTrashed(pkgID int64, version string) error
	// PurgeTrash drops expired entries.
	PurgeTrash(now time.Time) error
}
