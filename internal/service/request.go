package service

import "context"

// RequestInfo is what authorization may need to know about a request
// besides its caller and the action: the values of the global condition
// keys that come from the request itself. Transports put it in the
// context (WithRequestInfo); authorizers read it (RequestInfoFrom).
type RequestInfo struct {
	SourceIP        string // aws:SourceIp, the client's address
	SecureTransport bool   // aws:SecureTransport
	UserAgent       string // aws:UserAgent
	// RequestTags and TagKeys are the tags a request sets (CreateDomain,
	// CreateRepository, TagResource) or removes (UntagResource):
	// aws:RequestTag/KEY and aws:TagKeys.
	RequestTags map[string]string
	TagKeys     []string
	// WritesPolicyOf is the ARN of a resource whose permissions policy the
	// request replaces or deletes. Authorizers leave that policy out of the
	// request's own evaluation for the root of the resource's account
	// only: the root can always recover from a policy that locks everyone
	// out, while an explicit Deny still stops any other principal from
	// lifting it.
	WritesPolicyOf string
}

type requestInfoKey struct{}

// WithRequestInfo returns ctx carrying ri.
func WithRequestInfo(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, &ri)
}

// RequestInfoFrom returns the request information in ctx, or the zero
// value.
func RequestInfoFrom(ctx context.Context) RequestInfo {
	if ri, ok := ctx.Value(requestInfoKey{}).(*RequestInfo); ok {
		return *ri
	}
	return RequestInfo{}
}

// writingPolicyOf returns ctx marked as a request that replaces or deletes
// arn's resource policy.
func writingPolicyOf(ctx context.Context, arn string) context.Context {
	ri := RequestInfoFrom(ctx)
	ri.WritesPolicyOf = arn
	return WithRequestInfo(ctx, ri)
}
