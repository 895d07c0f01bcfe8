package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// Hardening against a caller who holds valid credentials but not the
// rights it tries to take, and against callers who hold none.

// TestPolicyDenyProtectsItself: an explicit Deny in a domain or repository
// policy stops the principal it names from replacing or deleting that
// policy, even with an identity policy allowing codeartifact:*; only the
// account's root recovers from a policy that locks everyone out.
func TestPolicyDenyProtectsItself(t *testing.T) {
	s := StartServerWith(t, ServerOptions{Args: []string{"--identity-refresh", "100ms"}})
	admin := s.Client()
	Setup(t, admin, "guarded", "repo")
	mallory := newUser(t, s, nil, acctA, "mallory", allow("codeartifact:*"))
	eventually(t, "mallory's identity policy", func() error {
		_, err := mallory.c.ListDomains(ctx, &ca.ListDomainsInput{})
		return err
	})
	denyMallory := resourcePolicy(stmt("Deny", []string{mallory.arn}, "codeartifact:*"))
	allowAll := resourcePolicy(stmt("Allow", []string{mallory.arn}, "codeartifact:*"))
	denyAll := resourcePolicy(stmt("Deny", nil, "codeartifact:*"))

	type level struct {
		name string
		put  func(c *ca.Client, doc *string) (*string, error) // returns the revision
		del  func(c *ca.Client) error
		get  func(c *ca.Client) (*string, error) // returns the document
	}
	levels := []level{
		{"domain",
			func(c *ca.Client, doc *string) (*string, error) {
				out, err := c.PutDomainPermissionsPolicy(ctx, &ca.PutDomainPermissionsPolicyInput{Domain: aws.String("guarded"), PolicyDocument: doc})
				if err != nil {
					return nil, err
				}
				return out.Policy.Revision, nil
			},
			func(c *ca.Client) error {
				_, err := c.DeleteDomainPermissionsPolicy(ctx, &ca.DeleteDomainPermissionsPolicyInput{Domain: aws.String("guarded")})
				return err
			},
			func(c *ca.Client) (*string, error) {
				out, err := c.GetDomainPermissionsPolicy(ctx, &ca.GetDomainPermissionsPolicyInput{Domain: aws.String("guarded")})
				if err != nil {
					return nil, err
				}
				return out.Policy.Document, nil
			}},
		{"repository",
			func(c *ca.Client, doc *string) (*string, error) {
				out, err := c.PutRepositoryPermissionsPolicy(ctx, &ca.PutRepositoryPermissionsPolicyInput{Domain: aws.String("guarded"), Repository: aws.String("repo"), PolicyDocument: doc})
				if err != nil {
					return nil, err
				}
				return out.Policy.Revision, nil
			},
			func(c *ca.Client) error {
				_, err := c.DeleteRepositoryPermissionsPolicy(ctx, &ca.DeleteRepositoryPermissionsPolicyInput{Domain: aws.String("guarded"), Repository: aws.String("repo")})
				return err
			},
			func(c *ca.Client) (*string, error) {
				out, err := c.GetRepositoryPermissionsPolicy(ctx, &ca.GetRepositoryPermissionsPolicyInput{Domain: aws.String("guarded"), Repository: aws.String("repo")})
				if err != nil {
					return nil, err
				}
				return out.Policy.Document, nil
			}},
	}
	for _, l := range levels {
		t.Run(l.name, func(t *testing.T) {
			if _, err := l.put(admin, denyMallory); err != nil {
				t.Fatal(err)
			}
			// Without the Deny the identity policy would allow all of these.
			_, err := l.put(mallory.c, allowAll)
			wantDenied(t, "mallory replacing the Deny", err, "user/mallory", "with an explicit deny in a resource-based policy")
			wantDenied(t, "mallory deleting the Deny", l.del(mallory.c), "user/mallory", "with an explicit deny in a resource-based policy")
			doc, err := l.get(admin)
			if err != nil || aws.ToString(doc) != aws.ToString(denyMallory) {
				t.Fatalf("after the refused writes the policy is %q (%v), want the Deny", aws.ToString(doc), err)
			}

			// A policy denying everyone: the root alone recovers, by
			// replacing or deleting it.
			if _, err := l.put(admin, denyAll); err != nil {
				t.Fatal(err)
			}
			_, err = l.get(admin)
			wantDenied(t, "root reading a deny-all policy", err, "explicit deny in a resource-based policy")
			if _, err := l.put(admin, denyMallory); err != nil {
				t.Errorf("root replacing a deny-all policy: %v", err)
			}
			if _, err := l.put(admin, denyAll); err != nil {
				t.Fatal(err)
			}
			wantDenied(t, "mallory deleting a deny-all policy", l.del(mallory.c), "explicit deny in a resource-based policy")
			if err := l.del(admin); err != nil {
				t.Errorf("root deleting a deny-all policy: %v", err)
			}
			// With the policy gone the identity policy speaks again.
			if _, err := l.put(mallory.c, allowAll); err != nil {
				t.Errorf("mallory with no resource policy in the way: %v", err)
			}
			if err := l.del(mallory.c); err != nil {
				t.Errorf("mallory deleting its own allow: %v", err)
			}
		})
	}
}

// TestGetAuthorizationTokenNeedsBearerTokenPermission: as in CodeArtifact,
// a token needs sts:GetServiceBearerToken besides
// codeartifact:GetAuthorizationToken; an identity Deny of the former
// refuses it.
func TestGetAuthorizationTokenNeedsBearerTokenPermission(t *testing.T) {
	s := StartServerWith(t, ServerOptions{Args: []string{"--identity-refresh", "100ms"}})
	Setup(t, s.Client(), "acme", "main")
	both := newUser(t, s, nil, acctA, "both", allow("codeartifact:GetAuthorizationToken", "sts:GetServiceBearerToken"))
	noSTS := newUser(t, s, nil, acctA, "nosts", allow("codeartifact:*"))
	deniedSTS := newUser(t, s, nil, acctA, "deniedsts", allow("codeartifact:*", "sts:*"))
	wharfAdmin(t, s.DataDir, nil, "put-user-policy", "--account-id", acctA, "--user-name", "deniedsts", "--policy-name", "no-bearer",
		"--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:GetServiceBearerToken","Resource":"*"}]}`)
	get := func(u iamUser) error {
		_, err := u.c.GetAuthorizationToken(ctx, &ca.GetAuthorizationTokenInput{Domain: aws.String("acme")})
		return err
	}
	// Policies made by wharf admin apply within the refresh interval.
	eventually(t, "the policies", func() error {
		if _, err := noSTS.c.ListDomains(ctx, &ca.ListDomainsInput{}); err != nil {
			return err
		}
		if err := get(deniedSTS); err == nil || !strings.Contains(err.Error(), "explicit deny") {
			return fmt.Errorf("deniedsts: %v", err)
		}
		return get(both)
	})
	wantDenied(t, "no Allow of sts:GetServiceBearerToken", get(noSTS),
		"User: "+noSTS.arn+" is not authorized to perform: sts:GetServiceBearerToken on resource: *",
		"because no identity-based policy allows the sts:GetServiceBearerToken action")
	wantDenied(t, "an identity Deny of sts:GetServiceBearerToken", get(deniedSTS),
		"sts:GetServiceBearerToken", "with an explicit deny in an identity-based policy")
	// The administrator, an account root, needs no policy.
	wantOK(t, "root", func() error {
		_, err := s.Client().GetAuthorizationToken(ctx, &ca.GetAuthorizationTokenInput{Domain: aws.String("acme")})
		return err
	}())
}

// TestSigV4RegionScope: a signature scoped to another region than the
// server's --region is refused as CodeArtifact refuses it (403
// InvalidSignatureException), by the Go SDK and by botocore alike, and a
// server in another region serves the clients configured for it.
func TestSigV4RegionScope(t *testing.T) {
	s := StartServer(t)
	clientIn := func(s *Server, region string) *ca.Client {
		return ca.New(ca.Options{Region: region, BaseEndpoint: aws.String(s.URL),
			Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecret, "")})
	}
	_, err := clientIn(s, "eu-west-1").ListDomains(ctx, &ca.ListDomainsInput{})
	if errorCode(err) != "InvalidSignatureException" || httpStatus(err) != http.StatusForbidden ||
		!strings.Contains(err.Error(), "Credential should be scoped to a valid region, not 'eu-west-1'.") {
		t.Errorf("Go SDK in eu-west-1 against a us-east-1 server: %v", err)
	}
	_, err = clientIn(s, testRegion).ListDomains(ctx, &ca.ListDomainsInput{})
	wantOK(t, "Go SDK in the server's region", err)

	other := StartServerWith(t, ServerOptions{Args: []string{"--region", "eu-central-1"}})
	_, err = clientIn(other, "eu-central-1").CreateDomain(ctx, &ca.CreateDomainInput{Domain: aws.String("eu")})
	wantOK(t, "Go SDK in eu-central-1 against an eu-central-1 server", err)
	_, err = clientIn(other, testRegion).ListDomains(ctx, &ca.ListDomainsInput{})
	if errorCode(err) != "InvalidSignatureException" {
		t.Errorf("Go SDK in %s against an eu-central-1 server: %v", testRegion, err)
	}

	t.Run("aws CLI", func(t *testing.T) {
		needTool(t, "aws")
		env := s.Env(t)
		out, err := RunErr(append(env, "AWS_DEFAULT_REGION=ap-southeast-2"), "", "aws", "codeartifact", "list-domains")
		if err == nil || !strings.Contains(out, "InvalidSignatureException") || !strings.Contains(out, "Credential should be scoped to a valid region, not 'ap-southeast-2'.") {
			t.Errorf("aws CLI in ap-southeast-2: %v\n%s", err, out)
		}
		Run(t, env, "", "aws", "codeartifact", "list-domains")
	})
}

// TestAuthorizationTokenIsOpaque: a token from GetAuthorizationToken shows
// nothing of the key or principal that minted it, in clear or in base64
// (Decision 11), and still dies with its key.
func TestAuthorizationTokenIsOpaque(t *testing.T) {
	s := StartServerWith(t, ServerOptions{Args: []string{"--identity-refresh", "100ms"}})
	Setup(t, s.Client(), "acme", "main")
	u := newUser(t, s, nil, acctA, "tokenholder", allow("codeartifact:GetAuthorizationToken", "sts:GetServiceBearerToken", "codeartifact:ReadFromRepository"))
	var tok string
	eventually(t, "token under the user's new policy", func() error {
		out, err := u.c.GetAuthorizationToken(ctx, &ca.GetAuthorizationTokenInput{Domain: aws.String("acme")})
		if err == nil {
			tok = aws.ToString(out.AuthorizationToken)
		}
		return err
	})
	if !regexp.MustCompile(`^[A-Za-z0-9._-]+$`).MatchString(tok) {
		t.Errorf("token %q has characters outside A-Z a-z 0-9 - _ .", tok)
	}
	for _, secret := range []string{u.key, u.key[4:], "tokenholder", acctA, u.arn} {
		if strings.Contains(tok, secret) {
			t.Errorf("token shows %q in clear", secret)
		}
		for _, part := range strings.Split(tok, ".") {
			for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding} {
				for skip := 0; skip < 4 && skip < len(part); skip++ { // every alignment
					b, _ := enc.DecodeString(part[skip : skip+(len(part)-skip)/4*4])
					if strings.Contains(string(b), secret) {
						t.Errorf("token carries %q in base64", secret)
					}
				}
			}
		}
	}

	simple := s.Endpoint(t, "acme", "main", types.PackageFormatPypi) + "simple/"
	if st := endpointStatus(t, simple, tok, true); st != http.StatusOK {
		t.Fatalf("GET %s with the token: %d", simple, st)
	}
	wharfAdmin(t, s.DataDir, nil, "update-access-key", "--access-key-id", u.key, "--status", "Inactive")
	eventually(t, "token of a deactivated key", func() error {
		if st := endpointStatus(t, simple, tok, true); st != http.StatusUnauthorized {
			return errors.New(http.StatusText(st))
		}
		return nil
	})
}

// TestDataDirOwnerOnly: in a data directory the operator made 0755, under
// the usual umask, every file the server and wharf admin write (wharf.db,
// -wal, -shm, the lock, the generated credentials, blobs) is owner-only,
// and the server warns about the directory at start.
func TestDataDirOwnerOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// No WHARF_* credentials: the server generates and stores them.
	s := StartServerWith(t, ServerOptions{DataDir: dir, Env: []string{"WHARF_ACCESS_KEY_ID=", "WHARF_SECRET_ACCESS_KEY="}})
	b, err := os.ReadFile(filepath.Join(dir, "admin-credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	var admin struct{ AccessKeyID, SecretAccessKey string }
	if err := json.Unmarshal(b, &admin); err != nil {
		t.Fatal(err)
	}
	c := s.ClientWith(admin.AccessKeyID, admin.SecretAccessKey)
	Setup(t, c, "acme", "main")
	PublishGeneric(t, c, "acme", "main", "tools", "hello", "1.0.0", "hello.txt", []byte("hello\n"), false)
	wharfAdmin(t, dir, nil, "create-user", "--account-id", acctB, "--user-name", "someone")
	s.Stop()
	if !strings.Contains(s.log.String(), "the data directory is open to other users") {
		t.Errorf("no warning about the 0755 data directory:\n%s", s.log.String())
	}
	files := 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %04o, want owner-only", strings.TrimPrefix(path, dir), fi.Mode().Perm())
		}
		if !d.IsDir() {
			files++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 4 { // wharf.db, its lock, the credentials and the blob at least
		t.Errorf("only %d files in the data directory", files)
	}
}

// TestAdminCredentialsSealed: with a secrets key, the generated
// administrator's credentials file holds its secret sealed like every
// other stored secret; `wharf admin reseal` seals a file written in clear
// before the key was configured; the server reads both forms and, without
// the key, refuses to start on a sealed one.
func TestAdminCredentialsSealed(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "secrets.key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("5a", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withKey := []string{"WHARF_SECRETS_KEY_FILE=" + keyFile}
	generated := []string{"WHARF_ACCESS_KEY_ID=", "WHARF_SECRET_ACCESS_KEY="}
	printed := regexp.MustCompile(`export AWS_ACCESS_KEY_ID=(\S+)\s+export AWS_SECRET_ACCESS_KEY=(\S+)`)
	credsOf := func(s *Server) (string, string) {
		m := printed.FindStringSubmatch(s.log.String())
		if m == nil {
			t.Fatalf("no credentials printed:\n%s", s.log.String())
		}
		return m[1], m[2]
	}
	fileHolds := func(dir, secret string) bool {
		b, err := os.ReadFile(filepath.Join(dir, "admin-credentials.json"))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(string(b), secret)
	}
	works := func(s *Server, key, secret string) {
		t.Helper()
		if _, err := s.ClientWith(key, secret).ListDomains(ctx, &ca.ListDomainsInput{}); err != nil {
			t.Errorf("administrator's credentials: %v", err)
		}
	}

	t.Run("generated under a secrets key", func(t *testing.T) {
		s := StartServerWith(t, ServerOptions{Env: append(generated, withKey...)})
		key, secret := credsOf(s)
		if fileHolds(s.DataDir, secret) {
			t.Error("admin-credentials.json holds the secret in clear")
		}
		works(s, key, secret)
		s.Restart()
		works(s, key, secret)
		s.Stop()
		// A server that starts after all is killed, not waited for.
		runCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(runCtx, wharfBin, "serve", "--listen", "127.0.0.1:0", "--data-dir", s.DataDir)
		cmd.Env = append(os.Environ(), generated...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "encrypted with another secrets key") {
			t.Errorf("serving a sealed file without the key: %v\n%s", err, out)
		}
	})

	t.Run("sealed by wharf admin reseal", func(t *testing.T) {
		s := StartServerWith(t, ServerOptions{Env: generated})
		key, secret := credsOf(s)
		if !fileHolds(s.DataDir, secret) {
			t.Fatal("without a secrets key the file should hold the secret as it was")
		}
		s.Stop()
		out := wharfAdmin(t, s.DataDir, withKey, "reseal")
		if out["AdminCredentialsResealed"] != true {
			t.Errorf("reseal: %v", out)
		}
		if fileHolds(s.DataDir, secret) {
			t.Error("admin-credentials.json holds the secret in clear after reseal")
		}
		if out := wharfAdmin(t, s.DataDir, withKey, "reseal"); out["AdminCredentialsResealed"] != false {
			t.Errorf("second reseal: %v", out)
		}
		s2 := StartServerWith(t, ServerOptions{DataDir: s.DataDir, Env: append(generated, withKey...)})
		works(s2, key, secret)
	})
}

// zeroSignatureHead is a control-plane request head from someone who
// knows the administrator's access key id but not its secret.
func zeroSignatureHead(host, path string, contentLength int64) string {
	now := time.Now().UTC()
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nX-Amz-Date: %s\r\n"+
		"Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/codeartifact/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=%s\r\n\r\n",
		path, host, contentLength, now.Format("20060102T150405Z"), testKeyID, now.Format("20060102"), testRegion, strings.Repeat("0", 64))
}

// TestUnauthenticatedBodies: before a request is authenticated the server
// reads no more of its body than the operation can carry, and not for
// long: a body over the operation's bound is refused unread (413), and a
// client that stops sending is cut off (pre-auth reads are capped at 20 s;
// a silent connection used to be held for as long as it liked).
func TestUnauthenticatedBodies(t *testing.T) {
	s := StartServer(t)
	host := strings.TrimPrefix(s.URL, "http://")
	send := func(t *testing.T, path string, announced int64, body string) (net.Conn, *bufio.Reader) {
		t.Helper()
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := fmt.Fprint(c, zeroSignatureHead(host, path, announced)+body); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(60 * time.Second))
		return c, bufio.NewReader(c)
	}
	statusOf := func(t *testing.T, br *bufio.Reader) string {
		t.Helper()
		line, err := br.ReadString('\n')
		if err != nil {
			return "no answer: " + err.Error()
		}
		return strings.TrimSpace(line)
	}

	t.Run("over the operation's bound", func(t *testing.T) {
		for _, tt := range []struct {
			op, path  string
			announced int64
		}{
			{"ListPackageVersions (no JSON body)", "/v1/package/versions?domain=d&repository=r&format=npm&package=p", 1 << 20},
			{"ListDomains (some 12 KB at most)", "/v1/domains", 1 << 20},
			{"CopyPackageVersions (1 MiB at most)", "/v1/package/versions/copy?domain=d&source-repository=a&destination-repository=b&format=npm&package=p", 8 << 20},
		} {
			start := time.Now()
			_, br := send(t, tt.path, tt.announced, "")
			if got := statusOf(t, br); got != "HTTP/1.1 413 Request Entity Too Large" {
				t.Errorf("%s, %d bytes announced and none sent: %s", tt.op, tt.announced, got)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("%s: answered after %s: the body was waited for", tt.op, d)
			}
		}
	})

	t.Run("a body that stops coming", func(t *testing.T) {
		start := time.Now()
		_, br := send(t, "/v1/domains", 1000, `{"maxResults": `)
		got := statusOf(t, br)
		if !strings.HasPrefix(got, "HTTP/1.1 4") {
			t.Errorf("a stalled unauthenticated body: %s", got)
		}
		if d := time.Since(start); d > 45*time.Second {
			t.Errorf("the stalled body was cut off after %s", d)
		}
	})
}
