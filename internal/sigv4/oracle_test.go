package sigv4

import (
	"context"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// newOracleSigner returns aws-sdk-go-v2's signer, set up for verifying. Header
// hoisting is off so that presigned requests are rebuilt from the query
// exactly as it arrived, and the session token is never added by the signer:
// if the client sent one, it is copied from the request like any other
// signed value.
//
// A signer must not outlive one Verify call: it caches the derived signing
// key by access key id, region, service and day, not by secret, so a shared
// one would go on accepting a replaced secret for the rest of the day (and
// refuse the new one). Deriving the key afresh costs four HMACs.
func newOracleSigner() *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) {
		o.DisableHeaderHoisting = true
		o.DisableSessionToken = true
	})
}

// oracleSign rebuilds what the client signed and returns the signature the
// Go signer computes for it with secret and payloadHash. It is how Verify
// worked before the canonical request was built here (canonical.go), kept
// as the oracle that the differential tests hold the new code to.
//
// What the Go signer does by itself, and how the rebuild copes:
//   - It always signs "host" from req.Host, and strips a default port only
//     for an http/https URL scheme; the rebuilt URL has no scheme, so the
//     Host is kept exactly as the client sent it.
//   - It signs "content-length" from req.ContentLength, only when > 0, and
//     ignores any Content-Length header; so ContentLength is set only when
//     the client signed it. (A client that signs "content-length: 0" cannot
//     be verified this way; neither AWS SDK does.)
//   - It skips Authorization, User-Agent, X-Amzn-Trace-Id, Expect and
//     Transfer-Encoding, matching the canonical map key exactly. Signed
//     headers are put in the map under their lowercase names, so a header
//     that another signer chose to sign (say user-agent) is still included.
//   - In header form it sets and signs X-Amz-Date from the signing time, so
//     that header is not copied (it would be signed twice).
//   - For presigning it sets X-Amz-Algorithm, -Credential, -Date and
//     -SignedHeaders itself, overwriting what the client sent; any
//     difference then shows as a signature mismatch.
//   - It escapes the already escaped path once more, as every AWS service
//     but S3 expects (botocore does the same); the path is taken from the
//     request line so that it is byte for byte what the client sent.
func oracleSign(ctx context.Context, r *http.Request, a *auth, secret, payloadHash string) (string, error) {
	signer := newOracleSigner()
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "", fmt.Errorf("parse query: %w", err)
	}
	req := &http.Request{
		Method: r.Method,
		Host:   r.Host,
		Header: make(http.Header, len(a.signedHeaders)),
		URL: &url.URL{
			// GetURIPath in the signer drops "//" and the first element.
			Opaque:   "//host" + requestPath(r),
			RawQuery: r.URL.RawQuery,
		},
	}
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	for _, name := range a.signedHeaders {
		switch name {
		case "host":
			continue
		case "content-length":
			req.ContentLength = max(r.ContentLength, 0)
			continue
		case "x-amz-date":
			if !a.presigned {
				continue
			}
		}
		if vals := oracleHeaderValues(r.Header, name); len(vals) > 0 {
			req.Header[name] = vals
		}
	}

	creds := aws.Credentials{AccessKeyID: a.accessKeyID, SecretAccessKey: secret}
	if a.presigned {
		unsigned := make(url.Values, len(q))
		for k, v := range q {
			if k != querySignature {
				unsigned[k] = v
			}
		}
		req.URL.RawQuery = unsigned.Encode()
		signed, _, err := signer.PresignHTTP(ctx, creds, req, payloadHash, a.service, a.region, a.signedAt)
		if err != nil {
			return "", fmt.Errorf("presign rebuilt request: %w", err)
		}
		const marker = "&" + querySignature + "="
		i := strings.LastIndex(signed, marker)
		if i < 0 {
			return "", fmt.Errorf("presigned URL has no %s", querySignature)
		}
		return signed[i+len(marker):], nil
	}

	if err := signer.SignHTTP(ctx, creds, req, payloadHash, a.service, a.region, a.signedAt); err != nil {
		return "", fmt.Errorf("sign rebuilt request: %w", err)
	}
	const marker = "Signature="
	authz := req.Header.Get("Authorization")
	i := strings.LastIndex(authz, marker)
	if i < 0 {
		return "", fmt.Errorf("signed request has no signature")
	}
	return authz[i+len(marker):], nil
}

// oracleHeaderValues is the former headerValues, by way of
// textproto.CanonicalMIMEHeaderKey.
func oracleHeaderValues(h http.Header, name string) []string {
	canonical := textproto.CanonicalMIMEHeaderKey(name)
	vals := h[canonical]
	if canonical != name {
		vals = append(vals[:len(vals):len(vals)], h[name]...)
	}
	return vals
}
