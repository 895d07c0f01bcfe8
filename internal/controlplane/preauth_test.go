package controlplane

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/wharf-dev/wharf/internal/apimodel"
	"github.com/wharf-dev/wharf/internal/deadline"
)

func TestPreAuthLimit(t *testing.T) {
	for _, op := range apimodel.Operations() {
		n := preAuthLimit(op)
		if n < emptyBody || n > maxJSONBody {
			t.Errorf("%s: %d, want within [%d, %d]", op.Name, n, emptyBody, maxJSONBody)
		}
		if op.MaxBodyBytes() == 0 && n != emptyBody {
			t.Errorf("%s takes no JSON body, yet %d bytes of one are read before authentication", op.Name, n)
		}
	}
	for name, want := range map[string]int64{
		"PublishPackageVersion": emptyBody, // its asset streams under a signed hash
		"CopyPackageVersions":   maxJSONBody,
	} {
		op, _ := lookupByName(name)
		if got := preAuthLimit(op); got != want {
			t.Errorf("%s: %d, want %d", name, got, want)
		}
	}
}

func lookupByName(name string) (*apimodel.Operation, bool) {
	for _, op := range apimodel.Operations() {
		if op.Name == name {
			return op, true
		}
	}
	return nil, false
}

// countingBody records how much of a body the handler read.
type countingBody struct {
	r    io.Reader
	read int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

func (b *countingBody) Close() error { return nil }

// zeroSigned is a request from someone who knows the access key id but
// not the secret: a current, well-formed header form with a signature of
// zeros, and a body of n bytes announced as contentLength (-1: chunked).
func zeroSigned(method, path string, n, contentLength int64) (*http.Request, *countingBody) {
	r := httptest.NewRequest(method, "http://wharf.test"+path, nil)
	now := time.Now().UTC()
	r.Header.Set("X-Amz-Date", now.Format("20060102T150405Z"))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+benchKeyID+"/"+now.Format("20060102")+"/"+benchRegion+
		"/codeartifact/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="+strings.Repeat("0", 64))
	b := &countingBody{r: io.LimitReader(zeros{}, n)}
	r.Body, r.ContentLength = b, contentLength
	return r, b
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

// Before a request is authenticated the handler reads no more of its body
// than its operation can carry: nothing past an empty object for an
// operation without a JSON body, the model's bound for the others, and
// never more than maxJSONBody.
func TestUnauthenticatedBodiesAreBoundedPerOperation(t *testing.T) {
	h := newSeededHandler(t).h
	tests := []struct {
		name            string
		method, path    string
		n, announced    int64
		status, maxRead int64
	}{
		{"ListPackageVersions takes no body: 1 MiB announced", "POST", "/v1/package/versions", 1 << 20, 1 << 20, http.StatusRequestEntityTooLarge, 0},
		{"ListPackageVersions takes no body: 1 MiB chunked", "POST", "/v1/package/versions", 1 << 20, -1, http.StatusRequestEntityTooLarge, emptyBody + 1},
		{"PutPackageOriginConfiguration: two enums", "POST", "/v1/package", 1 << 20, -1, http.StatusRequestEntityTooLarge, 200},
		{"CopyPackageVersions: unbounded in the model, 8 MiB chunked", "POST", "/v1/package/versions/copy", 8 << 20, -1, http.StatusRequestEntityTooLarge, maxJSONBody + 1},
		{"CreateDomain within its bound: read, then refused for the signature", "POST", "/v1/domain", 1000, 1000, http.StatusForbidden, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := zeroSigned(tt.method, tt.path, tt.n, tt.announced)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if int64(w.Code) != tt.status {
				t.Errorf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if body.read > tt.maxRead {
				t.Errorf("read %d bytes of an unauthenticated body, at most %d allowed", body.read, tt.maxRead)
			}
		})
	}

	// A real client's body within the bound goes through.
	b := []byte(`{"maxResults": 5}`)
	r := httptest.NewRequest("POST", "http://wharf.test/v1/domains", bytes.NewReader(b))
	r.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(b)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: benchKeyID, SecretAccessKey: benchSecret},
		r, hex.EncodeToString(sum[:]), "codeartifact", benchRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"domains"`) {
		t.Fatalf("signed ListDomains with a body: %d %s", w.Code, w.Body)
	}
}

// slowReader yields data in pieces of piece bytes, one every gap.
type slowReader struct {
	data  []byte
	piece int
	gap   time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(s.gap)
	n := copy(p, s.data[:min(len(p), s.piece, len(s.data))])
	s.data = s.data[n:]
	return n, nil
}

// Under deadline.Middleware the cap on reading an unauthenticated body
// holds however steadily it comes, and is lifted once the request is
// authenticated: a streamed asset then takes as long as it keeps coming,
// and one that stops coming is the client's timeout (408).
func TestPreAuthCapIsLiftedAfterAuthentication(t *testing.T) {
	sh := newSeededHandler(t)
	const capTime, idle = time.Second, 2 * time.Second
	h := New(sh.svc, staticIDs{}, Options{PreAuthBodyTime: capTime, Logger: sh.h.log})
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := httptest.NewServer(deadline.Middleware(mux, idle, idle))
	defer srv.Close()

	// 3 s of steady body, past the cap but never idle for long.
	asset := bytes.Repeat([]byte("wharf "), 2000)
	sum := sha256.Sum256(asset)
	q := pkgQuery()
	q.Set("version", "9.9.9")
	q.Set("asset", "slow.txt")
	req, _ := http.NewRequest("POST", srv.URL+"/v1/package/version/publish?"+q.Encode(), &slowReader{data: asset, piece: len(asset) / 12, gap: 250 * time.Millisecond})
	req.ContentLength = int64(len(asset))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: benchKeyID, SecretAccessKey: benchSecret},
		req, hex.EncodeToString(sum[:]), "codeartifact", benchRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a streamed publish over %s: %d %s", time.Since(start).Round(time.Millisecond), resp.StatusCode, b)
	}
	if d := time.Since(start); d < 2*capTime {
		t.Errorf("the publish took %s: it did not outlast the cap", d)
	}

	// A streamed asset that stops coming.
	req, _ = http.NewRequest("POST", srv.URL+"/v1/package/version/publish?"+strings.Replace(q.Encode(), "9.9.9", "9.9.10", 1),
		io.MultiReader(bytes.NewReader(asset[:100]), &slowReader{data: asset[100:], piece: len(asset), gap: idle + time.Second}))
	req.ContentLength = int64(len(asset))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: benchKeyID, SecretAccessKey: benchSecret},
		req, hex.EncodeToString(sum[:]), "codeartifact", benchRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Logf("the client saw %v", err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), "RequestTimeoutException") {
			t.Errorf("a streamed asset that stopped coming: %d %s", resp.StatusCode, b)
		}
	}

	// The same steady pace is cut off before authentication.
	body := []byte(`{"tags": [` + strings.Repeat(" ", 3000) + `]}`)
	r, _ := http.NewRequest("POST", srv.URL+"/v1/domain?domain=slow", &slowReader{data: body, piece: len(body) / 12, gap: 250 * time.Millisecond})
	r.ContentLength = int64(len(body))
	zr, _ := zeroSigned("POST", "/v1/domain?domain=slow", 0, 0)
	r.Header = zr.Header
	start = time.Now()
	resp, err = http.DefaultClient.Do(r)
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "Could not read the request body") {
			t.Errorf("an unauthenticated body past the cap: %d %s", resp.StatusCode, b)
		}
	}
	if d := time.Since(start); d > capTime+idle {
		t.Errorf("the unauthenticated body was read for %s, the cap is %s", d, capTime)
	}
}
