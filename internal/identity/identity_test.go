package identity

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/policy"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/sigv4"
	"github.com/wharf-dev/wharf/internal/token"
)

var ctx = context.Background()

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestSealer(t *testing.T) {
	s1, _ := NewSealer(testKey(1))
	s2, _ := NewSealer(testKey(2))
	plain, _ := NewSealer(nil)

	sealed, err := s1.Seal("AKIA1", "the-secret")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "the-secret") || !strings.HasPrefix(sealed, "aes256gcm:"+s1.KeyID()+":") {
		t.Fatalf("sealed form %q", sealed)
	}
	if got, err := s1.Open("AKIA1", sealed); err != nil || got != "the-secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	again, _ := s1.Seal("AKIA1", "the-secret")
	if again == sealed {
		t.Error("two seals of the same secret are identical (nonce reused?)")
	}
	ct := strings.SplitN(sealed, ":", 3)[2]
	raw, _ := base64.RawStdEncoding.DecodeString(ct)
	raw[len(raw)-1] ^= 1
	tampered := "aes256gcm:" + s1.KeyID() + ":" + base64.RawStdEncoding.EncodeToString(raw)

	refusals := []struct {
		name   string
		s      *Sealer
		akid   string
		stored string
		want   error
	}{
		{"another key", s2, "AKIA1", sealed, ErrWrongKey},
		{"no key configured", plain, "AKIA1", sealed, ErrWrongKey},
		{"moved to another access key's row", s1, "AKIA2", sealed, nil},
		{"tampered ciphertext", s1, "AKIA1", tampered, nil},
		{"unknown form", s1, "AKIA1", "the-secret", nil},
		{"truncated", s1, "AKIA1", "aes256gcm:" + s1.KeyID(), nil},
	}
	for _, tt := range refusals {
		got, err := tt.s.Open(tt.akid, tt.stored)
		if err == nil {
			t.Errorf("%s: opened to %q", tt.name, got)
		} else if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}

	p, _ := plain.Seal("AKIA1", "s")
	if p != "plain:s" || plain.Encrypts() {
		t.Errorf("plain seal %q", p)
	}
	// A plain secret stays readable after a key is configured, until resealed.
	if got, err := s1.Open("AKIA1", p); err != nil || got != "s" {
		t.Errorf("s1 opening plain: %q, %v", got, err)
	}
	if !s1.IsSealedWith(sealed) || s2.IsSealedWith(sealed) || s1.IsSealedWith(p) || !plain.IsSealedWith(p) {
		t.Error("IsSealedWith")
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Error("short key accepted")
	}
}

func TestParseKey(t *testing.T) {
	k := testKey(7)
	for _, s := range []string{
		strings.Repeat("07", 32),
		" " + strings.Repeat("07", 32) + "\n",
		base64.StdEncoding.EncodeToString(k),
		base64.RawURLEncoding.EncodeToString(k),
	} {
		got, err := ParseKey(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("ParseKey(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "abc", strings.Repeat("07", 31), base64.StdEncoding.EncodeToString(k[:16])} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
	if _, err := ParseKey(NewSecretsKey()); err != nil {
		t.Errorf("NewSecretsKey does not parse: %v", err)
	}
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var quiet = slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))

var admin = Credential{AccountID: "999988887777", AccessKeyID: "AKIAADMIN0000000", SecretAccessKey: "admin-secret-0123456789"}

func TestManagerValidates(t *testing.T) {
	m := &Manager{Store: openStore(t), Sealer: &Sealer{}}
	if _, err := m.CreateUser(ctx, "12345", "alice"); err == nil {
		t.Error("short account accepted")
	}
	if _, err := m.CreateUser(ctx, "111122223333", "al ice"); err == nil {
		t.Error("user name with a space accepted")
	}
	if _, err := m.CreateUser(ctx, "111122223333", strings.Repeat("a", 65)); err == nil {
		t.Error("65-character user name accepted")
	}
	if _, err := m.CreateUser(ctx, "111122223333", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.CreateUser(ctx, "111122223333", "Alice"); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("duplicate user: %v", err)
	}
	if _, err := m.CreateAccessKey(ctx, "111122223333", "nobody"); err == nil || !strings.Contains(err.Error(), "no user nobody") {
		t.Errorf("key for missing user: %v", err)
	}
	if _, err := m.CreateAccessKey(ctx, "444455556666", ""); err == nil || !strings.Contains(err.Error(), "no account") {
		t.Errorf("root key for missing account: %v", err)
	}
	if err := m.PutUserPolicy(ctx, "111122223333", "alice", "p", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`); err == nil {
		t.Error("identity policy naming a Principal accepted")
	}
	if err := m.PutUserPolicy(ctx, "111122223333", "alice", "bad name!", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`); err == nil {
		t.Error("bad policy name accepted")
	}
	if err := m.PutUserPolicy(ctx, "111122223333", "nobody", "p", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`); err == nil {
		t.Error("policy for a missing user accepted")
	}
	a, err := m.CreateAccount(ctx, "", "spare")
	if err != nil || CheckAccount(a.ID) != nil {
		t.Errorf("random account %+v: %v", a, err)
	}
}

func TestDirectory(t *testing.T) {
	store := openStore(t)
	sealer, _ := NewSealer(testKey(3))
	m := &Manager{Store: store, Sealer: sealer}
	d := NewDirectory(store, sealer, quiet, admin)
	if err := d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}

	// The administrator is the root of its account.
	secret, c, err := d.LookupKey(ctx, admin.AccessKeyID)
	if err != nil || secret != admin.SecretAccessKey || c.ARN != "arn:aws:iam::999988887777:root" {
		t.Fatalf("admin: %q %+v %v", secret, c, err)
	}

	if _, err := m.CreateUser(ctx, "111122223333", "Alice"); err != nil {
		t.Fatal(err)
	}
	k, err := m.CreateAccessKey(ctx, "111122223333", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if k.Arn != "arn:aws:iam::111122223333:user/Alice" || len(k.SecretAccessKey) != 40 || !strings.HasPrefix(k.AccessKeyID, "AKIA") {
		t.Errorf("new key %+v", k)
	}
	stored, _ := store.GetAccessKey(ctx, k.AccessKeyID)
	if strings.Contains(stored.Secret, k.SecretAccessKey) {
		t.Error("secret stored in clear although a secrets key is set")
	}

	// A key created behind the directory's back works on first use, even
	// right after the directory looked at the store.
	if err := d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	k2, err := m.CreateAccessKey(ctx, "111122223333", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if s2, _, err := d.LookupKey(ctx, k2.AccessKeyID); err != nil || s2 != k2.SecretAccessKey {
		t.Fatalf("key created just after a refresh: %v", err)
	}
	secret, c, err = d.LookupKey(ctx, k.AccessKeyID)
	if err != nil || secret != k.SecretAccessKey || c.ARN != k.Arn || c.Account != "111122223333" || c.AccessKeyID != k.AccessKeyID {
		t.Fatalf("new user key: %q %+v %v", secret, c, err)
	}
	if _, _, err := d.LookupKey(ctx, "AKIANOBODY"); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Errorf("unknown key: %v", err)
	}

	claims := token.Claims{Account: c.Account, ARN: c.ARN, AccessKeyID: c.AccessKeyID}
	if err := d.CheckToken(ctx, claims); err != nil {
		t.Errorf("token of a live key: %v", err)
	}
	forged := claims
	forged.ARN = "arn:aws:iam::111122223333:user/bob"
	if err := d.CheckToken(ctx, forged); err == nil {
		t.Error("token claiming another principal for the key accepted")
	}

	// Policies.
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codeartifact:List*","Resource":"*"}]}`
	if err := m.PutUserPolicy(ctx, "111122223333", "alice", "list", doc); err != nil {
		t.Fatal(err)
	}
	if err := d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(d.IdentityPolicies(c)); n != 1 {
		t.Errorf("alice has %d identity policies", n)
	}
	root := service.Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root"}
	rp := d.IdentityPolicies(root)
	req := policy.Request{Principal: policy.Principal{ARN: root.ARN}, Action: "codeartifact:DeleteDomain", Resource: "arn:aws:codeartifact:us-east-1:111122223333:domain/d", ResourceAccount: "111122223333"}
	if policy.Decide(req, rp, nil) != policy.Allow {
		t.Error("root is not allowed in its own account")
	}

	// Switching the key off, or deleting the user, revokes key and tokens.
	if err := store.SetAccessKeyStatus(ctx, k.AccessKeyID, meta.KeyInactive); err != nil {
		t.Fatal(err)
	}
	if err := d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.LookupKey(ctx, k.AccessKeyID); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Errorf("inactive key: %v", err)
	}
	if err := d.CheckToken(ctx, claims); err == nil {
		t.Error("token of an inactive key accepted")
	}
	if err := store.SetAccessKeyStatus(ctx, k.AccessKeyID, meta.KeyActive); err != nil {
		t.Fatal(err)
	}
	d.Refresh(ctx)
	if err := d.CheckToken(ctx, claims); err != nil {
		t.Errorf("reactivated key: %v", err)
	}
	if err := store.DeleteUser(ctx, "111122223333", "alice"); err != nil {
		t.Fatal(err)
	}
	d.Refresh(ctx)
	if err := d.CheckToken(ctx, claims); err == nil {
		t.Error("token of a deleted user accepted")
	}
	if n := len(d.IdentityPolicies(c)); n != 0 {
		t.Errorf("deleted user keeps %d policies", n)
	}
}

// Stored documents that no longer parse deny rather than allow, and a key
// whose secret cannot be opened is not usable.
func TestDirectoryFailsClosed(t *testing.T) {
	store := openStore(t)
	sealer, _ := NewSealer(testKey(4))
	other, _ := NewSealer(testKey(5))
	m := &Manager{Store: store, Sealer: other}
	m.CreateUser(ctx, "111122223333", "u")
	k, _ := m.CreateAccessKey(ctx, "111122223333", "u")
	store.PutUserPolicy(ctx, &meta.UserPolicy{Account: "111122223333", User: "u", Name: "broken", Document: `{"Statement":`, Updated: time.Now()})
	var d1 *model.Domain
	store.Update(ctx, func(tx meta.Tx) error {
		d1 = &model.Domain{Name: "dom", Owner: "111122223333", CreatedTime: time.Now()}
		if err := tx.CreateDomain(d1); err != nil {
			return err
		}
		return tx.(meta.ResourcePolicies).PutResourcePolicy(meta.PolicyTarget{DomainID: d1.ID}, &meta.ResourcePolicy{Document: "nope", Revision: "r", Updated: time.Now()})
	})

	d := NewDirectory(store, sealer, quiet)
	if err := d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.LookupKey(ctx, k.AccessKeyID); err == nil {
		t.Error("key sealed with another secrets key is usable")
	}
	u := service.Caller{Account: "111122223333", ARN: k.Arn}
	req := policy.Request{Principal: policy.Principal{ARN: u.ARN}, Action: "codeartifact:ListDomains", Resource: "*", ResourceAccount: "111122223333"}
	if got := policy.Decide(req, d.IdentityPolicies(u), nil); got != policy.ExplicitDeny {
		t.Errorf("broken identity policy gives %v", got)
	}
	rp := d.ResourcePolicy("111122223333", "dom", "")
	rootReq := req
	rootReq.Principal.ARN = "arn:aws:iam::111122223333:root"
	if rp == nil || policy.Decide(rootReq, []*policy.Policy{allowAll}, []*policy.Policy{rp}) != policy.ExplicitDeny {
		t.Error("broken resource policy does not deny")
	}
}

func TestReseal(t *testing.T) {
	store := openStore(t)
	plain := &Sealer{}
	k1, _ := NewSealer(testKey(1))
	k2, _ := NewSealer(testKey(2))
	m := &Manager{Store: store, Sealer: plain}
	m.CreateUser(ctx, "111122223333", "u")
	a, _ := m.CreateAccessKey(ctx, "111122223333", "u")
	m.Sealer = k1
	b, _ := m.CreateAccessKey(ctx, "111122223333", "u")

	// Encrypt the plain one under k1.
	m.Sealer = k1
	if n, err := m.Reseal(ctx); err != nil || n != 1 {
		t.Fatalf("reseal to k1: %d, %v", n, err)
	}
	// Rotate to k2, reading with k1.
	m.Sealer = k2
	if _, err := m.Reseal(ctx); err == nil {
		t.Error("reseal without the old key succeeded")
	}
	if n, err := m.Reseal(ctx, k1); err != nil || n != 2 {
		t.Fatalf("rotate to k2: %d, %v", n, err)
	}
	d := NewDirectory(store, k2, quiet)
	d.Refresh(ctx)
	for _, k := range []NewKey{a, b} {
		if s, _, err := d.LookupKey(ctx, k.AccessKeyID); err != nil || s != k.SecretAccessKey {
			t.Errorf("%s after rotation: %q, %v", k.AccessKeyID, s, err)
		}
	}
}

// countingStore counts generation reads.
type countingStore struct {
	meta.Identities
	mu    sync.Mutex
	reads int
}

func (c *countingStore) AccessGeneration(ctx context.Context) (int64, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.Identities.AccessGeneration(ctx)
}

// A burst of unknown keys shares the store checks it causes.
func TestDirectoryMissesShareChecks(t *testing.T) {
	cs := &countingStore{Identities: openStore(t)}
	d := NewDirectory(cs, &Sealer{}, quiet)
	if err := d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := d.LookupKey(ctx, "AKIANOBODY"); !errors.Is(err, sigv4.ErrUnknownKey) {
				t.Errorf("unknown key: %v", err)
			}
		}()
	}
	wg.Wait()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	// One check at start, then at most a few for the burst.
	if cs.reads > 4 {
		t.Errorf("%d generation reads for 50 concurrent misses", cs.reads)
	}
}
