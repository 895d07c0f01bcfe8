package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/column"
	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"
)

var (
	_ meta.AccessStore      = (*Store)(nil)
	_ meta.ResourcePolicies = (*tx)(nil)
)

func (s *Store) update(ctx context.Context, fn func(*tx) error) error {
	return s.Update(ctx, func(t meta.Tx) error { return fn(t.(*tx)) })
}

func (s *Store) view(ctx context.Context, fn func(*tx) error) error {
	return s.View(ctx, func(t meta.Tx) error { return fn(t.(*tx)) })
}

// mapFK turns a foreign-key violation (a missing parent row) into
// meta.ErrNotFound.
func mapFK(err error) error {
	var se *sqlite3.Error
	if errors.As(err, &se) && se.Code() == sqlite3lib.SQLITE_CONSTRAINT_FOREIGNKEY {
		return fmt.Errorf("%w: %v", meta.ErrNotFound, err)
	}
	return err
}

// affected returns meta.ErrNotFound when a statement touched no row.
func affected(r sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := r.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return meta.ErrNotFound
	}
	return nil
}

// ---- accounts

func (s *Store) CreateAccount(ctx context.Context, a *meta.Account) error {
	return s.update(ctx, func(t *tx) error {
		_, err := t.exec(`INSERT INTO accounts (id, name, created) VALUES (?, ?, ?)`, a.ID, a.Name, column.Nanos(a.Created))
		return err
	})
}

func (s *Store) DeleteAccount(ctx context.Context, id string) error {
	return s.update(ctx, func(t *tx) error {
		return affected(t.exec(`DELETE FROM accounts WHERE id = ?`, id))
	})
}

func (s *Store) ListAccounts(ctx context.Context) ([]meta.Account, error) {
	var out []meta.Account
	err := s.view(ctx, func(t *tx) error {
		var err error
		out, err = t.accounts()
		return err
	})
	return out, err
}

func (t *tx) accounts() ([]meta.Account, error) {
	rows, err := t.query(`SELECT id, name, created FROM accounts ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []meta.Account
	for rows.Next() {
		var a meta.Account
		var created int64
		if err := rows.Scan(&a.ID, &a.Name, &created); err != nil {
			return nil, err
		}
		a.Created = column.FromNanos(created)
		out = append(out, a)
	}
	return out, rows.Err()
}

// ---- users

func (s *Store) CreateUser(ctx context.Context, u *meta.User) error {
	return s.update(ctx, func(t *tx) error {
		if _, err := t.exec(`INSERT INTO accounts (id, created) VALUES (?, ?) ON CONFLICT(id) DO NOTHING`, u.Account, column.Nanos(u.Created)); err != nil {
			return err
		}
		_, err := t.exec(`INSERT INTO users (account_id, name, created) VALUES (?, ?, ?)`, u.Account, u.Name, column.Nanos(u.Created))
		return err
	})
}

func (s *Store) DeleteUser(ctx context.Context, account, name string) error {
	return s.update(ctx, func(t *tx) error {
		return affected(t.exec(`DELETE FROM users WHERE account_id = ? AND name = ?`, account, name))
	})
}

func (s *Store) ListUsers(ctx context.Context, account string) ([]meta.User, error) {
	var out []meta.User
	err := s.view(ctx, func(t *tx) error {
		var err error
		out, err = t.users(account)
		return err
	})
	return out, err
}

func (t *tx) users(account string) ([]meta.User, error) {
	rows, err := t.query(`SELECT account_id, name, created FROM users
		WHERE ? = '' OR account_id = ? ORDER BY account_id, name`, account, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []meta.User
	for rows.Next() {
		var u meta.User
		var created int64
		if err := rows.Scan(&u.Account, &u.Name, &created); err != nil {
			return nil, err
		}
		u.Created = column.FromNanos(created)
		out = append(out, u)
	}
	return out, rows.Err()
}

// ---- access keys

func (s *Store) CreateAccessKey(ctx context.Context, k *meta.AccessKey) error {
	return s.update(ctx, func(t *tx) error {
		var user any
		if k.User != "" {
			// Take the stored spelling, and report a missing user as such
			// rather than as a constraint failure.
			err := t.row(`SELECT name FROM users WHERE account_id = ? AND name = ?`, k.Account, k.User).Scan(&k.User)
			if err != nil {
				return notFound(err)
			}
			user = k.User
		}
		_, err := t.exec(`INSERT INTO access_keys (id, account_id, user_name, secret, status, created) VALUES (?, ?, ?, ?, ?, ?)`,
			k.ID, k.Account, user, k.Secret, k.Status, column.Nanos(k.Created))
		return mapFK(err)
	})
}

const keyColumns = `id, account_id, COALESCE(user_name, ''), secret, status, created`

func scanKey(sc interface{ Scan(...any) error }) (*meta.AccessKey, error) {
	var k meta.AccessKey
	var created int64
	if err := sc.Scan(&k.ID, &k.Account, &k.User, &k.Secret, &k.Status, &created); err != nil {
		return nil, err
	}
	k.Created = column.FromNanos(created)
	return &k, nil
}

func (s *Store) GetAccessKey(ctx context.Context, id string) (*meta.AccessKey, error) {
	var k *meta.AccessKey
	err := s.view(ctx, func(t *tx) error {
		var err error
		k, err = scanKey(t.row(`SELECT `+keyColumns+` FROM access_keys WHERE id = ?`, id))
		return notFound(err)
	})
	return k, err
}

func (s *Store) SetAccessKeyStatus(ctx context.Context, id, status string) error {
	return s.update(ctx, func(t *tx) error {
		return affected(t.exec(`UPDATE access_keys SET status = ? WHERE id = ?`, status, id))
	})
}

func (s *Store) SetAccessKeySecret(ctx context.Context, id, secret string) error {
	return s.update(ctx, func(t *tx) error {
		return affected(t.exec(`UPDATE access_keys SET secret = ? WHERE id = ?`, secret, id))
	})
}

func (s *Store) DeleteAccessKey(ctx context.Context, id string) error {
	return s.update(ctx, func(t *tx) error {
		return affected(t.exec(`DELETE FROM access_keys WHERE id = ?`, id))
	})
}

func (s *Store) ListAccessKeys(ctx context.Context, account, user string) ([]meta.AccessKey, error) {
	var out []meta.AccessKey
	err := s.view(ctx, func(t *tx) error {
		var err error
		out, err = t.keys(account, user)
		return err
	})
	return out, err
}

func (t *tx) keys(account, user string) ([]meta.AccessKey, error) {
	rows, err := t.query(`SELECT `+keyColumns+` FROM access_keys
		WHERE (? = '' OR account_id = ?) AND (? = '' OR user_name = ?)
		ORDER BY account_id, user_name, created, id`, account, account, user, user)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []meta.AccessKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *k)
	}
	return out, rows.Err()
}

// ---- user policies

func (s *Store) PutUserPolicy(ctx context.Context, p *meta.UserPolicy) error {
	return s.update(ctx, func(t *tx) error {
		err := t.row(`SELECT name FROM users WHERE account_id = ? AND name = ?`, p.Account, p.User).Scan(&p.User)
		if err != nil {
			return notFound(err)
		}
		_, err = t.exec(`INSERT INTO user_policies (account_id, user_name, name, document, updated) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (account_id, user_name, name) DO UPDATE SET document = excluded.document, updated = excluded.updated`,
			p.Account, p.User, p.Name, p.Document, column.Nanos(p.Updated))
		return err
	})
}

func (s *Store) DeleteUserPolicy(ctx context.Context, account, user, name string) error {
	return s.update(ctx, func(t *tx) error {
		return affected(t.exec(`DELETE FROM user_policies WHERE account_id = ? AND user_name = ? AND name = ?`, account, user, name))
	})
}

func (s *Store) ListUserPolicies(ctx context.Context, account, user string) ([]meta.UserPolicy, error) {
	var out []meta.UserPolicy
	err := s.view(ctx, func(t *tx) error {
		var err error
		out, err = t.userPolicies(account, user)
		return err
	})
	return out, err
}

func (t *tx) userPolicies(account, user string) ([]meta.UserPolicy, error) {
	rows, err := t.query(`SELECT account_id, user_name, name, document, updated FROM user_policies
		WHERE (? = '' OR account_id = ?) AND (? = '' OR user_name = ?)
		ORDER BY account_id, user_name, name`, account, account, user, user)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []meta.UserPolicy
	for rows.Next() {
		var p meta.UserPolicy
		var updated int64
		if err := rows.Scan(&p.Account, &p.User, &p.Name, &p.Document, &updated); err != nil {
			return nil, err
		}
		p.Updated = column.FromNanos(updated)
		out = append(out, p)
	}
	return out, rows.Err()
}

// ---- resource policies (Tx)

func (t *tx) GetResourcePolicy(target meta.PolicyTarget) (*meta.ResourcePolicy, error) {
	var p meta.ResourcePolicy
	var updated int64
	var row scanner
	if target.RepositoryID != 0 {
		row = t.row(`SELECT document, revision, updated FROM repository_policies WHERE repository_id = ?`, target.RepositoryID)
	} else {
		row = t.row(`SELECT document, revision, updated FROM domain_policies WHERE domain_id = ?`, target.DomainID)
	}
	if err := row.Scan(&p.Document, &p.Revision, &updated); err != nil {
		return nil, notFound(err)
	}
	p.Updated = column.FromNanos(updated)
	return &p, nil
}

func (t *tx) PutResourcePolicy(target meta.PolicyTarget, p *meta.ResourcePolicy) error {
	var err error
	if target.RepositoryID != 0 {
		_, err = t.exec(`INSERT INTO repository_policies (repository_id, document, revision, updated) VALUES (?, ?, ?, ?)
			ON CONFLICT (repository_id) DO UPDATE SET document = excluded.document, revision = excluded.revision, updated = excluded.updated`,
			target.RepositoryID, p.Document, p.Revision, column.Nanos(p.Updated))
	} else {
		_, err = t.exec(`INSERT INTO domain_policies (domain_id, document, revision, updated) VALUES (?, ?, ?, ?)
			ON CONFLICT (domain_id) DO UPDATE SET document = excluded.document, revision = excluded.revision, updated = excluded.updated`,
			target.DomainID, p.Document, p.Revision, column.Nanos(p.Updated))
	}
	return mapFK(err)
}

func (t *tx) DeleteResourcePolicy(target meta.PolicyTarget) error {
	if target.RepositoryID != 0 {
		return affected(t.exec(`DELETE FROM repository_policies WHERE repository_id = ?`, target.RepositoryID))
	}
	return affected(t.exec(`DELETE FROM domain_policies WHERE domain_id = ?`, target.DomainID))
}

// ---- generation and snapshot

func (s *Store) AccessGeneration(ctx context.Context) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT n FROM access_generation WHERE id = 1`).Scan(&n)
	return n, err
}

func (s *Store) LoadAccess(ctx context.Context) (*meta.AccessSnapshot, error) {
	snap := &meta.AccessSnapshot{Tags: map[string]map[string]string{}}
	err := s.view(ctx, func(t *tx) error {
		if err := t.row(`SELECT n FROM access_generation WHERE id = 1`).Scan(&snap.Generation); err != nil {
			return err
		}
		var err error
		if snap.Accounts, err = t.accounts(); err != nil {
			return err
		}
		if snap.Users, err = t.users(""); err != nil {
			return err
		}
		if snap.Keys, err = t.keys("", ""); err != nil {
			return err
		}
		if snap.UserPolicies, err = t.userPolicies("", ""); err != nil {
			return err
		}
		if snap.ResourcePolicies, err = t.attachedPolicies(); err != nil {
			return err
		}
		return t.allTags(snap.Tags)
	})
	if err != nil {
		return nil, fmt.Errorf("load access data: %w", err)
	}
	return snap, nil
}

func (t *tx) attachedPolicies() ([]meta.AttachedPolicy, error) {
	rows, err := t.query(`
		SELECT d.owner, d.name, '', p.document, p.revision, p.updated
		FROM domain_policies p JOIN domains d ON d.id = p.domain_id
		UNION ALL
		SELECT d.owner, d.name, r.name, p.document, p.revision, p.updated
		FROM repository_policies p JOIN repositories r ON r.id = p.repository_id JOIN domains d ON d.id = r.domain_id
		ORDER BY 1, 2, 3`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []meta.AttachedPolicy
	for rows.Next() {
		var p meta.AttachedPolicy
		var updated int64
		if err := rows.Scan(&p.DomainOwner, &p.Domain, &p.Repository, &p.Document, &p.Revision, &updated); err != nil {
			return nil, err
		}
		p.Updated = column.FromNanos(updated)
		out = append(out, p)
	}
	return out, rows.Err()
}

func (t *tx) allTags(into map[string]map[string]string) error {
	rows, err := t.query(`SELECT arn, key, value FROM tags`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var arn, k, v string
		if err := rows.Scan(&arn, &k, &v); err != nil {
			return err
		}
		m := into[arn]
		if m == nil {
			m = map[string]string{}
			into[arn] = m
		}
		m[k] = v
	}
	return rows.Err()
}
