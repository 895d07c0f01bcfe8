// Package authz decides every request with IAM policies, the way
// CodeArtifact does: it implements service.Authorizer over the identity
// policies of the caller and the permissions policies of the domain and
// repository the resource belongs to, using policy.Decide.
//
// Which resource policies apply (CodeArtifact's user guide, "Domain
// policies" and "Repository policies"):
//   - the domain's policy is evaluated for every action on the domain and
//     on everything in it: repositories, packages, package groups;
//   - a repository's policy is evaluated for actions on the repository and
//     on its packages;
//   - when both exist both are evaluated: an Allow in either is enough and
//     a Deny in either wins;
//   - account-wide actions (ListDomains, ListRepositories, resource "*")
//     have no resource policy.
//
// The root of an account (arn:aws:iam::ACCOUNT:root, which is what the
// administrator from the environment and keys created without a user act
// as) has an implicit identity policy allowing everything, as in AWS:
// within its own account it needs no policy, but an explicit Deny in a
// resource policy (Principal "*" or naming the account) stops it too, as
// S3 and KMS resource policies stop a root user. It can always replace or
// delete such a policy: a Put or Delete*PermissionsPolicy request by the
// root of the resource's account is evaluated without the policy it
// writes (service.RequestInfo.WritesPolicyOf). Any other principal is
// judged under that policy too, so an explicit Deny stops its principal
// from lifting it. Across accounts the root, like any principal, also
// needs an Allow from the resource's policy.
//
// GetAuthorizationToken also needs sts:GetServiceBearerToken, as in
// CodeArtifact: an identity-policy action on resource "*" in the caller's
// own account (no resource policy takes part), with the condition key
// sts:AWSServiceName set to codeartifact.amazonaws.com.
//
// Conditions see aws:CurrentTime and aws:EpochTime, aws:SourceIp,
// aws:SecureTransport and aws:UserAgent of the request, aws:PrincipalArn,
// aws:PrincipalAccount, aws:PrincipalType, aws:username and
// aws:ResourceAccount, aws:ResourceTag/KEY for domains, repositories and
// package groups (packages carry no tags, so the key is absent for package
// actions), and
// aws:RequestTag/KEY and aws:TagKeys for requests that set or remove tags.
package authz

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/policy"
	"github.com/wharf-dev/wharf/internal/service"
)

// Policies is where the authorizer finds policies and tags. It must answer
// from memory: Authorize runs inside the service's transactions.
type Policies interface {
	// IdentityPolicies returns the caller's identity-based policies.
	IdentityPolicies(c service.Caller) []*policy.Policy
	// ResourcePolicy returns a domain's (repo "") or repository's
	// permissions policy, or nil.
	ResourcePolicy(owner, domain, repo string) *policy.Policy
	// ResourceTags returns a resource's tags, or nil.
	ResourceTags(arn string) map[string]string
	// Changed reloads after the server changed a policy.
	Changed(ctx context.Context) error
}

// Authorizer is a service.Authorizer over IAM policies.
type Authorizer struct {
	P   Policies
	Now func() time.Time
	Log *slog.Logger
}

var _ service.Authorizer = (*Authorizer)(nil)

// PoliciesChanged is called by the service after it changed a resource
// policy, so the next request sees the change.
func (a *Authorizer) PoliciesChanged(ctx context.Context) {
	if err := a.P.Changed(ctx); err != nil && a.Log != nil {
		a.Log.WarnContext(ctx, "reloading policies failed", "err", err)
	}
}

func (a *Authorizer) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

// Authorize implements service.Authorizer.
func (a *Authorizer) Authorize(ctx context.Context, c service.Caller, action, arn, account string) error {
	ri := service.RequestInfoFrom(ctx)
	res := parseResource(arn)
	if action == "ReadFromRepository" && res.repoARN != "" {
		// ReadFromRepository applies to the repository as a whole: a
		// policy cannot grant it for some packages only.
		arn = res.repoARN
	}
	root := c.Account == account && c.ARN == "arn:aws:iam::"+c.Account+":root"
	// The root recovers from a policy that locks everyone out by writing
	// it without it; nobody else does.
	ignore := ""
	if root {
		ignore = ri.WritesPolicyOf
	}
	var resource []*policy.Policy
	if res.domain != "" {
		if res.domainARN != ignore {
			if p := a.P.ResourcePolicy(res.account, res.domain, ""); p != nil {
				resource = append(resource, p)
			}
		}
		if res.repo != "" && res.repoARN != ignore {
			if p := a.P.ResourcePolicy(res.account, res.domain, res.repo); p != nil {
				resource = append(resource, p)
			}
		}
	}
	if len(resource) == 0 && root {
		// The root in its own account with no resource policy to deny it:
		// nothing to evaluate (and the commonest case, so it is free).
		return nil
	}
	req := policy.Request{
		Principal:       policy.Principal{ARN: c.ARN, Account: c.Account},
		Action:          service.IAMAction(action),
		Resource:        arn,
		ResourceAccount: account,
		Context:         a.conditionContext(ri, res, arn),
	}
	if action == service.ActionGetServiceBearerToken {
		req.Context["sts:AWSServiceName"] = []string{service.BearerTokenService}
	}
	identity := a.P.IdentityPolicies(c)
	if policy.Decide(req, identity, resource) == policy.Allow {
		return nil
	}
	return denied(req, identity, resource)
}

func (a *Authorizer) conditionContext(ri service.RequestInfo, res resource, arn string) map[string][]string {
	now := a.now()
	cc := map[string][]string{
		"aws:CurrentTime":     {now.Format(time.RFC3339)},
		"aws:EpochTime":       {strconv.FormatInt(now.Unix(), 10)},
		"aws:SecureTransport": {strconv.FormatBool(ri.SecureTransport)},
	}
	if ip := net.ParseIP(ri.SourceIP); ip != nil {
		cc["aws:SourceIp"] = []string{ip.String()}
	}
	if ri.UserAgent != "" {
		cc["aws:UserAgent"] = []string{ri.UserAgent}
	}
	if res.taggable {
		for k, v := range a.P.ResourceTags(arn) {
			cc["aws:ResourceTag/"+k] = []string{v}
		}
	}
	for k, v := range ri.RequestTags {
		cc["aws:RequestTag/"+k] = []string{v}
	}
	if len(ri.TagKeys) > 0 {
		cc["aws:TagKeys"] = ri.TagKeys
	}
	return cc
}

// denied builds AWS's AccessDeniedException message, with the reason AWS
// gives since 2021.
func denied(req policy.Request, identity, resource []*policy.Policy) error {
	reason := "because no identity-based policy allows the " + req.Action + " action"
	identityAllows := false
	for _, p := range identity {
		switch p.Evaluate(req) {
		case policy.ExplicitDeny:
			return deniedf(req, "with an explicit deny in an identity-based policy")
		case policy.Allow:
			identityAllows = true
		}
	}
	for _, p := range resource {
		if p.Evaluate(req) == policy.ExplicitDeny {
			return deniedf(req, "with an explicit deny in a resource-based policy")
		}
	}
	if identityAllows {
		// Only a cross-account request gets here with an identity Allow.
		reason = "because no resource-based policy allows the " + req.Action + " action"
	}
	return deniedf(req, reason)
}

func deniedf(req policy.Request, reason string) error {
	return model.AccessDenied("User: %s is not authorized to perform: %s on resource: %s %s", req.Principal.ARN, req.Action, req.Resource, reason)
}

// resource is a CodeArtifact ARN taken apart as far as policy lookup
// needs.
type resource struct {
	account, domain, repo string
	domainARN, repoARN    string
	taggable              bool // a domain or repository: aws:ResourceTag applies
}

// parseResource splits arn:aws:codeartifact:REGION:ACCOUNT:TYPE/DOMAIN/...
// Anything else (such as "*") has no domain.
func parseResource(arn string) resource {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "codeartifact" {
		return resource{}
	}
	typ, rest, ok := strings.Cut(parts[5], "/")
	if !ok {
		return resource{}
	}
	segs := strings.SplitN(rest, "/", 3)
	if segs[0] == "" {
		return resource{}
	}
	prefix := "arn:" + parts[1] + ":codeartifact:" + parts[3] + ":" + parts[4] + ":"
	r := resource{account: parts[4], domain: segs[0], domainARN: prefix + "domain/" + segs[0]}
	switch typ {
	case "domain":
		r.taggable = len(segs) == 1
	case "repository", "package":
		if len(segs) < 2 || segs[1] == "" {
			return resource{}
		}
		r.repo = segs[1]
		r.repoARN = prefix + "repository/" + segs[0] + "/" + segs[1]
		r.taggable = typ == "repository" && len(segs) == 2
	case "package-group":
		// Only the domain's policy applies.
		r.taggable = true
	default:
		return resource{}
	}
	return r
}
