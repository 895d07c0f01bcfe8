// Package policy parses and evaluates IAM-style policy documents the way AWS
// does. Wharf uses it for CodeArtifact identity policies (attached to users)
// and resource policies (domain and repository permissions policies).
//
// The package is pure: no I/O, no clocks (aws:CurrentTime comes from the
// request context), and a parsed *Policy is immutable and safe for
// concurrent use.
//
// Where AWS leaves room, the choices are:
//   - Policy variables (${aws:username}, ${key, 'default'}, and the escapes
//     ${*}, ${?}, ${$}) are recognised only with Version "2012-10-17", in
//     Resource, NotResource and the values of String and Arn conditions. A
//     variable whose key is missing or multivalued, and has no default, makes
//     that one value match nothing.
//   - Principals are "*" or {"AWS": ...}; Service, Federated and
//     CanonicalUser principals cannot call Wharf and are rejected, as is
//     BinaryEquals.
//   - Operator names and set prefixes are matched case-insensitively, like
//     condition keys.
package policy

import "strconv"

// MaxDocumentLength is the longest policy document accepted, in characters;
// it is CodeArtifact's limit for permissions policy documents.
const MaxDocumentLength = 7168

// Policy is a parsed and validated policy document.
type Policy struct {
	statements []statement
}

// Principal is the caller a request is evaluated for.
type Principal struct {
	// ARN is the caller's ARN, e.g. arn:aws:iam::111122223333:user/alice.
	ARN string
	// Account is the caller's 12-digit account ID. When empty it is taken
	// from ARN.
	Account string
}

// Request is what a policy is evaluated against.
type Request struct {
	Principal Principal
	// Action is "service:Operation", e.g. codeartifact:DeletePackageVersions.
	Action string
	// Resource is the ARN the action applies to.
	Resource string
	// ResourceAccount is the account that owns Resource. Decide compares it
	// with the principal's account to tell same-account from cross-account
	// requests, so callers must always set it.
	ResourceAccount string
	// Context holds condition keys and their values, e.g. "aws:SourceIp",
	// "aws:CurrentTime" (RFC 3339), "aws:ResourceTag/team". Keys are matched
	// case-insensitively. aws:PrincipalArn, aws:PrincipalAccount,
	// aws:PrincipalType, aws:username and aws:ResourceAccount are derived from
	// Principal and ResourceAccount unless Context sets them.
	Context map[string][]string
}

// Decision is the outcome of evaluating policies.
type Decision int

const (
	// ImplicitDeny means no statement allowed the request; it is the
	// default.
	ImplicitDeny Decision = iota
	// Allow means a statement allowed the request and none denied it.
	Allow
	// ExplicitDeny means a Deny statement applied; it overrides any Allow.
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "ImplicitDeny"
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}
