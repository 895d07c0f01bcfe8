package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

var (
	jsonBody    = []byte(`{"maxResults":5,"nextToken":"abc"}`)
	streamBody  = bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB asset
	publishPath = "/v1/package/version/publish?domain=dom&repository=repo&format=generic&namespace=ns&package=p&version=1.0&asset=a.tgz"
)

func getWithQuery(t testing.TB, s signing) []byte {
	return signHeader(t, clientRequest(t, "GET", "/v1/repository?domain=dom&repository=r%2Fx%20y", nil), nil, s)
}

func postJSON(t testing.TB, s signing) []byte {
	req := clientRequest(t, "POST", "/v1/domains", jsonBody, "Content-Type", "application/json")
	return signHeader(t, req, jsonBody, s)
}

// postStream is PublishPackageVersion as the SDKs send it: the asset's
// SHA-256 in X-Amz-Content-Sha256, which is also the payload hash.
func postStream(t testing.TB, s signing) []byte {
	h := sha256Hex(streamBody)
	req := clientRequest(t, "POST", publishPath, streamBody,
		"Content-Type", "application/octet-stream", "X-Amz-Content-Sha256", h)
	s.payloadHash = h
	return signHeader(t, req, streamBody, s)
}

type verifyCase struct {
	name  string
	req   func(t *testing.T, v *Verifier) *http.Request
	setup func(v *Verifier)
	code  string // "" means accepted
	msg   string // exact message, if set
	check func(t *testing.T, r *http.Request, id Identity)
}

// readsBack checks that the handler still gets the body after Verify.
func readsBack(want []byte) func(t *testing.T, r *http.Request, id Identity) {
	return func(t *testing.T, r *http.Request, _ Identity) {
		got, err := io.ReadAll(r.Body)
		if err != nil {
			t.Fatalf("reading verified body: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("body after Verify: %d bytes, want %d", len(got), len(want))
		}
	}
}

func TestVerifyAccepts(t *testing.T) {
	cases := []verifyCase{
		{name: "GET with query", req: func(t *testing.T, _ *Verifier) *http.Request { return toServer(t, getWithQuery(t, signing{})) },
			check: func(t *testing.T, _ *http.Request, id Identity) {
				want := Identity{AccessKeyID: testAKID, Region: testRegion, Service: "codeartifact", SignedAt: testNow}
				id.Signature = ""
				if id != want {
					t.Fatalf("identity %+v, want %+v", id, want)
				}
			}},
		{name: "POST JSON body", req: func(t *testing.T, _ *Verifier) *http.Request { return toServer(t, postJSON(t, signing{})) },
			check: readsBack(jsonBody)},
		{name: "POST streamed body with X-Amz-Content-Sha256", req: func(t *testing.T, _ *Verifier) *http.Request { return toServer(t, postStream(t, signing{})) },
			check: readsBack(streamBody)},
		{name: "uppercase X-Amz-Content-Sha256 (Go SDK signs the lowercase hash it computed)", req: func(t *testing.T, _ *Verifier) *http.Request {
			h := sha256Hex(streamBody)
			req := clientRequest(t, "POST", publishPath, streamBody, "X-Amz-Content-Sha256", strings.ToUpper(h))
			return toServer(t, signHeader(t, req, streamBody, signing{payloadHash: h}))
		}, check: readsBack(streamBody)},
		{name: "the server's region", setup: func(v *Verifier) { v.Region = "wharf-local-1" }, req: func(t *testing.T, _ *Verifier) *http.Request {
			return toServer(t, postJSON(t, signing{region: "wharf-local-1"}))
		}, check: readsBack(jsonBody)},
		{name: "any region when the server names none", req: func(t *testing.T, _ *Verifier) *http.Request {
			return toServer(t, getWithQuery(t, signing{region: "wharf-local-1"}))
		},
			check: func(t *testing.T, _ *http.Request, id Identity) {
				if id.Region != "wharf-local-1" {
					t.Fatalf("region %q", id.Region)
				}
			}},
		{name: "session token signed", req: func(t *testing.T, _ *Verifier) *http.Request {
			return toServer(t, postJSON(t, signing{token: "FQoGZXIvYXdzEBY"}))
		}},
		{name: "14 minutes old", req: func(t *testing.T, _ *Verifier) *http.Request {
			return toServer(t, getWithQuery(t, signing{at: testNow.Add(-14 * time.Minute)}))
		}},
		{name: "14 minutes ahead", req: func(t *testing.T, _ *Verifier) *http.Request {
			return toServer(t, getWithQuery(t, signing{at: testNow.Add(14 * time.Minute)}))
		}},
		{name: "escaped path", req: func(t *testing.T, _ *Verifier) *http.Request {
			return toServer(t, signHeader(t, clientRequest(t, "GET", "/v1/a%20b/c%2Fd/%E2%82%AC", nil), nil, signing{}))
		}},
		{name: "repeated and multi-valued headers", req: func(t *testing.T, _ *Verifier) *http.Request {
			req := clientRequest(t, "POST", "/v1/domains", jsonBody, "Content-Type", "application/json;   charset=utf-8 ",
				"X-Wharf-Tag", "a", "X-Wharf-Tag", "b  c")
			return toServer(t, signHeader(t, req, jsonBody, signing{}))
		}},
		{name: "header the Go signer skips but another signer signed (user-agent)", req: func(t *testing.T, _ *Verifier) *http.Request {
			req := clientRequest(t, "GET", "/v1/domains", nil)
			// Under a lowercase key the Go signer signs it; then it goes on
			// the wire as the one User-Agent, as from botocore-like clients.
			req.Header["user-agent"] = []string{"other-sdk/1.0"}
			signHeader(t, req, nil, signing{})
			delete(req.Header, "user-agent")
			req.Header.Set("User-Agent", "other-sdk/1.0")
			r := toServer(t, toWire(t, req))
			if !strings.Contains(r.Header.Get("Authorization"), "user-agent") {
				t.Fatal("test setup: user-agent was not signed")
			}
			return r
		}},
		{name: "unsigned headers added in transit", req: func(t *testing.T, _ *Verifier) *http.Request {
			r := toServer(t, getWithQuery(t, signing{}))
			r.Header.Set("X-Forwarded-For", "10.1.2.3")
			r.Header.Set("User-Agent", "changed")
			return r
		}},
		{name: "presigned GET", req: func(t *testing.T, _ *Verifier) *http.Request {
			return toServer(t, presign(t, clientRequest(t, "GET", "/v1/repository?domain=dom&repository=r%2Fx%20y", nil), nil, 10*time.Minute, signing{at: testNow.Add(-5 * time.Minute)}))
		}, check: func(t *testing.T, _ *http.Request, id Identity) {
			if !id.Presigned || !id.SignedAt.Equal(testNow.Add(-5*time.Minute)) {
				t.Fatalf("identity %+v", id)
			}
		}},
		{name: "presigned POST with JSON body", req: func(t *testing.T, _ *Verifier) *http.Request {
			req := clientRequest(t, "POST", "/v1/domains", jsonBody, "Content-Type", "application/json")
			return toServer(t, presign(t, req, jsonBody, time.Hour, signing{}))
		}, check: readsBack(jsonBody)},
		{name: "presigned with UNSIGNED-PAYLOAD", req: func(t *testing.T, _ *Verifier) *http.Request {
			req := clientRequest(t, "PUT", "/v1/upload", []byte("anything"))
			return toServer(t, presign(t, req, []byte("anything"), time.Hour, signing{payloadHash: "UNSIGNED-PAYLOAD"}))
		}},
		{name: "presigned with session token", req: func(t *testing.T, _ *Verifier) *http.Request {
			return toServer(t, presign(t, clientRequest(t, "GET", "/v1/domains", nil), nil, time.Hour, signing{token: "tok/en+=="}))
		}},
		{name: "presigned uppercase signature", req: func(t *testing.T, _ *Verifier) *http.Request {
			r := toServer(t, presign(t, clientRequest(t, "GET", "/v1/domains", nil), nil, time.Hour, signing{}))
			q := r.URL.Query()
			q.Set("X-Amz-Signature", strings.ToUpper(q.Get("X-Amz-Signature")))
			setRawQuery(r, q.Encode())
			return r
		}},
		{name: "replay cache lets a fresh signature through", setup: withCache, req: func(t *testing.T, v *Verifier) *http.Request {
			mustVerify(t, v, toServer(t, getWithQuery(t, signing{at: testNow.Add(-time.Second)})))
			return toServer(t, getWithQuery(t, signing{}))
		}},
		{name: "replay cache ignores presigned URLs", setup: withCache, req: func(t *testing.T, v *Verifier) *http.Request {
			wire := presign(t, clientRequest(t, "GET", "/v1/domains", nil), nil, time.Hour, signing{})
			mustVerify(t, v, toServer(t, wire))
			return toServer(t, wire)
		}},
	}
	runCases(t, cases)
}

func withCache(v *Verifier) {
	v.Replay = &MemoryReplayCache{Now: v.Now}
}

func mustVerify(t *testing.T, v *Verifier, r *http.Request) Identity {
	t.Helper()
	id, err := v.Verify(r)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return id
}

func runCases(t *testing.T, cases []verifyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestVerifier()
			if tc.setup != nil {
				tc.setup(v)
			}
			r := tc.req(t, v)
			id, err := v.Verify(r)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Verify refused a good request: %v", err)
				}
			} else {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("Verify = %v, want %s", err, tc.code)
				}
				if e.Code != tc.code || (tc.msg != "" && e.Message != tc.msg) {
					t.Fatalf("Verify = %s %q, want %s %q", e.Code, e.Message, tc.code, tc.msg)
				}
				if e.Status < 400 || e.Status > 599 {
					t.Fatalf("status %d", e.Status)
				}
			}
			if tc.check != nil {
				tc.check(t, r, id)
			}
		})
	}
}
