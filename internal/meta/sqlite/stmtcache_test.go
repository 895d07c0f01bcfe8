package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wharf-dev/wharf/internal/meta"
)

func openCached(t testing.TB) *sql.DB {
	t.Helper()
	db := sql.OpenDB(&connector{dsn: "file:" + filepath.Join(t.TempDir(), "c.db"), d: sqliteDriver})
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');`); err != nil {
		t.Fatal(err)
	}
	return db
}

func cacheLen(t *testing.T, db *sql.DB) int {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	conn.Raw(func(dc any) error { n = len(dc.(*cachingConn).stmts); return nil })
	return n
}

func TestStmtCache(t *testing.T) {
	db := openCached(t)
	const q = `SELECT v FROM t WHERE k >= ? ORDER BY k`
	t.Run("the same query nested while its rows are open", func(t *testing.T) {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		outer, err := tx.Query(q, 1)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for outer.Next() {
			var v string
			outer.Scan(&v)
			inner, err := tx.Query(q, 3)
			if err != nil {
				t.Fatal(err)
			}
			for inner.Next() {
				var w string
				inner.Scan(&w)
				got = append(got, v+w)
			}
			inner.Close()
		}
		if err := outer.Close(); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != "[ac bc cc]" {
			t.Fatalf("nested rows: %v", got)
		}
	})
	t.Run("reused statements see new arguments and new data", func(t *testing.T) {
		for i, want := range []string{"a", "b", "c"} {
			var v string
			if err := db.QueryRow(`SELECT v FROM t WHERE k = ?`, i+1).Scan(&v); err != nil || v != want {
				t.Fatalf("k=%d: %q, %v", i+1, v, err)
			}
		}
		if _, err := db.Exec(`UPDATE t SET v = ? WHERE k = ?`, "z", 1); err != nil {
			t.Fatal(err)
		}
		var v string
		if err := db.QueryRow(`SELECT v FROM t WHERE k = ?`, 1).Scan(&v); err != nil || v != "z" {
			t.Fatalf("after update: %q, %v", v, err)
		}
	})
	t.Run("scripts are run, not cached", func(t *testing.T) {
		before := cacheLen(t, db)
		if _, err := db.Exec(`INSERT INTO t VALUES (20, 'x'); INSERT INTO t VALUES (21, 'y');`); err != nil {
			t.Fatal(err)
		}
		var n int
		db.QueryRow(`SELECT COUNT(*) FROM t WHERE k >= 20`).Scan(&n)
		if n != 2 || cacheLen(t, db) != before+1 {
			t.Fatalf("script inserted %d rows; cache %d -> %d", n, before, cacheLen(t, db))
		}
	})
	t.Run("bounded", func(t *testing.T) {
		for i := 0; i < 3*stmtCacheSize; i++ {
			var n int
			if err := db.QueryRow(fmt.Sprintf(`SELECT %d + k FROM t WHERE k = 1`, i)).Scan(&n); err != nil || n != i+1 {
				t.Fatalf("query %d: %d, %v", i, n, err)
			}
		}
		if n := cacheLen(t, db); n > stmtCacheSize {
			t.Fatalf("cache holds %d statements, more than %d", n, stmtCacheSize)
		}
	})
	t.Run("errors leave the statement usable", func(t *testing.T) {
		const ins = `INSERT INTO t (k, v) VALUES (?, ?)`
		if _, err := db.Exec(ins, 1, "dup"); err == nil {
			t.Fatal("duplicate key accepted")
		}
		if _, err := db.Exec(ins, 9, "new"); err != nil {
			t.Fatalf("after a failed run: %v", err)
		}
	})
}

// Readers on several connections, each with its own cache, race-free.
func TestStmtCacheConcurrentReaders(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Update(ctx, func(tx meta.Tx) error { return tx.PutSetting("k", "v") }); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				err := s.View(ctx, func(tx meta.Tx) error {
					v, err := tx.GetSetting("k")
					if err == nil && v != "v" {
						err = fmt.Errorf("got %q", v)
					}
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// The figure behind the cache: a point lookup with and without it.
func BenchmarkPointQuery(b *testing.B) {
	const q = `SELECT v FROM t WHERE k = ?`
	plain, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "p.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer plain.Close()
	plain.Exec(`CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a');`)
	for _, c := range []struct {
		name string
		db   *sql.DB
	}{{"uncached", plain}, {"cached", openCached(b)}} {
		b.Run(c.name, func(b *testing.B) {
			var v string
			for b.Loop() {
				if err := c.db.QueryRow(q, 1).Scan(&v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
