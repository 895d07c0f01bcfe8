// Package token mints and verifies the authorization tokens that package
// managers present to repository endpoints (GetAuthorizationToken). A
// token is a signed claim: who minted it, for which domain, until when.
// Tokens are stateless; revocation comes from checking the claim's access
// key against the identity store on every use.
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var (
	ErrMalformed = errors.New("token: malformed")
	ErrSignature = errors.New("token: bad signature")
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

// Issuer signs and verifies tokens with one secret key.
type Issuer struct {
	key []byte
	// verified remembers the claims of tokens whose signature checked
	// out: a package manager sends the same token with every request, and
	// the HMAC and JSON decoding were most of an endpoint's own work for a
	// small download. Expiry is still checked on every use.
	verified  sync.Map // token -> Claims
	nVerified atomic.Int64
}

// maxVerified bounds the remembered tokens; past it the cache starts over.
var maxVerified int64 = 10_000

// NewIssuer returns an issuer for key, which should be 32 random bytes.
func NewIssuer(key []byte) *Issuer { return &Issuer{key: key} }

// prefix marks Wharf tokens, so a mistyped password is told apart from a
// token signed with another key.
const prefix = "wharf1."

func (i *Issuer) sign(payload string) string {
	m := hmac.New(sha256.New, i.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Mint returns a signed token for c.
func (i *Issuer) Mint(c Claims) string {
	b, _ := json.Marshal(c)
	payload := base64.RawURLEncoding.EncodeToString(b)
	return prefix + payload + "." + i.sign(payload)
}

// Verify checks a token's signature and expiry and returns its claims.
func (i *Issuer) Verify(tok string, now time.Time) (Claims, error) {
	if v, ok := i.verified.Load(tok); ok {
		c := v.(Claims)
		if now.Unix() >= c.Expires {
			return c, ErrExpired
		}
		return c, nil
	}
	c, err := i.verify(tok)
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

// verify checks the signature and decodes the claims.
func (i *Issuer) verify(tok string) (Claims, error) {
	rest, ok := strings.CutPrefix(tok, prefix)
	if !ok {
		return Claims{}, ErrMalformed
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok || payload == "" {
		return Claims{}, ErrMalformed
	}
	if !hmac.Equal([]byte(sig), []byte(i.sign(payload))) {
		return Claims{}, ErrSignature
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	var c Claims
	if err := json.Unmarshal(b, &c); err != nil {
		return Claims{}, ErrMalformed
	}
	return c, nil
}
