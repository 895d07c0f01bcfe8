package meta

import "time"

// RetentionRule is a stored retention rule of a domain. The store keeps
// the rule and its run progress as opaque JSON: what they mean is
// internal/retention's business.
type RetentionRule struct {
	DomainID int64
	Name     string
	// Rule is the rule document (retention.Rule as JSON).
	Rule []byte
	// Owner and OwnerARN are the principal the rule acts as when the
	// server runs it: whoever put it last.
	Owner    string
	OwnerARN string
	// Run is the progress of the rule's current or last run as JSON,
	// empty before the first.
	Run     []byte
	Updated time.Time
}

// RetentionRules stores the retention rules of domains.
type RetentionRules interface {
	// PutRetentionRule creates or replaces the rule (its Run is kept).
	PutRetentionRule(r *RetentionRule) error
	// GetRetentionRule returns one rule; ErrNotFound.
	GetRetentionRule(domainID int64, name string) (*RetentionRule, error)
	// ListRetentionRules lists a domain's rules ordered by name, or every
	// domain's (domainID 0) ordered by domain then name.
	ListRetentionRules(domainID int64) ([]*RetentionRule, error)
	// DeleteRetentionRule removes a rule; ErrNotFound.
	DeleteRetentionRule(domainID int64, name string) error
	// SetRetentionRun records a rule's run progress; ErrNotFound.
	SetRetentionRun(domainID int64, name string, run []byte) error
}
