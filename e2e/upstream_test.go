package e2e

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// TestExternalConnections drives AssociateExternalConnection and
// DisassociateExternalConnection with the Go SDK: the wire shapes, one
// connection per repository, no connection beside upstreams, known names
// only, and nothing changed by a refusal.
func TestExternalConnections(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "ext", "store", "team", "other")
	d := aws.String("ext")
	assoc := func(repo, conn string) (*ca.AssociateExternalConnectionOutput, error) {
		return c.AssociateExternalConnection(ctx, &ca.AssociateExternalConnectionInput{Domain: d, Repository: aws.String(repo), ExternalConnection: aws.String(conn)})
	}
	disassoc := func(repo, conn string) (*ca.DisassociateExternalConnectionOutput, error) {
		return c.DisassociateExternalConnection(ctx, &ca.DisassociateExternalConnectionInput{Domain: d, Repository: aws.String(repo), ExternalConnection: aws.String(conn)})
	}
	conns := func(repo string) []types.RepositoryExternalConnectionInfo {
		t.Helper()
		out, err := c.DescribeRepository(ctx, &ca.DescribeRepositoryInput{Domain: d, Repository: aws.String(repo)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Repository.ExternalConnections
	}

	out, err := assoc("store", "public:npmjs")
	if err != nil {
		t.Fatalf("AssociateExternalConnection: %v", err)
	}
	if r := out.Repository; r == nil || aws.ToString(r.Name) != "store" || len(r.ExternalConnections) != 1 ||
		aws.ToString(r.ExternalConnections[0].ExternalConnectionName) != "public:npmjs" ||
		r.ExternalConnections[0].PackageFormat != types.PackageFormatNpm ||
		r.ExternalConnections[0].Status != types.ExternalConnectionStatusAvailable {
		t.Fatalf("AssociateExternalConnection answered %+v", out.Repository)
	}
	if got := conns("store"); len(got) != 1 || aws.ToString(got[0].ExternalConnectionName) != "public:npmjs" {
		t.Fatalf("DescribeRepository after associate: %+v", got)
	}

	// Refusals, each changing nothing.
	var conflict *types.ConflictException
	if _, err := assoc("store", "public:npmjs"); !errors.As(err, &conflict) {
		t.Errorf("associating the same connection again: %v, want ConflictException", err)
	}
	var quota *types.ServiceQuotaExceededException
	if _, err := assoc("store", "public:pypi"); !errors.As(err, &quota) {
		t.Errorf("a second connection: %v, want ServiceQuotaExceededException", err)
	}
	var ve *types.ValidationException
	if _, err := assoc("other", "public:nosuchregistry"); !errors.As(err, &ve) {
		t.Errorf("unknown connection: %v, want ValidationException", err)
	}
	if _, err := assoc("other", "x"); !errors.As(err, &ve) {
		t.Errorf("connection name against the model's pattern: %v, want ValidationException", err)
	}
	var nf *types.ResourceNotFoundException
	if _, err := assoc("nosuchrepo", "public:npmjs"); !errors.As(err, &nf) {
		t.Errorf("missing repository: %v, want ResourceNotFoundException", err)
	}
	if _, err := c.UpdateRepository(ctx, &ca.UpdateRepositoryInput{Domain: d, Repository: aws.String("team"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("other")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := assoc("team", "public:npmjs"); !errors.As(err, &ve) {
		t.Errorf("connection beside upstreams: %v, want ValidationException", err)
	}
	if got := conns("team"); len(got) != 0 {
		t.Errorf("refused associate changed team: %+v", got)
	}
	if got := conns("store"); len(got) != 1 || aws.ToString(got[0].ExternalConnectionName) != "public:npmjs" {
		t.Errorf("refused associates changed store: %+v", got)
	}
	if got := conns("other"); len(got) != 0 {
		t.Errorf("refused associates changed other: %+v", got)
	}

	// Disassociate: not associated is not found; the answer describes the
	// repository after the change, as CodeArtifact documents it.
	if _, err := disassoc("store", "public:pypi"); !errors.As(err, &nf) {
		t.Errorf("disassociating a connection not associated: %v, want ResourceNotFoundException", err)
	}
	dout, err := disassoc("store", "public:npmjs")
	if err != nil {
		t.Fatalf("DisassociateExternalConnection: %v", err)
	}
	if r := dout.Repository; r == nil || aws.ToString(r.Name) != "store" || r.ExternalConnections == nil || len(r.ExternalConnections) != 0 {
		t.Errorf("DisassociateExternalConnection answered %+v, want store with no external connections", dout.Repository)
	}
	if got := conns("store"); len(got) != 0 {
		t.Errorf("connection still there after disassociate: %+v", got)
	}
	if _, err := disassoc("store", "public:npmjs"); !errors.As(err, &nf) {
		t.Errorf("disassociating twice: %v, want ResourceNotFoundException", err)
	}
	// The slot is free again, for another format too.
	if _, err := assoc("store", "public:maven-central"); err != nil {
		t.Errorf("associating after disassociate: %v", err)
	}
}

// npmLogin points the npm user's ~/.npmrc at another repository with the
// real `aws codeartifact login`.
func (e *npmEnv) login(t *testing.T, repo string) {
	t.Helper()
	Run(t, e.env, "", "aws", "codeartifact", "login", "--tool", "npm", "--domain", e.domain, "--repository", repo, "--endpoint-url", e.s.URL)
	e.repo = repo
	e.registry = e.s.Endpoint(t, e.domain, repo, types.PackageFormatNpm)
}

func (e *npmEnv) inRepo(repo, ns, name string) pkgCoord {
	return pkgCoord{c: e.s.Client(), domain: e.domain, repo: repo, ns: ns, name: name}
}

// origin describes a version's origin through the Go SDK.
func (p pkgCoord) origin(t *testing.T, v string) *types.PackageVersionOrigin {
	t.Helper()
	out, err := p.c.DescribePackageVersion(ctx, p.version(v))
	if err != nil {
		t.Fatalf("DescribePackageVersion %s@%s in %s: %v", p.name, v, p.repo, err)
	}
	return out.PackageVersion.Origin
}

func (p pkgCoord) originConfig(t *testing.T) *types.PackageOriginRestrictions {
	t.Helper()
	out, err := p.c.DescribePackage(ctx, &ca.DescribePackageInput{Domain: aws.String(p.domain), Repository: aws.String(p.repo),
		Format: types.PackageFormatNpm, Namespace: p.nsPtr(), Package: aws.String(p.name)})
	if err != nil {
		t.Fatalf("DescribePackage %s in %s: %v", p.name, p.repo, err)
	}
	return out.Package.OriginConfiguration.Restrictions
}

// TestNpmUpstreamReadThrough (no network): packages published to
// npm-store install through team (upstream npm-store) and through app
// (upstream team). A fetched version is retained in the repository asked,
// referencing the same bytes, and not in the intermediate one; a package
// with upstream=BLOCK takes nothing from upstream.
func TestNpmUpstreamReadThrough(t *testing.T) {
	e := npmSetup(t)
	c := e.s.Client()
	for _, r := range []struct{ name, up string }{{"team", "npm-store"}, {"app", "team"}} {
		if _, err := c.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String(e.domain), Repository: aws.String(r.name),
			Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String(r.up)}}}); err != nil {
			t.Fatal(err)
		}
	}
	e.publish(t, "up-lib", "1.0.0", nil)
	e.publish(t, "up-lib", "1.1.0", nil)
	e.publish(t, "deep-lib", "2.0.0", map[string]any{"dependencies": map[string]string{"up-lib": "^1.0.0"}})
	e.publish(t, "fenced-lib", "1.0.0", nil)
	// Pre-block dependency confusion for fenced-lib in team.
	if _, err := c.PutPackageOriginConfiguration(ctx, &ca.PutPackageOriginConfigurationInput{Domain: aws.String(e.domain), Repository: aws.String("team"),
		Format: types.PackageFormatNpm, Package: aws.String("fenced-lib"),
		Restrictions: &types.PackageOriginRestrictions{Publish: types.AllowPublishAllow, Upstream: types.AllowUpstreamBlock}}); err != nil {
		t.Fatal(err)
	}

	e.login(t, "team")
	if got := e.versions(t, "up-lib"); !slices.Equal(got, []string{"1.0.0", "1.1.0"}) {
		t.Errorf("npm view up-lib versions through team = %v", got)
	}
	proj := npmProject(t)
	e.npm(t, proj, "install", "up-lib", "--cache", t.TempDir())
	if got := e.required(t, proj, "up-lib"); got != "up-lib@1.1.0" {
		t.Errorf("require(up-lib) through team = %q", got)
	}
	team := e.inRepo("team", "", "up-lib")
	if got := team.listVersions(t, ""); !reflect.DeepEqual(got, map[string]types.PackageVersionStatus{"1.1.0": types.PackageVersionStatusPublished}) {
		t.Errorf("team retained %v, want only the installed 1.1.0", got)
	}
	if o := team.origin(t, "1.1.0"); o.OriginType != types.PackageVersionOriginTypeInternal || o.DomainEntryPoint == nil ||
		aws.ToString(o.DomainEntryPoint.RepositoryName) != "npm-store" {
		t.Errorf("retained version's origin = %+v, want INTERNAL from npm-store", o)
	}
	if r := team.originConfig(t); r.Publish != types.AllowPublishBlock || r.Upstream != types.AllowUpstreamAllow {
		t.Errorf("package created by retention has origin %+v, want publish=BLOCK upstream=ALLOW", r)
	}
	// A tarball GET retains too.
	if st := e.get(t, "up-lib/-/up-lib-1.0.0.tgz"); st != http.StatusOK {
		t.Fatalf("GET up-lib 1.0.0 tarball through team: %d", st)
	}
	if got := team.listVersions(t, ""); len(got) != 2 {
		t.Errorf("team holds %v after fetching 1.0.0, want 1.0.0 and 1.1.0", got)
	}
	// Retained, it survives deletion upstream.
	e.inRepo("npm-store", "", "up-lib").deleteVersions(t, "1.1.0")
	proj2 := npmProject(t)
	e.npm(t, proj2, "install", "up-lib@1.1.0", "--cache", t.TempDir())
	if got := e.required(t, proj2, "up-lib"); got != "up-lib@1.1.0" {
		t.Errorf("require(up-lib) after upstream deletion = %q", got)
	}

	// Upstream=BLOCK: fenced-lib stays invisible through team.
	if out := e.npmErr(t, npmProject(t), "install", "fenced-lib@1.0.0", "--cache", t.TempDir()); !strings.Contains(out, "ETARGET") && !strings.Contains(out, "E404") {
		// The empty package team holds has no versions: ETARGET.
		t.Errorf("install of a blocked package: %s", out)
	}
	if got := e.inRepo("team", "", "fenced-lib").listVersions(t, ""); len(got) != 0 {
		t.Errorf("blocked package took versions from upstream: %v", got)
	}

	// Two levels: app -> team -> npm-store. Retained in app, not team.
	e.login(t, "app")
	proj3 := npmProject(t)
	e.npm(t, proj3, "install", "deep-lib", "--cache", t.TempDir())
	if got := e.required(t, proj3, "deep-lib"); got != "deep-lib@2.0.0" {
		t.Errorf("require(deep-lib) through app = %q", got)
	}
	if got := e.inRepo("app", "", "deep-lib").listVersions(t, ""); len(got) != 1 {
		t.Errorf("app retained deep-lib %v, want 2.0.0", got)
	}
	_, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(e.domain), Repository: aws.String("team"),
		Format: types.PackageFormatNpm, Package: aws.String("deep-lib")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("intermediate team holds deep-lib (%v), want ResourceNotFoundException", err)
	}
	// up-lib 1.1.0 came to app from team's retained copy; 1.0.0 from
	// npm-store, two levels up.
	if got := e.inRepo("app", "", "up-lib").listVersions(t, ""); len(got) != 1 {
		t.Errorf("app retained up-lib %v, want one version", got)
	}
}

// TestNpmExternalConnectionNpmjs reads through public:npmjs on the real
// registry: npm install is-number@7.0.0 through team, whose upstream
// npm-store has the connection. The version is ingested into npm-store
// (EXTERNAL, entry point public:npmjs) and retained in team.
func TestNpmExternalConnectionNpmjs(t *testing.T) {
	e := npmSetup(t)
	c := e.s.Client()
	if _, err := c.AssociateExternalConnection(ctx, &ca.AssociateExternalConnectionInput{Domain: aws.String(e.domain),
		Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:npmjs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String(e.domain), Repository: aws.String("team"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("npm-store")}}}); err != nil {
		t.Fatal(err)
	}
	e.login(t, "team")
	proj := npmProject(t)
	e.npm(t, proj, "install", "is-number@7.0.0")
	if got := e.required(t, proj, "is-number"); !strings.Contains(got, "Function") && !strings.Contains(got, "function") {
		t.Errorf("require(is-number) = %q, want a function", got)
	}
	lock, err := os.ReadFile(filepath.Join(proj, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	// npm checked the bytes against the integrity the public registry
	// publishes for is-number 7.0.0.
	if !strings.Contains(string(lock), "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==") {
		t.Errorf("package-lock.json lacks is-number 7.0.0's public integrity:\n%s", lock)
	}
	store := e.inRepo("npm-store", "", "is-number")
	if got := store.listVersions(t, ""); !reflect.DeepEqual(got, map[string]types.PackageVersionStatus{"7.0.0": types.PackageVersionStatusPublished}) {
		t.Errorf("npm-store holds %v, want the ingested 7.0.0", got)
	}
	out, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(e.domain), Repository: aws.String("npm-store"),
		Format: types.PackageFormatNpm, Package: aws.String("is-number")})
	if err != nil || len(out.Versions) != 1 || out.Versions[0].Origin == nil || out.Versions[0].Origin.OriginType != types.PackageVersionOriginTypeExternal ||
		aws.ToString(out.Versions[0].Origin.DomainEntryPoint.ExternalConnectionName) != "public:npmjs" {
		t.Errorf("ListPackageVersions in npm-store: %v %+v, want 7.0.0 EXTERNAL from public:npmjs", err, out)
	}
	if r := store.originConfig(t); r.Publish != types.AllowPublishBlock || r.Upstream != types.AllowUpstreamAllow {
		t.Errorf("ingested package has origin %+v, want publish=BLOCK upstream=ALLOW", r)
	}
	team := e.inRepo("team", "", "is-number")
	if got := team.listVersions(t, ""); !reflect.DeepEqual(got, map[string]types.PackageVersionStatus{"7.0.0": types.PackageVersionStatusPublished}) {
		t.Errorf("team retained %v, want 7.0.0", got)
	}
	if o := team.origin(t, "7.0.0"); o.OriginType != types.PackageVersionOriginTypeExternal || o.DomainEntryPoint == nil ||
		aws.ToString(o.DomainEntryPoint.ExternalConnectionName) != "public:npmjs" {
		t.Errorf("retained version's origin = %+v, want EXTERNAL from public:npmjs", o)
	}
	// The same bytes as npm's integrity promised, stored once.
	a, err := c.ListPackageVersionAssets(ctx, &ca.ListPackageVersionAssetsInput{Domain: aws.String(e.domain), Repository: aws.String("team"),
		Format: types.PackageFormatNpm, Package: aws.String("is-number"), PackageVersion: aws.String("7.0.0")})
	if err != nil || len(a.Assets) != 1 || a.Assets[0].Hashes["SHA-512"] == "" {
		t.Fatalf("ListPackageVersionAssets: %v %+v", err, a)
	}
	sum, _ := base64.StdEncoding.DecodeString("41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==")
	if got := a.Assets[0].Hashes["SHA-512"]; got != hex.EncodeToString(sum) {
		t.Errorf("stored tarball SHA-512 %s, want the registry's %x", got, sum)
	}
	// A version the public registry does not have is a plain 404.
	if st := e.get(t, "is-number/-/is-number-99.99.99.tgz"); st != http.StatusNotFound {
		t.Errorf("missing public version: %d, want 404", st)
	}
}
