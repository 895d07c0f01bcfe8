package sigv4

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Lookup returns the secret access key for an access key id, or an error
// wrapping ErrUnknownKey if there is none. Any other error is treated as an
// internal failure, not as a refusal.
type Lookup func(ctx context.Context, accessKeyID string) (secretAccessKey string, err error)

const (
	DefaultMaxSkew      = 15 * time.Minute
	DefaultMaxBodyBytes = 8 << 20
)

// Verifier checks SigV4 signatures. Its zero-valued optional fields take the
// defaults; Service and Lookup are required. It is safe for concurrent use,
// and must not be copied once used: it caches derived signing keys.
type Verifier struct {
	Service string // credential scope service, e.g. "codeartifact"
	Lookup  Lookup

	// Region, when set, is the only region a credential scope may name,
	// as an AWS endpoint accepts only its own; empty accepts any.
	Region string

	// MaxSkew bounds how far X-Amz-Date may be from Now, either way, for the
	// header form; for presigned URLs it bounds how far in the future the
	// date may be. Default 15 minutes, as AWS.
	MaxSkew time.Duration

	Now func() time.Time // default time.Now

	// MaxBodyBytes is how much of a body without X-Amz-Content-Sha256 may be
	// buffered to hash it. Default 8 MiB; negative means none.
	MaxBodyBytes int64

	// Replay, when set, refuses a header-signed request whose signature was
	// already accepted. Presigned URLs are meant to be reused until they
	// expire and are not checked. The Go SDK signs amz-sdk-request, so its
	// retries always differ; botocore does not, so its retry within the same
	// second repeats the signature: a handler that answers with an error the
	// SDKs retry should call Release.
	Replay ReplayCache

	keys keyCache // derived signing keys
}

// Identity is who signed a verified request, and how.
type Identity struct {
	AccessKeyID string
	Region      string // from the credential scope
	Service     string
	SignedAt    time.Time // X-Amz-Date
	Presigned   bool
	Signature   string // lowercase hex; the replay cache's key
}

// Verify checks r's signature. On success r.Body is either a fresh reader
// over the buffered body (whose Close gives its memory back for reuse:
// close it once read) or, when X-Amz-Content-Sha256 was signed, the
// original body wrapped so that reading it to EOF fails with
// ErrBodyHashMismatch if the bytes are not what was signed. Every error
// returned is an *Error.
//
// Everything the headers (or the presigned query) carry is checked before
// the body is read: the form, the scope's service, region and date, the
// clock, and that the access key exists. A signed X-Amz-Content-Sha256
// lets the signature itself be checked before the body is read too;
// without it the body must be read, up to MaxBodyBytes, and held to be
// hashed, since the signature covers its hash.
func (v *Verifier) Verify(r *http.Request) (Identity, error) {
	return v.VerifyWithin(r, v.maxBody())
}

// VerifyWithin is Verify reading at most maxBody bytes of a body whose
// hash is not signed in a header, in place of MaxBodyBytes: what the
// request's operation can carry, so that a client without the secret
// cannot make the server hold more (0: no body at all).
func (v *Verifier) VerifyWithin(r *http.Request, maxBody int64) (Identity, error) {
	id, err := v.verify(r, max(maxBody, 0))
	if err != nil {
		return Identity{}, err
	}
	return id, nil
}

func (v *Verifier) verify(r *http.Request, maxBody int64) (Identity, *Error) {
	if v.Service == "" || v.Lookup == nil {
		return Identity{}, internal("The service is misconfigured.", errors.New("sigv4: Verifier needs Service and Lookup"))
	}
	if r == nil || r.URL == nil {
		return Identity{}, missingToken()
	}
	s := getScratch()
	defer putScratch(s)
	// Parsed strictly: the Go signer, whose canonical request is matched
	// here, drops pairs it cannot decode, which would leave them unsigned.
	q, err := parseQuery(s.params[:0], r.URL.RawQuery)
	s.params = q
	if err != nil {
		return Identity{}, incomplete("The query string is malformed.")
	}
	a, aerr := parseAuth(r, q)
	if aerr != nil {
		return Identity{}, aerr
	}
	if a.service != v.Service {
		return Identity{}, invalidSignature("Credential should be scoped to correct service: '%s'.", v.Service)
	}
	if v.Region != "" && a.region != v.Region {
		return Identity{}, wrongRegion(a.region)
	}
	if day := a.amzDate[:len(scopeDateLayout)]; a.scopeDate != day {
		return Identity{}, invalidSignature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			a.scopeDate, day, a.amzDate)
	}
	if err := v.checkTime(a); err != nil {
		return Identity{}, err
	}

	secret, lerr := v.Lookup(r.Context(), a.accessKeyID)
	switch {
	case errors.Is(lerr, ErrUnknownKey):
		return Identity{}, unrecognizedClient()
	case lerr != nil:
		return Identity{}, internal("An internal error occurred.", fmt.Errorf("look up access key %s: %w", a.accessKeyID, lerr))
	case secret == "":
		// An empty HMAC key is valid to the algorithm but never a real
		// secret; failing closed beats accepting what anyone can compute.
		return Identity{}, unrecognizedClient()
	}

	p, perr := payloadHashes(r, a, maxBody)
	if perr != nil {
		return Identity{}, perr
	}
	if p.held != nil {
		// Refused, the body is given back at once; accepted, it takes
		// the original's place.
		defer func() {
			if r.Body != p.held {
				p.held.release()
			}
		}()
	}
	key := v.keys.key(s, a, secret)
	s.canonicalRequest(r, a)
	matched := false
	for _, h := range p.hashes[:p.n] {
		if s.matches(key, a, h) {
			matched = true
			break
		}
	}
	if !matched {
		return Identity{}, invalidSignature(invalidSignatureMessage)
	}

	// Only signatures that verified are remembered, so the cache cannot be
	// filled by someone without a secret.
	if !a.presigned && v.Replay != nil && v.Replay.Seen(a.signature, a.signedAt) {
		return Identity{}, invalidSignature("Signature has already been used")
	}
	if p.stream != nil {
		r.Body = newHashedBody(r.Body, p.stream)
	}
	if p.held != nil {
		r.Body = p.held
	}
	return Identity{
		AccessKeyID: a.accessKeyID,
		Region:      a.region,
		Service:     a.service,
		SignedAt:    a.signedAt,
		Presigned:   a.presigned,
		Signature:   a.signature,
	}, nil
}

// Release forgets a verified request's signature in the replay cache, if the
// cache supports it. Call it when answering with an error that the SDKs
// retry (5xx, throttling): botocore does not sign amz-sdk-request, so its
// retry within the same second carries the same signature and would
// otherwise be refused as a replay.
func (v *Verifier) Release(id Identity) {
	if f, ok := v.Replay.(interface {
		Forget(signature string, signedAt time.Time)
	}); ok && !id.Presigned {
		f.Forget(id.Signature, id.SignedAt)
	}
}

func (v *Verifier) checkTime(a *auth) *Error {
	now := v.now()
	skew := v.maxSkew()
	if a.presigned {
		if now.After(a.signedAt.Add(a.expires)) {
			return accessDenied("Request has expired")
		}
		if a.signedAt.After(now.Add(skew)) {
			return accessDenied("Request is not valid yet")
		}
		return nil
	}
	if earliest := now.Add(-skew); a.signedAt.Before(earliest) {
		return invalidSignature("Signature expired: %s is now earlier than %s (%s - %s.)",
			a.amzDate, earliest.Format(amzDateLayout), now.Format(amzDateLayout), skewText(skew))
	}
	if latest := now.Add(skew); a.signedAt.After(latest) {
		return invalidSignature("Signature not yet current: %s is still later than %s (%s + %s.)",
			a.amzDate, latest.Format(amzDateLayout), now.Format(amzDateLayout), skewText(skew))
	}
	return nil
}

func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return d.String()
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now().UTC()
	}
	return time.Now().UTC()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

func (v *Verifier) maxBody() int64 {
	switch {
	case v.MaxBodyBytes < 0:
		return 0
	case v.MaxBodyBytes == 0:
		return DefaultMaxBodyBytes
	}
	return v.MaxBodyBytes
}
