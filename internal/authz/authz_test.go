package authz

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/policy"
	"github.com/wharf-dev/wharf/internal/service"
)

// fakePolicies holds policies by principal ARN and by "owner/domain[/repo]".
type fakePolicies struct {
	identity map[string][]string
	resource map[string]string
	tags     map[string]map[string]string
	changed  int
}

func (f *fakePolicies) IdentityPolicies(c service.Caller) []*policy.Policy {
	if c.ARN == "arn:aws:iam::"+c.Account+":root" {
		return []*policy.Policy{mustIdentity(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}
	}
	var out []*policy.Policy
	for _, d := range f.identity[c.ARN] {
		out = append(out, mustIdentity(d))
	}
	return out
}

func (f *fakePolicies) ResourcePolicy(owner, domain, repo string) *policy.Policy {
	key := owner + "/" + domain
	if repo != "" {
		key += "/" + repo
	}
	d, ok := f.resource[key]
	if !ok {
		return nil
	}
	p, err := policy.ParseResource(d)
	if err != nil {
		panic(err)
	}
	return p
}

func (f *fakePolicies) ResourceTags(arn string) map[string]string { return f.tags[arn] }

func (f *fakePolicies) Changed(context.Context) error { f.changed++; return nil }

// cachedPolicies parses each document once.
type cachedPolicies struct {
	f        *fakePolicies
	identity map[string][]*policy.Policy
	resource map[string]*policy.Policy
}

func (c *cachedPolicies) IdentityPolicies(caller service.Caller) []*policy.Policy {
	if c.identity == nil {
		c.identity = map[string][]*policy.Policy{}
	}
	p, ok := c.identity[caller.ARN]
	if !ok {
		p = c.f.IdentityPolicies(caller)
		c.identity[caller.ARN] = p
	}
	return p
}

func (c *cachedPolicies) ResourcePolicy(owner, domain, repo string) *policy.Policy {
	if c.resource == nil {
		c.resource = map[string]*policy.Policy{}
	}
	key := owner + "/" + domain + "/" + repo
	p, ok := c.resource[key]
	if !ok {
		p = c.f.ResourcePolicy(owner, domain, repo)
		c.resource[key] = p
	}
	return p
}

func (c *cachedPolicies) ResourceTags(arn string) map[string]string { return c.f.ResourceTags(arn) }
func (c *cachedPolicies) Changed(ctx context.Context) error         { return c.f.Changed(ctx) }

func mustIdentity(d string) *policy.Policy {
	p, err := policy.ParseIdentity(d)
	if err != nil {
		panic(err)
	}
	return p
}

const (
	acctA = "111122223333"
	acctB = "444455556666"
)

var (
	rootA  = service.Caller{Account: acctA, ARN: "arn:aws:iam::" + acctA + ":root"}
	rootB  = service.Caller{Account: acctB, ARN: "arn:aws:iam::" + acctB + ":root"}
	reader = service.Caller{Account: acctA, ARN: "arn:aws:iam::" + acctA + ":user/reader"}
	pub    = service.Caller{Account: acctA, ARN: "arn:aws:iam::" + acctA + ":user/publisher"}
	carol  = service.Caller{Account: acctB, ARN: "arn:aws:iam::" + acctB + ":user/carol"}
)

const (
	domARN   = "arn:aws:codeartifact:us-east-1:" + acctA + ":domain/dom"
	repoARN  = "arn:aws:codeartifact:us-east-1:" + acctA + ":repository/dom/repo"
	otherARN = "arn:aws:codeartifact:us-east-1:" + acctA + ":repository/dom/other"
	pkgARN   = "arn:aws:codeartifact:us-east-1:" + acctA + ":package/dom/repo/generic/ns/pkg"
	otherPkg = "arn:aws:codeartifact:us-east-1:" + acctA + ":package/dom/other/generic/ns/pkg"
	pgARN    = "arn:aws:codeartifact:us-east-1:" + acctA + ":package-group/dom/%2Fnpm%2F%2A"
)

func stmt(effect, principal, action, resource, cond string) string {
	s := `{"Effect":"` + effect + `","Action":"` + action + `"`
	if principal != "" {
		s += `,"Principal":` + principal
	}
	if resource != "" {
		s += `,"Resource":"` + resource + `"`
	}
	if cond != "" {
		s += `,"Condition":` + cond
	}
	return s + "}"
}

func doc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func TestAuthorize(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	readerPolicy := doc(stmt("Allow", "", "codeartifact:List*", "*", ""), stmt("Allow", "", "codeartifact:ReadFromRepository", "*", ""),
		stmt("Allow", "", "codeartifact:GetPackageVersionAsset", "*", ""), stmt("Allow", "", "codeartifact:Describe*", "*", ""))
	base := fakePolicies{
		identity: map[string][]string{
			reader.ARN: {readerPolicy},
			carol.ARN:  {doc(stmt("Allow", "", "codeartifact:*", "*", ""))},
		},
		tags: map[string]map[string]string{repoARN: {"team": "core"}},
	}
	type check struct {
		c           service.Caller
		action, arn string
		account     string
		ri          service.RequestInfo
		allow       bool
		reason      string // part of the refusal message
	}
	tests := []struct {
		name     string
		identity map[string][]string // added to base
		resource map[string]string
		checks   []check
	}{
		{name: "root of the resource's account needs no policy", checks: []check{
			{c: rootA, action: "DeleteDomain", arn: domARN, allow: true},
			{c: rootA, action: "ListDomains", arn: "*", allow: true},
		}},
		{name: "another account's root needs a resource policy", checks: []check{
			{c: rootB, action: "DescribeDomain", arn: domARN, reason: "because no resource-based policy allows the codeartifact:DescribeDomain action"},
		}},
		{name: "reader lists and downloads but cannot delete", checks: []check{
			{c: reader, action: "ListPackageVersions", arn: pkgARN, allow: true},
			{c: reader, action: "GetPackageVersionAsset", arn: pkgARN, allow: true},
			{c: reader, action: "ReadFromRepository", arn: repoARN, allow: true},
			{c: reader, action: "DeletePackageVersions", arn: pkgARN,
				reason: "User: arn:aws:iam::111122223333:user/reader is not authorized to perform: codeartifact:DeletePackageVersions on resource: " + pkgARN + " because no identity-based policy allows the codeartifact:DeletePackageVersions action"},
		}},
		{name: "a user with no policy is refused", checks: []check{
			{c: pub, action: "ListDomains", arn: "*", reason: "because no identity-based policy allows"},
		}},
		{name: "repository policy naming the user scopes it to that repository",
			resource: map[string]string{acctA + "/dom/repo": doc(stmt("Allow", `{"AWS":"`+pub.ARN+`"}`, "codeartifact:PublishPackageVersion", "*", ""))},
			checks: []check{
				{c: pub, action: "PublishPackageVersion", arn: pkgARN, allow: true},
				{c: pub, action: "PublishPackageVersion", arn: otherPkg, reason: "because no identity-based policy allows"},
				{c: pub, action: "DeletePackageVersions", arn: pkgARN, reason: "no identity-based policy"},
			}},
		{name: "a policy naming only the account delegates to identity policies",
			resource: map[string]string{acctA + "/dom/repo": doc(stmt("Allow", `{"AWS":"`+acctA+`"}`, "codeartifact:PublishPackageVersion", "*", ""))},
			checks: []check{
				{c: pub, action: "PublishPackageVersion", arn: pkgARN, reason: "no identity-based policy"},
			}},
		{name: "cross-account needs both policies",
			resource: map[string]string{acctA + "/dom/repo": doc(stmt("Allow", `{"AWS":"arn:aws:iam::`+acctB+`:root"}`, "codeartifact:ReadFromRepository", "*", ""))},
			identity: map[string][]string{"arn:aws:iam::" + acctB + ":user/dave": {doc(stmt("Allow", "", "codeartifact:DescribeDomain", "*", ""))}},
			checks: []check{
				{c: carol, action: "ReadFromRepository", arn: repoARN, allow: true},
				{c: carol, action: "ReadFromRepository", arn: otherARN, reason: "because no resource-based policy allows the codeartifact:ReadFromRepository action"},
				{c: service.Caller{Account: acctB, ARN: "arn:aws:iam::" + acctB + ":user/dave"}, action: "ReadFromRepository", arn: repoARN,
					reason: "because no identity-based policy allows"},
				{c: rootB, action: "ReadFromRepository", arn: repoARN, allow: true},
			}},
		{name: "domain policy covers everything in the domain",
			resource: map[string]string{acctA + "/dom": doc(stmt("Allow", `{"AWS":"`+carol.ARN+`"}`, "codeartifact:*", "*", ""))},
			checks: []check{
				{c: carol, action: "GetAuthorizationToken", arn: domARN, allow: true},
				{c: carol, action: "DescribeRepository", arn: otherARN, allow: true},
				{c: carol, action: "DeletePackageVersions", arn: otherPkg, allow: true},
				{c: carol, action: "DescribePackageGroup", arn: pgARN, allow: true},
			}},
		{name: "an explicit Deny beats an Allow",
			identity: map[string][]string{pub.ARN: {doc(stmt("Allow", "", "codeartifact:*", "*", ""))}},
			resource: map[string]string{
				acctA + "/dom":      doc(stmt("Deny", `"*"`, "codeartifact:DeleteRepository", "*", "")),
				acctA + "/dom/repo": doc(stmt("Deny", `{"AWS":"`+pub.ARN+`"}`, "codeartifact:Delete*", "*", "")),
			},
			checks: []check{
				{c: pub, action: "DeletePackageVersions", arn: pkgARN, reason: "with an explicit deny in a resource-based policy"},
				{c: pub, action: "DeletePackageVersions", arn: otherPkg, allow: true},
				{c: pub, action: "DeleteRepository", arn: otherARN, reason: "with an explicit deny in a resource-based policy"},
				// The root too, but it can still replace the policy.
				{c: rootA, action: "DeleteRepository", arn: otherARN, reason: "explicit deny"},
				{c: rootA, action: "PutDomainPermissionsPolicy", arn: domARN, allow: true},
			}},
		{name: "an identity Deny beats a resource Allow",
			identity: map[string][]string{pub.ARN: {doc(stmt("Deny", "", "codeartifact:PublishPackageVersion", "*", ""))}},
			resource: map[string]string{acctA + "/dom/repo": doc(stmt("Allow", `"*"`, "codeartifact:PublishPackageVersion", "*", ""))},
			checks: []check{
				{c: pub, action: "PublishPackageVersion", arn: pkgARN, reason: "with an explicit deny in an identity-based policy"},
				{c: reader, action: "PublishPackageVersion", arn: pkgARN, allow: true},
			}},
		{name: "the root writes a policy without it",
			resource: map[string]string{
				acctA + "/dom":      doc(stmt("Deny", `"*"`, "codeartifact:*", "*", "")),
				acctA + "/dom/repo": doc(stmt("Deny", `"*"`, "codeartifact:*", "*", "")),
			},
			checks: []check{
				{c: rootA, action: "PutDomainPermissionsPolicy", arn: domARN, ri: service.RequestInfo{WritesPolicyOf: domARN}, allow: true},
				{c: rootA, action: "DeleteDomainPermissionsPolicy", arn: domARN, ri: service.RequestInfo{WritesPolicyOf: domARN}, allow: true},
				{c: rootA, action: "PutDomainPermissionsPolicy", arn: domARN, reason: "explicit deny"},
				{c: rootA, action: "GetDomainPermissionsPolicy", arn: domARN, reason: "explicit deny"},
				// Replacing the repository's policy still answers to the domain's.
				{c: rootA, action: "PutRepositoryPermissionsPolicy", arn: repoARN, ri: service.RequestInfo{WritesPolicyOf: repoARN}, reason: "explicit deny"},
			}},
		{name: "the root recovers a repository's policy",
			resource: map[string]string{acctA + "/dom/repo": doc(stmt("Deny", `"*"`, "codeartifact:*", "*", ""))},
			checks: []check{
				{c: rootA, action: "PutRepositoryPermissionsPolicy", arn: repoARN, ri: service.RequestInfo{WritesPolicyOf: repoARN}, allow: true},
				{c: rootA, action: "DeleteRepositoryPermissionsPolicy", arn: repoARN, ri: service.RequestInfo{WritesPolicyOf: repoARN}, allow: true},
				{c: rootA, action: "DescribeRepository", arn: repoARN, reason: "explicit deny"},
			}},
		{name: "an explicit Deny stops its principal from writing the policy that holds it",
			identity: map[string][]string{
				pub.ARN:    {doc(stmt("Allow", "", "codeartifact:*", "*", ""))},
				reader.ARN: {doc(stmt("Allow", "", "codeartifact:*", "*", ""))},
			},
			resource: map[string]string{
				acctA + "/dom":       doc(stmt("Deny", `{"AWS":"`+pub.ARN+`"}`, "codeartifact:*", "*", "")),
				acctA + "/dom/other": doc(stmt("Deny", `{"AWS":"`+reader.ARN+`"}`, "codeartifact:*", "*", "")),
			},
			checks: []check{
				{c: pub, action: "PutDomainPermissionsPolicy", arn: domARN, ri: service.RequestInfo{WritesPolicyOf: domARN}, reason: "with an explicit deny in a resource-based policy"},
				{c: pub, action: "DeleteDomainPermissionsPolicy", arn: domARN, ri: service.RequestInfo{WritesPolicyOf: domARN}, reason: "with an explicit deny in a resource-based policy"},
				{c: reader, action: "PutRepositoryPermissionsPolicy", arn: otherARN, ri: service.RequestInfo{WritesPolicyOf: otherARN}, reason: "with an explicit deny in a resource-based policy"},
				{c: reader, action: "DeleteRepositoryPermissionsPolicy", arn: otherARN, ri: service.RequestInfo{WritesPolicyOf: otherARN}, reason: "with an explicit deny in a resource-based policy"},
				// Not named by the Deny, a principal the identity policy
				// allows may still change it.
				{c: reader, action: "PutDomainPermissionsPolicy", arn: domARN, ri: service.RequestInfo{WritesPolicyOf: domARN}, allow: true},
			}},
		{name: "conditions on the request",
			identity: map[string][]string{pub.ARN: {doc(
				stmt("Allow", "", "codeartifact:ListPackages", "*", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"Bool":{"aws:SecureTransport":"false"}}`),
				stmt("Allow", "", "codeartifact:DescribeRepository", "*", `{"StringEquals":{"aws:ResourceTag/team":"core"}}`),
				stmt("Allow", "", "codeartifact:CreateRepository", "*", `{"StringEquals":{"aws:RequestTag/team":"core"},"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}`),
				stmt("Allow", "", "codeartifact:DescribeDomain", "*", `{"DateLessThan":{"aws:CurrentTime":"2026-06-01T13:00:00Z"}}`),
				stmt("Allow", "", "codeartifact:DescribePackage", "*", `{"DateGreaterThan":{"aws:CurrentTime":"2026-06-01T13:00:00Z"}}`),
				stmt("Allow", "", "codeartifact:GetRepositoryEndpoint", "*", `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/pub*"}}`),
			)}},
			checks: []check{
				{c: pub, action: "ListPackages", arn: repoARN, ri: service.RequestInfo{SourceIP: "10.1.2.3"}, allow: true},
				{c: pub, action: "ListPackages", arn: repoARN, ri: service.RequestInfo{SourceIP: "192.168.1.1"}, reason: "no identity-based policy"},
				{c: pub, action: "ListPackages", arn: repoARN, ri: service.RequestInfo{SourceIP: "10.1.2.3", SecureTransport: true}, reason: "no identity-based policy"},
				{c: pub, action: "DescribeRepository", arn: repoARN, allow: true},
				{c: pub, action: "DescribeRepository", arn: otherARN, reason: "no identity-based policy"},
				{c: pub, action: "CreateRepository", arn: otherARN, ri: service.RequestInfo{RequestTags: map[string]string{"team": "core"}, TagKeys: []string{"team"}}, allow: true},
				{c: pub, action: "CreateRepository", arn: otherARN, ri: service.RequestInfo{RequestTags: map[string]string{"team": "web"}, TagKeys: []string{"team"}}, reason: "no identity"},
				{c: pub, action: "CreateRepository", arn: otherARN, ri: service.RequestInfo{RequestTags: map[string]string{"team": "core", "x": "y"}, TagKeys: []string{"team", "x"}}, reason: "no identity"},
				{c: pub, action: "DescribeDomain", arn: domARN, allow: true},
				{c: pub, action: "DescribePackage", arn: pkgARN, reason: "no identity"},
				{c: pub, action: "GetRepositoryEndpoint", arn: repoARN, allow: true},
			}},
		{name: "GetServiceBearerToken is an identity-policy action of the caller's account",
			identity: map[string][]string{
				pub.ARN: {doc(stmt("Allow", "", "codeartifact:*", "*", ""),
					stmt("Allow", "", "sts:GetServiceBearerToken", "*", `{"StringEquals":{"sts:AWSServiceName":"codeartifact.amazonaws.com"}}`))},
				reader.ARN: {doc(stmt("Allow", "", "*", "*", ""), stmt("Deny", "", "sts:GetServiceBearerToken", "*", ""))},
			},
			// A domain policy denying everyone takes no part: the action is
			// not on the domain.
			resource: map[string]string{acctA + "/dom": doc(stmt("Deny", `"*"`, "sts:*", "*", ""))},
			checks: []check{
				{c: pub, action: service.ActionGetServiceBearerToken, arn: "*", allow: true},
				{c: rootA, action: service.ActionGetServiceBearerToken, arn: "*", allow: true},
				{c: reader, action: service.ActionGetServiceBearerToken, arn: "*",
					reason: "User: " + reader.ARN + " is not authorized to perform: sts:GetServiceBearerToken on resource: * with an explicit deny in an identity-based policy"},
				{c: carol, action: service.ActionGetServiceBearerToken, arn: "*", account: acctB,
					reason: "because no identity-based policy allows the sts:GetServiceBearerToken action"},
			}},
		{name: "ReadFromRepository is checked on the repository",
			identity: map[string][]string{pub.ARN: {doc(stmt("Allow", "", "codeartifact:ReadFromRepository", repoARN, ""))}},
			checks: []check{
				{c: pub, action: "ReadFromRepository", arn: pkgARN, allow: true},
				{c: pub, action: "ReadFromRepository", arn: otherPkg, reason: "on resource: " + otherARN + " because"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakePolicies{identity: map[string][]string{}, resource: tt.resource, tags: base.tags}
			for k, v := range base.identity {
				f.identity[k] = v
			}
			for k, v := range tt.identity {
				f.identity[k] = v
			}
			a := &Authorizer{P: f, Now: func() time.Time { return now }}
			for i, c := range tt.checks {
				account := c.account
				if account == "" {
					account = acctA
				}
				ctx := service.WithRequestInfo(context.Background(), c.ri)
				err := a.Authorize(ctx, c.c, c.action, c.arn, account)
				if c.allow {
					if err != nil {
						t.Errorf("check %d (%s %s by %s): %v", i, c.action, c.arn, c.c.ARN, err)
					}
					continue
				}
				var me *model.Error
				if !errors.As(err, &me) || me.Kind != model.KindAccessDenied {
					t.Errorf("check %d (%s %s by %s): %v, want AccessDenied", i, c.action, c.arn, c.c.ARN, err)
					continue
				}
				if !strings.Contains(me.Message, c.reason) || !strings.Contains(me.Message, c.c.ARN) || !strings.Contains(me.Message, service.IAMAction(c.action)) {
					t.Errorf("check %d: message %q lacks %q", i, me.Message, c.reason)
				}
			}
		})
	}
}

func TestPoliciesChanged(t *testing.T) {
	f := &fakePolicies{}
	a := &Authorizer{P: f}
	a.PoliciesChanged(context.Background())
	if f.changed != 1 {
		t.Errorf("Changed called %d times", f.changed)
	}
}

func TestParseResource(t *testing.T) {
	tests := []struct {
		arn  string
		want resource
	}{
		{"*", resource{}},
		{"arn:aws:s3:::bucket", resource{}},
		{domARN, resource{account: acctA, domain: "dom", domainARN: domARN, taggable: true}},
		{repoARN, resource{account: acctA, domain: "dom", repo: "repo", domainARN: domARN, repoARN: repoARN, taggable: true}},
		{pkgARN, resource{account: acctA, domain: "dom", repo: "repo", domainARN: domARN, repoARN: repoARN}},
		{"arn:aws:codeartifact:us-east-1:" + acctA + ":package/dom/repo/pypi//requests", resource{account: acctA, domain: "dom", repo: "repo", domainARN: domARN, repoARN: repoARN}},
		{pgARN, resource{account: acctA, domain: "dom", domainARN: domARN, taggable: true}},
		{"arn:aws:codeartifact:us-east-1:" + acctA + ":repository/dom", resource{}},
		{"arn:aws:codeartifact:us-east-1:" + acctA + ":domain/", resource{}},
		{"arn:aws:codeartifact:us-east-1:" + acctA + ":widget/dom", resource{}},
	}
	for _, tt := range tests {
		if got := parseResource(tt.arn); got != tt.want {
			t.Errorf("parseResource(%q) = %+v, want %+v", tt.arn, got, tt.want)
		}
	}
}
