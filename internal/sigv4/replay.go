package sigv4

import (
	"encoding/binary"
	"encoding/hex"
	"hash/fnv"
	"sync"
	"time"
)

// ReplayCache remembers accepted signatures. Seen records signature and
// reports whether it had been recorded before, atomically, so that two
// concurrent copies of a request cannot both pass.
//
// A cache may also have Forget(signature string, signedAt time.Time), which
// Verifier.Release uses.
type ReplayCache interface {
	Seen(signature string, signedAt time.Time) bool
}

// DefaultReplayEntries bounds MemoryReplayCache: about 1M 8-byte keys, some
// tens of MiB with Go's map overhead.
const DefaultReplayEntries = 1 << 20

// MemoryReplayCache is an in-process ReplayCache of bounded size. The zero
// value is ready to use; set the fields before first use.
//
// A signature is only accepted while now is within MaxSkew of its X-Amz-Date,
// so it need be remembered for 2×MaxSkew at most: entries are kept in sets
// bucketed by X-Amz-Date, and a bucket is dropped once every date in it is
// more than MaxSkew in the past.
//
// Trade-offs:
//   - Only the first 8 bytes of each signature are kept. Two different
//     signatures collide with probability about n/2^64 for n entries (about
//     1 in 10^13 at a million); the loser gets a refusal and its SDK's next
//     attempt is signed afresh.
//   - When MaxEntries is reached, the oldest bucket is dropped: replays of
//     the signatures nearest to expiry become possible again rather than
//     new, legitimate requests being refused. Only verified signatures are
//     stored, so only holders of a secret can push the cache there.
//   - It is per process: behind a load balancer, a replay sent to another
//     instance is not caught. A shared store can implement ReplayCache.
//   - MaxSkew must be at least the Verifier's, or a signature can be
//     forgotten while it is still acceptable.
type MemoryReplayCache struct {
	MaxSkew    time.Duration    // default 15 minutes
	MaxEntries int              // default DefaultReplayEntries
	Now        func() time.Time // default time.Now

	mu      sync.Mutex
	buckets map[int64]map[uint64]struct{} // bucket index -> signature prefixes
	n       int
}

// replayBuckets is how many buckets span the 2×MaxSkew window: enough that
// dropping one frees a small slice, few enough to scan on every call.
const replayBuckets = 32

// Seen implements ReplayCache.
func (c *MemoryReplayCache) Seen(signature string, signedAt time.Time) bool {
	key := signatureKey(signature)
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.expire(now)
	if signedAt.Add(c.skew()).Before(now) {
		// Too old for a Verifier to accept; nothing to remember.
		return false
	}
	b := c.bucket(signedAt)
	if _, ok := c.buckets[b][key]; ok {
		return true
	}
	for c.n >= c.maxEntries() && c.dropOldest() {
	}
	if c.buckets == nil {
		c.buckets = map[int64]map[uint64]struct{}{}
	}
	set := c.buckets[b]
	if set == nil {
		set = map[uint64]struct{}{}
		c.buckets[b] = set
	}
	set[key] = struct{}{}
	c.n++
	return false
}

// Forget removes a signature, for a request whose answer the client will
// retry with the same signature (see Verifier.Release).
func (c *MemoryReplayCache) Forget(signature string, signedAt time.Time) {
	key := signatureKey(signature)
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.bucket(signedAt)
	if set, ok := c.buckets[b]; ok {
		if _, ok := set[key]; ok {
			delete(set, key)
			c.n--
			if len(set) == 0 {
				delete(c.buckets, b)
			}
		}
	}
}

// Len is the number of signatures remembered.
func (c *MemoryReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func (c *MemoryReplayCache) expire(now time.Time) {
	w := c.width()
	for b, set := range c.buckets {
		// The latest date in bucket b is just under (b+1)*w.
		if time.Unix(0, 0).Add(time.Duration(b+1) * w).Add(c.skew()).Before(now) {
			c.n -= len(set)
			delete(c.buckets, b)
		}
	}
}

func (c *MemoryReplayCache) dropOldest() bool {
	first := true
	var oldest int64
	for b := range c.buckets {
		if first || b < oldest {
			oldest, first = b, false
		}
	}
	if first {
		return false
	}
	c.n -= len(c.buckets[oldest])
	delete(c.buckets, oldest)
	return true
}

func (c *MemoryReplayCache) bucket(t time.Time) int64 {
	return t.UnixNano() / int64(c.width())
}

func (c *MemoryReplayCache) width() time.Duration {
	w := 2 * c.skew() / replayBuckets
	if w < time.Second {
		w = time.Second
	}
	return w
}

func (c *MemoryReplayCache) skew() time.Duration {
	if c.MaxSkew > 0 {
		return c.MaxSkew
	}
	return DefaultMaxSkew
}

func (c *MemoryReplayCache) maxEntries() int {
	if c.MaxEntries > 0 {
		return c.MaxEntries
	}
	return DefaultReplayEntries
}

func (c *MemoryReplayCache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// signatureKey is the first 8 bytes of a hex signature: HMAC output is
// uniformly distributed, so a prefix is as good a key as the whole. Anything
// that is not hex (a caller other than Verify) is hashed instead.
func signatureKey(sig string) uint64 {
	if len(sig) >= 16 {
		var b [8]byte
		if _, err := hex.Decode(b[:], []byte(sig[:16])); err == nil {
			return binary.BigEndian.Uint64(b[:])
		}
	}
	h := fnv.New64a()
	h.Write([]byte(sig))
	return h.Sum64()
}
