package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"sync"
)

// signingKey is a derived SigV4 key, kept as the two HMAC pad blocks so
// that signing with it is two plain SHA-256 passes.
type signingKey struct {
	ipad, opad [sha256.BlockSize]byte
}

func newSigningKey(key []byte) *signingKey {
	k := &signingKey{}
	copy(k.ipad[:], key) // a SHA-256 sized key needs no hashing: it fits a block
	copy(k.opad[:], key)
	for i := range k.ipad {
		k.ipad[i] ^= 0x36
		k.opad[i] ^= 0x5c
	}
	return k
}

// sign puts HMAC-SHA256(key, msg) in s.mac.
func (k *signingKey) sign(s *scratch, msg []byte) {
	s.h.Reset()
	s.h.Write(k.ipad[:])
	s.h.Write(msg)
	s.h.Sum(s.inner[:0])
	s.h.Reset()
	s.h.Write(k.opad[:])
	s.h.Write(s.inner[:])
	s.h.Sum(s.mac[:0])
}

// deriveKey is SigV4's key derivation: four HMACs from the secret down
// through the scope.
func deriveKey(secret, date, region, service string) *signingKey {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), date)
	k = mac(k, region)
	k = mac(k, service)
	return newSigningKey(mac(k, terminator))
}

// keyID is what a derived key depends on. The secret is there as a hash, so
// that a rotated secret never finds the key derived from the one it
// replaced (aws-sdk-go-v2's own cache leaves it out, see TestSecretRotation),
// without the cache keeping a copy of the secret itself.
type keyID struct {
	accessKeyID, date, region, service string
	secret                             [sha256.Size]byte
}

// keyCacheGeneration bounds the key cache: at most two generations of this
// many keys are held. A key serves one access key for one day, region and
// service, so this is room for hundreds of active keys.
const keyCacheGeneration = 512

// keyCache holds derived signing keys. It is bounded by generations: when
// the current map is full it becomes the old one and the previous old one is
// dropped; a key found in the old map is moved back to the current one, so
// keys in use stay and the ones from past days or rotated secrets go.
// The zero value is ready to use, and it is safe for concurrent use.
type keyCache struct {
	mu       sync.RWMutex
	cur, old map[keyID]*signingKey
}

// key returns the signing key for a's scope and secret, deriving it on a
// miss.
func (c *keyCache) key(s *scratch, a *auth, secret string) *signingKey {
	s.sts = append(s.sts[:0], secret...)
	id := keyID{accessKeyID: a.accessKeyID, date: a.scopeDate, region: a.region, service: a.service,
		secret: sha256.Sum256(s.sts)}
	clear(s.sts)

	c.mu.RLock()
	k, inOld := c.cur[id], false
	if k == nil {
		k = c.old[id]
		inOld = k != nil
	}
	c.mu.RUnlock()
	if k != nil && !inOld {
		return k
	}
	if k == nil {
		k = deriveKey(secret, a.scopeDate, a.region, a.service)
	}
	// The id's strings point into the request; the cache keeps copies.
	id.accessKeyID, id.date = strings.Clone(id.accessKeyID), strings.Clone(id.date)
	id.region, id.service = strings.Clone(id.region), strings.Clone(id.service)
	c.mu.Lock()
	if len(c.cur) >= keyCacheGeneration {
		c.old, c.cur = c.cur, nil
	}
	if c.cur == nil {
		c.cur = make(map[keyID]*signingKey, keyCacheGeneration)
	}
	c.cur[id] = k
	c.mu.Unlock()
	return k
}

// len is the number of keys held, for tests.
func (c *keyCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.cur) + len(c.old)
}

func subtleEqual(x, y []byte) bool { return subtle.ConstantTimeCompare(x, y) == 1 }
