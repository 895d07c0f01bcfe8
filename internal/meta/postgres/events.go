package postgres

import (
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/column"
	"github.com/wharf-dev/wharf/internal/model"
)

func (t *tx) CreateWebhook(w *meta.Webhook) error {
	id, err := t.insert("webhook", `INSERT INTO webhooks (domain_owner, domain, repository, url, secret, created) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		w.DomainOwner, w.Domain, w.Repository, w.URL, w.Secret, column.Nanos(w.Created))
	if err != nil {
		return err
	}
	w.ID = id
	return nil
}

func (t *tx) ListWebhooks() ([]*meta.Webhook, error) {
	rows, err := t.query(`SELECT id, domain_owner, domain, repository, url, secret, created FROM webhooks ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*meta.Webhook
	for rows.Next() {
		var w meta.Webhook
		var created int64
		if err := rows.Scan(&w.ID, &w.DomainOwner, &w.Domain, &w.Repository, &w.URL, &w.Secret, &created); err != nil {
			return nil, err
		}
		w.Created = column.FromNanos(created)
		out = append(out, &w)
	}
	return out, rows.Err()
}

func (t *tx) DeleteWebhook(id int64) error {
	tag, err := t.exec(`DELETE FROM webhooks WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return meta.ErrNotFound
	}
	return nil
}

func (t *tx) SetWebhookSecret(id int64, secret string) error {
	tag, err := t.exec(`UPDATE webhooks SET secret = $1 WHERE id = $2`, secret, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return meta.ErrNotFound
	}
	return nil
}

func (t *tx) NextEventSequence(stream string) (int64, error) {
	var seq int64
	err := t.row(`INSERT INTO event_sequences (stream, seq) VALUES ($1, 1)
		ON CONFLICT (stream) DO UPDATE SET seq = event_sequences.seq + 1 RETURNING seq`, stream).Scan(&seq)
	return seq, err
}

func (t *tx) AppendEvent(e *meta.Event) error {
	// Nothing is stored for a change no webhook listens to.
	var n int
	if err := t.row(`SELECT COUNT(*) FROM webhooks WHERE domain_owner = $1 AND domain = $2 AND repository IN ('', $3)`,
		e.DomainOwner, e.Domain, e.Repository).Scan(&n); err != nil || n == 0 {
		return err
	}
	id, err := t.insert("event", `INSERT INTO events (stream, domain_owner, domain, repository, body, created) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		e.Stream, e.DomainOwner, e.Domain, e.Repository, e.Body, column.Nanos(e.Created))
	if err != nil {
		return err
	}
	e.ID = id
	_, err = t.exec(`INSERT INTO deliveries (event_id, webhook_id, stream, next_attempt, created)
		SELECT $1, id, $2, $3, $3 FROM webhooks WHERE domain_owner = $4 AND domain = $5 AND repository IN ('', $6)`,
		e.ID, e.Stream, column.Nanos(e.Created), e.DomainOwner, e.Domain, e.Repository)
	return err
}

// ClaimDeliveries locks the rows it claims with SKIP LOCKED, so a replica
// never waits on (or takes) a delivery another replica is claiming.
func (t *tx) ClaimDeliveries(now, until time.Time, limit int) ([]*meta.Delivery, error) {
	rows, err := t.query(`SELECT d.event_id, d.webhook_id, d.stream, d.attempts, d.next_attempt, d.last_status, d.last_error, d.created, w.url, w.secret, e.body
		FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id
		WHERE NOT d.delivered AND d.next_attempt <= $1 AND d.claimed_until <= $1
		AND d.event_id = (SELECT MIN(x.event_id) FROM deliveries x WHERE x.webhook_id = d.webhook_id AND x.stream = d.stream AND NOT x.delivered)
		ORDER BY d.event_id LIMIT $2 FOR UPDATE OF d SKIP LOCKED`, column.Nanos(now), limit)
	if err != nil {
		return nil, err
	}
	var out []*meta.Delivery
	for rows.Next() {
		var d meta.Delivery
		var next, created int64
		if err := rows.Scan(&d.EventID, &d.WebhookID, &d.Stream, &d.Attempts, &next, &d.LastStatus, &d.LastError, &created, &d.URL, &d.Secret, &d.Body); err != nil {
			rows.Close()
			return nil, err
		}
		d.NextAttempt, d.Created = column.FromNanos(next), column.FromNanos(created)
		out = append(out, &d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, d := range out {
		if _, err := t.exec(`UPDATE deliveries SET claimed_until = $1 WHERE webhook_id = $2 AND event_id = $3`, column.Nanos(until), d.WebhookID, d.EventID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *tx) FinishDelivery(d *meta.Delivery) error {
	_, err := t.exec(`UPDATE deliveries SET delivered = $1, attempts = $2, next_attempt = $3, delivered_at = $4, last_status = $5, last_error = $6, claimed_until = 0
		WHERE webhook_id = $7 AND event_id = $8`,
		d.Delivered, d.Attempts, column.Nanos(d.NextAttempt), column.Nanos(d.DeliveredAt), d.LastStatus, d.LastError, d.WebhookID, d.EventID)
	return err
}

func (t *tx) NextDeliveryDue() (time.Time, error) {
	var due *int64
	if err := t.row(`SELECT MIN(GREATEST(d.next_attempt, d.claimed_until)) FROM deliveries d WHERE NOT d.delivered
		AND d.event_id = (SELECT MIN(x.event_id) FROM deliveries x WHERE x.webhook_id = d.webhook_id AND x.stream = d.stream AND NOT x.delivered)`).Scan(&due); err != nil {
		return time.Time{}, err
	}
	if due == nil {
		return time.Time{}, meta.ErrNotFound
	}
	return column.FromNanos(*due), nil
}

func (t *tx) ListDeliveries(f meta.DeliveryFilter) ([]*meta.Delivery, error) {
	q := `SELECT d.event_id, d.webhook_id, d.stream, d.delivered, d.attempts, d.next_attempt, d.delivered_at, d.last_status, d.last_error, d.created, w.url
		FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE ($1::bigint = 0 OR d.webhook_id = $1::bigint) AND (NOT $2::boolean OR NOT d.delivered)
		ORDER BY d.event_id DESC, d.webhook_id`
	args := []any{f.WebhookID, f.Pending}
	if f.Limit > 0 {
		q += ` LIMIT $3`
		args = append(args, f.Limit)
	}
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*meta.Delivery
	for rows.Next() {
		var d meta.Delivery
		var next, at, created int64
		if err := rows.Scan(&d.EventID, &d.WebhookID, &d.Stream, &d.Delivered, &d.Attempts, &next, &at, &d.LastStatus, &d.LastError, &created, &d.URL); err != nil {
			return nil, err
		}
		d.NextAttempt, d.Created = column.FromNanos(next), column.FromNanos(created)
		if at != 0 {
			d.DeliveredAt = column.FromNanos(at)
		}
		out = append(out, &d)
	}
	return out, rows.Err()
}

func (t *tx) PruneEvents(before time.Time) error {
	if _, err := t.exec(`DELETE FROM deliveries WHERE delivered AND created < $1`, column.Nanos(before)); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM events e WHERE e.created < $1 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)`, column.Nanos(before))
	return err
}

func (t *tx) VersionSubjects(ids []int64) ([]meta.VersionSubject, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := t.query(`SELECT x.*, p.format, p.namespace, p.name, r.name, d.name, d.owner
		FROM (SELECT `+column.VersionSummary+` FROM versions WHERE id = ANY($1)) x
		JOIN packages p ON p.id = x.package_id JOIN repositories r ON r.id = p.repository_id JOIN domains d ON d.id = r.domain_id`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []meta.VersionSubject
	for rows.Next() {
		var s meta.VersionSubject
		var v model.Version
		var status, format string
		var published int64
		var display []byte
		if err := rows.Scan(&v.ID, &v.PackageID, &v.Version, &display, &v.Revision, &status, &published, &v.OriginType, &v.OriginRepository, &v.OriginExternal,
			&format, &s.Key.Namespace, &s.Key.Name, &s.Repository, &s.Domain, &s.DomainOwner); err != nil {
			return nil, err
		}
		v.DisplayName = string(display)
		v.Status, v.PublishedTime, s.Key.Format = model.Status(status), column.FromNanos(published), model.Format(format)
		s.Version = &v
		out = append(out, s)
	}
	return out, rows.Err()
}
