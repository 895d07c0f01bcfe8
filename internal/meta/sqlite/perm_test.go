package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/wharf-dev/wharf/internal/meta"
)

// The database, its -wal and -shm and the lock file are owner-only even
// in a directory the operator made world-readable and under a permissive
// umask, and files an older version left readable are tightened on open.
func TestFilesAreOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		existing bool // files left 0644 by an older version
	}{{"fresh", false}, {"left readable", true}} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "wharf.db")
			if tt.existing {
				s, err := Open(ctx, path)
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
				for _, p := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
					if err := os.WriteFile(p, nil, 0o644); err != nil && !os.IsExist(err) {
						t.Fatal(err)
					}
					os.Chmod(p, 0o644)
				}
			}
			s, err := Open(ctx, path, Exclusive())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Update(ctx, func(tx meta.Tx) error { return tx.PutSetting("token-key", "secret") }); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatalf("%s: %v", filepath.Base(p), err)
				}
				if fi.Mode().Perm()&0o077 != 0 {
					t.Errorf("%s has mode %04o, want owner-only", filepath.Base(p), fi.Mode().Perm())
				}
			}
		})
	}
}
