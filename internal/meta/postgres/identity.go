package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/column"
)

var _ meta.ResourcePolicies = (*tx)(nil)

func (s *Store) update(ctx context.Context, fn func(*tx) error) error {
	return s.Update(ctx, func(t meta.Tx) error { return fn(t.(*tx)) })
}

func (s *Store) view(ctx context.Context, fn func(*tx) error) error {
	return s.View(ctx, func(t meta.Tx) error { return fn(t.(*tx)) })
}

// mapFK turns a foreign-key violation (a missing parent row) into
// meta.ErrNotFound. Only for methods that are a transaction of their
// own: the violation has aborted it.
func mapFK(err error) error {
	if err != nil && pgCode(err) == codeForeignKeyViolation {
		return fmt.Errorf("%w: %v", meta.ErrNotFound, err)
	}
	return err
}

// affected returns meta.ErrNotFound when a statement touched no row.
func affected(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return meta.ErrNotFound
	}
	return nil
}

// userName finds the stored spelling of a user's name (names compare
// case-insensitively).
func (t *tx) userName(account, name string) (string, error) {
	var stored string
	err := t.row(`SELECT name FROM users WHERE account_id = $1 AND lower(name) = lower($2)`, account, name).Scan(&stored)
	return stored, notFound(err)
}

// ---- accounts

func (s *Store) CreateAccount(ctx context.Context, a *meta.Account) error {
	return s.update(ctx, func(t *tx) error {
		_, err := t.insert("account "+a.ID, `INSERT INTO accounts (id, name, created) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 0`,
			a.ID, a.Name, column.Nanos(a.Created))
		return err
	})
}

func (s *Store) DeleteAccount(ctx context.Context, id string) error {
	return s.update(ctx, func(t *tx) error {
		return affected(t.exec(`DELETE FROM accounts WHERE id = $1`, id))
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
	return collect(rows, err, func(r pgx.Rows) (meta.Account, error) {
		var a meta.Account
		var created int64
		err := r.Scan(&a.ID, &a.Name, &created)
		a.Created = column.FromNanos(created)
		return a, err
	})
}

// ---- users

func (s *Store) CreateUser(ctx context.Context, u *meta.User) error {
	return s.update(ctx, func(t *tx) error {
		if _, err := t.exec(`INSERT INTO accounts (id, created) VALUES ($1, $2) ON CONFLICT DO NOTHING`, u.Account, column.Nanos(u.Created)); err != nil {
			return err
		}
		// The conflict may be on the case-folded name.
		_, err := t.insert("user "+u.Name, `INSERT INTO users (account_id, name, created) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 0`,
			u.Account, u.Name, column.Nanos(u.Created))
		return err
	})
}

func (s *Store) DeleteUser(ctx context.Context, account, name string) error {
	return s.update(ctx, func(t *tx) error {
		return affected(t.exec(`DELETE FROM users WHERE account_id = $1 AND lower(name) = lower($2)`, account, name))
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

// users orders by account, then name case-insensitively (SQLite's
// NOCASE order).
func (t *tx) users(account string) ([]meta.User, error) {
	rows, err := t.query(`SELECT account_id, name, created FROM users
		WHERE $1 = '' OR account_id = $1 ORDER BY account_id, lower(name), name`, account)
	return collect(rows, err, func(r pgx.Rows) (meta.User, error) {
		var u meta.User
		var created int64
		err := r.Scan(&u.Account, &u.Name, &created)
		u.Created = column.FromNanos(created)
		return u, err
	})
}

// ---- access keys

func (s *Store) CreateAccessKey(ctx context.Context, k *meta.AccessKey) error {
	return s.update(ctx, func(t *tx) error {
		var user any
		if k.User != "" {
			// Take the stored spelling, and report a missing user as such
			// rather than as a constraint failure.
			name, err := t.userName(k.Account, k.User)
			if err != nil {
				return err
			}
			k.User, user = name, name
		}
		_, err := t.insert("access key "+k.ID, `INSERT INTO access_keys (id, account_id, user_name, secret, status, created) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT DO NOTHING RETURNING 0`, k.ID, k.Account, user, k.Secret, k.Status, column.Nanos(k.Created))
		return mapFK(err)
	})
}

const keyColumns = `id, account_id, COALESCE(user_name, ''), secret, status, created`

func scanKey(sc pgx.Row) (meta.AccessKey, error) {
	var k meta.AccessKey
	var created int64
	err := sc.Scan(&k.ID, &k.Account, &k.User, &k.Secret, &k.Status, &created)
	k.Created = column.FromNanos(created)
	return k, err
}

func scanKeys(r pgx.Rows) (meta.AccessKey, error) { return scanKey(r) }

func (s *Store) GetAccessKey(ctx context.Context, id string) (*meta.AccessKey, error) {
	var k meta.AccessKey
	err := s.view(ctx, func(t *tx) error {
		var err error
		k, err = scanKey(t.row(`SELECT `+keyColumns+` FROM access_keys WHERE id = $1`, id))
		return notFound(err)
	})
	if err != nil {
		return nil, err
	}
	return &k, nil
}

func (s *Store) SetAccessKeyStatus(ctx context.Context, id, status string) error {
	return s.update(ctx, func(t *tx) error {
		return affected(t.exec(`UPDATE access_keys SET status = $1 WHERE id = $2`, status, id))
	})
}

func (s *Store) SetAccessKeySecret(ctx context.Context, id, secret string) error {
	return s.update(ctx, func(t *tx) error {
		return affected(t.exec(`UPDATE access_keys SET secret = $1 WHERE id = $2`, secret, id))
	})
}

func (s *Store) DeleteAccessKey(ctx context.Context, id string) error {
	return s.update(ctx, func(t *tx) error {
		return affected(t.exec(`DELETE FROM access_keys WHERE id = $1`, id))
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

// keys orders root keys (no user) first within an account, as SQLite
// orders NULL first.
func (t *tx) keys(account, user string) ([]meta.AccessKey, error) {
	rows, err := t.query(`SELECT `+keyColumns+` FROM access_keys
		WHERE ($1 = '' OR account_id = $1) AND ($2 = '' OR lower(user_name) = lower($2))
		ORDER BY account_id, lower(user_name) NULLS FIRST, created, id`, account, user)
	return collect(rows, err, scanKeys)
}

// ---- user policies

func (s *Store) PutUserPolicy(ctx context.Context, p *meta.UserPolicy) error {
	return s.update(ctx, func(t *tx) error {
		name, err := t.userName(p.Account, p.User)
		if err != nil {
			return err
		}
		p.User = name
		_, err = t.exec(`INSERT INTO user_policies (account_id, user_name, name, document, updated) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (account_id, user_name, name) DO UPDATE SET document = excluded.document, updated = excluded.updated`,
			p.Account, p.User, p.Name, p.Document, column.Nanos(p.Updated))
		return err
	})
}

func (s *Store) DeleteUserPolicy(ctx context.Context, account, user, name string) error {
	return s.update(ctx, func(t *tx) error {
		return affected(t.exec(`DELETE FROM user_policies WHERE account_id = $1 AND lower(user_name) = lower($2) AND name = $3`, account, user, name))
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
		WHERE ($1 = '' OR account_id = $1) AND ($2 = '' OR lower(user_name) = lower($2))
		ORDER BY account_id, lower(user_name), name`, account, user)
	return collect(rows, err, func(r pgx.Rows) (meta.UserPolicy, error) {
		var p meta.UserPolicy
		var updated int64
		err := r.Scan(&p.Account, &p.User, &p.Name, &p.Document, &updated)
		p.Updated = column.FromNanos(updated)
		return p, err
	})
}

// ---- resource policies (Tx)

func (t *tx) GetResourcePolicy(target meta.PolicyTarget) (*meta.ResourcePolicy, error) {
	var p meta.ResourcePolicy
	var updated int64
	var row pgx.Row
	if target.RepositoryID != 0 {
		row = t.row(`SELECT document, revision, updated FROM repository_policies WHERE repository_id = $1`, target.RepositoryID)
	} else {
		row = t.row(`SELECT document, revision, updated FROM domain_policies WHERE domain_id = $1`, target.DomainID)
	}
	if err := row.Scan(&p.Document, &p.Revision, &updated); err != nil {
		return nil, notFound(err)
	}
	p.Updated = column.FromNanos(updated)
	return &p, nil
}

// PutResourcePolicy writes nothing for a missing domain or repository,
// rather than failing on the foreign key (which would abort the caller's
// transaction), and reports it as ErrNotFound.
func (t *tx) PutResourcePolicy(target meta.PolicyTarget, p *meta.ResourcePolicy) error {
	if target.RepositoryID != 0 {
		return affected(t.exec(`INSERT INTO repository_policies (repository_id, document, revision, updated)
			SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM repositories WHERE id = $1)
			ON CONFLICT (repository_id) DO UPDATE SET document = excluded.document, revision = excluded.revision, updated = excluded.updated`,
			target.RepositoryID, p.Document, p.Revision, column.Nanos(p.Updated)))
	}
	return affected(t.exec(`INSERT INTO domain_policies (domain_id, document, revision, updated)
		SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM domains WHERE id = $1)
		ON CONFLICT (domain_id) DO UPDATE SET document = excluded.document, revision = excluded.revision, updated = excluded.updated`,
		target.DomainID, p.Document, p.Revision, column.Nanos(p.Updated)))
}

func (t *tx) DeleteResourcePolicy(target meta.PolicyTarget) error {
	if target.RepositoryID != 0 {
		return affected(t.exec(`DELETE FROM repository_policies WHERE repository_id = $1`, target.RepositoryID))
	}
	return affected(t.exec(`DELETE FROM domain_policies WHERE domain_id = $1`, target.DomainID))
}

// ---- generation and snapshot

func (s *Store) AccessGeneration(ctx context.Context) (int64, error) {
	var n int64
	err := s.read.QueryRow(ctx, `SELECT n FROM access_generation WHERE id = 1`).Scan(&n)
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
		SELECT d.owner, d.name, '' AS repository, p.document, p.revision, p.updated
		FROM domain_policies p JOIN domains d ON d.id = p.domain_id
		UNION ALL
		SELECT d.owner, d.name, r.name, p.document, p.revision, p.updated
		FROM repository_policies p JOIN repositories r ON r.id = p.repository_id JOIN domains d ON d.id = r.domain_id
		ORDER BY 1, 2, 3`)
	return collect(rows, err, func(r pgx.Rows) (meta.AttachedPolicy, error) {
		var p meta.AttachedPolicy
		var updated int64
		err := r.Scan(&p.DomainOwner, &p.Domain, &p.Repository, &p.Document, &p.Revision, &updated)
		p.Updated = column.FromNanos(updated)
		return p, err
	})
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
