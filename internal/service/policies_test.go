package service

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/model"
)

// recordingAuthz records every check and refuses the actions in deny.
type recordingAuthz struct {
	mu      sync.Mutex
	deny    map[string]bool
	checks  []authzCheck
	changed int
}

type authzCheck struct {
	action, arn, writes string
}

func (a *recordingAuthz) Authorize(ctx context.Context, c Caller, action, arn, account string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.checks = append(a.checks, authzCheck{action, arn, RequestInfoFrom(ctx).WritesPolicyOf})
	if a.deny[action] {
		return accessDenied(c, action, arn)
	}
	return SameAccount{}.Authorize(ctx, c, action, arn, account)
}

func (a *recordingAuthz) PoliciesChanged(context.Context) {
	a.mu.Lock()
	a.changed++
	a.mu.Unlock()
}

func (a *recordingAuthz) last() authzCheck {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.checks[len(a.checks)-1]
}

func newPolicyService(t *testing.T) (*Service, *recordingAuthz) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	m, err := sqlite.Open(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	b, err := fs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	az := &recordingAuthz{deny: map[string]bool{}}
	s := New(m, b, az, Config{})
	if _, err := s.CreateDomain(ctx, admin, CreateDomainInput{Domain: "dom"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRepository(ctx, admin, CreateRepositoryInput{RepositoryInput: RepositoryInput{Domain: "dom", Repository: "repo"}}); err != nil {
		t.Fatal(err)
	}
	return s, az
}

const (
	policyA = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"codeartifact:ReadFromRepository","Resource":"*"}]}`
	policyB = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"codeartifact:DeleteRepository","Resource":"*"}]}`
)

func kindOf(err error) model.Kind {
	var me *model.Error
	if errors.As(err, &me) {
		return me.Kind
	}
	return ""
}

func TestPermissionsPolicies(t *testing.T) {
	ctx := context.Background()
	domainARN := "arn:aws:codeartifact:us-east-1:111122223333:domain/dom"
	repoARN := "arn:aws:codeartifact:us-east-1:111122223333:repository/dom/repo"
	str := func(s string) *string { return &s }

	for _, level := range []string{"domain", "repository"} {
		t.Run(level, func(t *testing.T) {
			s, az := newPolicyService(t)
			arn, putAction := domainARN, "PutDomainPermissionsPolicy"
			put := func(rev *string, doc string) (*PolicyOutput, error) {
				return s.PutDomainPermissionsPolicy(ctx, admin, PutDomainPermissionsPolicyInput{Domain: "dom", PolicyRevision: rev, PolicyDocument: doc})
			}
			get := func() (*PolicyOutput, error) {
				return s.GetDomainPermissionsPolicy(ctx, admin, DomainInput{Domain: "dom"})
			}
			del := func(rev *string) (*PolicyOutput, error) {
				return s.DeleteDomainPermissionsPolicy(ctx, admin, DeleteDomainPermissionsPolicyInput{Domain: "dom", PolicyRevision: rev})
			}
			if level == "repository" {
				arn, putAction = repoARN, "PutRepositoryPermissionsPolicy"
				put = func(rev *string, doc string) (*PolicyOutput, error) {
					return s.PutRepositoryPermissionsPolicy(ctx, admin, PutRepositoryPermissionsPolicyInput{Domain: "dom", Repository: "repo", PolicyRevision: rev, PolicyDocument: doc})
				}
				get = func() (*PolicyOutput, error) {
					return s.GetRepositoryPermissionsPolicy(ctx, admin, RepositoryInput{Domain: "dom", Repository: "repo"})
				}
				del = func(rev *string) (*PolicyOutput, error) {
					return s.DeleteRepositoryPermissionsPolicy(ctx, admin, DeleteRepositoryPermissionsPolicyInput{Domain: "dom", Repository: "repo", PolicyRevision: rev})
				}
			}

			if _, err := get(); kindOf(err) != model.KindNotFound {
				t.Errorf("get before any put: %v", err)
			}
			if _, err := del(nil); kindOf(err) != model.KindNotFound {
				t.Errorf("delete before any put: %v", err)
			}
			if _, err := put(str("somerev"), policyA); kindOf(err) != model.KindConflict {
				t.Errorf("put with a revision when there is no policy: %v", err)
			}

			p1, err := put(nil, policyA)
			if err != nil {
				t.Fatal(err)
			}
			if p1.Policy.ResourceArn != arn || p1.Policy.Document != policyA || p1.Policy.Revision == "" {
				t.Errorf("put: %+v", p1.Policy)
			}
			if c := az.last(); c.action != putAction || c.arn != arn || c.writes != arn {
				t.Errorf("put was authorized as %+v; it must be marked as writing the policy", c)
			}
			if az.changed != 1 {
				t.Errorf("authorizer told of %d changes", az.changed)
			}
			g, err := get()
			if err != nil || *g.Policy != *p1.Policy {
				t.Errorf("get = %+v, %v", g, err)
			}
			if c := az.last(); c.writes != "" {
				t.Errorf("get was marked as writing the policy of %s", c.writes)
			}

			// Refusals change nothing.
			refusals := []struct {
				name string
				fn   func() error
				kind model.Kind
			}{
				{"stale revision", func() error { _, err := put(str("stale"), policyB); return err }, model.KindConflict},
				{"not JSON", func() error { _, err := put(nil, "{"); return err }, model.KindValidation},
				{"identity policy as resource policy", func() error {
					_, err := put(nil, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
					return err
				}, model.KindValidation},
				{"over 7168 characters", func() error {
					_, err := put(nil, `{"Version":"2012-10-17","Id":"`+strings.Repeat("x", 7200)+`","Statement":[{"Effect":"Allow","Principal":"*","Action":"*"}]}`)
					return err
				}, model.KindValidation},
				{"delete with stale revision", func() error { _, err := del(str("stale")); return err }, model.KindConflict},
			}
			for _, r := range refusals {
				if err := r.fn(); kindOf(err) != r.kind {
					t.Errorf("%s: %v, want %s", r.name, err, r.kind)
				}
			}
			if g, _ := get(); g == nil || *g.Policy != *p1.Policy {
				t.Errorf("a refused request changed the policy: %+v", g)
			}

			p2, err := put(&p1.Policy.Revision, policyB)
			if err != nil {
				t.Fatal(err)
			}
			if p2.Policy.Revision == p1.Policy.Revision || p2.Policy.Document != policyB {
				t.Errorf("second put: %+v", p2.Policy)
			}
			if _, err := put(&p1.Policy.Revision, policyA); kindOf(err) != model.KindConflict {
				t.Errorf("put with the superseded revision: %v", err)
			}

			az.deny[putAction] = true
			if _, err := put(nil, policyA); kindOf(err) != model.KindAccessDenied {
				t.Errorf("denied put: %v", err)
			}
			delete(az.deny, putAction)
			if g, _ := get(); g == nil || g.Policy.Revision != p2.Policy.Revision {
				t.Errorf("a denied put changed the policy: %+v", g)
			}

			d, err := del(&p2.Policy.Revision)
			if err != nil || *d.Policy != *p2.Policy {
				t.Errorf("delete = %+v, %v", d, err)
			}
			if c := az.last(); c.arn != arn || c.writes != arn {
				t.Errorf("delete was authorized as %+v; it must be marked as writing the policy", c)
			}
			if _, err := get(); kindOf(err) != model.KindNotFound {
				t.Errorf("get after delete: %v", err)
			}
		})
	}

	s, _ := newPolicyService(t)
	if _, err := s.GetDomainPermissionsPolicy(ctx, admin, DomainInput{Domain: "nope"}); kindOf(err) != model.KindNotFound {
		t.Errorf("unknown domain: %v", err)
	}
	if _, err := s.PutRepositoryPermissionsPolicy(ctx, admin, PutRepositoryPermissionsPolicyInput{Domain: "dom", Repository: "nope", PolicyDocument: policyA}); kindOf(err) != model.KindNotFound {
		t.Errorf("unknown repository: %v", err)
	}
	other := Caller{Account: "444455556666", ARN: "arn:aws:iam::444455556666:root"}
	if _, err := s.PutDomainPermissionsPolicy(ctx, other, PutDomainPermissionsPolicyInput{Domain: "dom", DomainOwner: "111122223333", PolicyDocument: policyA}); kindOf(err) != model.KindAccessDenied {
		t.Errorf("another account's put: %v", err)
	}
}

func TestRequestInfo(t *testing.T) {
	ctx := context.Background()
	if ri := RequestInfoFrom(ctx); ri.SourceIP != "" || ri.RequestTags != nil {
		t.Errorf("empty context: %+v", ri)
	}
	ctx = WithRequestInfo(ctx, RequestInfo{SourceIP: "10.0.0.1", RequestTags: map[string]string{"a": "b"}})
	ctx2 := writingPolicyOf(ctx, "arn:x")
	if ri := RequestInfoFrom(ctx2); ri.SourceIP != "10.0.0.1" || ri.RequestTags["a"] != "b" || ri.WritesPolicyOf != "arn:x" {
		t.Errorf("derived: %+v", ri)
	}
	if ri := RequestInfoFrom(ctx); ri.WritesPolicyOf != "" {
		t.Errorf("parent context changed: %+v", ri)
	}
}
