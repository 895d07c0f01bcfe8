package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
)

// rawCall signs a ListDomains request with the SDK's signer at signedAt
// and sends it with a plain http.Client, so nothing retries or corrects
// the clock.
func rawCall(t *testing.T, s *Server, keyID, secret string, signedAt time.Time) (int, http.Header, map[string]any) {
	t.Helper()
	body := `{"maxResults":5}`
	req, err := http.NewRequest(http.MethodPost, s.URL+"/v1/domains", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "codeartifact", testRegion, signedAt); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("response body %q is not JSON: %v", b, err)
	}
	return resp.StatusCode, resp.Header, doc
}

// skewedSigner signs as the SDK would, but with a clock off by skew.
type skewedSigner struct {
	skew time.Duration
	v4   *v4.Signer
}

func (s skewedSigner) SignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, signingTime time.Time, optFns ...func(*v4.SignerOptions)) error {
	return s.v4.SignHTTP(ctx, creds, r, payloadHash, service, region, signingTime.Add(s.skew), optFns...)
}

func TestSigV4Refusals(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "sig", "repo")

	// The raw request path is right: signed now, it is served.
	status, _, doc := rawCall(t, s, testKeyID, testSecret, time.Now())
	if status != 200 || doc["domains"] == nil {
		t.Fatalf("freshly signed request: %d %v", status, doc)
	}

	cases := []struct {
		name, key, secret string
		at                time.Time
		code, message     string
	}{
		{"unknown key", "AKIAWHARFUNKNOWN0001", testSecret, time.Now(), "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"wrong secret", testKeyID, testSecret + "x", time.Now(), "InvalidSignatureException", "The request signature we calculated does not match the signature you provided."},
		{"signed 20 minutes ago", testKeyID, testSecret, time.Now().Add(-20 * time.Minute), "InvalidSignatureException", "Signature expired"},
		{"signed 20 minutes ahead", testKeyID, testSecret, time.Now().Add(20 * time.Minute), "InvalidSignatureException", "Signature not yet current"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, h, doc := rawCall(t, s, tc.key, tc.secret, tc.at)
			if status != http.StatusForbidden {
				t.Errorf("status %d, want 403", status)
			}
			if got := h.Get("X-Amzn-ErrorType"); got != tc.code {
				t.Errorf("X-Amzn-ErrorType %q, want %q", got, tc.code)
			}
			if doc["__type"] != tc.code {
				t.Errorf("__type %v, want %s", doc["__type"], tc.code)
			}
			if msg, _ := doc["message"].(string); !strings.HasPrefix(msg, tc.message) {
				t.Errorf("message %q, want it to start with %q", msg, tc.message)
			}
			if h.Get("X-Amzn-RequestId") == "" {
				t.Error("no X-Amzn-RequestId")
			}
		})
	}

	// A request with no signature at all.
	resp, err := http.Post(s.URL+"/v1/domains", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned request: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}

	// The SDK client surfaces each code as an API error.
	sdk := []struct {
		name   string
		client *ca.Client
		code   string
	}{
		{"unknown key", s.ClientWith("AKIAWHARFUNKNOWN0001", testSecret), "UnrecognizedClientException"},
		{"wrong secret", s.ClientWith(testKeyID, "not the secret"), "InvalidSignatureException"},
		{"clock 20 minutes behind", ca.New(ca.Options{Region: testRegion, BaseEndpoint: aws.String(s.URL),
			Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, Source: "test"}, nil
			})),
			HTTPSignerV4: skewedSigner{skew: -20 * time.Minute, v4: v4.NewSigner()}, RetryMaxAttempts: 1}), "InvalidSignatureException"},
	}
	for _, tc := range sdk {
		t.Run("sdk "+tc.name, func(t *testing.T) {
			_, err := tc.client.ListDomains(ctx, &ca.ListDomainsInput{})
			if errorCode(err) != tc.code || httpStatus(err) != 403 {
				t.Errorf("ListDomains = %v (code %q, status %d), want 403 %s", err, errorCode(err), httpStatus(err), tc.code)
			}
			// A write is refused the same way and changes nothing.
			_, err = tc.client.DeleteRepository(ctx, &ca.DeleteRepositoryInput{Domain: aws.String("sig"), Repository: aws.String("repo")})
			if errorCode(err) != tc.code {
				t.Errorf("DeleteRepository = %v, want %s", err, tc.code)
			}
		})
	}
	if _, err := c.DescribeRepository(ctx, &ca.DescribeRepositoryInput{Domain: aws.String("sig"), Repository: aws.String("repo")}); err != nil {
		t.Errorf("repository gone after refused deletes: %v", err)
	}
}
