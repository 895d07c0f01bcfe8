package token

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMintVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	iss := NewIssuer([]byte("0123456789abcdef0123456789abcdef"))
	other := NewIssuer([]byte("another key, another key, 123456"))
	c := Claims{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root", AccessKeyID: "AKID", Domain: "d", DomainOwner: "111122223333", Expires: now.Add(time.Hour).Unix()}
	tok := iss.Mint(c)
	got, err := iss.Verify(tok, now)
	if err != nil || got != c {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	payload := strings.Split(strings.TrimPrefix(tok, prefix), ".")[0]
	tests := []struct {
		name string
		tok  string
		iss  *Issuer
		at   time.Time
		want error
	}{
		{"expired", tok, iss, now.Add(2 * time.Hour), ErrExpired},
		{"other key", tok, other, now, ErrSignature},
		{"tampered payload", prefix + payload + "x." + strings.Split(tok, ".")[2], iss, now, ErrSignature},
		{"no prefix", strings.TrimPrefix(tok, prefix), iss, now, ErrMalformed},
		{"empty", "", iss, now, ErrMalformed},
		{"no signature", prefix + payload, iss, now, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.iss.Verify(tt.tok, tt.at); !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// Remembered tokens still expire, and the cache stays bounded while every
// token keeps verifying.
func TestVerifiedCache(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	iss := NewIssuer([]byte("0123456789abcdef0123456789abcdef"))
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
