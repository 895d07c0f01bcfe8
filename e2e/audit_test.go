package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// auditRecord is the part of a CloudTrail record the tests read.
type auditRecord struct {
	EventVersion string `json:"eventVersion"`
	UserIdentity struct {
		Type, PrincipalID, ARN, AccountID, AccessKeyID, UserName string
	} `json:"userIdentity"`
	EventTime         string          `json:"eventTime"`
	EventSource       string          `json:"eventSource"`
	EventName         string          `json:"eventName"`
	AWSRegion         string          `json:"awsRegion"`
	SourceIPAddress   string          `json:"sourceIPAddress"`
	UserAgent         string          `json:"userAgent"`
	ErrorCode         string          `json:"errorCode"`
	ErrorMessage      string          `json:"errorMessage"`
	RequestParameters json.RawMessage `json:"requestParameters"`
	ResponseElements  json.RawMessage `json:"responseElements"`
	RequestID         string          `json:"requestID"`
	EventID           string          `json:"eventID"`
	ReadOnly          bool            `json:"readOnly"`
	EventType         string          `json:"eventType"`
	Resources         []struct{ ARN string }
}

// auditLog runs wharf admin audit with args and returns its raw output
// (JSON Lines) and the records.
func auditLog(t *testing.T, dataDir string, args ...string) (string, []auditRecord) {
	t.Helper()
	out, err := wharfAdminErr(dataDir, nil, "audit", args...)
	if err != nil {
		t.Fatalf("wharf admin audit %v: %v", args, err)
	}
	var recs []auditRecord
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var r auditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return out, recs
}

func names(recs []auditRecord) []string {
	var out []string
	for _, r := range recs {
		s := r.UserIdentity.UserName
		if s == "" {
			s = "root"
		}
		s += ":" + r.EventName
		if r.ErrorCode != "" {
			s += "!" + r.ErrorCode
		}
		out = append(out, s)
	}
	return out
}

// TestAuditTrail: a sequence of calls by two users, one refused by
// policy, and an npm publish, dist-tag and unpublish, read back with wharf admin audit and its
// filters; no key, token or asset byte appears anywhere in the trail.
func TestAuditTrail(t *testing.T) {
	s := StartServerWith(t, ServerOptions{Args: []string{"--identity-refresh", "100ms"}})
	root := s.Client()
	alice := newUser(t, s, nil, acctA, "alice", allow("codeartifact:*", "sts:GetServiceBearerToken"))
	bob := newUser(t, s, nil, acctA, "bob", allow("codeartifact:Describe*", "codeartifact:List*"))
	// The users' policies reach the server within --identity-refresh;
	// what the trail says from then on is what the test checks.
	for _, u := range []iamUser{alice, bob} {
		eventually(t, u.name+"'s policy", func() error {
			_, err := u.c.ListDomains(ctx, &ca.ListDomainsInput{})
			return err
		})
	}
	start := time.Now()
	since := start.UTC().Format(time.RFC3339Nano)
	Setup(t, root, "acme", "main")

	assetBytes := []byte("ASSET-BYTES-MUST-NOT-BE-AUDITED")
	if err := publishAs(alice.c, acctA, "acme", "main", "tools", "hello", "1.0.0", assetBytes); err != nil {
		t.Fatal(err)
	}
	if _, err := versionsIn(bob.c, acctA, "acme", "main", "tools", "hello"); err != nil {
		t.Fatal(err)
	}
	_, err := bob.c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("main"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String("hello"), Versions: []string{"1.0.0"}})
	wantDenied(t, "bob deletes", err)
	tok, err := alice.c.GetAuthorizationToken(ctx, &ca.GetAuthorizationTokenInput{Domain: aws.String("acme")})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{testSecret, alice.secret, bob.secret, aws.ToString(tok.AuthorizationToken), string(assetBytes)}

	// alice publishes with the real npm, logged in as herself.
	npmToken := ""
	if _, err := RunErr(nil, "", "npm", "--version"); err != nil {
		missingTool(t, "npm", err, "apt-get install -y npm")
	} else {
		env := append(envAs(s.Env(t), alice), "npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_loglevel=warn")
		Run(t, env, "", "aws", "codeartifact", "login", "--tool", "npm", "--domain", "acme", "--repository", "main")
		rc, err := os.ReadFile(filepath.Join(homeOf(env), ".npmrc"))
		if err != nil {
			t.Fatal(err)
		}
		_, npmToken, _ = strings.Cut(string(rc), ":_authToken=")
		npmToken = strings.TrimSpace(npmToken)
		if npmToken == "" {
			t.Fatalf("no token in .npmrc:\n%s", rc)
		}
		secrets = append(secrets, npmToken)
		dir := npmPkgDir(t, map[string]any{"name": "audited", "version": "1.0.0", "main": "index.js"}, map[string]string{"index.js": "module.exports = 1;\n"})
		Run(t, env, dir, "npm", "publish")
		Run(t, env, "", "npm", "dist-tag", "add", "audited@1.0.0", "beta")
		Run(t, env, "", "npm", "unpublish", "audited@1.0.0", "--force")
	}

	// Reads and refusals are written in batches: wait for bob's.
	var all []auditRecord
	var raw string
	eventually(t, "the trail has bob's calls", func() error {
		raw, all = auditLog(t, s.DataDir, "--since", since)
		for _, r := range all {
			if r.EventName == "DeletePackageVersions" && r.UserIdentity.UserName == "bob" {
				return nil
			}
		}
		return fmt.Errorf("%v", names(all))
	})
	for _, secret := range secrets {
		if strings.Contains(raw, secret) {
			t.Errorf("the audit trail holds a secret %q", secret)
		}
	}
	for _, forbidden := range []string{"Signature=", "Credential=", "X-Amz-", "Bearer ", "_authToken"} {
		if strings.Contains(raw, forbidden) {
			t.Errorf("the audit trail holds %q", forbidden)
		}
	}

	want := []string{"root:CreateDomain", "root:CreateRepository", "alice:PublishPackageVersion", "bob:ListPackageVersions",
		"bob:DeletePackageVersions!AccessDeniedException", "alice:GetAuthorizationToken"}
	if npmToken != "" {
		// aws codeartifact login asks for the token and the endpoint; npm
		// publish, dist-tag add and unpublish (of the last version) are
		// one write each, named for the action each needed.
		want = append(want, "alice:GetAuthorizationToken", "alice:GetRepositoryEndpoint", "alice:PublishPackageVersion",
			"alice:PutPackageMetadata", "alice:DeletePackage")
	}
	if got := names(all); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("audit trail:\n got %v\nwant %v", got, want)
	}

	pkgARN := "arn:aws:codeartifact:us-east-1:" + acctA + ":package/acme/main/generic/tools/hello"
	var pub auditRecord
	for _, r := range all {
		if r.EventName == "PublishPackageVersion" && r.ErrorCode == "" && strings.Contains(string(r.RequestParameters), `"generic"`) {
			pub = r
		}
	}
	if pub.EventVersion == "" || pub.EventSource != "codeartifact.amazonaws.com" || pub.AWSRegion != "us-east-1" || pub.EventType != "AwsApiCall" ||
		pub.ReadOnly || pub.SourceIPAddress != "127.0.0.1" || !strings.Contains(pub.UserAgent, "aws-sdk-go-v2") || len(pub.RequestID) != 36 || len(pub.EventID) != 36 ||
		pub.UserIdentity.Type != "IAMUser" || pub.UserIdentity.ARN != alice.arn || pub.UserIdentity.AccountID != acctA || pub.UserIdentity.AccessKeyID != alice.key ||
		!strings.HasPrefix(pub.UserIdentity.PrincipalID, "AIDA") || string(pub.ResponseElements) != "null" ||
		len(pub.Resources) != 1 || pub.Resources[0].ARN != pkgARN {
		t.Fatalf("PublishPackageVersion record: %+v", pub)
	}
	var params map[string]any
	if err := json.Unmarshal(pub.RequestParameters, &params); err != nil || params["package"] != "hello" || params["packageVersion"] != "1.0.0" || params["assetName"] != "hello.txt" {
		t.Fatalf("requestParameters = %s (%v)", pub.RequestParameters, err)
	}
	if _, recs := auditLog(t, s.DataDir, "--since", since, "--event-name", "DeletePackageVersions"); len(recs) != 1 || recs[0].ErrorCode != "AccessDeniedException" ||
		recs[0].ErrorMessage == "" || recs[0].UserIdentity.AccessKeyID != bob.key || !bytes.Contains(recs[0].RequestParameters, []byte(`"versions":["1.0.0"]`)) {
		t.Fatalf("the denied delete: %+v", recs)
	}
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"--user", "bob"}, []string{"bob:ListPackageVersions", "bob:DeletePackageVersions!AccessDeniedException"}},
		{[]string{"--user", bob.arn}, []string{"bob:ListPackageVersions", "bob:DeletePackageVersions!AccessDeniedException"}},
		{[]string{"--user", bob.key, "--limit", "1"}, []string{"bob:ListPackageVersions"}},
		{[]string{"--resource", pkgARN, "--user", "alice"}, []string{"alice:PublishPackageVersion"}},
		{[]string{"--until", since}, nil},
		{[]string{"--event-name", "CreateDomain"}, []string{"root:CreateDomain"}},
	} {
		if _, recs := auditLog(t, s.DataDir, append([]string{"--since", since}, tt.args...)...); strings.Join(names(recs), " ") != strings.Join(tt.want, " ") {
			t.Errorf("wharf admin audit %v: %v, want %v", tt.args, names(recs), tt.want)
		}
	}
	if out, err := wharfAdminErr(s.DataDir, nil, "audit", "--since", "yesterday"); err == nil {
		t.Fatalf("--since yesterday was accepted: %s", out)
	}
}

// TestAuditCrash: the server is killed (-9) right after publishes are
// acknowledged; after a restart every acknowledged publish has its
// event, and every publish event names a version that exists: no change
// without its event, no event without its change.
func TestAuditCrash(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "acme", "main")
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				v := fmt.Sprintf("%d.%d.0", w, i)
				if publishAs(c, acctA, "acme", "main", "tools", "crash", v, []byte("bytes of "+v)) == nil {
					mu.Lock()
					acked = append(acked, v)
					n := len(acked)
					mu.Unlock()
					if n == 12 {
						s.Kill() // right after the 12th acknowledgement
						close(stop)
					}
				}
			}
		}()
	}
	wg.Wait()
	s.start()
	out, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("main"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String("crash"), MaxResults: aws.Int32(1000)})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, v := range out.Versions {
		stored[aws.ToString(v.Version)] = true
	}
	_, recs := auditLog(t, s.DataDir, "--event-name", "PublishPackageVersion")
	evented := map[string]bool{}
	for _, r := range recs {
		var p struct{ PackageVersion string }
		json.Unmarshal(r.RequestParameters, &p)
		if r.ErrorCode == "" {
			evented[p.PackageVersion] = true
		}
	}
	for _, v := range acked {
		if !stored[v] || !evented[v] {
			t.Errorf("acknowledged %s: stored %v, event %v", v, stored[v], evented[v])
		}
	}
	for v := range stored {
		if !evented[v] {
			t.Errorf("version %s is stored without its event", v)
		}
	}
	for v := range evented {
		if !stored[v] {
			t.Errorf("an event records publishing %s, which is not stored", v)
		}
	}
	if len(acked) < 12 {
		t.Fatalf("only %d publishes acknowledged", len(acked))
	}
}
