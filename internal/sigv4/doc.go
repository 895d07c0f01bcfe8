// Package sigv4 verifies AWS Signature Version 4 on incoming control-plane
// requests, so that the AWS SDKs and CLIs can talk to Wharf with ordinary
// access keys.
//
// Verify builds the canonical request from the part of the request that the
// client says it signed (the SignedHeaders, the path and query as they came
// over the wire, the payload hash), signs it with a key derived from the
// secret that Lookup returns, and compares the signatures in constant time.
//
// It used to hand a rebuilt request to aws-sdk-go-v2's v4.Signer instead,
// which cost a sixth of the server's CPU on a control-plane read: a signer
// and a request per call, four HMACs to derive the key every time (the
// SDK's key cache ignores the secret, so it could not be shared), and an
// allocation-heavy canonicalization. Doing it here (canonical.go) is several
// times cheaper: buffers are pooled, and derived keys are cached by access
// key, scope and a hash of the secret, so that a rotated secret never meets
// its predecessor's key (keycache.go). What is computed is byte for byte what
// that signer computed, quirks included; the differential tests and fuzz
// target hold it to that with the SDK signer, and botocore, as the oracle.
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
//
// Any other body must be read, and held, before the signature can be
// checked, since the signature covers its hash: that is the one thing a
// client without the secret can make the server do. So everything the
// headers carry is checked first (form, scope, clock, key); at most the
// caller's limit is read (VerifyWithin: what the operation can carry);
// and memory follows the bytes that actually arrive, in pooled blocks
// given back as soon as the request is refused, never the length a
// Content-Length claims.
package sigv4
