package token

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary tokens, starting from real ones. Verify must
// never panic, must refuse with one of its three errors, and must accept
// only a token whose payload carries this issuer's signature.
func FuzzVerify(f *testing.F) {
	iss := NewIssuer([]byte("0123456789abcdef0123456789abcdef"))
	now := time.Unix(1_800_000_000, 0)
	claims := Claims{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root", AccessKeyID: "AKIAEXAMPLE", Domain: "acme",
		DomainOwner: "111122223333", Expires: now.Add(time.Hour).Unix(), IssuedAt: now.Unix()}
	good := iss.Mint(claims)
	f.Add(good)
	f.Add(strings.TrimPrefix(good, prefix))
	f.Add(good + "x")
	f.Add(prefix + "." + good[len(prefix):])
	f.Add(prefix)
	f.Add(prefix + "e30.")                         // "{}" without a signature
	f.Add(prefix + "bnVsbA." + iss.sign("bnVsbA")) // "null", signed
	f.Add(prefix + "W10." + iss.sign("W10"))       // "[]", signed
	f.Add(prefix + "!!!." + iss.sign("!!!"))       // not base64, signed
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
		if err == nil {
			rest := strings.TrimPrefix(tok, prefix)
			payload, sig, _ := strings.Cut(rest, ".")
			if sig != iss.sign(payload) {
				t.Fatalf("accepted %q without the issuer's signature", tok)
			}
		}
	})
}
