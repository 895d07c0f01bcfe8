package token

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary tokens, starting from real ones. Verify must
// never panic, must refuse with one of its three errors, and must accept
// only what this issuer minted: without the key no other claims open. (The
// fuzzing workers mint their own seeds, with other nonces, so the claims
// are compared, not the texts.)
func FuzzVerify(f *testing.F) {
	iss := NewIssuer(testKey)
	now := time.Unix(1_800_000_000, 0)
	claims := Claims{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root", AccessKeyID: "AKIAEXAMPLE", Domain: "acme",
		DomainOwner: "111122223333", Expires: now.Add(time.Hour).Unix(), IssuedAt: now.Unix()}
	good := iss.Mint(claims)
	expired := claims
	expired.Expires = now.Unix()
	f.Add(good)
	f.Add(iss.Mint(expired))
	f.Add(strings.TrimPrefix(good, prefix))
	f.Add(good + "x")
	f.Add(good[:len(good)-1])
	f.Add(prefix + "." + good[len(prefix):])
	f.Add(prefix)
	f.Add(prefix + base64.RawURLEncoding.EncodeToString(make([]byte, 12+16+padTo)))
	f.Add("wharf1.e30.c2ln")
	f.Add(NewIssuer([]byte("another key")).Mint(claims))
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := iss.Verify(tok, now)
		switch {
		case err == nil:
			if c.Expires <= now.Unix() {
				t.Fatalf("accepted an expired token %q", tok)
			}
		case errors.Is(err, ErrMalformed), errors.Is(err, ErrSignature), errors.Is(err, ErrExpired):
		default:
			t.Fatalf("Verify(%q): unexpected error %v", tok, err)
		}
		if (err == nil || errors.Is(err, ErrExpired)) && c != claims && c != expired {
			t.Fatalf("opened %q to %+v, which this issuer never minted", tok, c)
		}
	})
}
