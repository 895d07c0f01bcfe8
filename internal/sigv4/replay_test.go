package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func fakeSig(i int) string {
	s := sha256.Sum256([]byte(fmt.Sprint(i)))
	return hex.EncodeToString(s[:])
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestReplayCacheSeen(t *testing.T) {
	clk := &clock{t: testNow}
	c := &MemoryReplayCache{Now: clk.now}
	if c.Seen(fakeSig(1), testNow) {
		t.Fatal("first sighting reported as seen")
	}
	if !c.Seen(fakeSig(1), testNow) {
		t.Fatal("second sighting not reported")
	}
	if c.Seen(fakeSig(2), testNow) {
		t.Fatal("a different signature reported as seen")
	}
	if c.Len() != 2 {
		t.Fatalf("Len %d", c.Len())
	}
}

// TestReplayCacheWindow: a signature must be remembered for as long as a
// Verifier with the same MaxSkew could accept it, and then let go.
func TestReplayCacheWindow(t *testing.T) {
	const skew = 15 * time.Minute
	signedAt := testNow
	clk := &clock{t: signedAt.Add(-skew)} // the earliest it can be accepted
	c := &MemoryReplayCache{MaxSkew: skew, Now: clk.now}
	c.Seen(fakeSig(1), signedAt)
	for clk.t.Before(signedAt.Add(skew)) {
		clk.advance(37 * time.Second)
		if clk.t.After(signedAt.Add(skew)) {
			clk.t = signedAt.Add(skew) // the last instant it can be accepted
		}
		if !c.Seen(fakeSig(1), signedAt) {
			t.Fatalf("forgotten at signedAt%+v, while still acceptable", clk.t.Sub(signedAt))
		}
	}
	clk.advance(skew/replayBuckets*2 + time.Second)
	c.Seen(fakeSig(2), clk.t) // any call expires old buckets
	if c.Len() != 1 {
		t.Fatalf("Len %d after the window, want only the new entry", c.Len())
	}
}

func TestReplayCacheBounded(t *testing.T) {
	clk := &clock{t: testNow}
	c := &MemoryReplayCache{MaxEntries: 100, Now: clk.now}
	for i := 0; i < 1000; i++ {
		// Dates spread over the window, oldest first.
		c.Seen(fakeSig(i), testNow.Add(-15*time.Minute+time.Duration(i)*time.Second))
		if c.Len() > 100 {
			t.Fatalf("Len %d over MaxEntries", c.Len())
		}
	}
	// The newest are kept; the oldest were dropped to make room.
	if !c.Seen(fakeSig(999), testNow.Add(-15*time.Minute+999*time.Second)) {
		t.Fatal("newest entry was dropped")
	}
	if c.Seen(fakeSig(0), testNow.Add(-15*time.Minute)) {
		t.Fatal("oldest entry still there")
	}
}

func TestReplayCacheForget(t *testing.T) {
	c := &MemoryReplayCache{Now: func() time.Time { return testNow }}
	c.Seen(fakeSig(1), testNow)
	c.Forget(fakeSig(1), testNow)
	c.Forget(fakeSig(2), testNow) // unknown: no effect
	if c.Len() != 0 || c.Seen(fakeSig(1), testNow) {
		t.Fatal("Forget did not forget")
	}
}

func TestReplayCacheConcurrent(t *testing.T) {
	c := &MemoryReplayCache{}
	now := time.Now()
	var fresh atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !c.Seen(fakeSig(7), now) {
				fresh.Add(1)
			}
		}()
	}
	wg.Wait()
	if fresh.Load() != 1 {
		t.Fatalf("%d goroutines saw the signature as new, want 1", fresh.Load())
	}
}

func TestReplayCacheOddInput(t *testing.T) {
	c := &MemoryReplayCache{}
	for _, s := range []string{"", "xyz", "not hex at all, but long enough", fakeSig(1)[:15]} {
		if c.Seen(s, time.Now()) || !c.Seen(s, time.Now()) {
			t.Fatalf("%q", s)
		}
	}
	c.Seen(fakeSig(1), time.Time{})         // far past: ignored
	c.Seen(fakeSig(1), time.Unix(1<<40, 0)) // far future: must not panic
}

// TestReleaseLetsRetryThrough: Verifier.Release forgets a signature so that
// a client retrying with the same signature (botocore) is not refused.
func TestReleaseLetsRetryThrough(t *testing.T) {
	v := newTestVerifier()
	withCache(v)
	wire := postJSON(t, signing{})
	id := mustVerify(t, v, toServer(t, wire))
	v.Release(id)
	mustVerify(t, v, toServer(t, wire))
	if _, err := v.Verify(toServer(t, wire)); err == nil {
		t.Fatal("third copy accepted without a Release")
	}
}
