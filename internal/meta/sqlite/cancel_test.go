package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/wharf-dev/wharf/internal/meta"
)

// Statements run without the context's watcher goroutine (tx.qctx), yet
// a cancelled context still stops a transaction at its next statement,
// and an Update whose context ends midway commits nothing.
func TestCancellationBetweenStatements(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.View(done, func(meta.Tx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("View on a cancelled context: %v", err)
	}
	if err := s.Update(done, func(meta.Tx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Update on a cancelled context: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	err = s.Update(ctx, func(tx meta.Tx) error {
		if err := tx.PutSetting("a", "1"); err != nil {
			return err
		}
		cancel()
		return tx.PutSetting("b", "2")
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("statement after cancel: %v", err)
	}
	err = s.View(context.Background(), func(tx meta.Tx) error {
		if _, err := tx.GetSetting("a"); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("the cancelled Update's first write was committed: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
