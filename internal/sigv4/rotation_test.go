package sigv4

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestSecretRotation: aws-sdk-go-v2's signer caches the derived signing key
// by access key id, region, service and day, not by secret. A verifier that
// shared one signer, or a key cache that left the secret out as that one
// does, would keep accepting a replaced secret for the rest of the day, and
// refuse the new one.
func TestSecretRotation(t *testing.T) {
	var mu sync.Mutex
	current := "secret-before-rotation"
	v := newTestVerifier()
	v.Lookup = func(context.Context, string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		return current, nil
	}
	mustVerify(t, v, toServer(t, getWithQuery(t, signing{secret: "secret-before-rotation"})))

	mu.Lock()
	current = "secret-after-rotation"
	mu.Unlock()
	if _, err := v.Verify(toServer(t, postJSON(t, signing{secret: "secret-before-rotation"}))); err == nil {
		t.Fatal("the replaced secret is still accepted")
	}
	mustVerify(t, v, toServer(t, postJSON(t, signing{secret: "secret-after-rotation"})))
}

// TestVerifyConcurrent runs Verify for several keys at once on one Verifier
// (run it with -race).
func TestVerifyConcurrent(t *testing.T) {
	v := newTestVerifier()
	withCache(v)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Distinct dates, so that no two signatures are the same.
			s := signing{at: testNow.Add(-time.Duration(i) * time.Second)}
			if i%2 == 1 {
				s.akid, s.secret = otherAKID, otherSecret
			}
			if i%4 < 2 {
				s.region = "eu-west-1"
			}
			r := toServer(t, postJSON(t, s))
			if _, err := v.Verify(r); err != nil {
				t.Errorf("goroutine %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
}
