package sqlite

import (
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/column"
)

const retentionCols = `domain_id, name, rule, owner, owner_arn, run, updated`

func scanRetentionRule(sc interface{ Scan(...any) error }) (*meta.RetentionRule, error) {
	var r meta.RetentionRule
	var rule, run string
	var updated int64
	if err := sc.Scan(&r.DomainID, &r.Name, &rule, &r.Owner, &r.OwnerARN, &run, &updated); err != nil {
		return nil, notFound(err)
	}
	r.Rule = []byte(rule)
	if run != "" {
		r.Run = []byte(run)
	}
	r.Updated = column.FromNanos(updated)
	return &r, nil
}

func (t *tx) PutRetentionRule(r *meta.RetentionRule) error {
	_, err := t.exec(`INSERT INTO retention_rules (domain_id, name, rule, owner, owner_arn, updated) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (domain_id, name) DO UPDATE SET rule = excluded.rule, owner = excluded.owner, owner_arn = excluded.owner_arn, updated = excluded.updated`,
		r.DomainID, r.Name, string(r.Rule), r.Owner, r.OwnerARN, column.Nanos(r.Updated))
	return err
}

func (t *tx) GetRetentionRule(domainID int64, name string) (*meta.RetentionRule, error) {
	return scanRetentionRule(t.row(`SELECT `+retentionCols+` FROM retention_rules WHERE domain_id = ? AND name = ?`, domainID, name))
}

func (t *tx) ListRetentionRules(domainID int64) ([]*meta.RetentionRule, error) {
	q, args := `SELECT `+retentionCols+` FROM retention_rules ORDER BY domain_id, name`, []any(nil)
	if domainID != 0 {
		q, args = `SELECT `+retentionCols+` FROM retention_rules WHERE domain_id = ? ORDER BY name`, []any{domainID}
	}
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*meta.RetentionRule
	for rows.Next() {
		r, err := scanRetentionRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (t *tx) DeleteRetentionRule(domainID int64, name string) error {
	res, err := t.exec(`DELETE FROM retention_rules WHERE domain_id = ? AND name = ?`, domainID, name)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return notFoundIfNone(err)
	}
	return nil
}

func (t *tx) SetRetentionRun(domainID int64, name string, run []byte) error {
	res, err := t.exec(`UPDATE retention_rules SET run = ? WHERE domain_id = ? AND name = ?`, string(run), domainID, name)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return notFoundIfNone(err)
	}
	return nil
}

// notFoundIfNone is the error of a statement that changed no row: its
// own, or ErrNotFound.
func notFoundIfNone(err error) error {
	if err != nil {
		return err
	}
	return meta.ErrNotFound
}
