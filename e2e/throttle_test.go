package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// recorder is an HTTP transport that remembers every response's status,
// error type and Retry-After header, so tests can see what the SDK's
// retryer hid.
type recorder struct {
	mu   sync.Mutex
	seen []seenResponse
}

type seenResponse struct {
	status     int
	errType    string
	retryAfter string
}

func (rec *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		rec.mu.Lock()
		rec.seen = append(rec.seen, seenResponse{resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), resp.Header.Get("Retry-After")})
		rec.mu.Unlock()
	}
	return resp, err
}

func (rec *recorder) throttled() []seenResponse {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []seenResponse
	for _, s := range rec.seen {
		if s.status == http.StatusTooManyRequests {
			out = append(out, s)
		}
	}
	return out
}

func recordingClient(s *Server, key, secret string, attempts int) (*ca.Client, *recorder) {
	rec := &recorder{}
	c := s.ClientWith(key, secret)
	return ca.New(c.Options(), func(o *ca.Options) {
		o.HTTPClient = &http.Client{Transport: rec}
		o.RetryMaxAttempts = attempts
	}), rec
}

// TestThrottlingGoSDK: per-account, per-operation limits answer 429
// ThrottlingException with Retry-After, and the Go SDK's retryer, given
// enough attempts, gets every call through.
func TestThrottlingGoSDK(t *testing.T) {
	// Replay protection on too: the SDK signs each attempt afresh.
	s := StartServerWith(t, ServerOptions{Args: []string{"--throttle", "ListRepositories=4/1", "--replay-protection"}})
	Setup(t, s.Client(), "quota", "repo")

	// Without retries the refusal is visible as it is.
	once, rec := recordingClient(s, testKeyID, testSecret, 1)
	var err error
	for i := 0; i < 3 && err == nil; i++ {
		_, err = once.ListRepositories(ctx, &ca.ListRepositoriesInput{})
	}
	var te *types.ThrottlingException
	if !errors.As(err, &te) || httpStatus(err) != http.StatusTooManyRequests {
		t.Fatalf("back-to-back ListRepositories: %v, want ThrottlingException (429)", err)
	}
	th := rec.throttled()
	if len(th) == 0 || th[0].errType != "ThrottlingException" {
		t.Fatalf("responses seen: %+v", rec.seen)
	}
	if n, err := strconv.Atoi(th[0].retryAfter); err != nil || n < 1 {
		t.Errorf("Retry-After %q, want whole seconds >= 1", th[0].retryAfter)
	}
	// Other operations have no such limit.
	for i := 0; i < 5; i++ {
		if _, err := once.DescribeDomain(ctx, &ca.DescribeDomainInput{Domain: aws.String("quota")}); err != nil {
			t.Fatalf("DescribeDomain %d: %v", i, err)
		}
	}
	// The limit is per account: another account is not held back.
	wharfAdmin(t, s.DataDir, nil, "create-account", "--account-id", acctB)
	other := newUser(t, s, nil, acctB, "", "")
	if _, err := other.c.ListRepositories(ctx, &ca.ListRepositoriesInput{}); err != nil {
		t.Errorf("account B while A is throttled: %v", err)
	}

	// The SDK's retryer backs off and completes every call.
	retrying, rec := recordingClient(s, testKeyID, testSecret, 10)
	for i := 0; i < 6; i++ {
		if _, err := retrying.ListRepositories(ctx, &ca.ListRepositoriesInput{}); err != nil {
			t.Fatalf("retrying client, call %d: %v", i, err)
		}
	}
	if len(rec.throttled()) == 0 {
		t.Errorf("no call was throttled, so the retryer was not exercised: %+v", rec.seen)
	}
	t.Logf("%d responses for 6 calls, %d of them 429", len(rec.seen), len(rec.throttled()))
}

// boto3Throttle runs botocore's standard retryer into a throttled
// operation. Its clock is frozen, so every attempt of the second call is
// signed identically: with replay protection on, the retries get through
// only because the server releases the signature of each 429.
const boto3Throttle = `
import datetime, json, os, sys
import boto3, botocore.auth
from botocore.config import Config

c = boto3.client("codeartifact", endpoint_url=os.environ["WHARF_URL"], region_name="us-east-1",
    config=Config(retries={"mode": "standard", "max_attempts": 10}))
seen = []
def record(response, **kw):
    if response is not None:
        seen.append({"status": response[0].status_code, "retryAfter": response[0].headers.get("Retry-After", ""),
                     "code": response[1].get("Error", {}).get("Code", "")})
c.meta.events.register_first("needs-retry.codeartifact.ListDomains", record)

c.list_domains()
# Seconds ahead, so that the frozen date differs from the first call's.
fixed = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + datetime.timedelta(seconds=3)
botocore.auth.get_current_datetime = lambda: fixed
out = c.list_domains()
print(json.dumps({"domains": [d["name"] for d in out["domains"]], "seen": seen}))
`

func TestThrottlingBoto3(t *testing.T) {
	needTool(t, "boto3", "python3", "-c", "import boto3")
	s := StartServerWith(t, ServerOptions{Args: []string{"--throttle", "ListDomains=2/1", "--replay-protection"}})
	Setup(t, s.Client(), "boto")
	cmd := exec.Command("python3", "-c", boto3Throttle)
	cmd.Env = append(s.Env(t), "WHARF_URL="+s.URL, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, stderr.String())
	}
	var res struct {
		Domains []string
		Seen    []struct {
			Status     int
			RetryAfter string
			Code       string
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if err := json.Unmarshal(sc.Bytes(), &res); err != nil {
			t.Fatalf("output %q: %v", sc.Text(), err)
		}
	}
	if len(res.Domains) != 1 || res.Domains[0] != "boto" {
		t.Errorf("list_domains returned %v", res.Domains)
	}
	throttled := 0
	for _, r := range res.Seen {
		switch {
		case r.Status == 429:
			throttled++
			if r.Code != "ThrottlingException" || r.RetryAfter == "" {
				t.Errorf("429 without ThrottlingException and Retry-After: %+v", r)
			}
		case r.Status != 200:
			t.Errorf("unexpected response %+v (a replay refusal means the 429 did not release the signature)", r)
		}
	}
	if throttled == 0 {
		t.Errorf("botocore was never throttled: %+v", res.Seen)
	}
	t.Logf("botocore saw %+v", res.Seen)
}
