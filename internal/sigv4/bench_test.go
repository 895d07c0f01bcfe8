package sigv4

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// captureClient is an HTTP client that records the request it is given
// instead of sending it.
type captureClient struct{ wire []byte }

var errCaptured = errors.New("captured")

func (c *captureClient) Do(req *http.Request) (*http.Response, error) {
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		return nil, err
	}
	c.wire = buf.Bytes()
	return nil, errCaptured
}

// sdkWire is the request the real aws-sdk-go-v2 CodeArtifact client sends
// for call, as wire bytes, signed with the wall clock.
func sdkWire(tb testing.TB, call func(ctx context.Context, c *codeartifact.Client) error) []byte {
	tb.Helper()
	cc := &captureClient{}
	c := codeartifact.New(codeartifact.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String("http://" + testHost),
		Credentials:      credentials.NewStaticCredentialsProvider(testAKID, testSecret, ""),
		HTTPClient:       cc,
		RetryMaxAttempts: 1,
	})
	if err := call(context.Background(), c); !errors.Is(err, errCaptured) {
		tb.Fatalf("capturing the SDK's request: %v", err)
	}
	return cc.wire
}

// rewindBody is a request body that can be put back after Verify read it,
// without allocating.
type rewindBody struct{ bytes.Reader }

func (*rewindBody) Close() error { return nil }

// BenchmarkVerify measures Verify on requests as the Go SDK sends them: a
// DescribePackageVersion GET with a query, a ListDomains POST whose JSON
// body is buffered and hashed, and a presigned GET.
func BenchmarkVerify(b *testing.B) {
	describe := sdkWire(b, func(ctx context.Context, c *codeartifact.Client) error {
		_, err := c.DescribePackageVersion(ctx, &codeartifact.DescribePackageVersionInput{
			Domain: aws.String("bench"), DomainOwner: aws.String("123456789012"), Repository: aws.String("repo"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("bench"), Package: aws.String("big"),
			PackageVersion: aws.String("1.0.0000042"),
		})
		return err
	})
	listDomains := sdkWire(b, func(ctx context.Context, c *codeartifact.Client) error {
		_, err := c.ListDomains(ctx, &codeartifact.ListDomainsInput{MaxResults: aws.Int32(5), NextToken: aws.String("abc")})
		return err
	})
	presigned := presign(b, clientRequest(b, "GET", "/v1/repository?domain=dom&repository=r%2Fx%20y", nil), nil, time.Hour, signing{at: time.Now().UTC()})

	for _, bc := range []struct {
		name string
		wire []byte
	}{
		{"GET DescribePackageVersion", describe},
		{"POST ListDomains JSON", listDomains},
		{"presigned GET", presigned},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := toServer(b, bc.wire)
			body, err := io.ReadAll(r.Body)
			if err != nil {
				b.Fatal(err)
			}
			rb := &rewindBody{}
			reset := func() {
				if len(body) == 0 {
					r.Body = http.NoBody // as the server has it
					return
				}
				rb.Reset(body)
				r.Body = rb
			}
			// The SDK signed with the wall clock; the verifier's clock is
			// pinned to it so that a long run stays within MaxSkew.
			now := time.Now()
			v := &Verifier{Service: "codeartifact", Lookup: testLookup, Now: func() time.Time { return now }}
			reset()
			if _, err := v.Verify(r); err != nil {
				b.Fatalf("the SDK's request is refused: %v", err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				reset()
				if _, err := v.Verify(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
