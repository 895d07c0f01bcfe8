package sqlite

import (
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/column"
)

func (t *tx) CreateConsoleSession(s *meta.ConsoleSession, max int) error {
	if _, err := t.exec(`DELETE FROM console_sessions WHERE expires <= ?`, column.Nanos(s.Created)); err != nil {
		return err
	}
	if max > 0 {
		// Room for the new one: keep the newest max-1.
		if _, err := t.exec(`DELETE FROM console_sessions WHERE id IN
			(SELECT id FROM console_sessions ORDER BY created DESC, id LIMIT -1 OFFSET ?)`, max-1); err != nil {
			return err
		}
	}
	_, err := t.exec(`INSERT INTO console_sessions (id, account, arn, access_key_id, csrf, flash, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.Account, s.ARN, s.AccessKeyID, s.CSRF, s.Flash, column.Nanos(s.Created), column.Nanos(s.Expires))
	return err
}

func (t *tx) GetConsoleSession(id string, now time.Time) (*meta.ConsoleSession, error) {
	s := meta.ConsoleSession{ID: id}
	var created, expires int64
	err := t.row(`SELECT account, arn, access_key_id, csrf, flash, created, expires FROM console_sessions WHERE id = ? AND expires > ?`,
		id, column.Nanos(now)).Scan(&s.Account, &s.ARN, &s.AccessKeyID, &s.CSRF, &s.Flash, &created, &expires)
	if err != nil {
		return nil, notFound(err)
	}
	s.Created, s.Expires = column.FromNanos(created), column.FromNanos(expires)
	return &s, nil
}

func (t *tx) DeleteConsoleSession(id string) error {
	_, err := t.exec(`DELETE FROM console_sessions WHERE id = ?`, id)
	return err
}

func (t *tx) SwapConsoleSessionFlash(id, flash string) (string, error) {
	var old string
	if err := t.row(`SELECT flash FROM console_sessions WHERE id = ?`, id).Scan(&old); err != nil {
		return "", notFound(err)
	}
	if old == flash {
		return old, nil
	}
	_, err := t.exec(`UPDATE console_sessions SET flash = ? WHERE id = ?`, flash, id)
	return old, err
}
