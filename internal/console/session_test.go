package console

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
)

// The store is bounded (the oldest sign-in makes room), sessions expire,
// tokens are fresh, and the store keeps only the token's hash.
func TestSessionStore(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	now := time.Unix(1000, 0)
	st := newSessionStore(f.meta, 2, time.Hour, func() time.Time { return now })
	mk := func() (*session, string) {
		t.Helper()
		s, tok, err := st.create(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Second) // sign-ins are ordered by time
		return s, tok
	}
	live := func(tok string) bool {
		t.Helper()
		s, err := st.get(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		return s != nil
	}
	a, ta := mk()
	b, tb := mk()
	_, tc := mk()
	if live(ta) || !live(tb) || !live(tc) {
		t.Fatal("the store must drop the oldest session when full")
	}
	if a.CSRF == b.CSRF || ta == tb || a.id == ta || a.id != sessionID(ta) {
		t.Fatal("tokens must be fresh, and the stored id the token's hash, not the token")
	}
	if err := f.meta.View(ctx, func(tx meta.Tx) error {
		_, err := tx.GetConsoleSession(tb, now)
		return err
	}); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("the cookie's token is a stored id: %v", err)
	}
	got, _ := st.get(ctx, tb)
	if got.Caller != admin || got.CSRF != b.CSRF {
		t.Errorf("session read back as %+v", got)
	}
	now = now.Add(time.Hour)
	if live(tb) {
		t.Fatal("an expired session must be gone")
	}
	if live("") || live("not-a-token") {
		t.Fatal("a made-up token has a session")
	}
}

// Two consoles over one store are two replicas: a session made on one
// works on the other, CSRF included; an action's flash is shown once on
// whichever serves the next page; a console made anew (a restart) knows
// the session; a sign-out on one ends it on the other.
func TestSessionsAcrossReplicas(t *testing.T) {
	a := newFixture(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	replica := func() *fixture {
		c, err := New(a.svc, a.c.keys, Options{Logger: log, Sessions: a.meta})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		c.Routes(mux)
		return &fixture{c: c, h: mux, svc: a.svc, meta: a.meta}
	}
	b := replica()
	a.publish(t, "1.0")
	sc, tok := a.signIn(t, adminKey, adminSec)
	pkg := "/console/d/" + acct + "/acme/r/main/package?format=generic&namespace=ns&package=p"
	if w := b.get(sc, pkg); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `value="`+tok+`"`) {
		t.Fatalf("package page on the other replica: %d", w.Code)
	}
	r := form("/console/d/"+acct+"/acme/r/main/action", url.Values{"csrf": {tok}, "op": {"unlist"}, "format": {"generic"},
		"namespace": {"ns"}, "package": {"p"}, "version": {"1.0"}, "confirm": {"yes"}})
	r.AddCookie(sc)
	if w := b.do(r); w.Code != http.StatusSeeOther {
		t.Fatalf("action with the CSRF token on the other replica: %d %s", w.Code, w.Body)
	}
	if got := a.statuses(t)["1.0"]; got != "Unlisted" {
		t.Fatalf("status after the action: %s", got)
	}
	if w := a.get(sc, pkg); !strings.Contains(w.Body.String(), `class="flash"`) {
		t.Errorf("the flash of the action on B is not on A's next page:\n%s", w.Body)
	}
	if w := b.get(sc, pkg); strings.Contains(w.Body.String(), `class="flash"`) {
		t.Errorf("the flash was said twice:\n%s", w.Body)
	}
	restarted := replica()
	if w := restarted.get(sc, "/console/"); w.Code != http.StatusOK {
		t.Fatalf("session after a restart: %d", w.Code)
	}
	r = form("/console/signout", url.Values{"csrf": {tok}})
	r.AddCookie(sc)
	if w := b.do(r); w.Code != http.StatusSeeOther {
		t.Fatalf("sign out on B: %d", w.Code)
	}
	for name, f := range map[string]*fixture{"A": a, "restarted": restarted} {
		if w := f.get(sc, "/console/"); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/console/signin") {
			t.Errorf("%s after sign-out on B: %d", name, w.Code)
		}
	}
}

func TestConsoleNeedsSessionStore(t *testing.T) {
	f := newFixture(t)
	if _, err := New(f.svc, f.c.keys, Options{}); err == nil {
		t.Error("a console without a session store")
	}
}
