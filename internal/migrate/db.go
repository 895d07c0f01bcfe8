package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// db is one side of a migration, reached below the meta.Store interface:
// rows are copied table by table, whatever the tables hold.
type db interface {
	// tables lists the tables of the Wharf schema.
	tables(ctx context.Context) ([]string, error)
	// columns maps a table's column names to their declared types,
	// lowercase.
	columns(ctx context.Context, table string) (map[string]string, error)
	// query calls fn with every row q returns.
	query(ctx context.Context, q string, fn func([]any) error) error
	// write runs fn in a transaction.
	write(ctx context.Context, fn func(exec func(q string, args ...any) error) error) error
	// placeholder is the n-th (1-based) parameter's spelling.
	placeholder(n int) string
	close()
}

// sqliteDB is an embedded store's database.
type sqliteDB struct{ db *sql.DB }

func (s sqliteDB) tables(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, s.db, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
}

func (s sqliteDB) columns(ctx context.Context, table string) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		out[name] = strings.ToLower(typ)
	}
	return out, rows.Err()
}

func (s sqliteDB) query(ctx context.Context, q string, fn func([]any) error) error {
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s sqliteDB) write(ctx context.Context, fn func(exec func(q string, args ...any) error) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}); err != nil {
		return err
	}
	return tx.Commit()
}

func (sqliteDB) placeholder(int) string { return "?" }
func (s sqliteDB) close()               { s.db.Close() }

func queryStrings(ctx context.Context, db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// pgDB is a PostgreSQL store's database.
type pgDB struct{ pool *pgxpool.Pool }

func (p pgDB) tables(ctx context.Context) ([]string, error) {
	rows, err := p.pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (p pgDB) columns(ctx context.Context, table string) (map[string]string, error) {
	rows, err := p.pool.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		out[name] = strings.ToLower(typ)
	}
	return out, rows.Err()
}

func (p pgDB) query(ctx context.Context, q string, fn func([]any) error) error {
	rows, err := p.pool.Query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (p pgDB) write(ctx context.Context, fn func(exec func(q string, args ...any) error) error) error {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(func(q string, args ...any) error {
		_, err := tx.Exec(ctx, q, args...)
		return err
	}); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func (pgDB) placeholder(n int) string { return fmt.Sprintf("$%d", n) }
func (p pgDB) close()                 { p.pool.Close() }

// selectAll is the query of every row of table, the values of cols in
// order.
func selectAll(table string, cols []string) string {
	return `SELECT ` + quoteList(cols) + ` FROM ` + quote(table)
}

func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quote(n)
	}
	return strings.Join(q, ", ")
}

// convert makes a value read from one database fit a column of the other
// declared as typ: PostgreSQL keeps package text in BYTEA and flags in
// BOOLEAN where SQLite has TEXT and INTEGER, and SQLite compares a BLOB
// with no TEXT.
func convert(v any, typ string) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []byte:
		if typ == "bytea" || typ == "blob" {
			return x
		}
		return string(x)
	case string:
		if typ == "bytea" || typ == "blob" {
			return []byte(x)
		}
		return x
	case bool:
		if typ == "boolean" {
			return x
		}
		if x {
			return int64(1)
		}
		return int64(0)
	case int64:
		if typ == "boolean" {
			return x != 0
		}
		return x
	case int32:
		return convert(int64(x), typ)
	case int16:
		return convert(int64(x), typ)
	}
	return v
}
