// Package migrate moves a Wharf installation between its embedded store
// (a data directory: SQLite and filesystem blobs) and PostgreSQL with an
// S3 bucket, in either direction, without re-publishing anything.
//
// Blobs go first, each verified against its digest as the destination
// stores it, so the destination's metadata never names bytes it lacks.
// Rows follow table by table in foreign-key order, with their ids, each
// insert ignoring a row already there, so a migration cut short is run
// again and carries on; the destination records which tables are done
// (table wharf_migration) and refuses a second, different source.
package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/blob/s3"
	"github.com/wharf-dev/wharf/internal/meta/postgres"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
)

// Side is one end of a migration: a data directory, or a PostgreSQL
// database with an S3 bucket.
type Side struct {
	DataDir     string
	PostgresDSN string
	S3          *s3.Config
}

// Name describes the side without secrets, for the progress record and
// messages.
func (s Side) Name() string {
	if s.DataDir != "" {
		abs, err := filepath.Abs(s.DataDir)
		if err != nil {
			abs = s.DataDir
		}
		return "data-dir:" + abs
	}
	host, db := "", ""
	if u, err := url.Parse(s.PostgresDSN); err == nil {
		host, db = u.Host, strings.TrimPrefix(u.Path, "/")
	}
	return fmt.Sprintf("postgres:%s/%s+s3:%s/%s", host, db, s.S3.Bucket, s.S3.Prefix)
}

func (s Side) check() error {
	switch {
	case s.DataDir != "" && (s.PostgresDSN != "" || s.S3 != nil):
		return errors.New("a data directory, or PostgreSQL with S3, not both")
	case s.DataDir == "" && (s.PostgresDSN == "" || s.S3 == nil):
		return errors.New("PostgreSQL and an S3 bucket go together")
	}
	return nil
}

// Report says what a migration copied.
type Report struct {
	From, To    string
	Blobs       int            // blobs in the source
	BlobsCopied int            // of which this run copied (the others were there)
	Bytes       int64          // bytes this run copied
	Rows        map[string]int // rows read per table this run
	Skipped     []string       // tables done by an earlier run
}

// Tables that are not copied: per-process state (leases of uploads in
// flight, cache generations) and each store's own bookkeeping.
var skipTables = []string{"blob_leases", "scope_generation", "access_generation", "schema_migrations", progressTable}

// tableOrder puts referenced tables before the tables that refer to them;
// tables not named here (added since) come after, by name.
var tableOrder = []string{
	"accounts", "users", "access_keys", "user_policies",
	"domains", "domain_policies", "repositories", "repository_policies",
	"packages", "versions", "assets", "package_state", "tags", "blobs", "gc_candidates", "settings",
	"package_groups", "package_group_allowed_repositories",
	"webhooks", "event_sequences", "events", "deliveries",
}

const progressTable = "wharf_migration"

// batch is how many rows one destination transaction writes.
const batch = 500

// Run copies from into to. The source must not be written meanwhile: a
// data directory is locked against a server, PostgreSQL replicas must be
// stopped.
func Run(ctx context.Context, from, to Side, log *slog.Logger) (*Report, error) {
	if err := from.check(); err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	if err := to.check(); err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	if (from.DataDir == "") == (to.DataDir == "") {
		return nil, errors.New("one side is a data directory and the other PostgreSQL with S3")
	}
	if log == nil {
		log = slog.Default()
	}
	rep := &Report{From: from.Name(), To: to.Name(), Rows: map[string]int{}}
	src, srcBlobs, closeSrc, err := open(ctx, from, false)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	defer closeSrc()
	dst, dstBlobs, closeDst, err := open(ctx, to, true)
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	defer closeDst()

	done, err := progress(ctx, dst, rep.From)
	if err != nil {
		return nil, err
	}
	if done["*"] {
		log.Info("migration already complete", "from", rep.From, "to", rep.To)
		return rep, nil
	}

	// Blobs first, verified by the destination as it stores them.
	err = srcBlobs.Walk(ctx, func(d blob.Digest, size int64, _ time.Time) error {
		rep.Blobs++
		copied, err := blob.Copy(ctx, dstBlobs, srcBlobs, d)
		if copied {
			rep.BlobsCopied++
			rep.Bytes += size
		}
		return err
	})
	if err != nil {
		return rep, fmt.Errorf("copy blobs: %w", err)
	}
	refs, err := referenced(ctx, src)
	if err != nil {
		return rep, err
	}
	for _, d := range refs {
		if _, _, err := dstBlobs.Stat(ctx, blob.Digest(d)); err != nil {
			return rep, fmt.Errorf("blob %s, referenced by an asset, is not in the destination: %w", d, err)
		}
	}
	log.Info("blobs copied", "blobs", rep.Blobs, "copied", rep.BlobsCopied, "bytes", rep.Bytes)

	tables, err := orderTables(ctx, src)
	if err != nil {
		return rep, err
	}
	for _, t := range tables {
		if done[t] {
			rep.Skipped = append(rep.Skipped, t)
			continue
		}
		n, err := copyTable(ctx, src, dst, t, rep.From)
		rep.Rows[t] = n
		if err != nil {
			return rep, fmt.Errorf("copy table %s: %w", t, err)
		}
		log.Info("table copied", "table", t, "rows", n)
	}
	if p, ok := dst.(pgDB); ok {
		if err := resetSequences(ctx, p); err != nil {
			return rep, err
		}
	}
	err = dst.write(ctx, func(exec func(string, ...any) error) error {
		return exec(`INSERT INTO `+progressTable+` (tbl, source) VALUES (`+dst.placeholder(1)+`, `+dst.placeholder(2)+`) ON CONFLICT DO NOTHING`, "*", rep.From)
	})
	return rep, err
}

// open opens one side, creating the schema of a destination. A data
// directory's database is held with the lock wharf serve takes, so no
// server writes it meanwhile.
func open(ctx context.Context, s Side, dest bool) (db, blob.Store, func(), error) {
	if s.DataDir != "" {
		path := filepath.Join(s.DataDir, "wharf.db")
		if !dest {
			if _, err := os.Stat(path); err != nil {
				return nil, nil, nil, fmt.Errorf("no Wharf data in %s: %w", s.DataDir, err)
			}
		} else if err := os.MkdirAll(s.DataDir, 0o700); err != nil {
			return nil, nil, nil, err
		}
		store, err := sqlite.Open(ctx, path, sqlite.Exclusive())
		if err != nil {
			return nil, nil, nil, err
		}
		raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)")
		if err != nil {
			store.Close()
			return nil, nil, nil, err
		}
		raw.SetMaxOpenConns(1)
		b, err := fs.New(filepath.Join(s.DataDir, "blobs"))
		if err != nil {
			raw.Close()
			store.Close()
			return nil, nil, nil, err
		}
		return sqliteDB{raw}, b, func() { raw.Close(); store.Close() }, nil
	}
	store, err := postgres.Open(ctx, s.PostgresDSN) // creates or upgrades the schema
	if err != nil {
		return nil, nil, nil, err
	}
	store.Close()
	pool, err := pgxpool.New(ctx, s.PostgresDSN)
	if err != nil {
		return nil, nil, nil, err
	}
	b, err := s3.New(ctx, *s.S3)
	if err != nil {
		pool.Close()
		return nil, nil, nil, err
	}
	return pgDB{pool}, b, pool.Close, nil
}

// progress reads (creating if needed) the destination's record of what is
// done, and refuses a destination that holds other data.
func progress(ctx context.Context, dst db, source string) (map[string]bool, error) {
	err := dst.write(ctx, func(exec func(string, ...any) error) error {
		return exec(`CREATE TABLE IF NOT EXISTS ` + progressTable + ` (tbl TEXT PRIMARY KEY, source TEXT NOT NULL)`)
	})
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	var sources []string
	err = dst.query(ctx, `SELECT tbl, source FROM `+progressTable, func(r []any) error {
		done[fmt.Sprint(convert(r[0], "text"))] = true
		sources = append(sources, fmt.Sprint(convert(r[1], "text")))
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, s := range sources {
		if s != source {
			return nil, fmt.Errorf("the destination holds a migration from %s, not %s", s, source)
		}
	}
	if len(sources) == 0 {
		for _, t := range []string{"domains", "accounts"} {
			n := 0
			if err := dst.query(ctx, `SELECT 1 FROM `+t+` LIMIT 1`, func([]any) error { n++; return nil }); err != nil {
				return nil, err
			}
			if n > 0 {
				return nil, fmt.Errorf("the destination is not empty (it has %s)", t)
			}
		}
	}
	return done, nil
}

// referenced lists the digests of the source's non-disposed assets.
func referenced(ctx context.Context, src db) ([]string, error) {
	var out []string
	err := src.query(ctx, `SELECT DISTINCT a.sha256 FROM assets a JOIN versions v ON v.id = a.version_id WHERE v.status != 'Disposed'`,
		func(r []any) error {
			out = append(out, fmt.Sprint(convert(r[0], "text")))
			return nil
		})
	return out, err
}

func orderTables(ctx context.Context, src db) ([]string, error) {
	all, err := src.tables(ctx)
	if err != nil {
		return nil, err
	}
	var out, rest []string
	for _, t := range tableOrder {
		if slices.Contains(all, t) {
			out = append(out, t)
		}
	}
	for _, t := range all {
		if !slices.Contains(tableOrder, t) && !slices.Contains(skipTables, t) {
			rest = append(rest, t)
		}
	}
	slices.Sort(rest)
	return append(out, rest...), nil
}

// copyTable copies every row of t, ignoring rows the destination has, and
// records t as done in the transaction of its last rows.
func copyTable(ctx context.Context, src, dst db, t, source string) (int, error) {
	scols, err := src.columns(ctx, t)
	if err != nil {
		return 0, err
	}
	dcols, err := dst.columns(ctx, t)
	if err != nil {
		return 0, err
	}
	if len(dcols) == 0 {
		return 0, fmt.Errorf("the destination has no table %s: run a wharf as new as the source's", t)
	}
	var cols, types []string
	for c := range scols {
		typ, ok := dcols[c]
		if !ok {
			return 0, fmt.Errorf("the destination has no column %s.%s: run a wharf as new as the source's", t, c)
		}
		cols = append(cols, c)
		types = append(types, typ)
	}
	ph := make([]string, len(cols))
	for i := range ph {
		ph[i] = dst.placeholder(i + 1)
	}
	insert := `INSERT INTO ` + quote(t) + ` (` + quoteList(cols) + `) VALUES (` + strings.Join(ph, ", ") + `) ON CONFLICT DO NOTHING`
	mark := `INSERT INTO ` + progressTable + ` (tbl, source) VALUES (` + dst.placeholder(1) + `, ` + dst.placeholder(2) + `) ON CONFLICT DO NOTHING`
	n := 0
	var pending [][]any
	flush := func(last bool) error {
		return dst.write(ctx, func(exec func(string, ...any) error) error {
			for _, r := range pending {
				if err := exec(insert, r...); err != nil {
					return err
				}
			}
			if !last {
				return nil
			}
			if t == "domains" {
				// Each domain inserted got a root package group from the
				// trigger; the source's own groups, with their ids, come
				// with package_groups.
				if err := exec(`DELETE FROM package_groups`); err != nil {
					return err
				}
			}
			return exec(mark, t, source)
		})
	}
	err = src.query(ctx, selectAll(t, cols), func(r []any) error {
		for i := range r {
			r[i] = convert(r[i], types[i])
		}
		pending = append(pending, r)
		n++
		if len(pending) == batch {
			if err := flush(false); err != nil {
				return err
			}
			pending = pending[:0]
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	return n, flush(true)
}

// resetSequences moves PostgreSQL's identity sequences past the ids the
// copy brought, so new rows do not collide with them.
func resetSequences(ctx context.Context, p pgDB) error {
	rows, err := p.pool.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'`)
	if err != nil {
		return err
	}
	var targets [][2]string
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			rows.Close()
			return err
		}
		targets = append(targets, [2]string{t, c})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, tc := range targets {
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'), GREATEST((SELECT MAX(%s) FROM %s), 1))`, tc[0], tc[1], quote(tc[1]), quote(tc[0]))
		if _, err := p.pool.Exec(ctx, q); err != nil {
			return fmt.Errorf("reset sequence of %s: %w", tc[0], err)
		}
	}
	return nil
}
