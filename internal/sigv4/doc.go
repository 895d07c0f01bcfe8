// Package sigv4 verifies AWS Signature Version 4 on incoming control-plane
// requests, so that the AWS SDKs and CLIs can talk to Wharf with ordinary
// access keys.
//
// It does not re-implement the signing algorithm. Verify rebuilds the part of
// the request that the client says it signed (the SignedHeaders, the path and
// query as they came over the wire, the payload hash), signs that with
// aws-sdk-go-v2's own v4.Signer and the secret from Lookup, and compares the
// two signatures in constant time. The work here is in the rebuilding: the
// Go signer adds and skips some headers by itself, and botocore signs a
// different set (see reconstruct.go).
//
// Both forms are accepted: the Authorization header with X-Amz-Date, and the
// presigned query (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
// X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature).
//
// A request that carries X-Amz-Content-Sha256 (PublishPackageVersion puts the
// asset's SHA-256 there) is verified before its body is read; the body is
// then checked as it streams, and reading it to EOF fails with
// ErrBodyHashMismatch if it is not what was signed. Handlers must therefore
// read such a body until io.EOF and discard what they stored if that read
// fails.
package sigv4
