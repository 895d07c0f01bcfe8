package model

import "fmt"

// MaxBatchVersions is the most versions one batch call may name
// (PackageVersionList's max in the service model).
const MaxBatchVersions = 100

// ErrorCode is a per-version failure code (PackageVersionErrorCode).
type ErrorCode string

const (
	CodeAlreadyExists      ErrorCode = "ALREADY_EXISTS"
	CodeMismatchedRevision ErrorCode = "MISMATCHED_REVISION"
	CodeMismatchedStatus   ErrorCode = "MISMATCHED_STATUS"
	CodeNotAllowed         ErrorCode = "NOT_ALLOWED"
	CodeNotFound           ErrorCode = "NOT_FOUND"
	CodeSkipped            ErrorCode = "SKIPPED"
)

// VersionError is one entry of failedVersions.
type VersionError struct {
	ErrorCode    ErrorCode `json:"errorCode"`
	ErrorMessage string    `json:"errorMessage"`
}

// VersionResult is one entry of successfulVersions.
type VersionResult struct {
	Revision string `json:"revision"`
	Status   Status `json:"status"`
}

// BatchOp names the status-changing batch operation being planned.
type BatchOp int

const (
	OpDelete BatchOp = iota
	OpDispose
	OpUpdateStatus
)

// Batch is a request to change the status of several versions at once.
type Batch struct {
	Op        BatchOp
	Versions  []string
	Revisions map[string]string // optional guard per version (Dispose, UpdateStatus)
	Expected  Status            // optional guard for every version
	Target    Status            // UpdateStatus only
}

// Check validates the batch as a whole before any version is looked at.
func (b Batch) Check() error {
	if len(b.Versions) == 0 {
		return InvalidParameter("At least one version must be specified.")
	}
	if len(b.Versions) > MaxBatchVersions {
		return Validationf("1 validation error detected: Value '%v' at 'versions' failed to satisfy constraint: Member must have length less than or equal to %d", b.Versions, MaxBatchVersions)
	}
	if b.Expected != "" && !b.Expected.Valid() {
		return Validationf("1 validation error detected: Value '%s' at 'expectedStatus' failed to satisfy constraint: Member must satisfy enum value set: %v", b.Expected, Statuses)
	}
	if b.Op == OpUpdateStatus && !ValidTarget(b.Target) {
		return InvalidParameter("Invalid target status %s: the target status must be one of Published, Unlisted or Archived.", b.Target)
	}
	if len(b.Revisions) > MaxBatchVersions {
		return Validationf("1 validation error detected: Value at 'versionRevisions' failed to satisfy constraint: Member must have length less than or equal to %d", MaxBatchVersions)
	}
	listed := make(map[string]bool, len(b.Versions))
	for _, v := range b.Versions {
		listed[v] = true
	}
	for v := range b.Revisions {
		if !listed[v] {
			return InvalidParameter("Version %s is in versionRevisions but not in versions.", v)
		}
	}
	return nil
}

// Unique returns the batch's versions with duplicates removed, in order.
func (b Batch) Unique() []string {
	seen := make(map[string]bool, len(b.Versions))
	out := make([]string, 0, len(b.Versions))
	for _, v := range b.Versions {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// Plan decides every version's outcome from the current state (a missing
// or nil entry means the version does not exist). The batch is
// all-or-nothing: if any version fails, every other one is SKIPPED and
// ok is empty. Otherwise ok holds each version's resulting revision and
// status, and the caller applies them in one transaction.
func (b Batch) Plan(current map[string]*Version) (ok map[string]VersionResult, failed map[string]VersionError) {
	ok = map[string]VersionResult{}
	failed = map[string]VersionError{}
	versions := b.Unique()
	for _, name := range versions {
		v := current[name]
		if e, bad := b.check(name, v); bad {
			failed[name] = e
			continue
		}
		ok[name] = VersionResult{Revision: v.Revision, Status: b.resultStatus(v)}
	}
	if len(failed) == 0 {
		return ok, failed
	}
	for _, name := range versions {
		if _, bad := failed[name]; !bad {
			failed[name] = VersionError{ErrorCode: CodeSkipped, ErrorMessage: fmt.Sprintf("version %s is skipped", name)}
		}
	}
	return map[string]VersionResult{}, failed
}

func (b Batch) check(name string, v *Version) (VersionError, bool) {
	if v == nil {
		return VersionError{CodeNotFound, fmt.Sprintf("version %s not found", name)}, true
	}
	if b.Expected != "" && v.Status != b.Expected {
		return VersionError{CodeMismatchedStatus, fmt.Sprintf("current status: %s, expected status: %s", v.Status, b.Expected)}, true
	}
	if want, ok := b.Revisions[name]; ok && want != v.Revision {
		return VersionError{CodeMismatchedRevision, fmt.Sprintf("current revision: %s, expected revision: %s", v.Revision, want)}, true
	}
	switch b.Op {
	case OpDispose:
		if v.Status == StatusDisposed {
			return VersionError{CodeNotAllowed, fmt.Sprintf("version %s is already Disposed", name)}, true
		}
	case OpUpdateStatus:
		if !CanTransition(v.Status, b.Target) {
			return VersionError{CodeNotAllowed, fmt.Sprintf("cannot change the status of version %s from %s to %s", name, v.Status, b.Target)}, true
		}
	}
	return VersionError{}, false
}

func (b Batch) resultStatus(v *Version) Status {
	switch b.Op {
	case OpDelete:
		return StatusDeleted
	case OpDispose:
		return StatusDisposed
	default:
		return b.Target
	}
}
