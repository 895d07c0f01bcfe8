// Package postgres is the metadata store on PostgreSQL (15 or later), for
// several stateless Wharf replicas sharing one database.
//
// Update transactions are serialized across every replica by a
// transaction-level advisory lock taken with their first statement, and
// run at READ COMMITTED so that each statement sees everything the
// previous lock holders committed. That is the single-writer model of
// the SQLite store, held by the database instead of a file lock: fn runs
// exactly once per Update, never retried, which matters because the
// service's Update closures act outside the database (the garbage
// collector deletes blob bytes after finding them unreferenced, and that
// is only safe if no lease can commit in between in real time, which
// SERIALIZABLE's equivalent-serial-order guarantee does not give) and
// accumulate results in captured variables. View transactions are
// REPEATABLE READ READ ONLY snapshots and take no lock, so reads scale
// with the replicas.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/wharf-dev/wharf/internal/meta"
)

// writerLock is the advisory lock key every Update and every migration
// holds for its transaction (advisory keys are per database; this one is
// "wharf" in ASCII, unlikely to meet another application's).
const writerLock int64 = 0x7768617266

// Store implements meta.AccessStore on a PostgreSQL database.
//
// Reads and writes have pools of their own, as in the SQLite store:
// Updates waiting for the writer lock hold their connections, and must
// not take every one a View needs.
type Store struct {
	read, write *pgxpool.Pool
}

// writeConns is the size of the writer pool. Only one Update in the
// whole cluster runs at a time; a second connection has the replica's
// next one already waiting in the lock queue when the holder commits.
const writeConns = 2

var _ meta.AccessStore = (*Store)(nil)

// Transactions begin lazily, with their first statement: the BEGIN (and,
// for an Update, the writer lock) travel in the same round trip as that
// statement (pgx's Batch.BeginTx), and a function that runs no statement
// costs nothing.
var (
	writeOptions = pgx.TxOptions{IsoLevel: pgx.ReadCommitted}
	readOptions  = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	lockWriters  = fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", writerLock)
)

// idleInTransactionTimeout ends the session of a replica that stalls in
// the middle of an Update (a frozen process keeps its connection open),
// releasing the writer lock for the others. Updates do not wait on
// clients, only on the blob store inside garbage collection, so a
// healthy one is never idle this long.
const idleInTransactionTimeout = 5 * time.Minute

// Open connects to the database named by dsn (a postgres:// URL or
// key=value string; pgxpool's pool_max_conns and friends size the read
// pool) and brings its schema up to date.
func Open(ctx context.Context, dsn string) (*Store, error) {
	pool := func(maxConns int32) (*pgxpool.Pool, error) {
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("postgres: parse dsn: %w", err)
		}
		if maxConns > 0 {
			cfg.MaxConns = maxConns
			cfg.MinConns = min(cfg.MinConns, maxConns)
		}
		rp := cfg.ConnConfig.RuntimeParams
		if rp["application_name"] == "" {
			rp["application_name"] = "wharf"
		}
		if rp["idle_in_transaction_session_timeout"] == "" {
			rp["idle_in_transaction_session_timeout"] = fmt.Sprint(idleInTransactionTimeout.Milliseconds())
		}
		p, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("postgres: connect: %w", err)
		}
		if err := p.Ping(ctx); err != nil {
			p.Close()
			return nil, fmt.Errorf("postgres: connect: %w", err)
		}
		return p, nil
	}
	write, err := pool(writeConns)
	if err != nil {
		return nil, err
	}
	s := &Store{write: write}
	if err := s.migrate(ctx); err != nil {
		write.Close()
		return nil, err
	}
	if s.read, err = pool(0); err != nil {
		write.Close()
		return nil, err
	}
	return s, nil
}

// migrate applies the migrations the database lacks, all in one
// transaction under the writer lock: replicas starting together apply
// each migration once, and no Update runs against a half-migrated
// schema.
func (s *Store) migrate(ctx context.Context) error {
	// Simple protocol: one round trip for both statements.
	tx, err := s.write.BeginTx(ctx, pgx.TxOptions{BeginQuery: "BEGIN ISOLATION LEVEL READ COMMITTED; " + lockWriters})
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		applied TIMESTAMPTZ NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("postgres: read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("postgres: the database schema is at version %d, newer than this wharf's %d: run a newer wharf", have, len(migrations))
	}
	for i := have; i < len(migrations); i++ {
		if _, err := tx.Exec(ctx, migrations[i]); err != nil {
			return fmt.Errorf("postgres: migration %d: %w", i+1, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, i+1); err != nil {
			return fmt.Errorf("postgres: migration %d: %w", i+1, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// Close closes every connection.
func (s *Store) Close() error {
	s.read.Close()
	s.write.Close()
	return nil
}

func (s *Store) View(ctx context.Context, fn func(meta.Tx) error) error {
	t := &tx{ctx: ctx, pool: s.read, opts: readOptions}
	defer t.rollback()
	return fn(t)
}

func (s *Store) Update(ctx context.Context, fn func(meta.Tx) error) error {
	t := &tx{ctx: ctx, pool: s.write, opts: writeOptions, lock: true}
	// Deferred, so that a panicking fn cannot leave the connection in
	// the pool holding the writer lock.
	defer t.rollback()
	if err := fn(t); err != nil {
		return err
	}
	if t.tx == nil {
		return nil // fn ran no statement
	}
	// A statement fn saw fail and chose to ignore leaves the transaction
	// aborted, and COMMIT then rolls back: report that rather than
	// pretending the writes happened.
	if err := t.tx.Commit(ctx); err != nil {
		if errors.Is(err, pgx.ErrTxCommitRollback) {
			return fmt.Errorf("commit: a statement failed and the transaction was rolled back: %w", err)
		}
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
