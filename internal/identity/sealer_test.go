package identity

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// A secret is bound to its purpose: an access key's sealed secret does not
// open as a webhook's and the reverse, nor one webhook's as another's;
// webhook rows written before sealing (no prefix) read as plain, access
// key rows never do.
func TestSealerPurposes(t *testing.T) {
	s1, _ := NewSealer(testKey(1))
	s2, _ := NewSealer(testKey(2))
	plain, _ := NewSealer(nil)

	hook, err := s1.SealFor(WebhookSecret(7), "hook-secret")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(hook, "hook-secret") || !s1.IsSealedWith(hook) {
		t.Fatalf("sealed form %q", hook)
	}
	if got, err := s1.OpenFor(WebhookSecret(7), hook); err != nil || got != "hook-secret" {
		t.Fatalf("OpenFor = %q, %v", got, err)
	}
	key, _ := s1.Seal("7", "key-secret")
	// The access key format is unchanged: Seal is SealFor(AccessKey(..)).
	if got, err := s1.OpenFor(AccessKey("7"), key); err != nil || got != "key-secret" {
		t.Fatalf("OpenFor(AccessKey) of Seal = %q, %v", got, err)
	}
	ct, _ := base64.RawStdEncoding.DecodeString(strings.SplitN(hook, ":", 3)[2])
	ct[len(ct)-1] ^= 1
	tampered := "aes256gcm:" + s1.KeyID() + ":" + base64.RawStdEncoding.EncodeToString(ct)

	for _, tt := range []struct {
		name   string
		s      *Sealer
		p      Purpose
		stored string
		want   string // "" when it must not open
		err    error
	}{
		{"webhook secret as its own", s1, WebhookSecret(7), hook, "hook-secret", nil},
		{"webhook secret in another webhook's row", s1, WebhookSecret(8), hook, "", nil},
		{"webhook secret in an access key's row", s1, AccessKey("7"), hook, "", nil},
		{"access key secret in a webhook's row", s1, WebhookSecret(7), key, "", nil},
		{"webhook secret under another key", s2, WebhookSecret(7), hook, "", ErrWrongKey},
		{"webhook secret with no key", plain, WebhookSecret(7), hook, "", ErrWrongKey},
		{"tampered webhook secret", s1, WebhookSecret(7), tampered, "", nil},
		{"plain webhook secret", s1, WebhookSecret(7), "plain:abc", "abc", nil},
		{"legacy unprefixed webhook secret", s1, WebhookSecret(7), "legacy-secret-0123", "legacy-secret-0123", nil},
		{"legacy unprefixed webhook secret, no key", plain, WebhookSecret(7), "legacy-secret-0123", "legacy-secret-0123", nil},
		{"unprefixed access key secret", s1, AccessKey("7"), "legacy-secret-0123", "", nil},
		{"truncated webhook secret", s1, WebhookSecret(7), "aes256gcm:" + s1.KeyID(), "", nil},
	} {
		got, err := tt.s.OpenFor(tt.p, tt.stored)
		switch {
		case tt.want != "" && (err != nil || got != tt.want):
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		case tt.want == "" && err == nil:
			t.Errorf("%s: opened to %q", tt.name, got)
		case tt.err != nil && !errors.Is(err, tt.err):
			t.Errorf("%s: %v, want %v", tt.name, err, tt.err)
		}
	}
	if p, _ := plain.SealFor(WebhookSecret(7), "s"); p != "plain:s" {
		t.Errorf("plain SealFor = %q", p)
	}
}
