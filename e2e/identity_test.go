package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/token"
)

// Identities, policies and their enforcement, driven with the Go SDK as
// several IAM users in two accounts. Users, keys and identity policies are
// made with `wharf admin` against the running server's data directory.

const (
	acctA = testAccount // the administrator's account
	acctB = "444455556666"
)

// wharfAdmin runs `wharf admin CMD --data-dir DIR ARGS...` and decodes its
// JSON output (nil when it prints none).
func wharfAdmin(t *testing.T, dataDir string, env []string, cmd string, args ...string) map[string]any {
	t.Helper()
	out, err := wharfAdminErr(dataDir, env, cmd, args...)
	if err != nil {
		t.Fatalf("wharf admin %s %v: %v", cmd, args, err)
	}
	if strings.TrimSpace(out) == "" {
		return nil
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("wharf admin %s: output %q: %v", cmd, out, err)
	}
	return v
}

func wharfAdminErr(dataDir string, env []string, cmd string, args ...string) (string, error) {
	c := exec.Command(wharfBin, append([]string{"admin", cmd, "--data-dir", dataDir}, args...)...)
	c.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		return stdout.String(), errors.New(err.Error() + ": " + stderr.String())
	}
	return stdout.String(), nil
}

// iamUser is a user made with wharf admin, with a key and an SDK client.
type iamUser struct {
	name, arn, key, secret string
	c                      *ca.Client
}

// newUser creates a user (or, with name "", a root key of the account),
// gives it a key, attaches policy (if any) and returns a client for it.
func newUser(t *testing.T, s *Server, env []string, account, name, policy string) iamUser {
	t.Helper()
	if name != "" {
		wharfAdmin(t, s.DataDir, env, "create-user", "--account-id", account, "--user-name", name)
	}
	args := []string{"--account-id", account}
	if name != "" {
		args = append(args, "--user-name", name)
	}
	k := wharfAdmin(t, s.DataDir, env, "create-access-key", args...)["AccessKey"].(map[string]any)
	u := iamUser{name: name, arn: k["Arn"].(string), key: k["AccessKeyId"].(string), secret: k["SecretAccessKey"].(string)}
	if policy != "" {
		wharfAdmin(t, s.DataDir, env, "put-user-policy", "--account-id", account, "--user-name", name, "--policy-name", "main", "--policy-document", policy)
	}
	u.c = s.ClientWith(u.key, u.secret)
	return u
}

func allow(actions ...string) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Effect": "Allow", "Action": actions, "Resource": "*"}}})
	return string(b)
}

// stmt is one resource-policy statement.
func stmt(effect string, principals []string, actions ...string) map[string]any {
	p := any("*")
	if principals != nil {
		p = map[string]any{"AWS": principals}
	}
	return map[string]any{"Effect": effect, "Principal": p, "Action": actions, "Resource": "*"}
}

func resourcePolicy(stmts ...map[string]any) *string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	return aws.String(string(b))
}

// wantDenied checks an AccessDeniedException (403) whose message holds
// every fragment.
func wantDenied(t *testing.T, what string, err error, fragments ...string) {
	t.Helper()
	var ad *types.AccessDeniedException
	if !errors.As(err, &ad) || httpStatus(err) != http.StatusForbidden {
		t.Errorf("%s: %v, want AccessDeniedException (403)", what, err)
		return
	}
	for _, f := range fragments {
		if !strings.Contains(aws.ToString(ad.Message), f) {
			t.Errorf("%s: message %q lacks %q", what, aws.ToString(ad.Message), f)
		}
	}
}

func wantOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

// eventually retries fn until it returns nil, for changes made by another
// process (picked up within the identity refresh interval).
func eventually(t *testing.T, what string, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func versionsIn(c *ca.Client, owner, domain, repo, ns, pkg string) (*ca.ListPackageVersionsOutput, error) {
	return c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(domain), DomainOwner: aws.String(owner),
		Repository: aws.String(repo), Format: types.PackageFormatGeneric, Namespace: aws.String(ns), Package: aws.String(pkg)})
}

func publishAs(c *ca.Client, owner, domain, repo, ns, pkg, version string, content []byte) error {
	sum := sha256.Sum256(content)
	_, err := c.PublishPackageVersion(ctx, &ca.PublishPackageVersionInput{
		Domain: aws.String(domain), DomainOwner: aws.String(owner), Repository: aws.String(repo), Format: types.PackageFormatGeneric,
		Namespace: aws.String(ns), Package: aws.String(pkg), PackageVersion: aws.String(version),
		AssetName: aws.String(pkg + ".txt"), AssetSHA256: aws.String(hex.EncodeToString(sum[:])), AssetContent: bytes.NewReader(content),
	})
	return err
}

func TestIdentitiesAndPolicies(t *testing.T) {
	s := StartServerWith(t, ServerOptions{Args: []string{"--identity-refresh", "100ms"}})
	admin := s.Client()
	Setup(t, admin, "acme", "main", "other")
	hello := []byte("hello, world\n")
	PublishGeneric(t, admin, "acme", "main", "tools", "hello", "1.0.0", "hello.txt", hello, false)

	readActions := []string{"codeartifact:List*", "codeartifact:Describe*", "codeartifact:ReadFromRepository",
		"codeartifact:GetPackageVersionAsset", "codeartifact:GetAuthorizationToken", "codeartifact:GetRepositoryEndpoint", "sts:GetServiceBearerToken"}
	reader := newUser(t, s, nil, acctA, "reader", allow(readActions...))
	publisher := newUser(t, s, nil, acctA, "publisher", allow(readActions...))
	ops := newUser(t, s, nil, acctA, "ops", allow("codeartifact:*"))
	carol := newUser(t, s, nil, acctB, "carol", allow("codeartifact:*", "sts:GetServiceBearerToken"))
	dave := newUser(t, s, nil, acctB, "dave", "")
	pkgARN := "arn:aws:codeartifact:us-east-1:" + acctA + ":package/acme/main/generic/tools/hello"

	t.Run("reader lists and downloads but cannot delete", func(t *testing.T) {
		out, err := versionsIn(reader.c, acctA, "acme", "main", "tools", "hello")
		if err != nil || len(out.Versions) != 1 {
			t.Fatalf("reader ListPackageVersions: %v %+v", err, out)
		}
		a, err := reader.c.GetPackageVersionAsset(ctx, &ca.GetPackageVersionAssetInput{Domain: aws.String("acme"), Repository: aws.String("main"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String("hello"), PackageVersion: aws.String("1.0.0"), Asset: aws.String("hello.txt")})
		if err != nil {
			t.Fatalf("reader download: %v", err)
		}
		got, _ := io.ReadAll(a.Asset)
		a.Asset.Close()
		if !bytes.Equal(got, hello) {
			t.Errorf("downloaded %q", got)
		}
		_, err = reader.c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("main"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String("hello"), Versions: []string{"1.0.0"}})
		wantDenied(t, "reader DeletePackageVersions", err,
			"User: arn:aws:iam::"+acctA+":user/reader is not authorized to perform: codeartifact:DeletePackageVersions on resource: "+pkgARN+
				" because no identity-based policy allows the codeartifact:DeletePackageVersions action")
		if out, err := versionsIn(admin, acctA, "acme", "main", "tools", "hello"); err != nil || len(out.Versions) != 1 || out.Versions[0].Status != types.PackageVersionStatusPublished {
			t.Errorf("after the refused delete: %v %+v", err, out)
		}
		// A user with no policy at all is refused everything.
		_, err = dave.c.ListDomains(ctx, &ca.ListDomainsInput{})
		wantDenied(t, "dave ListDomains", err, "user/dave", "codeartifact:ListDomains on resource: *")
	})

	var rev1 string
	t.Run("publisher scoped by a repository policy", func(t *testing.T) {
		err := publishAs(publisher.c, acctA, "acme", "main", "tools", "tool", "1.0.0", []byte("v1"))
		wantDenied(t, "publish before the repository policy", err, "codeartifact:PublishPackageVersion", "no identity-based policy")
		out, err := admin.PutRepositoryPermissionsPolicy(ctx, &ca.PutRepositoryPermissionsPolicyInput{Domain: aws.String("acme"), Repository: aws.String("main"),
			PolicyDocument: resourcePolicy(stmt("Allow", []string{publisher.arn}, "codeartifact:PublishPackageVersion", "codeartifact:PutPackageMetadata"))})
		if err != nil {
			t.Fatal(err)
		}
		rev1 = aws.ToString(out.Policy.Revision)
		if aws.ToString(out.Policy.ResourceArn) != "arn:aws:codeartifact:us-east-1:"+acctA+":repository/acme/main" || rev1 == "" {
			t.Errorf("policy %+v", out.Policy)
		}
		wantOK(t, "publish to main", publishAs(publisher.c, acctA, "acme", "main", "tools", "tool", "1.0.0", []byte("v1")))
		err = publishAs(publisher.c, acctA, "acme", "other", "tools", "tool", "1.0.0", []byte("v1"))
		wantDenied(t, "publish to other", err, "codeartifact:PublishPackageVersion on resource: arn:aws:codeartifact:us-east-1:"+acctA+":package/acme/other/generic/tools/tool")
		pk, err := admin.ListPackages(ctx, &ca.ListPackagesInput{Domain: aws.String("acme"), Repository: aws.String("other")})
		if err != nil || len(pk.Packages) != 0 {
			t.Errorf("the refused publish wrote something: %v %+v", err, pk)
		}
		// The policy grants publishing, not deleting.
		_, err = publisher.c.DeletePackage(ctx, &ca.DeletePackageInput{Domain: aws.String("acme"), Repository: aws.String("main"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String("tool")})
		wantDenied(t, "publisher DeletePackage", err, "codeartifact:DeletePackage ")
	})

	t.Run("cross-account grant works only when both policies allow", func(t *testing.T) {
		_, err := versionsIn(carol.c, acctA, "acme", "main", "tools", "hello")
		wantDenied(t, "carol before the grant", err, "user/carol", "because no resource-based policy allows the codeartifact:ListPackageVersions action")
		cur, err := admin.GetRepositoryPermissionsPolicy(ctx, &ca.GetRepositoryPermissionsPolicyInput{Domain: aws.String("acme"), Repository: aws.String("main")})
		if err != nil || aws.ToString(cur.Policy.Revision) != rev1 {
			t.Fatalf("GetRepositoryPermissionsPolicy: %v", err)
		}
		_, err = admin.PutRepositoryPermissionsPolicy(ctx, &ca.PutRepositoryPermissionsPolicyInput{Domain: aws.String("acme"), Repository: aws.String("main"),
			PolicyRevision: aws.String(rev1),
			PolicyDocument: resourcePolicy(
				stmt("Allow", []string{publisher.arn}, "codeartifact:PublishPackageVersion", "codeartifact:PutPackageMetadata"),
				stmt("Allow", []string{"arn:aws:iam::" + acctB + ":root"}, "codeartifact:ListPackageVersions", "codeartifact:ReadFromRepository", "codeartifact:GetPackageVersionAsset"))})
		if err != nil {
			t.Fatal(err)
		}
		out, err := versionsIn(carol.c, acctA, "acme", "main", "tools", "hello")
		if err != nil || len(out.Versions) != 1 {
			t.Errorf("carol after the grant: %v", err)
		}
		// Identity policy without resource policy: refused.
		_, err = versionsIn(carol.c, acctA, "acme", "other", "tools", "hello")
		wantDenied(t, "carol on the repository without a grant", err, "because no resource-based policy allows")
		// Resource policy without identity policy: refused.
		_, err = versionsIn(dave.c, acctA, "acme", "main", "tools", "hello")
		wantDenied(t, "dave, granted by the resource policy only", err, "user/dave", "because no identity-based policy allows")
		// The grant is for reading only.
		_, err = carol.c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: aws.String("acme"), DomainOwner: aws.String(acctA),
			Repository: aws.String("main"), Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String("hello"), Versions: []string{"1.0.0"}})
		wantDenied(t, "carol DeletePackageVersions", err)
		// Account B's root, with its implicit identity allow, is granted too.
		bRoot := newUser(t, s, nil, acctB, "", "")
		wantOK(t, "B root under the grant", func() error { _, err := versionsIn(bRoot.c, acctA, "acme", "main", "tools", "hello"); return err }())
		_, err = bRoot.c.DescribeDomain(ctx, &ca.DescribeDomainInput{Domain: aws.String("acme"), DomainOwner: aws.String(acctA)})
		wantDenied(t, "B root DescribeDomain of A's domain", err, "arn:aws:iam::"+acctB+":root")
		// In its own account it needs no policy.
		_, err = bRoot.c.CreateDomain(ctx, &ca.CreateDomainInput{Domain: aws.String("bdom")})
		wantOK(t, "B root CreateDomain", err)
	})

	t.Run("stale policyRevision refused", func(t *testing.T) {
		cur, err := admin.GetRepositoryPermissionsPolicy(ctx, &ca.GetRepositoryPermissionsPolicyInput{Domain: aws.String("acme"), Repository: aws.String("main")})
		if err != nil {
			t.Fatal(err)
		}
		stale := []struct {
			name string
			fn   func() error
		}{
			{"put", func() error {
				_, err := admin.PutRepositoryPermissionsPolicy(ctx, &ca.PutRepositoryPermissionsPolicyInput{Domain: aws.String("acme"), Repository: aws.String("main"),
					PolicyRevision: aws.String(rev1), PolicyDocument: resourcePolicy(stmt("Deny", nil, "codeartifact:*"))})
				return err
			}},
			{"delete", func() error {
				_, err := admin.DeleteRepositoryPermissionsPolicy(ctx, &ca.DeleteRepositoryPermissionsPolicyInput{Domain: aws.String("acme"), Repository: aws.String("main"),
					PolicyRevision: aws.String(rev1)})
				return err
			}},
			{"put on a domain without a policy", func() error {
				_, err := admin.PutDomainPermissionsPolicy(ctx, &ca.PutDomainPermissionsPolicyInput{Domain: aws.String("acme"),
					PolicyRevision: aws.String(rev1), PolicyDocument: resourcePolicy(stmt("Deny", nil, "codeartifact:*"))})
				return err
			}},
		}
		for _, st := range stale {
			err := st.fn()
			var ce *types.ConflictException
			if !errors.As(err, &ce) || httpStatus(err) != http.StatusConflict {
				t.Errorf("%s with a stale revision: %v, want ConflictException", st.name, err)
			}
		}
		invalid := map[string]string{
			"not JSON":               "{",
			"no Principal":           `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			"over 7168 characters":   `{"Version":"2012-10-17","Id":"` + strings.Repeat("x", 7200) + `","Statement":[{"Effect":"Allow","Principal":"*","Action":"*"}]}`,
			"unknown condition type": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"Sorta":{"aws:SourceIp":"1"}}}]}`,
		}
		for name, doc := range invalid {
			_, err := admin.PutRepositoryPermissionsPolicy(ctx, &ca.PutRepositoryPermissionsPolicyInput{Domain: aws.String("acme"), Repository: aws.String("main"), PolicyDocument: aws.String(doc)})
			var ve *types.ValidationException
			if !errors.As(err, &ve) || httpStatus(err) != http.StatusBadRequest {
				t.Errorf("%s: %v, want ValidationException", name, err)
			}
		}
		after, err := admin.GetRepositoryPermissionsPolicy(ctx, &ca.GetRepositoryPermissionsPolicyInput{Domain: aws.String("acme"), Repository: aws.String("main")})
		if err != nil || aws.ToString(after.Policy.Revision) != aws.ToString(cur.Policy.Revision) || aws.ToString(after.Policy.Document) != aws.ToString(cur.Policy.Document) {
			t.Errorf("refused requests changed the policy: %v", err)
		}
		if _, err := admin.GetDomainPermissionsPolicy(ctx, &ca.GetDomainPermissionsPolicyInput{Domain: aws.String("acme")}); errorCode(err) != "ResourceNotFoundException" {
			t.Errorf("domain policy after a refused put: %v", err)
		}
	})

	t.Run("explicit Deny beats Allow", func(t *testing.T) {
		_, err := admin.PutDomainPermissionsPolicy(ctx, &ca.PutDomainPermissionsPolicyInput{Domain: aws.String("acme"),
			PolicyDocument: resourcePolicy(
				stmt("Deny", []string{ops.arn}, "codeartifact:DeletePackageVersions"),
				stmt("Allow", []string{"arn:aws:iam::" + acctB + ":root"}, "codeartifact:GetAuthorizationToken"))})
		if err != nil {
			t.Fatal(err)
		}
		del := func(c *ca.Client) error {
			_, err := c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("main"),
				Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String("hello"), Versions: []string{"1.0.0"}, ExpectedStatus: types.PackageVersionStatusArchived})
			return err
		}
		wantDenied(t, "ops DeletePackageVersions", del(ops.c), "user/ops", "with an explicit deny in a resource-based policy")
		_, err = ops.c.DescribePackageVersion(ctx, &ca.DescribePackageVersionInput{Domain: aws.String("acme"), Repository: aws.String("main"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String("hello"), PackageVersion: aws.String("1.0.0")})
		wantOK(t, "ops DescribePackageVersion (still allowed)", err)
		// Not named by the Deny, the root goes through (and finds the version
		// not Archived, so nothing changes).
		wantOK(t, "admin DeletePackageVersions", del(admin))

		// An identity-based Deny, attached while the server runs.
		wharfAdmin(t, s.DataDir, nil, "put-user-policy", "--account-id", acctA, "--user-name", "ops", "--policy-name", "no-describe",
			"--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"codeartifact:DescribeRepository","Resource":"*"}]}`)
		eventually(t, "identity Deny takes effect", func() error {
			_, err := ops.c.DescribeRepository(ctx, &ca.DescribeRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("main")})
			if errorCode(err) == "AccessDeniedException" {
				wantDenied(t, "ops DescribeRepository", err, "with an explicit deny in an identity-based policy")
				return nil
			}
			return errors.New("still allowed")
		})
		// Carol gets tokens for A's domain now, dave does not.
		_, err = carol.c.GetAuthorizationToken(ctx, &ca.GetAuthorizationTokenInput{Domain: aws.String("acme"), DomainOwner: aws.String(acctA)})
		wantOK(t, "carol GetAuthorizationToken", err)
		_, err = dave.c.GetAuthorizationToken(ctx, &ca.GetAuthorizationTokenInput{Domain: aws.String("acme"), DomainOwner: aws.String(acctA)})
		wantDenied(t, "dave GetAuthorizationToken", err)
	})

	t.Run("the policy being replaced cannot lock its owner out", func(t *testing.T) {
		_, err := admin.PutDomainPermissionsPolicy(ctx, &ca.PutDomainPermissionsPolicyInput{Domain: aws.String("lockout-does-not-exist"),
			PolicyDocument: resourcePolicy(stmt("Deny", nil, "codeartifact:*"))})
		if errorCode(err) != "ResourceNotFoundException" {
			t.Errorf("put on a missing domain: %v", err)
		}
		Setup(t, admin, "locked", "rr")
		_, err = admin.PutDomainPermissionsPolicy(ctx, &ca.PutDomainPermissionsPolicyInput{Domain: aws.String("locked"),
			PolicyDocument: resourcePolicy(stmt("Deny", nil, "codeartifact:*"))})
		wantOK(t, "deny everything", err)
		_, err = admin.DescribeDomain(ctx, &ca.DescribeDomainInput{Domain: aws.String("locked")})
		wantDenied(t, "root under a Deny of everything", err, "explicit deny in a resource-based policy")
		_, err = admin.GetDomainPermissionsPolicy(ctx, &ca.GetDomainPermissionsPolicyInput{Domain: aws.String("locked")})
		wantDenied(t, "root reading the policy", err)
		_, err = admin.PutDomainPermissionsPolicy(ctx, &ca.PutDomainPermissionsPolicyInput{Domain: aws.String("locked"),
			PolicyDocument: resourcePolicy(stmt("Allow", []string{"arn:aws:iam::" + acctB + ":root"}, "codeartifact:DescribeDomain"))})
		wantOK(t, "replacing the Deny", err)
		_, err = admin.DescribeDomain(ctx, &ca.DescribeDomainInput{Domain: aws.String("locked")})
		wantOK(t, "root after the repair", err)
	})

	t.Run("conditions on tags and the source address", func(t *testing.T) {
		cond := newUser(t, s, nil, acctA, "cond", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"codeartifact:DescribeRepository","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"core"}}},
			{"Effect":"Allow","Action":"codeartifact:CreateRepository","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"core"},"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}},
			{"Effect":"Allow","Action":"codeartifact:ListDomains","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}},
			{"Effect":"Allow","Action":"codeartifact:ListRepositories","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"127.0.0.0/8"}}},
			{"Effect":"Allow","Action":"codeartifact:DescribeDomain","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/co*"},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}`)
		describe := func(repo string) error {
			_, err := cond.c.DescribeRepository(ctx, &ca.DescribeRepositoryInput{Domain: aws.String("acme"), Repository: aws.String(repo)})
			return err
		}
		wantDenied(t, "untagged repository", describe("main"), "no identity-based policy")
		if _, err := admin.TagResource(ctx, &ca.TagResourceInput{ResourceArn: aws.String("arn:aws:codeartifact:us-east-1:" + acctA + ":repository/acme/main"),
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}}}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "aws:ResourceTag after TagResource", func() error { return describe("main") })
		wantDenied(t, "repository without the tag", describe("other"))

		create := func(name string, tags ...types.Tag) error {
			_, err := cond.c.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String(name), Tags: tags})
			return err
		}
		core := types.Tag{Key: aws.String("team"), Value: aws.String("core")}
		wantDenied(t, "create without tags", create("untagged"))
		wantDenied(t, "create with another team", create("web", types.Tag{Key: aws.String("team"), Value: aws.String("web")}))
		wantDenied(t, "create with an extra tag key", create("extra", core, types.Tag{Key: aws.String("cost"), Value: aws.String("x")}))
		wantOK(t, "create with team=core", create("core-repo", core))

		_, err := cond.c.ListDomains(ctx, &ca.ListDomainsInput{})
		wantOK(t, "ListDomains from 127.0.0.1", err)
		_, err = cond.c.ListRepositories(ctx, &ca.ListRepositoriesInput{})
		wantDenied(t, "ListRepositories from 127.0.0.1", err)
		_, err = cond.c.DescribeDomain(ctx, &ca.DescribeDomainInput{Domain: aws.String("acme")})
		wantOK(t, "DescribeDomain by PrincipalArn and CurrentTime", err)
	})

	t.Run("authorization tokens", func(t *testing.T) {
		for _, tc := range []struct {
			duration *int64
			want     time.Duration
		}{{nil, 12 * time.Hour}, {aws.Int64(0), 12 * time.Hour}, {aws.Int64(900), 15 * time.Minute}, {aws.Int64(43200), 12 * time.Hour}} {
			before := time.Now()
			out, err := reader.c.GetAuthorizationToken(ctx, &ca.GetAuthorizationTokenInput{Domain: aws.String("acme"), DurationSeconds: tc.duration})
			if err != nil {
				t.Errorf("duration %v: %v", tc.duration, err)
				continue
			}
			if exp := out.Expiration.Sub(before); exp < tc.want-2*time.Second || exp > tc.want+2*time.Second {
				t.Errorf("duration %v: expires in %v, want %v", aws.ToInt64(tc.duration), exp, tc.want)
			}
		}
		for _, d := range []int64{1, 899, 43201} {
			_, err := reader.c.GetAuthorizationToken(ctx, &ca.GetAuthorizationTokenInput{Domain: aws.String("acme"), DurationSeconds: aws.Int64(d)})
			var ve *types.ValidationException
			if !errors.As(err, &ve) {
				t.Errorf("duration %d: %v, want ValidationException", d, err)
			}
		}
	})

	t.Run("changes take effect without a restart", func(t *testing.T) {
		wharfAdmin(t, s.DataDir, nil, "detach-policy", "--account-id", acctA, "--user-name", "reader", "--policy-name", "main")
		eventually(t, "detached policy", func() error {
			_, err := versionsIn(reader.c, acctA, "acme", "main", "tools", "hello")
			if errorCode(err) == "AccessDeniedException" {
				return nil
			}
			return errors.New("reader still allowed")
		})
		wharfAdmin(t, s.DataDir, nil, "update-access-key", "--access-key-id", reader.key, "--status", "Inactive")
		eventually(t, "inactive key", func() error {
			_, err := reader.c.ListDomains(ctx, &ca.ListDomainsInput{})
			if errorCode(err) == "UnrecognizedClientException" {
				return nil
			}
			return errors.New("key still accepted")
		})
		wharfAdmin(t, s.DataDir, nil, "delete-user", "--account-id", acctA, "--user-name", "publisher")
		eventually(t, "deleted user", func() error {
			_, err := publisher.c.DescribeDomain(ctx, &ca.DescribeDomainInput{Domain: aws.String("acme")})
			if errorCode(err) == "UnrecognizedClientException" {
				return nil
			}
			return errors.New("deleted user's key still accepted")
		})
		if err := publishAs(publisher.c, acctA, "acme", "main", "tools", "tool", "2.0.0", []byte("v2")); errorCode(err) != "UnrecognizedClientException" {
			t.Errorf("publish with a deleted user's key: %v", err)
		}
		if out, err := versionsIn(admin, acctA, "acme", "main", "tools", "tool"); err != nil || len(out.Versions) != 1 {
			t.Errorf("versions of tool: %v %+v", err, out)
		}
		users := wharfAdmin(t, s.DataDir, nil, "list-users", "--account-id", acctA)["Users"].([]any)
		if len(users) != 3 { // reader, ops, cond; publisher is gone
			t.Errorf("users left in A: %v", users)
		}
	})
}

// With a secrets key kept outside the data directory, the data directory
// alone does not hold the secrets in clear, and does not authenticate
// anyone without the key.
func TestSecretsAtRest(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "secrets.key")
	key := strings.Repeat("5a", 32)
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"WHARF_SECRETS_KEY_FILE=" + keyFile}
	s := StartServerWith(t, ServerOptions{Env: env})
	Setup(t, s.Client(), "vault")
	u := newUser(t, s, env, acctA, "ci", allow("codeartifact:ListDomains"))
	if _, err := u.c.ListDomains(ctx, &ca.ListDomainsInput{}); err != nil {
		t.Fatalf("key made under the secrets key: %v", err)
	}
	keys := wharfAdmin(t, s.DataDir, env, "list-access-keys")["AccessKeyMetadata"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["SecretEncrypted"] != true {
		t.Errorf("list-access-keys: %v", keys)
	}
	// Stop so the WAL is checkpointed, then look for the secret anywhere
	// in the data directory.
	s.Stop()
	filepath.Walk(s.DataDir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, []byte(u.secret)) {
			t.Errorf("%s holds the secret access key in clear", path)
		}
		return nil
	})

	// Serving the same data with another key: the sealed key is unusable.
	other := filepath.Join(t.TempDir(), "other.key")
	os.WriteFile(other, []byte(strings.Repeat("a5", 32)), 0o600)
	s2 := StartServerWith(t, ServerOptions{DataDir: s.DataDir, Env: []string{"WHARF_SECRETS_KEY_FILE=" + other}})
	_, err := s2.ClientWith(u.key, u.secret).ListDomains(ctx, &ca.ListDomainsInput{})
	if errorCode(err) != "UnrecognizedClientException" {
		t.Errorf("key served with the wrong secrets key: %v", err)
	}
	eventually(t, "the server saying why the key is unusable", func() error {
		if !strings.Contains(s2.log.String(), "its secret cannot be read") {
			return errors.New("not in the log")
		}
		return nil
	})
}

// TestSigV4NegativeTable sends hand-signed requests to a server with
// replay protection on. Each request would create a domain; each refused
// one must leave none behind.
func TestSigV4NegativeTable(t *testing.T) {
	s := StartServerWith(t, ServerOptions{Args: []string{"--replay-protection"}})
	type req struct {
		domain       string // named in the signed query
		sendDomain   string // named in the sent query ("" = same)
		body, sent   string // signed body, sent body ("" = same)
		key, secret  string
		at           time.Time
		unsigned     bool
		hashHeader   bool // sign X-Amz-Content-Sha256 too
		sendTwice    bool
		code         string
		msg          string
		createdFirst bool // the first of two sends succeeds
	}
	now := time.Now
	send := func(t *testing.T, r req) (*http.Response, string) {
		t.Helper()
		build := func(domain, body string) *http.Request {
			hr, err := http.NewRequest(http.MethodPost, s.URL+"/v1/domain?domain="+domain, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			hr.Header.Set("Content-Type", "application/json")
			return hr
		}
		hr := build(r.domain, r.body)
		sum := sha256.Sum256([]byte(r.body))
		hash := hex.EncodeToString(sum[:])
		if r.hashHeader {
			hr.Header.Set("X-Amz-Content-Sha256", hash)
		}
		if !r.unsigned {
			// A fresh signer each time: the SDK's caches derived keys by
			// access key id, not by secret.
			if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: r.key, SecretAccessKey: r.secret}, hr, hash, "codeartifact", testRegion, r.at); err != nil {
				t.Fatal(err)
			}
		}
		if r.sendDomain != "" || r.sent != "" {
			d, b := r.domain, r.body
			if r.sendDomain != "" {
				d = r.sendDomain
			}
			if r.sent != "" {
				b = r.sent
			}
			tampered := build(d, b)
			tampered.Header = hr.Header.Clone()
			hr = tampered
		}
		do := func() (*http.Response, string) {
			c := *hr
			if r.sent != "" {
				c.Body = io.NopCloser(strings.NewReader(r.sent))
			} else {
				c.Body = io.NopCloser(strings.NewReader(r.body))
			}
			resp, err := http.DefaultClient.Do(&c)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp, string(b)
		}
		if r.sendTwice {
			resp, b := do()
			if resp.StatusCode != 200 {
				t.Fatalf("first send: %d %s", resp.StatusCode, b)
			}
		}
		return do()
	}
	tag := func(v string) string { return `{"tags":[{"key":"team","value":"` + v + `"}]}` }
	cases := []struct {
		name string
		r    req
	}{
		{"unsigned", req{domain: "neg-unsigned", body: "{}", unsigned: true, code: "MissingAuthenticationTokenException"}},
		{"unknown access key", req{domain: "neg-unknown", body: "{}", key: "AKIAWHARFNOBODY00001", secret: testSecret, code: "UnrecognizedClientException"}},
		{"wrong secret", req{domain: "neg-secret", body: "{}", key: testKeyID, secret: testSecret + "x", code: "InvalidSignatureException", msg: "The request signature we calculated does not match"}},
		{"expired: signed 20 minutes ago", req{domain: "neg-expired", body: "{}", at: now().Add(-20 * time.Minute), code: "InvalidSignatureException", msg: "Signature expired"}},
		{"replayed", req{domain: "neg-replayed", body: "{}", sendTwice: true, createdFirst: true, code: "InvalidSignatureException", msg: "Signature has already been used"}},
		{"tampered query", req{domain: "neg-query", sendDomain: "neg-query-evil", body: "{}", code: "InvalidSignatureException"}},
		{"tampered body", req{domain: "neg-body", body: tag("a"), sent: tag("b"), code: "InvalidSignatureException"}},
		{"tampered body, hash header signed", req{domain: "neg-body-hash", body: tag("a"), sent: tag("b"), hashHeader: true, code: "InvalidSignatureException"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			if r.key == "" {
				r.key, r.secret = testKeyID, testSecret
			}
			if r.at.IsZero() {
				r.at = now()
			}
			resp, body := send(t, r)
			if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != r.code || !strings.Contains(body, r.msg) {
				t.Errorf("got %d %s %s, want 403 %s %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body, r.code, r.msg)
			}
			for _, d := range []string{r.domain, r.sendDomain} {
				if d == "" {
					continue
				}
				_, err := s.Client().DescribeDomain(ctx, &ca.DescribeDomainInput{Domain: aws.String(d)})
				exists := err == nil
				if exists != (r.createdFirst && d == r.domain) {
					t.Errorf("domain %s exists: %v (%v)", d, exists, err)
				}
			}
		})
	}
	// The Go SDK, whose retries are signed afresh, is unaffected.
	for i := 0; i < 5; i++ {
		if _, err := s.Client().ListDomains(ctx, &ca.ListDomainsInput{}); err != nil {
			t.Fatalf("SDK call %d: %v", i, err)
		}
	}
}

// ---- the same rights on the repository endpoints, through the real clients

// rightsRig is a server with domain "acme" and repository "pkgs", and a
// read-only user "ro" (GetAuthorizationToken, GetRepositoryEndpoint and
// ReadFromRepository only) in the administrator's account.
type rightsRig struct {
	s  *Server
	ro iamUser
}

const readOnlyPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codeartifact:GetAuthorizationToken",` +
	`"codeartifact:GetRepositoryEndpoint","codeartifact:ReadFromRepository","sts:GetServiceBearerToken"],"Resource":"*"}]}`

func newRightsRig(t *testing.T) *rightsRig {
	t.Helper()
	s := StartServer(t)
	Setup(t, s.Client(), "acme", "pkgs")
	return &rightsRig{s: s, ro: newUser(t, s, nil, acctA, "ro", readOnlyPolicy)}
}

// envAs is s.Env(t) (a fresh HOME) signing as user u.
func envAs(env []string, u iamUser) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_ACCESS_KEY_ID=") && !strings.HasPrefix(kv, "AWS_SECRET_ACCESS_KEY=") {
			out = append(out, kv)
		}
	}
	return append(out, "AWS_ACCESS_KEY_ID="+u.key, "AWS_SECRET_ACCESS_KEY="+u.secret)
}

func homeOf(env []string) string {
	for _, kv := range env {
		if h, ok := strings.CutPrefix(kv, "HOME="); ok {
			return h
		}
	}
	return ""
}

// mintToken signs a token with the server's own key (read from its data
// directory), so a test can hold one that expired an hour ago.
func (r *rightsRig) mintToken(t *testing.T, u iamUser, expires time.Time) string {
	t.Helper()
	st, err := sqlite.Open(ctx, filepath.Join(r.s.DataDir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var hexKey string
	if err := st.View(ctx, func(tx meta.Tx) error {
		var err error
		hexKey, err = tx.GetSetting("token-key")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	key, err := hex.DecodeString(hexKey)
	if err != nil {
		t.Fatal(err)
	}
	return token.NewIssuer(key).Mint(token.Claims{Account: acctA, ARN: u.arn, AccessKeyID: u.key, Domain: "acme", DomainOwner: acctA,
		IssuedAt: expires.Add(-time.Hour).Unix(), Expires: expires.Unix()})
}

// endpointStatus is the status of an authenticated GET of url.
func endpointStatus(t *testing.T, url, tok string, basic bool) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if basic {
		req.SetBasicAuth("aws", tok)
	} else {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// checkMinted proves a minted token is accepted when not expired, so that
// the refusal of the expired one is about its expiry.
func (r *rightsRig) checkMinted(t *testing.T, url string, basic bool) string {
	t.Helper()
	if st := endpointStatus(t, url, r.mintToken(t, r.ro, time.Now().Add(time.Hour)), basic); st != http.StatusOK {
		t.Fatalf("a fresh minted token: GET %s = %d, want 200", url, st)
	}
	expired := r.mintToken(t, r.ro, time.Now().Add(-time.Hour))
	if st := endpointStatus(t, url, expired, basic); st != http.StatusUnauthorized {
		t.Fatalf("expired token: GET %s = %d, want 401", url, st)
	}
	return expired
}

func TestRightsNpm(t *testing.T) {
	t.Parallel()
	needTool(t, "npm", "npm", "--version")
	needTool(t, "aws")
	r := newRightsRig(t)
	quiet := []string{"npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false", "npm_config_loglevel=warn"}
	login := func(env []string) {
		Run(t, env, "", "aws", "codeartifact", "login", "--tool", "npm", "--domain", "acme", "--repository", "pkgs", "--endpoint-url", r.s.URL)
	}
	admin := append(r.s.Env(t), quiet...)
	login(admin)
	pkg := func(version string) string {
		return npmPkgDir(t, map[string]any{"name": "wharf-rights", "version": version, "main": "index.js", "license": "MIT"},
			map[string]string{"index.js": `module.exports = "` + version + `";` + "\n"})
	}
	Run(t, admin, pkg("1.0.0"), "npm", "publish")

	ro := envAs(append(r.s.Env(t), quiet...), r.ro)
	login(ro)
	proj := npmProject(t)
	Run(t, ro, proj, "npm", "install", "wharf-rights@1.0.0")
	if got := strings.TrimSpace(Run(t, ro, proj, "node", "-p", `require("wharf-rights")`)); got != "1.0.0" {
		t.Errorf("installed module says %q", got)
	}
	out, err := RunErr(ro, pkg("1.0.1"), "npm", "publish")
	if err == nil || !strings.Contains(out, "403") {
		t.Errorf("read-only npm publish: %v, want a 403 failure\n%s", err, out)
	}
	out, err = RunErr(ro, proj, "npm", "dist-tag", "add", "wharf-rights@1.0.0", "beta")
	if err == nil || !strings.Contains(out, "403") {
		t.Errorf("read-only npm dist-tag add: %v, want a 403 failure\n%s", err, out)
	}
	vs, err := r.s.Client().ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("pkgs"),
		Format: types.PackageFormatNpm, Package: aws.String("wharf-rights")})
	if err != nil || len(vs.Versions) != 1 || aws.ToString(vs.Versions[0].Version) != "1.0.0" {
		t.Errorf("versions after the refused publish: %v %+v", err, vs)
	}
	tags := Run(t, admin, "", "npm", "view", "wharf-rights", "dist-tags", "--json")
	if strings.Contains(tags, "beta") {
		t.Errorf("the refused dist-tag was written: %s", tags)
	}

	// An expired token is refused.
	registry := r.s.Endpoint(t, "acme", "pkgs", types.PackageFormatNpm)
	expired := r.checkMinted(t, registry+"wharf-rights", false)
	stale := append(r.s.Env(t), quiet...)
	rc := "registry=" + registry + "\n" + strings.TrimPrefix(registry, "http:") + ":_authToken=" + expired + "\n"
	if err := os.WriteFile(filepath.Join(homeOf(stale), ".npmrc"), []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = RunErr(stale, npmProject(t), "npm", "install", "wharf-rights@1.0.0")
	if err == nil || !strings.Contains(out, "401") {
		t.Errorf("npm install with an expired token: %v, want a 401 failure\n%s", err, out)
	}

	// A token dies with its key.
	roRC, _ := os.ReadFile(filepath.Join(homeOf(ro), ".npmrc"))
	_, tok, _ := strings.Cut(string(roRC), ":_authToken=")
	tok = strings.TrimSpace(strings.SplitN(tok, "\n", 2)[0])
	if st := endpointStatus(t, registry+"wharf-rights", tok, false); st != http.StatusOK {
		t.Fatalf("ro's token before its key is deleted: %d", st)
	}
	wharfAdmin(t, r.s.DataDir, nil, "delete-access-key", "--access-key-id", r.ro.key)
	eventually(t, "token of a deleted key", func() error {
		if st := endpointStatus(t, registry+"wharf-rights", tok, false); st != http.StatusUnauthorized {
			return errors.New("status " + http.StatusText(st))
		}
		return nil
	})
}

func TestRightsPyPI(t *testing.T) {
	t.Parallel()
	r := newRightsRig(t)
	admin := pyClients(t, r.s, "acme", "pkgs")
	dist := t.TempDir()
	v1 := pyBuildWheel(t, dist, pyDist{name: "wharf_rights", version: "1.0.0", summary: "rights", marker: "one"})
	v2 := pyBuildWheel(t, dist, pyDist{name: "wharf_rights", version: "1.0.1", summary: "rights", marker: "two"})
	if out, err := twineUpload(admin, v1); err != nil {
		t.Fatalf("admin twine upload: %v\n%s", err, out)
	}

	ro := envAs(pyEnv(t, r.s), r.ro)
	for _, tool := range []string{"pip", "twine"} {
		Run(t, ro, "", "aws", "codeartifact", "login", "--tool", tool, "--domain", "acme", "--repository", "pkgs", "--endpoint-url", r.s.URL)
	}
	got, out, err := pipDownload(t, ro, "--no-cache-dir", "wharf-rights==1.0.0")
	if err != nil || len(got) != 1 {
		t.Fatalf("read-only pip download: %v %v\n%s", err, pyKeys(got), out)
	}
	if out, err := twineUpload(ro, v2); err == nil || !strings.Contains(out, "403") {
		t.Errorf("read-only twine upload: %v, want a 403 failure\n%s", err, out)
	}
	vs, err := r.s.Client().ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("pkgs"),
		Format: types.PackageFormatPypi, Package: aws.String("wharf-rights")})
	if err != nil || len(vs.Versions) != 1 || aws.ToString(vs.Versions[0].Version) != "1.0.0" {
		t.Errorf("versions after the refused upload: %v %+v", err, vs)
	}

	base := r.s.Endpoint(t, "acme", "pkgs", types.PackageFormatPypi)
	expired := r.checkMinted(t, base+"simple/wharf-rights/", true)
	u, _ := url.Parse(base + "simple/")
	u.User = url.UserPassword("aws", expired)
	// pip reports an index page it may not read as "no versions"; its
	// debug output shows why.
	_, out, err = pipDownload(t, pyEnv(t, r.s), "-vvv", "--no-cache-dir", "--index-url", u.String(), "wharf-rights==1.0.0")
	if err == nil || !strings.Contains(out, `"GET /pypi/acme-`+acctA+`/pkgs/simple/wharf-rights/ HTTP/1.1" 401`) {
		t.Errorf("pip with an expired token: %v, want a 401 failure\n%s", err, out)
	}
}

func TestRightsMaven(t *testing.T) {
	t.Parallel()
	mvnNeed(t)
	r := newRightsRig(t)
	endpoint := r.s.Endpoint(t, "acme", "pkgs", types.PackageFormatMaven)
	m := newMvnRig(t, endpoint)
	adminSettings, _ := m.settings("admin", r.s.Token(t, "acme"))
	coords := func(version, jar string) []string {
		return []string{"-Dfile=" + jar, "-DgroupId=com.acme", "-DartifactId=rights", "-Dversion=" + version, "-Dpackaging=jar"}
	}
	out, err := m.deploy(adminSettings, coords("1.0", m.file("r1.jar", jarOf(t, "one")))...)
	mustMvn(t, "admin deploy", out, err)

	tok, err := r.ro.c.GetAuthorizationToken(ctx, &ca.GetAuthorizationTokenInput{Domain: aws.String("acme")})
	if err != nil {
		t.Fatal(err)
	}
	roSettings, _ := m.settings("ro", aws.ToString(tok.AuthorizationToken))
	out, err = m.get(roSettings, "com.acme:rights:1.0:jar")
	mustMvn(t, "read-only dependency:get", out, err)
	out, err = m.deploy(roSettings, coords("1.1", m.file("r2.jar", jarOf(t, "two")))...)
	if err == nil || !strings.Contains(out, "403") {
		t.Errorf("read-only deploy: %v, want a 403 failure\n%s", err, out)
	}
	vs, err := r.s.Client().ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("pkgs"),
		Format: types.PackageFormatMaven, Namespace: aws.String("com.acme"), Package: aws.String("rights"), Status: ""})
	if err != nil || len(vs.Versions) != 1 || aws.ToString(vs.Versions[0].Version) != "1.0" {
		t.Errorf("versions after the refused deploy: %v %+v", err, vs)
	}

	expired := r.checkMinted(t, endpoint+"com/acme/rights/maven-metadata.xml", true)
	staleSettings, _ := m.settings("stale", expired)
	out, err = m.get(staleSettings, "com.acme:rights:1.0:jar")
	if err == nil || !strings.Contains(out, "401") {
		t.Errorf("dependency:get with an expired token: %v, want a 401 failure\n%s", err, out)
	}
}
