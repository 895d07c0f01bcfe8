package postgres

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/metatest"
	"github.com/wharf-dev/wharf/internal/meta/postgres/pgtest"
	"github.com/wharf-dev/wharf/internal/model"
)

// A collection drops the candidates that turned out referenced again and
// keeps those a lease holds (the cascades themselves are in the contract
// suite, metatest's GCCandidates).
func TestGCCandidatesPruned(t *testing.T) {
	s := open(t)
	now := time.Unix(1_800_000_000, 0)
	var pkgID int64
	versions := map[string]*model.Version{}
	must(t, s.Update(ctx, func(tx meta.Tx) error {
		_, _, p, err := metatest.CreatePackage(tx, "d", "r", model.PackageKey{Format: model.FormatGeneric, Namespace: "ns", Name: "p"}, now)
		if err != nil {
			return err
		}
		pkgID = p.ID
		for _, name := range []string{"assets", "leased"} {
			v := &model.Version{PackageID: p.ID, Version: name, Revision: "r", Status: model.StatusPublished, PublishedTime: now, OriginType: model.OriginInternal}
			if err := tx.CreateVersion(v); err != nil {
				return err
			}
			versions[name] = v
			if err := tx.PutAsset(&model.Asset{VersionID: v.ID, Name: "a", Size: 1, Hashes: model.Hashes{SHA256: "blob-" + name}, Created: now}); err != nil {
				return err
			}
		}
		return nil
	}))
	must(t, s.Update(ctx, func(tx meta.Tx) error {
		if err := tx.DeleteAssets(versions["assets"].ID); err != nil {
			return err
		}
		v := &model.Version{PackageID: pkgID, Version: "again", Revision: "r", Status: model.StatusPublished, PublishedTime: now, OriginType: model.OriginInternal}
		if err := tx.CreateVersion(v); err != nil {
			return err
		}
		if err := tx.PutAsset(&model.Asset{VersionID: v.ID, Name: "a", Size: 1, Hashes: model.Hashes{SHA256: "blob-assets"}, Created: now}); err != nil {
			return err
		}
		if err := tx.LeaseBlob("blob-leased", now.Add(time.Hour)); err != nil {
			return err
		}
		return tx.DeleteVersions([]int64{versions["leased"].ID})
	}))
	must(t, s.Update(ctx, func(tx meta.Tx) error {
		got, err := tx.UnreferencedBlobs(now, 0)
		if err == nil && len(got) != 0 {
			err = fmt.Errorf("UnreferencedBlobs = %v, want none", got)
		}
		return err
	}))
	rows, err := s.read.Query(ctx, `SELECT digest FROM gc_candidates ORDER BY digest`)
	must(t, err)
	c, err := pgx.CollectRows(rows, pgx.RowTo[string])
	must(t, err)
	if !slices.Contains(c, "blob-leased") || slices.Contains(c, "blob-assets") {
		t.Errorf("candidates = %v: want the leased blob kept and the re-referenced one dropped", c)
	}
}

// The migration that adds gc_candidates makes candidates of the blobs a
// database has already.
func TestGCCandidatesBackfilled(t *testing.T) {
	dsn := pgtest.Database(t)
	conn, err := pgx.Connect(ctx, dsn)
	must(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now())`)
	must(t, err)
	_, err = conn.Exec(ctx, migrations[0])
	must(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES (1);
		INSERT INTO domains (owner, name, created) VALUES ('111122223333', 'd', 0);
		INSERT INTO repositories (domain_id, name, admin_account, created) SELECT id, 'r', owner, 0 FROM domains;
		INSERT INTO packages (repository_id, format, namespace, name, origin_publish, origin_upstream) SELECT id, 'generic', 'ns', 'p', 'ALLOW', 'BLOCK' FROM repositories;
		INSERT INTO versions (package_id, version, revision, status, published, origin_type) SELECT id, '1', 'r', 'Disposed', 0, 'INTERNAL' FROM packages;
		INSERT INTO assets (version_id, name, size, md5, sha1, sha256, sha512, created) SELECT id, 'a', 1, '', '', 'old-blob', '', 0 FROM versions;
		INSERT INTO blobs (digest, size) VALUES ('old-blob', 1)`)
	must(t, err)
	s := openDSN(t, dsn)
	must(t, s.Update(ctx, func(tx meta.Tx) error {
		got, err := tx.UnreferencedBlobs(time.Now(), 0)
		if err != nil || !slices.Equal(got, []string{"old-blob"}) {
			return fmt.Errorf("UnreferencedBlobs after the migration = %v, %v", got, err)
		}
		return nil
	}))
}

// A collection's cost follows what changed, not what is stored: with many
// referenced blobs, finding the few unreferenced stays cheap.
func BenchmarkUnreferencedBlobs(b *testing.B) {
	s := open(b)
	_, err := s.write.Exec(ctx, `
		INSERT INTO domains (owner, name, created) VALUES ('111122223333', 'd', 0);
		INSERT INTO repositories (domain_id, name, admin_account, created) SELECT id, 'r', owner, 0 FROM domains;
		INSERT INTO packages (repository_id, format, namespace, name, origin_publish, origin_upstream) SELECT id, 'generic', 'ns', 'p', 'ALLOW', 'BLOCK' FROM repositories;
		INSERT INTO versions (package_id, version, revision, status, published, origin_type) SELECT p.id, i::text, 'r', 'Published', 0, 'INTERNAL' FROM packages p, generate_series(1, 50000) i;
		INSERT INTO assets (version_id, name, size, md5, sha1, sha256, sha512, created) SELECT id, 'a', 1, '', '', 'blob-' || version, '', 0 FROM versions;
		INSERT INTO blobs (digest, size) SELECT sha256, 1 FROM assets;
		ANALYZE`)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for b.Loop() {
		err := s.Update(ctx, func(tx meta.Tx) error {
			_, err := tx.UnreferencedBlobs(now, 200)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
