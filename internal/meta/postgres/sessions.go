package postgres

import (
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/column"
)

func (t *tx) CreateConsoleSession(s *meta.ConsoleSession, max int) error {
	if _, err := t.exec(`DELETE FROM console_sessions WHERE expires <= $1`, column.Nanos(s.Created)); err != nil {
		return err
	}
	if max > 0 {
		// Room for the new one: keep the newest max-1.
		if _, err := t.exec(`DELETE FROM console_sessions WHERE id IN
			(SELECT id FROM console_sessions ORDER BY created DESC, id OFFSET $1)`, max-1); err != nil {
			return err
		}
	}
	_, err := t.exec(`INSERT INTO console_sessions (id, account, arn, access_key_id, csrf, flash, created, expires) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		s.ID, s.Account, s.ARN, s.AccessKeyID, s.CSRF, s.Flash, column.Nanos(s.Created), column.Nanos(s.Expires))
	return err
}

func (t *tx) GetConsoleSession(id string, now time.Time) (*meta.ConsoleSession, error) {
	s := meta.ConsoleSession{ID: id}
	var created, expires int64
	err := t.row(`SELECT account, arn, access_key_id, csrf, flash, created, expires FROM console_sessions WHERE id = $1 AND expires > $2`,
		id, column.Nanos(now)).Scan(&s.Account, &s.ARN, &s.AccessKeyID, &s.CSRF, &s.Flash, &created, &expires)
	if err != nil {
		return nil, notFound(err)
	}
	s.Created, s.Expires = column.FromNanos(created), column.FromNanos(expires)
	return &s, nil
}

func (t *tx) DeleteConsoleSession(id string) error {
	_, err := t.exec(`DELETE FROM console_sessions WHERE id = $1`, id)
	return err
}

func (t *tx) SwapConsoleSessionFlash(id, flash string) (string, error) {
	var old string
	// FOR UPDATE: two replicas taking the same message give it once.
	if err := t.row(`SELECT flash FROM console_sessions WHERE id = $1 FOR UPDATE`, id).Scan(&old); err != nil {
		return "", notFound(err)
	}
	if old == flash {
		return old, nil
	}
	_, err := t.exec(`UPDATE console_sessions SET flash = $1 WHERE id = $2`, flash, id)
	return old, err
}
