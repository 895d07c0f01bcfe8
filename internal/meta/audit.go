package meta

import (
	"context"
	"time"
)

// AuditEvent is one audit-trail record as stored: the fields it is
// queried by, and the record itself (a CloudTrail-shaped JSON document,
// see internal/audit) that the store keeps without reading.
type AuditEvent struct {
	ID          string // the record's eventID, unique
	Time        time.Time
	Name        string // eventName
	Principal   string // the caller's ARN
	UserName    string // the IAM user's name, "root" for an account's root
	AccessKeyID string
	Resource    string // ARN of the resource the call acted on, or ""
	Record      []byte
}

// AuditFilter selects audit events. Zero fields select everything;
// results are ordered by time, then ID.
type AuditFilter struct {
	Since, Until time.Time // Since inclusive, Until exclusive
	// User matches the caller's ARN, IAM user name or access key id.
	User      string
	EventName string
	// Resource matches the resource ARN, or any ARN under it
	// (".../domain/acme" matches nothing else, ".../repository/acme"
	// matches every repository of acme).
	Resource string
	Limit    int // 0: 1000
}

// Audit stores the audit trail. A write records its event in the same
// transaction as its change, so neither outlives the other.
type Audit interface {
	// AppendAudit records e, replacing the event with the same ID (a
	// request whose outcome is known only after its change committed
	// rewrites its event).
	AppendAudit(e *AuditEvent) error
	ListAudit(f AuditFilter) ([]*AuditEvent, error)
	// PruneAudit deletes the events older than before and reports how
	// many went.
	PruneAudit(before time.Time) (int64, error)
}

// AuditAppender is implemented by stores that record audit events in a
// transaction of their own more cheaply than through Update: the SQLite
// store's such commit leaves its read cache valid, since no table the
// cache holds changes, where any Update empties it (and reads are
// recorded many times a second).
type AuditAppender interface {
	AppendAuditEvents(ctx context.Context, es []*AuditEvent) error
}
