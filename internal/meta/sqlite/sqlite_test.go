package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/metatest"
)

func TestContract(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []Option
	}{{"shared", nil}, {"exclusive", []Option{Exclusive()}}} {
		t.Run(tt.name, func(t *testing.T) {
			metatest.Run(t, func(t *testing.T) meta.Store {
				s, err := Open(context.Background(), filepath.Join(t.TempDir(), "meta.db"), tt.opts...)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			})
		})
	}
}

// Reopening the same file keeps the data and does not re-run migrations.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx meta.Tx) error { return tx.PutSetting("k", "v") }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.View(ctx, func(tx meta.Tx) error {
		v, err := tx.GetSetting("k")
		if err != nil || v != "v" {
			t.Errorf("after reopen: %q, %v", v, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
