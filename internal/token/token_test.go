package token

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func TestMintVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	iss := NewIssuer(testKey)
	other := NewIssuer([]byte("another key, another key, 123456"))
	c := Claims{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root", AccessKeyID: "AKID", Domain: "d", DomainOwner: "111122223333", Expires: now.Add(time.Hour).Unix()}
	tok := iss.Mint(c)
	got, err := iss.Verify(tok, now)
	if err != nil || got != c {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	body := strings.TrimPrefix(tok, prefix)
	sealed, _ := base64.RawURLEncoding.DecodeString(body)
	flip := func(i int) string {
		b := append([]byte(nil), sealed...)
		b[i] ^= 1
		return prefix + base64.RawURLEncoding.EncodeToString(b)
	}
	tests := []struct {
		name string
		tok  string
		iss  *Issuer
		at   time.Time
		want error
	}{
		{"expired", tok, iss, now.Add(2 * time.Hour), ErrExpired},
		{"other key", tok, other, now, ErrSignature},
		{"a bit of the nonce changed", flip(0), iss, now, ErrSignature},
		{"a bit of the claims changed", flip(20), iss, now, ErrSignature},
		{"a bit of the tag changed", flip(len(sealed) - 1), iss, now, ErrSignature},
		{"truncated", prefix + body[:len(body)-4], iss, now, ErrMalformed},
		{"line break inside", prefix + body[:10] + "\n" + body[10:], iss, now, ErrMalformed},
		{"not base64", prefix + "!" + body[1:], iss, now, ErrMalformed},
		{"old format", "wharf1.eyJhY2N0IjoiMSJ9.c2ln", iss, now, ErrMalformed},
		{"no prefix", body, iss, now, ErrMalformed},
		{"empty", "", iss, now, ErrMalformed},
		{"prefix only", prefix, iss, now, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.iss.Verify(tt.tok, tt.at); !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// A token reveals nothing about who minted it (Decision 11): no claim
// appears in it, in clear or in base64 of any alignment; two tokens for
// the same claims differ; principals with names of different lengths get
// tokens of one length; and the text is URL-safe.
func TestTokensAreOpaque(t *testing.T) {
	iss := NewIssuer(testKey)
	exp := time.Unix(1_800_000_000, 0).Unix()
	short := Claims{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/al", AccessKeyID: "AKIAWHARFTESTKEY0001", Domain: "acme", DomainOwner: "111122223333", Expires: exp}
	long := short
	long.ARN = "arn:aws:iam::111122223333:user/" + strings.Repeat("a", 64)
	urlSafe := regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	t1, t2, t3 := iss.Mint(short), iss.Mint(short), iss.Mint(long)
	if t1 == t2 {
		t.Error("two tokens for the same claims are equal")
	}
	if len(t1) != len(t3) {
		t.Errorf("token length depends on the principal: %d and %d", len(t1), len(t3))
	}
	for _, tok := range []string{t1, t2, t3} {
		if !urlSafe.MatchString(tok) {
			t.Errorf("token %q has characters outside A-Z a-z 0-9 - _ .", tok)
		}
		for _, secret := range []string{short.AccessKeyID, "AKIA", short.Account, "user/al", "acme", "akid"} {
			if strings.Contains(tok, secret) {
				t.Errorf("token shows %q in clear", secret)
			}
			for shift := 0; shift < 3; shift++ {
				enc := base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("x", shift) + secret))
				// The characters that depend on the claim alone.
				inner := enc[(shift*4+2)/3 : len(enc)-1]
				if len(inner) >= 4 && strings.Contains(tok, inner) {
					t.Errorf("token carries %q in base64", secret)
				}
			}
		}
	}
}

// Remembered tokens still expire, and the cache stays bounded while every
// token keeps verifying.
func TestVerifiedCache(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	iss := NewIssuer(testKey)
	c := Claims{Account: "111122223333", AccessKeyID: "AKID", Domain: "d", DomainOwner: "111122223333", Expires: now.Add(time.Minute).Unix()}
	tok := iss.Mint(c)
	for i := 0; i < 2; i++ { // the second from the cache
		if got, err := iss.Verify(tok, now); err != nil || got != c {
			t.Fatalf("Verify #%d = %+v, %v", i, got, err)
		}
	}
	if _, err := iss.Verify(tok, now.Add(time.Minute)); !errors.Is(err, ErrExpired) {
		t.Fatalf("remembered token past its expiry: %v", err)
	}
	defer func(n int64) { maxVerified = n }(maxVerified)
	maxVerified = 50
	for i := 0; i < int(maxVerified)+10; i++ {
		c := c
		c.IssuedAt = int64(i)
		if _, err := iss.Verify(iss.Mint(c), now); err != nil {
			t.Fatal(err)
		}
	}
	if n := iss.nVerified.Load(); n > maxVerified {
		t.Fatalf("%d tokens remembered, bound %d", n, maxVerified)
	}
	if got, err := iss.Verify(tok, now); err != nil || got != c {
		t.Fatalf("after the cache started over: %+v, %v", got, err)
	}
}
