package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/wharf-dev/wharf/internal/audit"
)

// DefaultAuditRetention is how long audit records are kept unless
// configured otherwise: CloudTrail's event history keeps 90 days.
const DefaultAuditRetention = 90 * 24 * time.Hour

// pruneAudit deletes audit records older than retention.
func pruneAudit(ctx context.Context, trail *audit.Trail, retention time.Duration, log *slog.Logger) {
	n, err := trail.Prune(ctx, retention)
	switch {
	case err != nil && ctx.Err() == nil:
		log.Error("audit trail pruning", "err", err)
	case n > 0:
		log.Info("audit trail pruned", "records", n, "older_than", retention)
	}
}
