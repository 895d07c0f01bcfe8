package postgres

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/metatest"
	"github.com/wharf-dev/wharf/internal/meta/postgres/pgtest"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/model"
)

// BenchmarkTx compares a few transactions on PostgreSQL and SQLite, each
// as the service runs them: a package lookup, a packument-sized version
// listing, a dist-tag write and a publish of one version with one asset.
//
//	go test -run '^$' -bench Tx ./internal/meta/postgres
func BenchmarkTx(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) meta.Store
	}{
		{"sqlite", func(b *testing.B) meta.Store {
			s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "meta.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		}},
		// Durable commits, as in production: pgtest's databases skip
		// waiting for the WAL.
		{"postgres", func(b *testing.B) meta.Store { return openDSN(b, durable(pgtest.Database(b))) }},
	}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			repo, pkg := benchFixture(b, s)
			i := 0 // versions and tag values stay unique over -count runs
			b.Run("View/GetPackage", func(b *testing.B) {
				for b.Loop() {
					err := s.View(ctx, func(tx meta.Tx) error {
						_, err := tx.GetPackage(repo.ID, pkg.Key)
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("View/ListVersions50", func(b *testing.B) {
				for b.Loop() {
					err := s.View(ctx, func(tx meta.Tx) error {
						vs, err := tx.ListVersions(pkg.ID, meta.VersionFilter{WithFormatMeta: true, WithDetails: true})
						if err == nil && len(vs) != 50 {
							err = fmt.Errorf("%d versions", len(vs))
						}
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Update/SetPackageState", func(b *testing.B) {
				for b.Loop() {
					i++
					if err := s.Update(ctx, func(tx meta.Tx) error { return tx.SetPackageState(pkg.ID, "latest", fmt.Sprint(i)) }); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Update/Publish", func(b *testing.B) {
				for b.Loop() {
					i++
					err := s.Update(ctx, func(tx meta.Tx) error {
						p, err := tx.GetPackage(repo.ID, pkg.Key)
						if err != nil {
							return err
						}
						v := &model.Version{PackageID: p.ID, Version: fmt.Sprintf("2.0.%d", i), Revision: "r", Status: model.StatusPublished,
							PublishedTime: time.Now(), OriginType: model.OriginInternal, FormatMetadata: []byte(`{"name":"x"}`)}
						if err := tx.CreateVersion(v); err != nil {
							return err
						}
						d := fmt.Sprintf("%064d", i)
						if err := tx.PutAsset(&model.Asset{VersionID: v.ID, Name: "x.tgz", Size: 10, Hashes: model.Hashes{SHA256: d}, Created: time.Now()}); err != nil {
							return err
						}
						return tx.ReleaseBlob(d)
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func benchFixture(b *testing.B, s meta.Store) (*model.Repository, *model.Package) {
	var r *model.Repository
	var p *model.Package
	err := s.Update(ctx, func(tx meta.Tx) (err error) {
		if _, r, p, err = metatest.CreatePackage(tx, "dom", "repo", model.PackageKey{Format: model.FormatNpm, Name: "left-pad"}, time.Now()); err != nil {
			return err
		}
		for i := range 50 {
			v := &model.Version{PackageID: p.ID, Version: fmt.Sprintf("1.0.%d", i), Revision: "r", Status: model.StatusPublished,
				PublishedTime: time.Now(), OriginType: model.OriginInternal, Summary: "a summary", Readme: "# readme",
				FormatMetadata: []byte(`{"name":"left-pad","version":"1.0.0","dist":{"tarball":"x"}}`)}
			if err := tx.CreateVersion(v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return r, p
}

// durable asks for commits that wait for the WAL to be flushed.
func durable(dsn string) string {
	switch {
	case !strings.Contains(dsn, "://"):
		return dsn + " synchronous_commit=on"
	case strings.Contains(dsn, "?"):
		return dsn + "&synchronous_commit=on"
	default:
		return dsn + "?synchronous_commit=on"
	}
}
