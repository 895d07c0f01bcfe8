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
