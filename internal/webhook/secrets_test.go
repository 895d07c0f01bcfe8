package webhook

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/identity"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
)

func sealer(t *testing.T, b byte) *identity.Sealer {
	t.Helper()
	s, err := identity.NewSealer(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A sealed secret is stored sealed, signs deliveries once opened, survives
// a reseal under a new key, and, under a key that does not open it, fails
// the delivery with a recorded error and sends nothing.
func TestSealedSecrets(t *testing.T) {
	const secret = "0123456789abcdef-sealed"
	k1, k2 := sealer(t, 1), sealer(t, 2)
	plain, _ := identity.NewSealer(nil)
	for _, tt := range []struct {
		name      string
		seal      *identity.Sealer  // at webhook add
		reseal    *identity.Sealer  // wharf admin reseal to this key, with seal as the old one
		serve     *identity.Sealer  // the dispatcher's
		delivered bool              // else: not sent, error recorded
		stored    func(string) bool // what the row holds
	}{
		{"no key: plain", plain, nil, plain, true, func(s string) bool { return s == "plain:"+secret }},
		{"sealed", k1, nil, k1, true, func(s string) bool { return k1.IsSealedWith(s) && !strings.Contains(s, secret) }},
		{"sealed, served with another key", k1, nil, k2, false, k1.IsSealedWith},
		{"sealed, served with no key", k1, nil, plain, false, k1.IsSealedWith},
		{"resealed to a new key", k1, k2, k2, true, k2.IsSealedWith},
		{"resealed, served with the old key", k1, k2, k1, false, k2.IsSealedWith},
		{"plain, then sealed by reseal", plain, k1, k1, true, k1.IsSealedWith},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			var hits, good atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				hits.Add(1)
				if Verify(secret, body, r.Header.Get(SignatureHeader)) {
					good.Add(1)
				}
			}))
			defer srv.Close()
			w := &meta.Webhook{DomainOwner: "111122223333", Domain: "d", URL: srv.URL, Created: time.Now()}
			if err := store.Update(ctx, func(tx meta.Tx) error {
				if err := Create(tx, tt.seal, w, secret); err != nil {
					return err
				}
				return tx.AppendEvent(&meta.Event{Stream: "s", DomainOwner: "111122223333", Domain: "d", Repository: "r", Body: []byte(`{}`), Created: time.Now()})
			}); err != nil {
				t.Fatal(err)
			}
			if tt.reseal != nil {
				n, err := Reseal(ctx, store, tt.reseal, tt.seal)
				if err != nil || n != 1 {
					t.Fatalf("Reseal = %d, %v", n, err)
				}
				if n, err := Reseal(ctx, store, tt.reseal); err != nil || n != 0 {
					t.Fatalf("second Reseal = %d, %v; want nothing to do", n, err)
				}
			}
			var ws []*meta.Webhook
			store.View(ctx, func(tx meta.Tx) (err error) { ws, err = tx.ListWebhooks(); return err })
			if len(ws) != 1 || !tt.stored(ws[0].Secret) {
				t.Fatalf("stored secret %+v", ws)
			}
			d := New(store, Config{Sealer: tt.serve, RetryMin: time.Hour})
			if _, err := d.round(ctx); err != nil {
				t.Fatal(err)
			}
			var ds []*meta.Delivery
			store.View(ctx, func(tx meta.Tx) (err error) { ds, err = tx.ListDeliveries(meta.DeliveryFilter{}); return err })
			if len(ds) != 1 || ds[0].Attempts != 1 {
				t.Fatalf("deliveries %+v", ds)
			}
			if tt.delivered {
				if !ds[0].Delivered || good.Load() != 1 || hits.Load() != 1 {
					t.Errorf("delivered=%v, %d signed right of %d sent: %+v", ds[0].Delivered, good.Load(), hits.Load(), ds[0])
				}
				return
			}
			if ds[0].Delivered || hits.Load() != 0 || !strings.Contains(ds[0].LastError, "secret cannot be read") {
				t.Errorf("delivered=%v, %d sent, last error %q", ds[0].Delivered, hits.Load(), ds[0].LastError)
			}
		})
	}
}

// Reseal stops, changing nothing, at a secret no key opens.
func TestResealRefusesUnreadable(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	k1, k2, k3 := sealer(t, 1), sealer(t, 2), sealer(t, 3)
	if err := store.Update(ctx, func(tx meta.Tx) error {
		if err := Create(tx, nil, &meta.Webhook{DomainOwner: "111122223333", Domain: "d", URL: "http://a/", Created: time.Now()}, "plain-secret-0123456"); err != nil {
			return err
		}
		return Create(tx, k1, &meta.Webhook{DomainOwner: "111122223333", Domain: "d", URL: "http://b/", Created: time.Now()}, "sealed-secret-0123456")
	}); err != nil {
		t.Fatal(err)
	}
	if n, err := Reseal(ctx, store, k2, k3); err == nil || n != 0 {
		t.Fatalf("Reseal with keys that do not open webhook 2 = %d, %v", n, err)
	}
	var ws []*meta.Webhook
	store.View(ctx, func(tx meta.Tx) (err error) { ws, err = tx.ListWebhooks(); return err })
	if ws[0].Secret != "plain:plain-secret-0123456" || !k1.IsSealedWith(ws[1].Secret) {
		t.Errorf("a failed reseal changed rows: %+v %+v", ws[0], ws[1])
	}
	if u, total, err := Unsealed(ctx, store, k2); err != nil || u != 2 || total != 2 {
		t.Errorf("Unsealed = %d of %d, %v", u, total, err)
	}
}
