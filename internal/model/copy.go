package model

import (
	"fmt"
	"slices"
)

// Copy is a CopyPackageVersions request: the versions to copy from one
// repository to another, and how they are guarded.
type Copy struct {
	Source, Destination string            // repository names
	Versions            []string          // versions, or
	Revisions           map[string]string // versionRevisions: each version with its expected revision
	AllowOverwrite      bool
}

// Check validates the request as a whole before any version is looked at.
func (c Copy) Check() error {
	if (len(c.Versions) == 0) == (len(c.Revisions) == 0) {
		return InvalidParameter("Exactly one of versions or versionRevisions must be specified.")
	}
	if len(c.Versions) > MaxBatchVersions {
		return Validationf("1 validation error detected: Value '%v' at 'versions' failed to satisfy constraint: Member must have length less than or equal to %d", c.Versions, MaxBatchVersions)
	}
	if len(c.Revisions) > MaxBatchVersions {
		return Validationf("1 validation error detected: Value at 'versionRevisions' failed to satisfy constraint: Member must have length less than or equal to %d", MaxBatchVersions)
	}
	if c.Source == c.Destination {
		return InvalidParameter("The source and destination repositories must be different.")
	}
	return nil
}

// Unique returns the versions the request names, each once, sorted.
func (c Copy) Unique() []string {
	seen := make(map[string]bool, len(c.Versions)+len(c.Revisions))
	out := make([]string, 0, len(c.Versions)+len(c.Revisions))
	add := func(v string) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for _, v := range c.Versions {
		add(v)
	}
	for v := range c.Revisions {
		add(v)
	}
	slices.Sort(out)
	return out
}

// Plan decides every version's outcome from the nearest copy of each
// version in the source's chain (found; a missing or nil entry means
// none) and the destination's versions (existing). Unlike the status
// batches a copy is decided per version: ok holds the versions to copy,
// each with the revision and status it keeps, and the others fail with
// their own code, in this order of precedence: NOT_FOUND,
// MISMATCHED_REVISION, NOT_ALLOWED (a status that cannot be copied),
// ALREADY_EXISTS (unless AllowOverwrite).
func (c Copy) Plan(found, existing map[string]*Version) (ok map[string]VersionResult, failed map[string]VersionError) {
	ok = map[string]VersionResult{}
	failed = map[string]VersionError{}
	for _, name := range c.Unique() {
		v := found[name]
		switch want := c.Revisions[name]; {
		case v == nil:
			failed[name] = VersionError{CodeNotFound, fmt.Sprintf("version %s not found", name)}
		case want != "" && want != v.Revision:
			failed[name] = VersionError{CodeMismatchedRevision, fmt.Sprintf("current revision: %s, expected revision: %s", v.Revision, want)}
		case !v.Status.Copyable():
			failed[name] = VersionError{CodeNotAllowed, fmt.Sprintf("version %s is %s and cannot be copied", name, v.Status)}
		case existing[name] != nil && !c.AllowOverwrite:
			failed[name] = VersionError{CodeAlreadyExists, fmt.Sprintf("version %s already exists in repository %s", name, c.Destination)}
		default:
			ok[name] = VersionResult{Revision: v.Revision, Status: v.Status}
		}
	}
	return ok, failed
}
