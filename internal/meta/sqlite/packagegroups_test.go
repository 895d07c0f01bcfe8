package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// A database made before package groups gets a root group for each of its
// domains when it is migrated.
func TestPackageGroupMigrationBackfillsRoots(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	n := -1
	for i, m := range migrations {
		if strings.Contains(m, "CREATE TABLE package_groups") {
			n = i
		}
	}
	if n < 0 {
		t.Fatal("no package group migration")
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
	if _, err := db.ExecContext(ctx, `INSERT INTO domains (owner, name, created) VALUES ('111122223333', 'old', 42)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.View(ctx, func(tx meta.Tx) error {
		d, err := tx.GetDomain("111122223333", "old")
		if err != nil {
			return err
		}
		g, err := tx.GetPackageGroup(d.ID, model.RootPattern)
		if err != nil {
			return fmt.Errorf("root group of a migrated domain: %w", err)
		}
		if g.CreatedTime.UnixNano() != 42 || g.Modes[model.RestrictionPublish] != model.ModeAllow {
			return fmt.Errorf("root = %+v", g)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
