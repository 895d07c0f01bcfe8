package sigv4

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestKeyCacheBounded: the key cache stays within two generations however
// many scopes it sees, and a key still in use survives the turnover.
func TestKeyCacheBounded(t *testing.T) {
	var c keyCache
	s := getScratch()
	defer putScratch(s)
	hot := &auth{accessKeyID: testAKID, scopeDate: "20261127", region: "us-east-1", service: "codeartifact"}
	hotKey := c.key(s, hot, testSecret)
	for i := 0; i < 10*keyCacheGeneration; i++ {
		a := &auth{accessKeyID: fmt.Sprintf("AKID%d", i), scopeDate: "20261127", region: "us-east-1", service: "codeartifact"}
		c.key(s, a, testSecret)
		if n := c.len(); n > 2*keyCacheGeneration {
			t.Fatalf("%d keys held", n)
		}
		if i%(keyCacheGeneration/2) == 0 && c.key(s, hot, testSecret) != hotKey {
			t.Fatalf("the key in use was derived again after %d others", i)
		}
	}
	if got := c.key(s, hot, "another secret"); got == hotKey || *got == *hotKey {
		t.Fatal("another secret got the same key")
	}
	want := deriveKey("another secret", hot.scopeDate, hot.region, hot.service)
	if got := c.key(s, hot, "another secret"); *got != *want {
		t.Fatal("the cached key is not the derived one")
	}
}

// TestKeyCacheSecretRotation: with the key cache warm, a request signed
// with a secret that has since been replaced is refused, and one signed
// with the new secret is accepted straight away, on the same day, region
// and service; and a rotation back finds its key again.
func TestKeyCacheSecretRotation(t *testing.T) {
	secret := "first"
	v := newTestVerifier()
	v.Lookup = func(context.Context, string) (string, error) { return secret, nil }
	for i, step := range []struct {
		current, signedWith string
		ok                  bool
	}{
		{"first", "first", true},
		{"first", "first", true},
		{"second", "first", false},
		{"second", "second", true},
		{"first", "second", false},
		{"first", "first", true},
	} {
		secret = step.current
		s := signing{secret: step.signedWith, at: testNow.Add(-time.Duration(i) * time.Second)}
		_, err := v.Verify(toServer(t, getWithQuery(t, s)))
		if ok := err == nil; ok != step.ok {
			t.Fatalf("step %d: current %q, signed with %q: accepted %v (%v)", i, step.current, step.signedWith, ok, err)
		}
	}
	secret = "second"
	var e *Error
	if _, err := v.Verify(toServer(t, getWithQuery(t, signing{secret: "first"}))); !errors.As(err, &e) || e.Code != CodeInvalidSignature {
		t.Fatalf("refusal %v", err)
	}
}
