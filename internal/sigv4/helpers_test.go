package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAKID    = "AKIDEXAMPLE"
	testSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	otherAKID   = "AKIDOTHER"
	otherSecret = "another-secret-that-is-not-the-test-one"
	testHost    = "wharf.test:8443"
	testRegion  = "us-east-1"
)

// testNow is the verifier's clock in the table tests.
var testNow = time.Date(2026, 11, 27, 10, 45, 0, 0, time.UTC)

func testLookup(_ context.Context, akid string) (string, error) {
	switch akid {
	case testAKID:
		return testSecret, nil
	case otherAKID:
		return otherSecret, nil
	}
	return "", fmt.Errorf("key %q: %w", akid, ErrUnknownKey)
}

func newTestVerifier() *Verifier {
	return &Verifier{Service: "codeartifact", Lookup: testLookup, Now: func() time.Time { return testNow }}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// signing describes how a client request is signed; zero fields take the
// test defaults.
type signing struct {
	akid, secret, token, service, region string
	at                                   time.Time
	payloadHash                          string // default: SHA-256 of the body
}

func (s signing) withDefaults(body []byte) signing {
	if s.akid == "" {
		s.akid = testAKID
	}
	if s.secret == "" {
		s.secret = testSecret
	}
	if s.service == "" {
		s.service = "codeartifact"
	}
	if s.region == "" {
		s.region = testRegion
	}
	if s.at.IsZero() {
		s.at = testNow
	}
	if s.payloadHash == "" {
		s.payloadHash = sha256Hex(body)
	}
	return s
}

// clientRequest is a request as a client builds it before signing.
func clientRequest(t testing.TB, method, target string, body []byte, headers ...string) *http.Request {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	var req *http.Request
	var err error
	if rd != nil {
		req, err = http.NewRequest(method, "http://"+testHost+target, rd)
	} else {
		req, err = http.NewRequest(method, "http://"+testHost+target, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	return req
}

// signHeader signs req in header form with the Go SDK's signer and returns
// it as the bytes a server would receive.
func signHeader(t testing.TB, req *http.Request, body []byte, s signing) []byte {
	t.Helper()
	s = s.withDefaults(body)
	creds := aws.Credentials{AccessKeyID: s.akid, SecretAccessKey: s.secret, SessionToken: s.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, s.payloadHash, s.service, s.region, s.at); err != nil {
		t.Fatal(err)
	}
	return toWire(t, req)
}

// presign makes a presigned URL for req with the Go SDK's PresignHTTP and
// returns a request for it as a server would receive it.
func presign(t testing.TB, req *http.Request, body []byte, expires time.Duration, s signing) []byte {
	t.Helper()
	s = s.withDefaults(body)
	q := req.URL.Query()
	q.Set("X-Amz-Expires", fmt.Sprint(int(expires/time.Second)))
	req.URL.RawQuery = q.Encode()
	creds := aws.Credentials{AccessKeyID: s.akid, SecretAccessKey: s.secret, SessionToken: s.token}
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, s.payloadHash, s.service, s.region, s.at)
	if err != nil {
		t.Fatal(err)
	}
	var rd *bytes.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	var out *http.Request
	if rd != nil {
		out, err = http.NewRequest(req.Method, u, rd)
	} else {
		out, err = http.NewRequest(req.Method, u, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k != "Host" {
			out.Header[k] = v
		}
	}
	return toWire(t, out)
}

func toWire(t testing.TB, req *http.Request) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// toServer parses wire bytes the way net/http's server does.
func toServer(t testing.TB, wire []byte) *http.Request {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(wire)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// setAuthParam rewrites one parameter of the Authorization header.
func setAuthParam(r *http.Request, key, val string) {
	parts := strings.Split(r.Header.Get("Authorization"), ", ")
	for i, p := range parts {
		head, kv, _ := strings.Cut(p, " ")
		if kv == "" {
			kv, head = head, ""
		}
		if k, _, _ := strings.Cut(kv, "="); k == key {
			kv = key + "=" + val
		}
		if head != "" {
			kv = head + " " + kv
		}
		parts[i] = kv
	}
	r.Header.Set("Authorization", strings.Join(parts, ", "))
}

// setRawQuery changes the query the way a tampering proxy would: on the wire.
func setRawQuery(r *http.Request, raw string) {
	r.URL.RawQuery = raw
	path, _, _ := strings.Cut(r.RequestURI, "?")
	r.RequestURI = path + "?" + raw
}
