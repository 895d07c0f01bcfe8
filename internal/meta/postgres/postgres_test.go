package postgres

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/metatest"
	"github.com/wharf-dev/wharf/internal/meta/postgres/pgtest"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/model"
)

var ctx = context.Background()

// open opens a store on a database of its own, dropped after the test.
func open(t testing.TB) *Store {
	t.Helper()
	return openDSN(t, pgtest.Database(t))
}

// openDSN opens another store on the same database: a second replica,
// with a connection pool of its own.
func openDSN(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	metatest.Run(t, func(t *testing.T) meta.Store { return open(t) })
}

func TestAccessContract(t *testing.T) {
	metatest.RunAccess(t, func(t *testing.T) meta.AccessStore { return open(t) })
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)

// fixture makes a domain, a repository and a package with versions.
func fixture(t *testing.T, s meta.Store, versions ...string) (*model.Repository, *model.Package) {
	t.Helper()
	var r *model.Repository
	var p *model.Package
	must(t, s.Update(ctx, func(tx meta.Tx) (err error) {
		if _, r, p, err = metatest.CreatePackage(tx, "dom", "repo", model.PackageKey{Format: model.FormatGeneric, Namespace: "ns", Name: "pkg"}, epoch); err != nil {
			return err
		}
		for _, v := range versions {
			if err := tx.CreateVersion(&model.Version{PackageID: p.ID, Version: v, Revision: "r", Status: model.StatusPublished, PublishedTime: epoch, OriginType: model.OriginInternal}); err != nil {
				return err
			}
		}
		return nil
	}))
	return r, p
}

// Batches of deletes over overlapping versions, from two replicas at
// once, each checking which versions exist and deleting those: every
// version is deleted by exactly one batch, and no Update runs its
// function more than once (the writer lock leaves nothing to retry).
func TestReplicasSerializeBatches(t *testing.T) {
	dsn := pgtest.Database(t)
	replicas := []*Store{openDSN(t, dsn), openDSN(t, dsn)}
	var versions []string
	for i := range 40 {
		versions = append(versions, fmt.Sprintf("1.0.%d", i))
	}
	_, p := fixture(t, replicas[0], versions...)

	const workers = 8
	var calls, runs, overlap, inside atomic.Int64
	var mu sync.Mutex
	deletedBy := map[string]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := replicas[w%2]
			// Each worker goes through the versions in its own order,
			// a few at a time, so batches overlap in every way.
			order := slices.Clone(versions)
			for i := range order {
				j := (i*7 + w*13) % len(order)
				order[i], order[j] = order[j], order[i]
			}
			for start := 0; start < len(order); start += 5 {
				batch := order[start:min(start+5, len(order))]
				var mine []string
				calls.Add(1)
				err := s.Update(ctx, func(tx meta.Tx) error {
					runs.Add(1)
					mine = nil
					// The transaction, and the writer lock, begin with
					// the first statement.
					current, err := tx.GetVersions(p.ID, batch)
					if err != nil {
						return err
					}
					if inside.Add(1) > 1 {
						overlap.Add(1)
					}
					defer inside.Add(-1)
					time.Sleep(time.Millisecond) // widen the check-then-delete window
					var ids []int64
					for v, row := range current {
						ids = append(ids, row.ID)
						mine = append(mine, v)
					}
					return tx.DeleteVersions(ids)
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, v := range mine {
					deletedBy[v]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, v := range versions {
		if deletedBy[v] != 1 {
			t.Errorf("version %s deleted by %d batches, want 1", v, deletedBy[v])
		}
	}
	if runs.Load() != calls.Load() {
		t.Errorf("%d Update calls ran their function %d times", calls.Load(), runs.Load())
	}
	if overlap.Load() != 0 {
		t.Errorf("%d Update functions ran statements while another was running", overlap.Load())
	}
}

// Write skew, the anomaly snapshot isolation lets through: two on-call
// doctors each check that the other is on call, then leave. Serialized
// Updates keep at least one on call.
func TestNoWriteSkew(t *testing.T) {
	dsn := pgtest.Database(t)
	a, b := openDSN(t, dsn), openDSN(t, dsn)
	for round := range 5 {
		must(t, a.Update(ctx, func(tx meta.Tx) error {
			if err := tx.PutSetting("alice", "on"); err != nil {
				return err
			}
			return tx.PutSetting("bob", "on")
		}))
		var wg sync.WaitGroup
		leave := func(s *Store, me, other string) {
			defer wg.Done()
			err := s.Update(ctx, func(tx meta.Tx) error {
				v, err := tx.GetSetting(other)
				if err != nil || v != "on" {
					return err
				}
				time.Sleep(20 * time.Millisecond) // both have read before either writes
				return tx.PutSetting(me, "off")
			})
			if err != nil {
				t.Error(err)
			}
		}
		wg.Add(2)
		go leave(a, "alice", "bob")
		go leave(b, "bob", "alice")
		wg.Wait()
		must(t, a.View(ctx, func(tx meta.Tx) error {
			x, _ := tx.GetSetting("alice")
			y, _ := tx.GetSetting("bob")
			if x == "off" && y == "off" {
				t.Errorf("round %d: both doctors left", round)
			}
			return nil
		}))
	}
}

// The garbage collector deletes bytes inside an Update that found the
// blob neither referenced nor leased; a publish leases before writing
// bytes. A lease taken on another replica must therefore wait for that
// Update to end in real time, not merely be ordered after it (which is
// all SERIALIZABLE would promise). Reads do not wait.
func TestLeaseWaitsForCollector(t *testing.T) {
	dsn := pgtest.Database(t)
	gc, pub := openDSN(t, dsn), openDSN(t, dsn)
	_, p := fixture(t, gc, "1.0.0")
	const d = "digest-being-collected"
	must(t, gc.Update(ctx, func(tx meta.Tx) error {
		v, err := tx.GetVersion(p.ID, "1.0.0")
		if err != nil {
			return err
		}
		if err := tx.PutAsset(&model.Asset{VersionID: v.ID, Name: "a", Size: 1, Hashes: model.Hashes{SHA256: d}, Created: epoch}); err != nil {
			return err
		}
		return tx.SetVersionStatus([]int64{v.ID}, model.StatusDisposed)
	}))

	checked := make(chan struct{})
	var collectorDone atomic.Int64
	errc := make(chan error, 1)
	go func() {
		errc <- gc.Update(ctx, func(tx meta.Tx) error {
			ds, err := tx.UnreferencedBlobs(time.Now(), 0)
			if err != nil || !slices.Contains(ds, d) {
				return fmt.Errorf("unreferenced = %v, %v", ds, err)
			}
			close(checked)
			time.Sleep(300 * time.Millisecond) // deleting the bytes
			collectorDone.Store(time.Now().UnixNano())
			return tx.ForgetBlob(d)
		})
	}()
	<-checked
	start := time.Now()
	must(t, pub.View(ctx, func(tx meta.Tx) error {
		_, err := tx.GetPackageByID(p.ID)
		return err
	}))
	if waited := time.Since(start); waited > 200*time.Millisecond {
		t.Errorf("a read waited %v for the writer", waited)
	}
	must(t, pub.Update(ctx, func(tx meta.Tx) error { return tx.LeaseBlob(d, time.Now().Add(time.Hour)) }))
	leased := time.Now().UnixNano()
	must(t, <-errc)
	if done := collectorDone.Load(); done == 0 || leased < done {
		t.Errorf("the lease committed while the collector was still deleting")
	}
	must(t, pub.View(ctx, func(tx meta.Tx) error {
		ref, err := tx.BlobReferenced(d, time.Now())
		if err != nil || !ref {
			return fmt.Errorf("leased blob referenced = %v, %v", ref, err)
		}
		return nil
	}))
}

// Replicas starting together migrate the database once; a database
// migrated by a newer wharf is refused rather than misread.
func TestMigrateConcurrently(t *testing.T) {
	dsn := pgtest.Database(t)
	var wg sync.WaitGroup
	stores := make([]*Store, 4)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(ctx, dsn)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var n, max int
	must(t, stores[0].write.QueryRow(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &max))
	if n != len(migrations) || max != len(migrations) {
		t.Fatalf("schema_migrations has %d rows up to %d, want %d", n, max, len(migrations))
	}
	_, err := stores[0].write.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, len(migrations)+1)
	must(t, err)
	if s, err := Open(ctx, dsn); err == nil {
		s.Close()
		t.Fatal("opened a database with a newer schema")
	}
}

// Text PostgreSQL cannot hold (NUL, invalid UTF-8) is never found and
// never written, without aborting the transaction around it; free text
// from package contents keeps its NULs.
func TestUnstorableText(t *testing.T) {
	s := open(t)
	r, p := fixture(t, s, "1.0.0")
	must(t, s.Update(ctx, func(tx meta.Tx) error {
		if _, err := tx.GetPackage(r.ID, model.PackageKey{Format: model.FormatGeneric, Namespace: "ns", Name: "p\x00"}); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("NUL name: %v, want ErrNotFound", err)
		}
		if _, err := tx.GetVersion(p.ID, "\xff"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("invalid UTF-8 version: %v, want ErrNotFound", err)
		}
		got, err := tx.GetVersions(p.ID, []string{"\xff", "1.0.0"})
		if err != nil || len(got) != 1 || got["1.0.0"] == nil {
			return fmt.Errorf("GetVersions = %v, %v", got, err)
		}
		if ps, err := tx.ListPackages(r.ID, meta.PackageFilter{NamePrefix: "\x00"}); err != nil || len(ps) != 0 {
			return fmt.Errorf("ListPackages NUL prefix = %v, %v", ps, err)
		}
		var me *model.Error
		if err := tx.CreateVersion(&model.Version{PackageID: p.ID, Version: "2\x00", Revision: "r", Status: model.StatusPublished, OriginType: model.OriginInternal}); !errors.As(err, &me) || me.Kind != model.KindValidation {
			return fmt.Errorf("writing a NUL version: %v, want a validation error", err)
		}
		// The transaction is still good.
		return tx.CreateVersion(&model.Version{PackageID: p.ID, Version: "2.0.0", Revision: "r", Status: model.StatusPublished, OriginType: model.OriginInternal,
			Summary: "nul\x00inside", Readme: "bytes \xff\x00 kept", DisplayName: "d\x00"})
	}))
	must(t, s.View(ctx, func(tx meta.Tx) error {
		v, err := tx.GetVersion(p.ID, "2.0.0")
		if err != nil || v.Summary != "nul\x00inside" || v.Readme != "bytes \xff\x00 kept" || v.DisplayName != "d\x00" {
			return fmt.Errorf("GetVersion = %+v, %v", v, err)
		}
		return nil
	}))
}

// A statement that fails aborts a PostgreSQL transaction; an fn that
// ignores the error must not see Update report success.
func TestIgnoredFailureIsNotCommitted(t *testing.T) {
	s := open(t)
	// A repository of a domain that does not exist: a foreign-key
	// violation, ignored, as the transaction's first statement (sent
	// with the BEGIN) or a later one.
	orphan := func(tx meta.Tx) {
		_ = tx.CreateRepository(&model.Repository{DomainID: 424242, Name: "orphan", AdministratorAccount: "1", CreatedTime: epoch})
	}
	for _, first := range []bool{true, false} {
		err := s.Update(ctx, func(tx meta.Tx) error {
			if first {
				orphan(tx)
			}
			if err := tx.PutSetting("k", "v"); err != nil && !first {
				return err
			}
			if !first {
				orphan(tx)
			}
			return nil
		})
		if err == nil {
			t.Fatalf("first %v: Update succeeded after a failed statement", first)
		}
		must(t, s.View(ctx, func(tx meta.Tx) error {
			if _, err := tx.GetSetting("k"); !errors.Is(err, meta.ErrNotFound) {
				return fmt.Errorf("first %v: write of the failed transaction visible: %v", first, err)
			}
			return nil
		}))
	}
}

// A panicking fn must not leave the writer lock held by a pooled
// connection, and a writer waiting for the lock gives up with its
// context.
func TestWriterLockReleased(t *testing.T) {
	dsn := pgtest.Database(t)
	a, b := openDSN(t, dsn), openDSN(t, dsn)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		a.Update(ctx, func(tx meta.Tx) error {
			tx.PutSetting("k", "v")
			panic("boom")
		})
	}()
	quick, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	must(t, b.Update(quick, func(tx meta.Tx) error { return tx.PutSetting("k", "w") }))

	hold, release := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- a.Update(ctx, func(tx meta.Tx) error {
			if err := tx.PutSetting("k", "x"); err != nil {
				return err
			}
			close(hold)
			<-release
			return nil
		})
	}()
	<-hold
	short, cancel2 := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel2()
	// Were the wait deaf to ctx, this would block until release, which
	// comes only after it: the test would hang rather than pass.
	err := b.Update(short, func(tx meta.Tx) error { return tx.PutSetting("k", "y") })
	if err == nil {
		t.Errorf("waiting for the lock: no error, want the context's")
	}
	close(release)
	must(t, <-errc)
	must(t, b.View(ctx, func(tx meta.Tx) error {
		if v, err := tx.GetSetting("k"); err != nil || v != "x" {
			return fmt.Errorf("k = %q, %v", v, err)
		}
		return nil
	}))
}

// Updates queued behind the writer lock must not take the connections
// reads need: downloads go on while publishes wait.
func TestReadsNotStarvedByWaitingWriters(t *testing.T) {
	s := open(t)
	hold, release := make(chan struct{}), make(chan struct{})
	var writers sync.WaitGroup
	writers.Add(1)
	go func() {
		defer writers.Done()
		err := s.Update(ctx, func(tx meta.Tx) error {
			if err := tx.PutSetting("k", "held"); err != nil {
				return err
			}
			close(hold)
			<-release
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}()
	<-hold
	for i := range 10 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			if err := s.Update(ctx, func(tx meta.Tx) error { return tx.PutSetting("k", fmt.Sprint(i)) }); err != nil {
				t.Error(err)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond) // let them queue
	var readers sync.WaitGroup
	for range 20 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			err := s.View(rctx, func(tx meta.Tx) error {
				_, err := tx.GetSetting("k")
				if errors.Is(err, meta.ErrNotFound) {
					err = nil // the holder has not committed
				}
				return err
			})
			if err != nil {
				t.Errorf("a read behind queued writers: %v", err)
			}
		}()
	}
	readers.Wait()
	close(release)
	writers.Wait()
}

// Listings order byte-wise and prefixes match literally, exactly as in
// the SQLite store, whatever the database's locale.
func TestOrderingMatchesSQLite(t *testing.T) {
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	must(t, err)
	defer lite.Close()
	names := []string{"a", "B", "b", "_x", "%y", "a_b", "a%b", "aXb", "a-b", "a.b", "é", "z", "Z", "ab", "a\\b"}
	type result struct {
		repos, prefix, packages, versions []string
		users                             []string
	}
	run := func(s interface {
		meta.Store
		meta.Identities
	}) result {
		var res result
		r, p := fixture(t, s, names...)
		must(t, s.Update(ctx, func(tx meta.Tx) error {
			for _, n := range names {
				if err := tx.CreateRepository(&model.Repository{DomainID: r.DomainID, Name: "r" + n, AdministratorAccount: "1", CreatedTime: epoch}); err != nil {
					return err
				}
				if err := tx.CreatePackage(&model.Package{RepositoryID: r.ID, Key: model.PackageKey{Format: model.FormatNpm, Namespace: n, Name: n}, Origin: model.DefaultOriginForPublish}); err != nil {
					return err
				}
			}
			return nil
		}))
		for _, n := range []string{"Bob", "alice", "carol", "Dave"} {
			must(t, s.CreateUser(ctx, &meta.User{Account: "111122223333", Name: n, Created: epoch}))
		}
		must(t, s.View(ctx, func(tx meta.Tx) error {
			// Page through two at a time, as clients do.
			after := ""
			for {
				page, err := tx.ListRepositories(meta.RepositoryFilter{DomainID: r.DomainID, After: after, Limit: 2})
				if err != nil || len(page) == 0 {
					break
				}
				for _, x := range page {
					res.repos = append(res.repos, x.Name)
				}
				after = fmt.Sprintf("%s/%d", page[len(page)-1].Name, page[len(page)-1].ID)
			}
			for _, prefix := range []string{"ra_", "ra%", "r_", "r%", "ra\\"} {
				rs, _ := tx.ListRepositories(meta.RepositoryFilter{Prefix: prefix})
				res.prefix = append(res.prefix, fmt.Sprintf("%s:%d", prefix, len(rs)))
			}
			pkgAfter := ""
			for {
				page, err := tx.ListPackages(r.ID, meta.PackageFilter{After: pkgAfter, Limit: 3})
				if err != nil || len(page) == 0 {
					break
				}
				for _, x := range page {
					res.packages = append(res.packages, x.Key.Namespace+"/"+x.Key.Name)
				}
				pkgAfter = meta.PackageCursor(page[len(page)-1])
			}
			vs, err := tx.ListVersions(p.ID, meta.VersionFilter{})
			for _, v := range vs {
				res.versions = append(res.versions, v.Version)
			}
			return err
		}))
		us, err := s.ListUsers(ctx, "")
		must(t, err)
		for _, u := range us {
			res.users = append(res.users, u.Name)
		}
		return res
	}
	want, got := run(lite), run(open(t))
	for _, c := range []struct {
		what      string
		want, got []string
	}{
		{"repositories", want.repos, got.repos},
		{"prefix matches", want.prefix, got.prefix},
		{"packages", want.packages, got.packages},
		{"versions", want.versions, got.versions},
		{"users", want.users, got.users},
	} {
		if !slices.Equal(c.want, c.got) {
			t.Errorf("%s: postgres %q, sqlite %q", c.what, c.got, c.want)
		}
	}
}
