package sigv4

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestVerifyRefuses is the negative table: each request is refused with
// AWS's code (and, where AWS's wording is known, its message).
func TestVerifyRefuses(t *testing.T) {
	header := func(mut func(r *http.Request)) func(t *testing.T, _ *Verifier) *http.Request {
		return func(t *testing.T, _ *Verifier) *http.Request {
			r := toServer(t, getWithQuery(t, signing{}))
			mut(r)
			return r
		}
	}
	cases := []verifyCase{
		{name: "unsigned", code: CodeMissingAuthenticationToken, msg: "Missing Authentication Token",
			req: func(t *testing.T, _ *Verifier) *http.Request {
				return toServer(t, toWire(t, clientRequest(t, "GET", "/v1/domains", nil)))
			}},
		{name: "malformed Authorization: not SigV4", code: CodeIncompleteSignature,
			req: header(func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") })},
		{name: "malformed Authorization: no Signature", code: CodeIncompleteSignature,
			req: header(func(r *http.Request) {
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
			})},
		{name: "malformed Authorization: pair without =", code: CodeIncompleteSignature,
			req: header(func(r *http.Request) { r.Header.Set("Authorization", r.Header.Get("Authorization")+", junk") })},
		{name: "malformed Authorization: credential with 4 parts", code: CodeIncompleteSignature,
			req: header(func(r *http.Request) { setAuthParam(r, "Credential", testAKID+"/20261127/us-east-1/codeartifact") })},
		{name: "malformed Authorization: short signature", code: CodeIncompleteSignature,
			req: header(func(r *http.Request) { setAuthParam(r, "Signature", "abcd") })},
		{name: "malformed Authorization: host not signed", code: CodeIncompleteSignature,
			msg: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
			req: header(func(r *http.Request) {
				setAuthParam(r, "SignedHeaders", strings.Replace(signedHeadersOf(r), "host;", "", 1))
			})},
		{name: "malformed Authorization: duplicate header", code: CodeIncompleteSignature,
			req: header(func(r *http.Request) { r.Header.Add("Authorization", r.Header.Get("Authorization")) })},
		{name: "missing X-Amz-Date", code: CodeIncompleteSignature,
			req: header(func(r *http.Request) { r.Header.Del("X-Amz-Date") })},
		{name: "malformed X-Amz-Date", code: CodeIncompleteSignature,
			req: header(func(r *http.Request) { r.Header.Set("X-Amz-Date", "2026-11-27T10:45:00Z") })},
		{name: "unknown key", code: CodeUnrecognizedClient, msg: "The security token included in the request is invalid.",
			req: func(t *testing.T, _ *Verifier) *http.Request {
				return toServer(t, getWithQuery(t, signing{akid: "AKIDNOBODY"}))
			}},
		{name: "wrong secret", code: CodeInvalidSignature, msg: invalidSignatureMessage,
			req: func(t *testing.T, _ *Verifier) *http.Request {
				return toServer(t, getWithQuery(t, signing{secret: "not-the-secret"}))
			}},
		{name: "another key's secret", code: CodeInvalidSignature,
			req: func(t *testing.T, _ *Verifier) *http.Request {
				return toServer(t, getWithQuery(t, signing{akid: otherAKID, secret: testSecret}))
			}},
		{name: "wrong service", code: CodeInvalidSignature, msg: "Credential should be scoped to correct service: 'codeartifact'.",
			req: func(t *testing.T, _ *Verifier) *http.Request {
				return toServer(t, getWithQuery(t, signing{service: "s3"}))
			}},
		{name: "another region than the server's", code: CodeInvalidSignature,
			msg:   "Credential should be scoped to a valid region, not 'eu-west-1'.",
			setup: func(v *Verifier) { v.Region = testRegion },
			req: func(t *testing.T, _ *Verifier) *http.Request {
				return toServer(t, getWithQuery(t, signing{region: "eu-west-1"}))
			}},
		{name: "presigned for another region than the server's", code: CodeInvalidSignature,
			msg:   "Credential should be scoped to a valid region, not 'us-east-2'.",
			setup: func(v *Verifier) { v.Region = testRegion },
			req: func(t *testing.T, _ *Verifier) *http.Request {
				return toServer(t, presign(t, clientRequest(t, "GET", "/v1/domains", nil), nil, time.Hour, signing{region: "us-east-2"}))
			}},
		{name: "a region that is no region", code: CodeInvalidSignature,
			msg: "Credential should be scoped to a valid region, not 'us east'.",
			req: header(func(r *http.Request) {
				setAuthParam(r, "Credential", testAKID+"/20261127/us east/codeartifact/aws4_request")
			})},
		{name: "scope date mismatch", code: CodeInvalidSignature,
			msg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261126' != '20261127', from '20261127T104500Z'.",
			req: header(func(r *http.Request) {
				setAuthParam(r, "Credential", testAKID+"/20261126/us-east-1/codeartifact/aws4_request")
			})},
		{name: "bad terminator", code: CodeInvalidSignature,
			req: header(func(r *http.Request) {
				setAuthParam(r, "Credential", testAKID+"/20261127/us-east-1/codeartifact/aws5_request")
			})},
		{name: "20 minutes old", code: CodeInvalidSignature,
			msg: "Signature expired: 20261127T102500Z is now earlier than 20261127T103000Z (20261127T104500Z - 15 min.)",
			req: func(t *testing.T, _ *Verifier) *http.Request {
				return toServer(t, getWithQuery(t, signing{at: testNow.Add(-20 * time.Minute)}))
			}},
		{name: "20 minutes in the future", code: CodeInvalidSignature,
			msg: "Signature not yet current: 20261127T110500Z is still later than 20261127T110000Z (20261127T104500Z + 15 min.)",
			req: func(t *testing.T, _ *Verifier) *http.Request {
				return toServer(t, getWithQuery(t, signing{at: testNow.Add(20 * time.Minute)}))
			}},
		{name: "tampered query", code: CodeInvalidSignature, msg: invalidSignatureMessage,
			req: header(func(r *http.Request) { setRawQuery(r, "domain=dom&repository=other") })},
		{name: "query parameter added", code: CodeInvalidSignature,
			req: header(func(r *http.Request) { setRawQuery(r, r.URL.RawQuery+"&maxResults=1") })},
		{name: "malformed query", code: CodeIncompleteSignature,
			req: header(func(r *http.Request) { setRawQuery(r, r.URL.RawQuery+"&bad=%zz") })},
		{name: "tampered path", code: CodeInvalidSignature,
			req: header(func(r *http.Request) {
				r.RequestURI = strings.Replace(r.RequestURI, "/v1/repository", "/v1/repositorz", 1)
			})},
		{name: "tampered method", code: CodeInvalidSignature,
			req: header(func(r *http.Request) { r.Method = "DELETE" })},
		{name: "tampered host", code: CodeInvalidSignature,
			req: header(func(r *http.Request) { r.Host = "evil.test:8443" })},
		{name: "tampered header", code: CodeInvalidSignature, msg: invalidSignatureMessage,
			req: func(t *testing.T, _ *Verifier) *http.Request {
				r := toServer(t, postJSON(t, signing{}))
				r.Header.Set("Content-Type", "text/plain")
				return r
			}},
		{name: "signed header removed", code: CodeInvalidSignature,
			req: func(t *testing.T, _ *Verifier) *http.Request {
				r := toServer(t, postJSON(t, signing{}))
				r.Header.Del("Content-Type")
				return r
			}},
		{name: "X-Amz-Date changed", code: CodeInvalidSignature, msg: invalidSignatureMessage,
			req: header(func(r *http.Request) { r.Header.Set("X-Amz-Date", "20261127T104459Z") })},
		{name: "tampered body (JSON)", code: CodeInvalidSignature, msg: invalidSignatureMessage,
			req: func(t *testing.T, _ *Verifier) *http.Request {
				r := toServer(t, postJSON(t, signing{}))
				r.Body = io.NopCloser(bytes.NewReader(bytes.Replace(jsonBody, []byte("5"), []byte("9"), 1)))
				return r
			}},
		{name: "replayed", code: CodeInvalidSignature, msg: "Signature has already been used", setup: withCache,
			req: func(t *testing.T, v *Verifier) *http.Request {
				wire := postJSON(t, signing{})
				mustVerify(t, v, toServer(t, wire))
				return toServer(t, wire)
			}},
		{name: "replayed with unsigned changes", code: CodeInvalidSignature, msg: "Signature has already been used", setup: withCache,
			req: func(t *testing.T, v *Verifier) *http.Request {
				wire := getWithQuery(t, signing{})
				mustVerify(t, v, toServer(t, wire))
				r := toServer(t, wire)
				r.Header.Set("Amz-Sdk-Request", "attempt=2; max=3")
				a := r.Header.Get("Authorization")
				i := strings.Index(a, "Signature=") + len("Signature=")
				r.Header.Set("Authorization", strings.ReplaceAll(a[:i], ", ", ",  ")+strings.ToUpper(a[i:]))
				return r
			}},
		{name: "UNSIGNED-PAYLOAD in header form", code: CodeInvalidSignature,
			req: func(t *testing.T, _ *Verifier) *http.Request {
				req := clientRequest(t, "POST", "/v1/domains", jsonBody, "X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
				return toServer(t, signHeader(t, req, jsonBody, signing{payloadHash: "UNSIGNED-PAYLOAD"}))
			}},
		{name: "X-Amz-Content-Sha256 added unsigned", code: CodeIncompleteSignature,
			req: func(t *testing.T, _ *Verifier) *http.Request {
				r := toServer(t, postJSON(t, signing{}))
				r.Header.Set("X-Amz-Content-Sha256", sha256Hex(jsonBody))
				return r
			}},
		{name: "X-Amz-Content-Sha256 not a hash", code: CodeIncompleteSignature,
			req: func(t *testing.T, _ *Verifier) *http.Request {
				req := clientRequest(t, "POST", "/v1/domains", jsonBody, "X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
				return toServer(t, signHeader(t, req, jsonBody, signing{payloadHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}))
			}},
		{name: "streamed body hash header changed", code: CodeInvalidSignature,
			req: func(t *testing.T, _ *Verifier) *http.Request {
				r := toServer(t, postStream(t, signing{}))
				r.Header.Set("X-Amz-Content-Sha256", sha256Hex([]byte("other")))
				return r
			}},
		{name: "body over MaxBodyBytes without X-Amz-Content-Sha256", code: CodeValidation,
			setup: func(v *Verifier) { v.MaxBodyBytes = 16 },
			req:   func(t *testing.T, _ *Verifier) *http.Request { return toServer(t, postJSON(t, signing{})) }},
		{name: "lookup fails", code: CodeInternal,
			setup: func(v *Verifier) {
				v.Lookup = func(context.Context, string) (string, error) { return "", errors.New("database down") }
			},
			req: func(t *testing.T, _ *Verifier) *http.Request { return toServer(t, getWithQuery(t, signing{})) }},
		{name: "lookup returns an empty secret", code: CodeUnrecognizedClient,
			setup: func(v *Verifier) {
				v.Lookup = func(context.Context, string) (string, error) { return "", nil }
			},
			req: func(t *testing.T, _ *Verifier) *http.Request {
				return toServer(t, getWithQuery(t, signing{secret: " "}))
			}},
		{name: "header and query auth together", code: CodeIncompleteSignature,
			req: header(func(r *http.Request) { setRawQuery(r, r.URL.RawQuery+"&X-Amz-Signature=00") })},
		{name: "presign expired", code: CodeAccessDenied, msg: "Request has expired",
			req: func(t *testing.T, _ *Verifier) *http.Request {
				return toServer(t, presign(t, clientRequest(t, "GET", "/v1/domains", nil), nil, 10*time.Minute, signing{at: testNow.Add(-11 * time.Minute)}))
			}},
		{name: "presign not yet valid", code: CodeAccessDenied,
			req: func(t *testing.T, _ *Verifier) *http.Request {
				return toServer(t, presign(t, clientRequest(t, "GET", "/v1/domains", nil), nil, 10*time.Minute, signing{at: testNow.Add(20 * time.Minute)}))
			}},
		{name: "presign expires over 7 days", code: CodeIncompleteSignature,
			req: func(t *testing.T, _ *Verifier) *http.Request {
				return toServer(t, presign(t, clientRequest(t, "GET", "/v1/domains", nil), nil, 8*24*time.Hour, signing{}))
			}},
		{name: "presign expiry extended", code: CodeInvalidSignature,
			req: presignMut(func(r *http.Request) { setQueryParam(r, "X-Amz-Expires", "604800") })},
		{name: "presign missing X-Amz-Expires", code: CodeIncompleteSignature,
			req: presignMut(func(r *http.Request) { setQueryParam(r, "X-Amz-Expires", "") })},
		{name: "presign tampered query", code: CodeInvalidSignature,
			req: presignMut(func(r *http.Request) { setQueryParam(r, "repository", "other") })},
		{name: "presign duplicated parameter", code: CodeIncompleteSignature,
			req: presignMut(func(r *http.Request) { setRawQuery(r, r.URL.RawQuery+"&X-Amz-Date=20261127T104500Z") })},
		{name: "presign wrong algorithm", code: CodeIncompleteSignature,
			req: presignMut(func(r *http.Request) { setQueryParam(r, "X-Amz-Algorithm", "AWS4-ECDSA-P256-SHA256") })},
		{name: "presign tampered body", code: CodeInvalidSignature,
			req: func(t *testing.T, _ *Verifier) *http.Request {
				req := clientRequest(t, "POST", "/v1/domains", jsonBody, "Content-Type", "application/json")
				r := toServer(t, presign(t, req, jsonBody, time.Hour, signing{}))
				r.Body = io.NopCloser(strings.NewReader(`{"maxResults":9,"nextToken":"abc"}`))
				return r
			}},
		{name: "presign wrong secret", code: CodeInvalidSignature,
			req: func(t *testing.T, _ *Verifier) *http.Request {
				return toServer(t, presign(t, clientRequest(t, "GET", "/v1/domains", nil), nil, time.Hour, signing{secret: "nope"}))
			}},
	}
	runCases(t, cases)
}

func presignMut(mut func(r *http.Request)) func(t *testing.T, _ *Verifier) *http.Request {
	return func(t *testing.T, _ *Verifier) *http.Request {
		r := toServer(t, presign(t, clientRequest(t, "GET", "/v1/repository?domain=dom&repository=repo", nil), nil, time.Hour, signing{}))
		mut(r)
		return r
	}
}

func setQueryParam(r *http.Request, k, v string) {
	q := r.URL.Query()
	if v == "" {
		q.Del(k)
	} else {
		q.Set(k, v)
	}
	setRawQuery(r, q.Encode())
}

func signedHeadersOf(r *http.Request) string {
	a := r.Header.Get("Authorization")
	_, rest, _ := strings.Cut(a, "SignedHeaders=")
	sh, _, _ := strings.Cut(rest, ",")
	return sh
}

// TestStreamedBodyTampered: with X-Amz-Content-Sha256 the signature is
// checked before the body arrives, so a changed body is caught at EOF.
func TestStreamedBodyTampered(t *testing.T) {
	v := newTestVerifier()
	r := toServer(t, postStream(t, signing{}))
	tampered := bytes.Clone(streamBody)
	tampered[len(tampered)-1] ^= 1
	r.Body = io.NopCloser(bytes.NewReader(tampered))
	if _, err := v.Verify(r); err != nil {
		t.Fatalf("Verify before the body is read: %v", err)
	}
	n, err := io.Copy(io.Discard, r.Body)
	if !errors.Is(err, ErrBodyHashMismatch) {
		t.Fatalf("read to EOF: %d bytes, err %v; want ErrBodyHashMismatch", n, err)
	}
	// Sticky: reading again must not look like a clean EOF.
	if _, err := r.Body.Read(make([]byte, 1)); !errors.Is(err, ErrBodyHashMismatch) {
		t.Fatalf("second read: %v", err)
	}

	// The untampered body reads to a clean EOF.
	r = toServer(t, postStream(t, signing{}))
	if _, err := v.Verify(r); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		t.Fatalf("good body: %v", err)
	}

	// A truncated body (fewer bytes than signed) is caught too.
	r = toServer(t, postStream(t, signing{}))
	r.Body = io.NopCloser(bytes.NewReader(streamBody[:100]))
	if _, err := v.Verify(r); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, r.Body); !errors.Is(err, ErrBodyHashMismatch) {
		t.Fatalf("truncated body: %v", err)
	}
}

// TestStreamedBodyNotBuffered checks the publish path never buffers: a body
// far over MaxBodyBytes verifies and streams.
func TestStreamedBodyNotBuffered(t *testing.T) {
	v := newTestVerifier()
	v.MaxBodyBytes = 1024
	r := toServer(t, postStream(t, signing{}))
	if _, err := v.Verify(r); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Body.(*hashedBody); !ok {
		t.Fatalf("body is %T, want the streaming hashedBody", r.Body)
	}
	if n, err := io.Copy(io.Discard, r.Body); err != nil || n != int64(len(streamBody)) {
		t.Fatalf("read %d, %v", n, err)
	}
}

func TestVerifierMisconfigured(t *testing.T) {
	r := toServer(t, getWithQuery(t, signing{}))
	var e *Error
	if _, err := (&Verifier{Lookup: testLookup}).Verify(r); !errors.As(err, &e) || e.Code != CodeInternal {
		t.Fatalf("no Service: %v", err)
	}
	if _, err := (&Verifier{Service: "codeartifact"}).Verify(r); !errors.As(err, &e) || e.Code != CodeInternal {
		t.Fatalf("no Lookup: %v", err)
	}
	if _, err := newTestVerifier().Verify(&http.Request{}); !errors.As(err, &e) {
		t.Fatalf("empty request: %v", err)
	}
}
