package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// A database made while npm's dist-tags had a table of their own keeps
// them, as the package's state, when it is migrated.
func TestPackageStateMigrationKeepsDistTags(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	n := -1
	for i, m := range migrations {
		if strings.Contains(m, "CREATE TABLE package_state") {
			n = i
		}
	}
	if n < 0 {
		t.Fatal("no package state migration")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:n] {
		if _, err := db.ExecContext(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", n)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `
		INSERT INTO domains (owner, name, created) VALUES ('111122223333', 'd', 0);
		INSERT INTO repositories (domain_id, name, admin_account, created) SELECT id, 'r', owner, 0 FROM domains;
		INSERT INTO packages (repository_id, format, namespace, name, origin_publish, origin_upstream) SELECT id, 'npm', '', 'left-pad', 'ALLOW', 'ALLOW' FROM repositories;
		INSERT INTO dist_tags (package_id, tag, version) SELECT id, 'latest', '1.3.0' FROM packages;
		INSERT INTO dist_tags (package_id, tag, version) SELECT id, 'next', '2.0.0-rc.1' FROM packages`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.View(ctx, func(tx meta.Tx) error {
		d, err := tx.GetDomain("111122223333", "d")
		if err != nil {
			return err
		}
		r, err := tx.GetRepository(d.ID, "r")
		if err != nil {
			return err
		}
		p, err := tx.GetPackage(r.ID, model.PackageKey{Format: model.FormatNpm, Name: "left-pad"})
		if err != nil {
			return err
		}
		st, err := tx.PackageState(p.ID)
		if want := map[string]string{"latest": "1.3.0", "next": "2.0.0-rc.1"}; err != nil || !reflect.DeepEqual(st, want) {
			return fmt.Errorf("state after the migration = %v, %v; want %v", st, err, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
