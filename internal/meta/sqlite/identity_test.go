package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/metatest"
)

func TestAccessContract(t *testing.T) {
	metatest.RunAccess(t, func(t *testing.T) meta.AccessStore {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "meta.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
