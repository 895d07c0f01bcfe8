package sqlite

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
)

// AppendAudit implements meta.Audit.
func (t *tx) AppendAudit(e *meta.AuditEvent) error {
	_, err := t.exec(`INSERT INTO audit_events (event_id, event_time, event_name, principal, user_name, access_key_id, resource, record)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (event_id) DO UPDATE SET event_time = excluded.event_time, event_name = excluded.event_name, principal = excluded.principal,
			user_name = excluded.user_name, access_key_id = excluded.access_key_id, resource = excluded.resource, record = excluded.record`,
		e.ID, e.Time.UnixNano(), e.Name, e.Principal, e.UserName, e.AccessKeyID, e.Resource, string(e.Record))
	if err != nil {
		return fmt.Errorf("append audit event: %w", err)
	}
	return nil
}

// ListAudit implements meta.Audit.
func (t *tx) ListAudit(f meta.AuditFilter) ([]*meta.AuditEvent, error) {
	since, until := auditBounds(f)
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	rows, err := t.query(`SELECT event_id, event_time, event_name, principal, user_name, access_key_id, resource, record FROM audit_events
		WHERE event_time >= ? AND event_time < ?
		AND (? = '' OR principal = ? OR user_name = ? OR access_key_id = ?)
		AND (? = '' OR event_name = ?)
		AND (? = '' OR resource = ? OR substr(resource, 1, length(?) + 1) = ? || '/')
		ORDER BY event_time, event_id LIMIT ?`,
		since, until, f.User, f.User, f.User, f.User, f.EventName, f.EventName, f.Resource, f.Resource, f.Resource, f.Resource, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	defer rows.Close()
	var out []*meta.AuditEvent
	for rows.Next() {
		var e meta.AuditEvent
		var at int64
		var rec string
		if err := rows.Scan(&e.ID, &at, &e.Name, &e.Principal, &e.UserName, &e.AccessKeyID, &e.Resource, &rec); err != nil {
			return nil, err
		}
		e.Time, e.Record = time.Unix(0, at).UTC(), []byte(rec)
		out = append(out, &e)
	}
	return out, rows.Err()
}

// PruneAudit implements meta.Audit.
func (t *tx) PruneAudit(before time.Time) (int64, error) {
	res, err := t.exec(`DELETE FROM audit_events WHERE event_time < ?`, before.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("prune audit events: %w", err)
	}
	return res.RowsAffected()
}

// auditBounds turns a filter's time range into nanoseconds, open ends
// as the extremes.
func auditBounds(f meta.AuditFilter) (int64, int64) {
	since, until := int64(math.MinInt64), int64(math.MaxInt64)
	if !f.Since.IsZero() {
		since = f.Since.UnixNano()
	}
	if !f.Until.IsZero() {
		until = f.Until.UnixNano()
	}
	return since, until
}

// AppendAuditEvents implements meta.AuditAppender: one write transaction
// holding nothing but audit events, committed without moving the read
// cache's epoch (audit_events is not cached, so no cached answer can
// disagree with it).
func (s *Store) AppendAuditEvents(ctx context.Context, es []*meta.AuditEvent) error {
	sqlTx, err := s.write.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	t := newTx(ctx, sqlTx, true, nil)
	for _, e := range es {
		if err := t.AppendAudit(e); err != nil {
			sqlTx.Rollback()
			return err
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
