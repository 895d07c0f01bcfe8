package policy

import "strings"

// evalContext is a request prepared once for evaluation against any number
// of policies.
type evalContext struct {
	principal Principal // Account filled in from ARN when empty
	action    string    // lower-cased
	resource  string
	values    map[string][]string // condition keys, lower-cased
}

func newEvalContext(req Request) *evalContext {
	ctx := &evalContext{
		principal: req.Principal,
		action:    strings.ToLower(req.Action),
		resource:  req.Resource,
		values:    make(map[string][]string, len(req.Context)+5),
	}
	for k, v := range req.Context {
		lk := strings.ToLower(k)
		// Keys differing only in case are the same key; merging them keeps
		// every value (all operators are insensitive to value order).
		ctx.values[lk] = append(ctx.values[lk], v...)
	}
	arn, hasARN := splitARN(req.Principal.ARN)
	if ctx.principal.Account == "" && hasARN {
		ctx.principal.Account = arn.account
	}
	ctx.setDefault("aws:principalarn", req.Principal.ARN)
	ctx.setDefault("aws:principalaccount", ctx.principal.Account)
	ctx.setDefault("aws:resourceaccount", req.ResourceAccount)
	if hasARN {
		switch {
		case arn.service == "iam" && arn.resource == "root":
			ctx.setDefault("aws:principaltype", "Account")
		case arn.service == "iam" && strings.HasPrefix(arn.resource, "user/"):
			ctx.setDefault("aws:principaltype", "User")
			ctx.setDefault("aws:username", arn.resource[strings.LastIndexByte(arn.resource, '/')+1:])
		case arn.service == "sts" && strings.HasPrefix(arn.resource, "assumed-role/"):
			ctx.setDefault("aws:principaltype", "AssumedRole")
		case arn.service == "sts" && strings.HasPrefix(arn.resource, "federated-user/"):
			ctx.setDefault("aws:principaltype", "FederatedUser")
		}
	}
	return ctx
}

// setDefault sets a key derived from the request unless the caller's
// Context already has it.
func (ctx *evalContext) setDefault(key, value string) {
	if _, ok := ctx.values[key]; !ok && value != "" {
		ctx.values[key] = []string{value}
	}
}

// Evaluate evaluates the policy on its own: ExplicitDeny if a Deny statement
// applies, else Allow if an Allow statement applies, else ImplicitDeny. A
// statement applies when its Principal (if any), Action, Resource (if any)
// and every condition match. A nil policy allows nothing.
//
// To combine identity and resource policies, use Decide.
func (p *Policy) Evaluate(req Request) Decision {
	d, _ := p.evaluate(newEvalContext(req))
	return d
}

// evaluate also reports, for an Allow, the strongest way a matching Allow
// statement named the principal.
func (p *Policy) evaluate(ctx *evalContext) (Decision, principalMatch) {
	if p == nil {
		return ImplicitDeny, noMatch
	}
	d, grant := ImplicitDeny, noMatch
	for i := range p.statements {
		st := &p.statements[i]
		m := st.applies(ctx)
		if m == noMatch {
			continue
		}
		if st.deny {
			return ExplicitDeny, noMatch
		}
		d, grant = Allow, max(grant, m)
	}
	return d, grant
}

// applies reports whether the statement applies to the request and, if so,
// how it matched the principal (directMatch when there is no Principal
// element, as the policy's owner is the principal).
func (st *statement) applies(ctx *evalContext) principalMatch {
	m := directMatch
	if st.principals != nil {
		m = noMatch
		for _, pp := range st.principals {
			m = max(m, pp.match(ctx.principal))
		}
		if st.notPrincipal {
			if m != noMatch {
				return noMatch
			}
			m = directMatch
		} else if m == noMatch {
			return noMatch
		}
	}

	matched := false
	for _, g := range st.actions {
		if g.match(ctx.action) {
			matched = true
			break
		}
	}
	if matched == st.notAction {
		return noMatch
	}

	if st.resources != nil {
		matched = false
		for i := range st.resources {
			g, ok := st.resources[i].glob(ctx)
			if ok && matchARN(g, ctx.resource) {
				matched = true
				break
			}
		}
		if matched == st.notResource {
			return noMatch
		}
	}

	for i := range st.conditions {
		if !st.conditions[i].eval(ctx) {
			return noMatch
		}
	}
	return m
}

// Decide combines the policies that apply to a request as AWS does:
//
//   - an explicit Deny in any identity or resource policy denies;
//   - otherwise, when the principal's account owns the resource, an Allow in
//     either an identity policy or a resource policy allows. A resource policy
//     Allow that names only the principal's account (an account ID or
//     arn:aws:iam::ACCOUNT:root) delegates to the account's identity
//     policies, so on its own it does not allow an IAM user in that account;
//     naming the user, "*", or using NotPrincipal does;
//   - for a cross-account request both an identity policy and a resource
//     policy must allow;
//   - otherwise the request is implicitly denied.
//
// Nil policies are skipped.
func Decide(req Request, identity []*Policy, resource []*Policy) Decision {
	ctx := newEvalContext(req)
	identityAllow := false
	for _, p := range identity {
		d, _ := p.evaluate(ctx)
		if d == ExplicitDeny {
			return ExplicitDeny
		}
		identityAllow = identityAllow || d == Allow
	}
	resourceGrant := noMatch
	for _, p := range resource {
		d, m := p.evaluate(ctx)
		if d == ExplicitDeny {
			return ExplicitDeny
		}
		if d == Allow {
			resourceGrant = max(resourceGrant, m)
		}
	}
	if ctx.principal.Account == req.ResourceAccount {
		if identityAllow || resourceGrant == directMatch {
			return Allow
		}
	} else if identityAllow && resourceGrant != noMatch {
		return Allow
	}
	return ImplicitDeny
}
