package metatest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
)

// testConsoleSessions: a session is found until it expires, a sign-in
// purges expired ones and keeps at most max (dropping the oldest), a flash
// message is given once, and a deleted session is gone.
func testConsoleSessions(t *testing.T, s meta.Store) {
	at := func(i int) time.Time { return epoch.Add(time.Duration(i) * time.Minute) }
	mk := func(id string, created time.Time, ttl time.Duration) *meta.ConsoleSession {
		return &meta.ConsoleSession{ID: id, Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/" + id, AccessKeyID: "AKIA" + id,
			CSRF: "csrf-" + id, Created: created, Expires: created.Add(ttl)}
	}
	get := func(id string, now time.Time) (*meta.ConsoleSession, error) {
		var got *meta.ConsoleSession
		err := s.View(ctx, func(tx meta.Tx) (err error) {
			got, err = tx.GetConsoleSession(id, now)
			return err
		})
		return got, err
	}
	create := func(c *meta.ConsoleSession, max int) {
		t.Helper()
		update(t, s, func(tx meta.Tx) error { return tx.CreateConsoleSession(c, max) })
	}
	create(mk("a", at(0), 10*time.Minute), 3)
	got, err := get("a", at(1))
	if err != nil || got.ARN != "arn:aws:iam::111122223333:user/a" || got.AccessKeyID != "AKIAa" || got.CSRF != "csrf-a" ||
		got.Account != "111122223333" || got.Flash != "" || !got.Created.Equal(at(0)) || !got.Expires.Equal(at(10)) {
		t.Fatalf("GetConsoleSession = %+v, %v", got, err)
	}
	for _, now := range []time.Time{at(10), at(11)} {
		if _, err := get("a", now); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("expired session at %v: %v, want ErrNotFound", now, err)
		}
	}
	if _, err := get("nope", at(1)); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("unknown session: %v", err)
	}
	if err := s.Update(ctx, func(tx meta.Tx) error { return tx.CreateConsoleSession(mk("a", at(1), time.Hour), 3) }); !errors.Is(err, meta.ErrExists) {
		t.Errorf("second session with id a: %v, want ErrExists", err)
	}

	// b, c, d within the bound of 3; a sign-in at 20 purges a (expired at
	// 10) on its own, then e drops the oldest live one, b.
	for i, id := range []string{"b", "c", "d"} {
		create(mk(id, at(11+i), time.Hour), 3)
	}
	create(mk("e", at(20), time.Hour), 3)
	live := map[string]bool{}
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		if _, err := get(id, at(21)); err == nil {
			live[id] = true
		} else if !errors.Is(err, meta.ErrNotFound) {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(live) != "map[c:true d:true e:true]" {
		t.Errorf("live sessions after the bound = %v, want c, d, e", live)
	}
	// The purge removed the expired row: it is not found even at a time it
	// would have been live.
	if _, err := get("a", at(1)); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("expired session a survived a sign-in: %v", err)
	}

	swap := func(id, flash string) (string, error) {
		var old string
		err := s.Update(ctx, func(tx meta.Tx) (err error) {
			old, err = tx.SwapConsoleSessionFlash(id, flash)
			return err
		})
		return old, err
	}
	if old, err := swap("c", "Done."); err != nil || old != "" {
		t.Errorf("set flash: %q, %v", old, err)
	}
	if got, _ := get("c", at(21)); got == nil || got.Flash != "Done." {
		t.Errorf("session after set flash: %+v", got)
	}
	if old, err := swap("c", ""); err != nil || old != "Done." {
		t.Errorf("take flash: %q, %v", old, err)
	}
	if old, err := swap("c", ""); err != nil || old != "" {
		t.Errorf("second take of flash: %q, %v", old, err)
	}
	if _, err := swap("nope", "x"); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("flash of an unknown session: %v", err)
	}

	update(t, s, func(tx meta.Tx) error {
		if err := tx.DeleteConsoleSession("c"); err != nil {
			return err
		}
		return tx.DeleteConsoleSession("c") // already gone: no error
	})
	if _, err := get("c", at(21)); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("deleted session: %v", err)
	}
	if _, err := get("d", at(21)); err != nil {
		t.Errorf("deleting c removed d: %v", err)
	}
}
