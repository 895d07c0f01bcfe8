package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"github.com/aws/smithy-go"
)

func realVerifier() *Verifier {
	v := &Verifier{Service: "codeartifact", Lookup: testLookup}
	v.Replay = &MemoryReplayCache{}
	return v
}

func goClient(url, akid, secret, token string) *codeartifact.Client {
	return codeartifact.New(codeartifact.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider(akid, secret, token),
	})
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "non-API error: " + err.Error()
	}
	return ""
}

// TestGoSDKClient drives the real aws-sdk-go-v2 CodeArtifact client against
// a server that verifies with Verify.
func TestGoSDKClient(t *testing.T) {
	svc, srv := newTestService(t, realVerifier(), nil)
	defer svc.logSigned(t)
	ctx := context.Background()
	c := goClient(srv.URL, testAKID, testSecret, "")

	asset := bytes.Repeat([]byte("wharf asset "), 100000) // 1.2 MB
	sum := sha256.Sum256(asset)
	publish := func(c *codeartifact.Client, assetSHA string) error {
		_, err := c.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{
			Domain: aws.String("dom"), Repository: aws.String("repo"), Format: types.PackageFormatGeneric,
			Namespace: aws.String("ns"), Package: aws.String("pkg"), PackageVersion: aws.String("1.0.0"),
			AssetName: aws.String("pkg-1.0.0.tgz"), AssetSHA256: aws.String(assetSHA),
			AssetContent: bytes.NewReader(asset),
		})
		return err
	}

	steps := []struct {
		name string
		call func() error
		want string // AWS error code, "" for success
	}{
		{"ListDomains (POST JSON)", func() error {
			_, err := c.ListDomains(ctx, &codeartifact.ListDomainsInput{MaxResults: aws.Int32(5)})
			return err
		}, ""},
		{"DescribeRepository (GET, query)", func() error {
			_, err := c.DescribeRepository(ctx, &codeartifact.DescribeRepositoryInput{Domain: aws.String("dom"), Repository: aws.String("r/x y~*")})
			return err
		}, ""},
		{"PublishPackageVersion (bytes.Reader)", func() error { return publish(c, hex.EncodeToString(sum[:])) }, ""},
		// The Go SDK signs the body's real hash whatever AssetSHA256 says,
		// so a wrong AssetSHA256 fails the signature, before any body.
		{"PublishPackageVersion, wrong AssetSHA256", func() error { return publish(c, sha256Hex([]byte("x"))) }, CodeInvalidSignature},
		{"session token", func() error {
			_, err := goClient(srv.URL, testAKID, testSecret, "session-token").ListDomains(ctx, &codeartifact.ListDomainsInput{})
			return err
		}, ""},
		{"wrong secret", func() error {
			_, err := goClient(srv.URL, testAKID, "wrong", "").ListDomains(ctx, &codeartifact.ListDomainsInput{})
			return err
		}, CodeInvalidSignature},
		{"unknown key", func() error {
			_, err := goClient(srv.URL, "AKIDNOBODY", testSecret, "").ListDomains(ctx, &codeartifact.ListDomainsInput{})
			return err
		}, CodeUnrecognizedClient},
	}
	for _, st := range steps {
		if got := apiCode(st.call()); got != st.want {
			t.Errorf("%s: error code %q, want %q", st.name, got, st.want)
		}
	}
}

// TestGoSDKRetryNotAReplay checks the claim that SDK retries are not taken
// for replays: the Go SDK signs amz-sdk-request, whose attempt number
// changes, so its retry carries a new signature even within one second.
func TestGoSDKRetryNotAReplay(t *testing.T) {
	// Fail the first attempt, without Release.
	svc, srv := newTestService(t, realVerifier(), map[string]bool{"/v1/domains": false})
	defer svc.logSigned(t)
	_, err := goClient(srv.URL, testAKID, testSecret, "").ListDomains(context.Background(), &codeartifact.ListDomainsInput{})
	if err != nil {
		t.Fatalf("retried call failed: %v", err)
	}
	if n := svc.attemptCounts(); len(n) != 1 || n[0] != 2 {
		t.Fatalf("attempts per invocation %v, want [2]", n)
	}
}
