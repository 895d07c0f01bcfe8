// Package token mints and verifies the authorization tokens that package
// managers present to repository endpoints (GetAuthorizationToken). A
// token is a sealed claim: who minted it, with which access key, for which
// domain, until when. Tokens are stateless; revocation comes from checking
// the claim's access key against the identity store on every use.
//
// The claims are encrypted and authenticated (AES-256-GCM under a key
// derived from the issuer's), not merely signed, and padded to a fixed
// size: a token is opaque, as Decision 11 requires, and reveals nothing
// about the principal or key that minted it, not even the length of a
// user name. Its text is URL-safe (A-Z a-z 0-9 - _ .), since clients
// carry tokens inside index URLs.
package token

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Errors Verify returns.
var (
	ErrMalformed = errors.New("token: malformed")
	ErrSignature = errors.New("token: not sealed by this issuer, or altered")
	ErrExpired   = errors.New("token: expired")
)

// Claims are what a token asserts.
type Claims struct {
	Account     string `json:"acct"`
	ARN         string `json:"arn"`
	AccessKeyID string `json:"akid"`
	Domain      string `json:"dom"`
	DomainOwner string `json:"own"`
	Expires     int64  `json:"exp"` // unix seconds
	IssuedAt    int64  `json:"iat"`
}

// Issuer seals and opens tokens with one secret key.
type Issuer struct {
	aead cipher.AEAD
	// verified remembers the claims of tokens that opened: a package
	// manager sends the same token with every request, and decrypting and
	// decoding were most of an endpoint's own work for a small download.
	// Expiry is still checked on every use.
	verified  sync.Map // token -> Claims
	nVerified atomic.Int64
}

// maxVerified bounds the remembered tokens; past it the cache starts over.
var maxVerified int64 = 10_000

// NewIssuer returns an issuer for key, which should be 32 random bytes.
// The sealing key is derived from it, so the stored key serves this
// purpose only.
func NewIssuer(key []byte) *Issuer {
	k, err := hkdf.Key(sha256.New, key, nil, "wharf authorization token v2", 32)
	if err != nil {
		panic(err) // only for a length HKDF cannot give
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		panic(err) // only for a key length AES does not take
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &Issuer{aead: aead}
}

// prefix marks Wharf tokens, so a mistyped password is told apart from a
// token sealed with another key; it is also the sealed data's associated
// data, binding the format version.
const prefix = "wharf2."

// padTo is the block the sealed claims are padded to: every token of an
// ordinary principal has the same length.
const padTo = 256

// Mint returns a sealed token for c.
func (i *Issuer) Mint(c Claims) string {
	b, _ := json.Marshal(c)
	// JSON ignores trailing white space, so padding needs no framing.
	n := (len(b)/padTo + 1) * padTo
	plain := make([]byte, n)
	copy(plain, b)
	for j := len(b); j < n; j++ {
		plain[j] = ' '
	}
	ns := i.aead.NonceSize()
	sealed := make([]byte, ns, ns+n+i.aead.Overhead())
	rand.Read(sealed) // a fresh random nonce: 2^32 tokens per key stay far from a collision
	sealed = i.aead.Seal(sealed, sealed[:ns], plain, []byte(prefix))
	return prefix + base64.RawURLEncoding.EncodeToString(sealed)
}

// Verify opens a token, checks its expiry and returns its claims.
func (i *Issuer) Verify(tok string, now time.Time) (Claims, error) {
	if v, ok := i.verified.Load(tok); ok {
		c := v.(Claims)
		if now.Unix() >= c.Expires {
			return c, ErrExpired
		}
		return c, nil
	}
	c, err := i.open(tok)
	if err != nil {
		return c, err
	}
	if i.nVerified.Add(1) > maxVerified {
		i.verified.Clear()
		i.nVerified.Store(1)
	}
	i.verified.Store(tok, c)
	if now.Unix() >= c.Expires {
		return c, ErrExpired
	}
	return c, nil
}

// open decrypts and authenticates the claims.
func (i *Issuer) open(tok string) (Claims, error) {
	rest, ok := strings.CutPrefix(tok, prefix)
	// Strict decoding and no line breaks (which the decoder skips): one
	// text per token, so the cache of opened tokens is keyed soundly.
	if !ok || strings.ContainsAny(rest, "\r\n") {
		return Claims{}, ErrMalformed
	}
	sealed, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	ns := i.aead.NonceSize()
	if err != nil || len(sealed) < ns+i.aead.Overhead()+padTo {
		return Claims{}, ErrMalformed
	}
	plain, err := i.aead.Open(nil, sealed[:ns], sealed[ns:], []byte(prefix))
	if err != nil {
		return Claims{}, ErrSignature
	}
	var c Claims
	if err := json.Unmarshal(plain, &c); err != nil {
		return Claims{}, ErrMalformed
	}
	return c, nil
}
