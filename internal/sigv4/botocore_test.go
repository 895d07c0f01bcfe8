package sigv4

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// botocoreScript runs real botocore against the test server. Each step
// prints one JSON line: {"step", "code"} with code "" on success.
const botocoreScript = `
import datetime, hashlib, io, json, os, sys, urllib.request, urllib.error
import boto3, botocore.auth
from botocore.config import Config
from botocore.exceptions import ClientError

url = os.environ["WHARF_URL"]
def client(secret=os.environ["WHARF_SECRET"], akid=os.environ["WHARF_AKID"], token=None, **kw):
    return boto3.client("codeartifact", endpoint_url=url, region_name="eu-central-1",
        aws_access_key_id=akid, aws_secret_access_key=secret, aws_session_token=token,
        config=Config(retries={"mode": "standard", "max_attempts": 3}, **kw))

def step(name, fn):
    try:
        fn()
        code = ""
    except ClientError as e:
        code = e.response["Error"]["Code"]
    print(json.dumps({"step": name, "code": code}), flush=True)

c = client()
asset = b"wharf asset " * 100000
good = hashlib.sha256(asset).hexdigest()
def publish(sha):
    c.publish_package_version(domain="dom", repository="repo", format="generic", namespace="ns",
        package="pkg", packageVersion="1.0.0", assetName="pkg-1.0.0.tgz",
        assetContent=io.BytesIO(asset), assetSHA256=sha)

step("list_domains", lambda: c.list_domains(maxResults=5))
step("describe_repository", lambda: c.describe_repository(domain="dom", repository="r/x y~*"))
step("publish", lambda: publish(good))
step("publish uppercase sha", lambda: publish(good.upper()))
step("publish wrong sha", lambda: publish(hashlib.sha256(b"x").hexdigest()))
step("session token", lambda: client(token="session-token").list_domains())
step("wrong secret", lambda: client(secret="wrong").list_domains())
step("unknown key", lambda: client(akid="AKIDNOBODY").list_domains())

def presigned():
    u = c.generate_presigned_url("describe_repository", Params={"domain": "dom", "repository": "r/x y"}, ExpiresIn=600)
    try:
        urllib.request.urlopen(u).read()
    except urllib.error.HTTPError as e:
        raise ClientError({"Error": {"Code": e.headers.get("X-Amzn-ErrorType", str(e.code))}}, "presigned")
step("presigned GET", presigned)

# Retries: freeze botocore's clock so that the retry is signed in the same
# second as the first attempt, as happens whenever the backoff is short.
fixed = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
botocore.auth.get_current_datetime = lambda: fixed
step("retry, same second, no Release", lambda: c.list_repositories())
step("retry, same second, Release", lambda: c.list_packages(domain="dom", repository="repo"))
`

func TestBotocoreClient(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		missingClient(t, "python3 not installed")
	}
	if err := exec.Command(py, "-c", "import boto3").Run(); err != nil {
		missingClient(t, "boto3 not installed")
	}
	svc, srv := newTestService(t, realVerifier(), map[string]bool{"/v1/repositories": false, "/v1/packages": true})
	defer svc.logSigned(t)

	cmd := exec.Command(py, "-c", botocoreScript)
	cmd.Env = append(os.Environ(), "WHARF_URL="+srv.URL, "WHARF_AKID="+testAKID, "WHARF_SECRET="+testSecret,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("botocore script: %v\n%s", err, stderr.String())
	}

	want := map[string]string{
		"list_domains":          "",
		"describe_repository":   "",
		"publish":               "",
		"publish uppercase sha": "",
		// botocore signs the header's value as the payload hash, so the
		// signature holds and the mismatch is found reading the body.
		"publish wrong sha": CodeValidation,
		"session token":     "",
		"wrong secret":      CodeInvalidSignature,
		"unknown key":       CodeUnrecognizedClient,
		"presigned GET":     "",
		// botocore does not sign amz-sdk-request: a retry in the same
		// second has the same signature and the replay cache refuses it,
		// unless the handler released it with its retryable error.
		"retry, same second, no Release": CodeInvalidSignature,
		"retry, same second, Release":    "",
	}
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var line struct{ Step, Code string }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		got[line.Step] = line.Code
	}
	for step, code := range want {
		if c, ok := got[step]; !ok {
			t.Errorf("%s: no result\n%s", step, stderr.String())
		} else if c != code {
			t.Errorf("%s: error code %q, want %q", step, c, code)
		}
	}
	if !strings.Contains(strings.Join(svc.refusals, "\n"), "Signature has already been used") {
		t.Errorf("the same-second retry was not refused as a replay")
	}
}

// TestAWSCLI runs the aws CLI (v1, botocore underneath) for a GET and a
// POST: its requests go through the same verifier.
func TestAWSCLI(t *testing.T) {
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		missingClient(t, "aws CLI not installed")
	}
	svc, srv := newTestService(t, realVerifier(), nil)
	defer svc.logSigned(t)
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID="+testAKID, "AWS_SECRET_ACCESS_KEY="+testSecret,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_DEFAULT_REGION=ap-south-1")
	for _, args := range [][]string{
		{"codeartifact", "list-domains"},
		{"codeartifact", "describe-repository", "--domain", "dom", "--repository", "r/x y"},
	} {
		cmd := exec.Command(awsCLI, append(args, "--endpoint-url", srv.URL)...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	cmd := exec.Command(awsCLI, "codeartifact", "list-domains", "--endpoint-url", srv.URL)
	cmd.Env = append(env, "AWS_SECRET_ACCESS_KEY=wrong")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), CodeInvalidSignature) {
		t.Errorf("aws with a wrong secret: %v\n%s", err, out)
	}
}

// missingClient skips a real-client test on a developer machine without
// the client, and fails it in CI, where .ci/run guarantees the client.
func missingClient(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}
