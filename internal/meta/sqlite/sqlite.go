// Package sqlite is the embedded metadata store: one SQLite database file
// in the data directory, through the pure-Go modernc.org/sqlite driver so
// the wharf binary needs no C toolchain or shared library.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"syscall"

	"github.com/wharf-dev/wharf/internal/meta"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// sqliteDriver is modernc.org/sqlite's registered driver.
var sqliteDriver = func() driver.Driver {
	db, err := sql.Open("sqlite", "")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	return db.Driver()
}()

// Store implements meta.Store on SQLite in WAL mode: readers never block
// the writer, and a single writer connection with BEGIN IMMEDIATE makes
// every Update serializable.
type Store struct {
	write  *sql.DB
	read   *sql.DB
	scopes *scopeCache
	rc     *readCache // nil unless Exclusive
	lock   *os.File   // the lock file, held while Exclusive
}

// Option configures Open.
type Option func(*Store, string) error

// Exclusive makes the store the only one that may write the database's
// package data (a lock file beside it, held until Close, refuses a
// second) and turns on the read cache, which is exact only because of
// that (readcache.go). wharf serve opens its store this way; wharf admin,
// which writes identity tables only, does not.
func Exclusive() Option {
	return func(s *Store, path string) error {
		f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, filePerm)
		if err != nil {
			return fmt.Errorf("open lock file: %w", err)
		}
		if err := f.Chmod(filePerm); err != nil {
			f.Close()
			return fmt.Errorf("lock file: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return fmt.Errorf("%s is in use by another wharf server", path)
			}
			return fmt.Errorf("lock %s: %w", path, err)
		}
		s.lock, s.rc = f, newReadCache()
		return nil
	}
}

var _ meta.Store = (*Store)(nil)

// filePerm is the mode of every file of the store. The database holds
// secret access keys and the token key: owner-only, whatever the umask
// or the mode of a data directory the operator made.
const filePerm = 0o600

// ownerOnly creates the database file owner-only if it is missing (SQLite
// then gives its -wal and -shm files the same mode) and takes group and
// other access away from those that exist, written by an older version.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, filePerm)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal", path + ".lock"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
				return fmt.Errorf("make %s owner-only: %w", p, err)
			}
		}
	}
	return nil
}

// Open opens (creating if needed) the database at path and migrates it.
// Its files are owner-only (filePerm).
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if err := ownerOnly(path); err != nil {
		return nil, err
	}
	// synchronous(FULL): an acknowledged publish survives power loss, not
	// only a crash of the process.
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", "busy_timeout(10000)"} {
		q.Add("_pragma", p)
	}
	base := "file:" + path + "?" + q.Encode()
	// Connections cache their prepared statements (stmtcache.go).
	write := sql.OpenDB(&connector{dsn: base + "&_txlock=immediate", d: sqliteDriver})
	write.SetMaxOpenConns(1)
	read := sql.OpenDB(&connector{dsn: base + "&mode=ro", d: sqliteDriver})
	read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)*2))
	read.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)*2))
	s := &Store{write: write, read: read, scopes: newScopeCache()}
	for _, o := range opts {
		if err := o(s, path); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	var v int
	if err := s.write.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	for i := v; i < len(migrations); i++ {
		tx, err := s.write.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	return nil
}

func (s *Store) Close() error {
	err := errors.Join(s.read.Close(), s.write.Close())
	if s.lock != nil {
		err = errors.Join(err, s.lock.Close()) // releases the flock
	}
	return err
}

// View and Update begin their transactions without ctx's cancellation,
// which would cost a watcher goroutine per transaction (database/sql's);
// statements check ctx instead (tx.qctx), and both end the transaction
// themselves.
func (s *Store) View(ctx context.Context, fn func(meta.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// The transaction begins at its first statement; one answered
	// entirely from the read cache runs none. A run found stale is
	// repeated once without the cache (readcache.go).
	for attempt := 0; ; attempt++ {
		t := newTx(ctx, nil, false, s.scopes)
		t.db = s.read
		if s.rc != nil && attempt == 0 {
			if e := s.rc.epoch.Load(); e%2 == 0 {
				t.rc, t.epoch = s.rc, e
			}
		}
		err := fn(t)
		if t.tx != nil {
			t.tx.Rollback()
		}
		if !t.stale {
			return err
		}
	}
}

func (s *Store) Update(ctx context.Context, fn func(meta.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sqlTx, err := s.write.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	if err := fn(newTx(ctx, sqlTx, true, nil)); err != nil {
		sqlTx.Rollback()
		return err
	}
	if s.rc != nil {
		defer s.rc.committing()()
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
