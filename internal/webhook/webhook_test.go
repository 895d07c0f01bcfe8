package webhook

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
)

func TestSign(t *testing.T) {
	// GitHub's documented example: secret "It's a Secret to Everybody",
	// payload "Hello, World!".
	const want = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if got := Sign("It's a Secret to Everybody", []byte("Hello, World!")); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	if !Verify("It's a Secret to Everybody", []byte("Hello, World!"), want) || Verify("other", []byte("Hello, World!"), want) {
		t.Error("Verify")
	}
}

func TestBackoff(t *testing.T) {
	d := New(nil, Config{RetryMin: time.Second, RetryMax: 10 * time.Second})
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 60: 10 * time.Second} {
		if got := d.Backoff(n); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, want)
		}
	}
}

// A receiver that fails for a while gets every event, signed, in order
// per stream, the failed ones retried.
func TestDeliverInOrderWithRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	const secret = "0123456789abcdef"
	var mu sync.Mutex
	got := map[string][]string{}
	failures := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if !Verify(secret, body, r.Header.Get(SignatureHeader)) {
			t.Errorf("bad signature on %s", body)
		}
		if failures < 5 {
			failures++
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var s, n string
		fmt.Sscanf(string(body), "%s %s", &s, &n)
		got[s] = append(got[s], n)
	}))
	defer srv.Close()
	err = store.Update(ctx, func(tx meta.Tx) error {
		if err := tx.CreateWebhook(&meta.Webhook{DomainOwner: "111122223333", Domain: "d", URL: srv.URL, Secret: secret, Created: time.Now()}); err != nil {
			return err
		}
		for i := range 20 {
			stream := fmt.Sprint("s", i%3)
			if err := tx.AppendEvent(&meta.Event{Stream: stream, DomainOwner: "111122223333", Domain: "d", Repository: "r",
				Body: fmt.Appendf(nil, "%s %03d", stream, i), Created: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d := New(store, Config{RetryMin: 10 * time.Millisecond, RetryMax: 40 * time.Millisecond, Poll: 20 * time.Millisecond})
	go d.Run(ctx)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var pending []*meta.Delivery
		if err := store.View(ctx, func(tx meta.Tx) (err error) {
			pending, err = tx.ListDeliveries(meta.DeliveryFilter{Pending: true})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still pending", len(pending))
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for s, ns := range got {
		total += len(ns)
		if !slices.IsSorted(ns) || len(slices.Compact(slices.Clone(ns))) != len(ns) {
			t.Errorf("stream %s delivered out of order or twice: %v", s, ns)
		}
	}
	if total != 20 {
		t.Errorf("%d events delivered, want 20: %v", total, got)
	}
	var all []*meta.Delivery
	store.View(ctx, func(tx meta.Tx) (err error) {
		all, err = tx.ListDeliveries(meta.DeliveryFilter{})
		return err
	})
	retried := 0
	for _, dl := range all {
		if dl.Attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no delivery shows its failed attempts")
	}
}
