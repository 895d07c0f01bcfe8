// Package pgtest gives tests a PostgreSQL database of their own.
//
// The server is the one WHARF_TEST_POSTGRES_DSN names (any database on
// it; the role must be allowed to create databases). When that is unset
// and the machine has a Debian PostgreSQL cluster, pgtest starts it and
// creates a role for the tests, which needs root (CI runs as root). If
// neither works the test is skipped, or fails under CI=true.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the server the tests use.
const EnvDSN = "WHARF_TEST_POSTGRES_DSN"

var (
	once     sync.Once
	adminDSN string
	adminErr error
)

// Server returns the DSN of the server tests use, skipping (or, under
// CI=true, failing) t when there is none.
func Server(t testing.TB) string {
	t.Helper()
	once.Do(func() { adminDSN, adminErr = findServer() })
	if adminErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is unavailable (set %s, or install postgresql and run as root): %v", EnvDSN, adminErr)
		}
		t.Skipf("PostgreSQL is unavailable (set %s, or install postgresql and run as root): %v", EnvDSN, adminErr)
	}
	return adminDSN
}

// Database creates an empty database, dropped when t ends, and returns
// its DSN.
func Database(t testing.TB) string {
	t.Helper()
	admin := Server(t)
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	name := "wharf_test_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	// Tests need no durability: commits need not wait for the WAL to
	// reach the disk, which on a busy machine costs more than the test.
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+name+" SET synchronous_commit = off"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		// FORCE: a test that failed may have left connections open.
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	dsn, err := WithDatabase(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// WithDatabase returns dsn naming database name instead of its own.
func WithDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("pgtest: %s: %w", EnvDSN, err)
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	// key=value form: a later setting overrides an earlier one.
	return strings.TrimSpace(dsn + " dbname=" + name), nil
}

func findServer() (string, error) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return dsn, ping(dsn, 10*time.Second)
	}
	return startLocal()
}

func ping(dsn string, within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Role and password of the role startLocal creates; the cluster only
// listens on loopback.
const localRole = "wharf_test"

// startLocal starts the local Debian cluster (15/main if there is one)
// and makes sure it has the test role, the way .ci/run's lines do by
// hand. Test packages run in parallel, so both steps tolerate another
// process doing the same at the same time.
func startLocal() (string, error) {
	out, err := exec.Command("pg_lsclusters", "--no-header").Output()
	if err != nil {
		return "", fmt.Errorf("no %s and no local cluster: pg_lsclusters: %w", EnvDSN, err)
	}
	var ver, name, port string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		if ver == "" || (f[0] == "15" && f[1] == "main") {
			ver, name, port = f[0], f[1], f[2]
		}
	}
	if ver == "" {
		return "", errors.New("no PostgreSQL cluster (pg_lsclusters lists none)")
	}
	// Exit status 2 is "already running", also when a parallel test
	// process won the race; a real failure shows up when connecting.
	exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", ver, name, "start").Run()
	create := fmt.Sprintf(`DO $$ BEGIN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%[1]s') THEN
			CREATE ROLE %[1]s LOGIN CREATEDB PASSWORD '%[1]s';
		END IF;
		-- DROP DATABASE ... WITH (FORCE) must be able to end an autovacuum
		-- worker that happens to be in the test database.
		GRANT pg_signal_backend TO %[1]s;
	EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
	END $$`, localRole)
	var last error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		out, err := exec.Command("runuser", "-u", "postgres", "--", "psql", "-p", port, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", create).CombinedOutput()
		if err == nil {
			last = nil
			break
		}
		last = fmt.Errorf("create role %s (as root, through runuser -u postgres psql): %v: %s", localRole, err, strings.TrimSpace(string(out)))
	}
	if last != nil {
		return "", last
	}
	dsn := fmt.Sprintf("postgres://%[1]s:%[1]s@127.0.0.1:%[2]s/postgres?sslmode=disable", localRole, port)
	return dsn, ping(dsn, 20*time.Second)
}
