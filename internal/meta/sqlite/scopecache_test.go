package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// Read transactions answer domain and repository lookups from the cache,
// and every change (an update, a delete, a cascade) is seen at once.
func TestScopeCache(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Unix(1_800_000_000, 0)
	var d *model.Domain
	update := func(fn func(tx meta.Tx) error) {
		t.Helper()
		if err := s.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	update(func(tx meta.Tx) error {
		d = &model.Domain{Name: "d", Owner: "111122223333", CreatedTime: now}
		if err := tx.CreateDomain(d); err != nil {
			return err
		}
		return tx.CreateRepository(&model.Repository{DomainID: d.ID, Name: "r", AdministratorAccount: d.Owner, Description: "one", Upstreams: []string{"up"}, CreatedTime: now})
	})
	read := func() (*model.Repository, error) {
		var r *model.Repository
		err := s.View(ctx, func(tx meta.Tx) error {
			dd, err := tx.GetDomain("111122223333", "d")
			if err != nil {
				return err
			}
			r, err = tx.GetRepository(dd.ID, "r")
			return err
		})
		return r, err
	}
	r, err := read()
	if err != nil || r.Description != "one" {
		t.Fatalf("first read: %+v, %v", r, err)
	}
	// A caller scribbling on what it got must not reach the next caller.
	r.Upstreams[0], r.Description = "scribbled", "scribbled"
	if again, _ := read(); again.Upstreams[0] != "up" || again.Description != "one" {
		t.Fatalf("the cache handed out a shared value: %+v", again)
	}
	update(func(tx meta.Tx) error {
		r.Description, r.Upstreams = "two", []string{"other"}
		return tx.UpdateRepository(r)
	})
	if got, _ := read(); got.Description != "two" || got.Upstreams[0] != "other" {
		t.Fatalf("after UpdateRepository: %+v", got)
	}
	update(func(tx meta.Tx) error { return tx.DeleteDomain(d.ID) })
	if got, err := read(); err == nil {
		t.Fatalf("after DeleteDomain (cascading to the repository) the cache still answers %+v", got)
	}
}
