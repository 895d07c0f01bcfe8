package postgres

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/postgres/pgtest"
	"github.com/wharf-dev/wharf/internal/model"
)

// A database made while npm's dist-tags had a table of their own keeps
// them, as the package's state, when it is migrated; and writes to the
// state still move the package's generation.
func TestPackageStateMigrationKeepsDistTags(t *testing.T) {
	dsn := pgtest.Database(t)
	conn, err := pgx.Connect(ctx, dsn)
	must(t, err)
	defer conn.Close(ctx)
	n := -1
	for i, m := range migrations {
		if strings.Contains(m, "CREATE TABLE package_state") {
			n = i
		}
	}
	if n < 0 {
		t.Fatal("no package state migration")
	}
	_, err = conn.Exec(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now())`)
	must(t, err)
	for i, m := range migrations[:n] {
		_, err = conn.Exec(ctx, m)
		must(t, err)
		_, err = conn.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, i+1)
		must(t, err)
	}
	_, err = conn.Exec(ctx, `
		INSERT INTO domains (owner, name, created) VALUES ('111122223333', 'd', 0);
		INSERT INTO repositories (domain_id, name, admin_account, created) SELECT id, 'r', owner, 0 FROM domains;
		INSERT INTO packages (repository_id, format, namespace, name, origin_publish, origin_upstream) SELECT id, 'npm', '', 'left-pad', 'ALLOW', 'ALLOW' FROM repositories;
		INSERT INTO dist_tags (package_id, tag, version) SELECT id, 'latest', '1.3.0' FROM packages;
		INSERT INTO dist_tags (package_id, tag, version) SELECT id, 'next', '2.0.0-rc.1' FROM packages`)
	must(t, err)
	s := openDSN(t, dsn)
	var p *model.Package
	must(t, s.View(ctx, func(tx meta.Tx) error {
		d, err := tx.GetDomain("111122223333", "d")
		if err != nil {
			return err
		}
		r, err := tx.GetRepository(d.ID, "r")
		if err != nil {
			return err
		}
		if p, err = tx.GetPackage(r.ID, model.PackageKey{Format: model.FormatNpm, Name: "left-pad"}); err != nil {
			return err
		}
		st, err := tx.PackageState(p.ID)
		if want := map[string]string{"latest": "1.3.0", "next": "2.0.0-rc.1"}; err != nil || !reflect.DeepEqual(st, want) {
			return fmt.Errorf("state after the migration = %v, %v; want %v", st, err, want)
		}
		return nil
	}))
	must(t, s.Update(ctx, func(tx meta.Tx) error { return tx.DeletePackageState(p.ID, "next") }))
	must(t, s.View(ctx, func(tx meta.Tx) error {
		pk, err := tx.GetPackageByID(p.ID)
		if err != nil || pk.Generation <= p.Generation {
			return fmt.Errorf("generation after a state write: %+v, %v (was %d)", pk, err, p.Generation)
		}
		return nil
	}))
}
