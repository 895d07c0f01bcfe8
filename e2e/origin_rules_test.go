package e2e

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// createDownstream creates repo with the given upstreams.
func createDownstream(t *testing.T, c *ca.Client, domain, repo string, upstreams ...string) {
	t.Helper()
	in := &ca.CreateRepositoryInput{Domain: aws.String(domain), Repository: aws.String(repo)}
	for _, u := range upstreams {
		in.Upstreams = append(in.Upstreams, types.UpstreamRepository{RepositoryName: aws.String(u)})
	}
	if _, err := c.CreateRepository(ctx, in); err != nil {
		t.Fatal(err)
	}
}

// npmPublishErr runs npm publish of name@version in the logged-in
// repository, expecting it to fail, and returns npm's output. --force
// skips npm's own check against the packument (npm 11 refuses a version
// the registry lists before sending anything), so the PUT reaches the
// server and its answer is what is tested.
func (e *npmEnv) npmPublishErr(t *testing.T, name, version string) string {
	t.Helper()
	m := map[string]any{"name": name, "version": version, "main": "index.js", "license": "MIT"}
	dir := npmPkgDir(t, m, map[string]string{"index.js": `module.exports = "` + name + "@" + version + ` (downstream)";` + "\n"})
	return e.npmErr(t, dir, "publish", "--force")
}

// noPackage checks through the Go SDK that repo holds nothing of name.
func (e *npmEnv) noPackage(t *testing.T, repo, name string) {
	t.Helper()
	_, err := e.s.Client().ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(e.domain), Repository: aws.String(repo),
		Format: types.PackageFormatNpm, Package: aws.String(name)})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("%s holds %s (%v), want ResourceNotFoundException", repo, name, err)
	}
}

// TestOriginRulesNpmPublishOverUpstream: team has upstream npm-store.
// npm publish to team of a version npm-store has is a 409 that writes
// nothing in team; once team's package blocks upstream versions
// (PutPackageOriginConfiguration upstream=BLOCK) the same publish works.
func TestOriginRulesNpmPublishOverUpstream(t *testing.T) {
	t.Parallel()
	e := npmSetup(t)
	c := e.s.Client()
	createDownstream(t, c, e.domain, "team", "npm-store")
	e.publish(t, "shared-lib", "1.0.0", nil)

	e.login(t, "team")
	out := e.npmPublishErr(t, "shared-lib", "1.0.0")
	if !strings.Contains(out, "E409") || !strings.Contains(out, "Package version 1.0.0 of shared-lib exists in upstream repository npm-store") {
		t.Errorf("npm publish of a version upstream has:\n%s\nwant E409 naming npm-store", out)
	}
	e.noPackage(t, "team", "shared-lib")

	if _, err := c.PutPackageOriginConfiguration(ctx, &ca.PutPackageOriginConfigurationInput{Domain: aws.String(e.domain), Repository: aws.String("team"),
		Format: types.PackageFormatNpm, Package: aws.String("shared-lib"),
		Restrictions: &types.PackageOriginRestrictions{Publish: types.AllowPublishAllow, Upstream: types.AllowUpstreamBlock}}); err != nil {
		t.Fatal(err)
	}
	e.publish(t, "shared-lib", "1.0.0", nil)
	team := e.inRepo("team", "", "shared-lib")
	if got := team.listVersions(t, ""); !reflect.DeepEqual(got, map[string]types.PackageVersionStatus{"1.0.0": types.PackageVersionStatusPublished}) {
		t.Errorf("team holds %v after the allowed publish", got)
	}
	if o := team.origin(t, "1.0.0"); o.OriginType != types.PackageVersionOriginTypeInternal || aws.ToString(o.DomainEntryPoint.RepositoryName) != "team" {
		t.Errorf("published version's origin = %+v, want INTERNAL, entry point team", o)
	}
}

// TestOriginRulesNpmjsPublish: a version public:npmjs serves (is-number
// 7.0.0, on the real registry) cannot be published to a repository whose
// upstream has the connection, though nothing was ingested yet; a version
// the registry lacks can.
func TestOriginRulesNpmjsPublish(t *testing.T) {
	t.Parallel()
	e := npmSetup(t)
	c := e.s.Client()
	if _, err := c.AssociateExternalConnection(ctx, &ca.AssociateExternalConnectionInput{Domain: aws.String(e.domain),
		Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:npmjs")}); err != nil {
		t.Fatal(err)
	}
	createDownstream(t, c, e.domain, "team", "npm-store")
	e.login(t, "team")
	out := e.npmPublishErr(t, "is-number", "7.0.0")
	if !strings.Contains(out, "E409") || !strings.Contains(out, "is available from external connection public:npmjs of repository npm-store") {
		t.Errorf("npm publish of a public version:\n%s\nwant E409 naming public:npmjs", out)
	}
	e.noPackage(t, "team", "is-number")
	e.noPackage(t, "npm-store", "is-number")
	e.publish(t, "is-number", "999.0.0", nil)
	if got := e.inRepo("team", "", "is-number").listVersions(t, ""); len(got) != 1 {
		t.Errorf("team holds %v, want the private 999.0.0", got)
	}
}

// TestOriginRulesGroupInternalUpstream: a package group whose
// INTERNAL_UPSTREAM mode does not allow team keeps npm view and npm
// install through team from seeing npm-store's versions, and nothing is
// retained; ALLOW_SPECIFIC_REPOSITORIES listing team lets them through.
func TestOriginRulesGroupInternalUpstream(t *testing.T) {
	t.Parallel()
	e := npmSetup(t)
	c := e.s.Client()
	createDownstream(t, c, e.domain, "team", "npm-store")
	e.publish(t, "fenced-dep", "1.0.0", nil)
	p := pgClient{c, e.domain}
	const group = "/npm//fenced-dep$"
	p.mustCreate(t, group)
	if _, err := p.setOrigin(modes("INTERNAL_UPSTREAM", "BLOCK"), nil, nil, group); err != nil {
		t.Fatal(err)
	}

	e.login(t, "team")
	unseen := func(why string, install bool) {
		t.Helper()
		if out, err := RunErr(e.env, "", "npm", "view", "fenced-dep", "versions"); err == nil || !strings.Contains(out, "E404") {
			t.Errorf("npm view through team with %s: %v\n%s\nwant E404", why, err, out)
		}
		if install {
			if out := e.npmErr(t, npmProject(t), "install", "fenced-dep", "--cache", t.TempDir()); !strings.Contains(out, "E404") {
				t.Errorf("npm install through team with %s:\n%s\nwant E404", why, out)
			}
		}
		e.noPackage(t, "team", "fenced-dep")
	}
	unseen("INTERNAL_UPSTREAM=BLOCK", true)

	// Allowed repositories that do not include team: still unseen.
	if _, err := p.setOrigin(modes("INTERNAL_UPSTREAM", "ALLOW_SPECIFIC_REPOSITORIES"), allowed(types.PackageGroupOriginRestrictionTypeInternalUpstream, "npm-store"), nil, group); err != nil {
		t.Fatal(err)
	}
	unseen("ALLOW_SPECIFIC_REPOSITORIES without team", false)

	if _, err := p.setOrigin(nil, allowed(types.PackageGroupOriginRestrictionTypeInternalUpstream, "team"), nil, group); err != nil {
		t.Fatal(err)
	}
	if got := e.versions(t, "fenced-dep"); !slices.Equal(got, []string{"1.0.0"}) {
		t.Errorf("npm view through team with team allowed = %v", got)
	}
	proj := npmProject(t)
	e.npm(t, proj, "install", "fenced-dep", "--cache", t.TempDir())
	if got := e.required(t, proj, "fenced-dep"); got != "fenced-dep@1.0.0" {
		t.Errorf("require(fenced-dep) through team = %q", got)
	}
	if got := e.inRepo("team", "", "fenced-dep").listVersions(t, ""); len(got) != 1 {
		t.Errorf("team retained %v, want 1.0.0", got)
	}
}

// TestOriginRulesGenericPublishConflict: PublishPackageVersion (Go SDK)
// of a version an upstream has is a ConflictException (409, resourceType
// package-version) that stores nothing. A version upstream lacks
// publishes, and that direct publish gives the package CodeArtifact's
// defaults (upstream=BLOCK), after which the upstream's version may be
// published too.
func TestOriginRulesGenericPublishConflict(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "orig", "up")
	createDownstream(t, c, "orig", "down", "up")
	genericPkg(c, "orig", "up", "tools", "hello").mustPublish(t, "1.0", "hello.txt", []byte("upstream"), false)

	down := genericPkg(c, "orig", "down", "tools", "hello")
	mine := []byte("downstream")
	_, err := down.publish("1.0", "hello.txt", mine, false)
	cf := asErr[*types.ConflictException](t, err)
	if httpStatus(err) != 409 || string(cf.ResourceType) != "package-version" || aws.ToString(cf.ResourceId) != "1.0" ||
		!strings.Contains(aws.ToString(cf.Message), "Package version 1.0 of tools/hello exists in upstream repository up and cannot be published to repository down") {
		t.Errorf("conflict: status %d, %s/%s: %s", httpStatus(err), cf.ResourceType, aws.ToString(cf.ResourceId), aws.ToString(cf.Message))
	}
	if _, err := down.describe("1.0"); err == nil {
		t.Errorf("the refused version exists in down")
	}
	if files := blobFiles(t, s.DataDir); files[sha256Hex(mine)] {
		t.Errorf("a refused publish left its bytes behind")
	}

	down.mustPublish(t, "2.0", "hello.txt", mine, false)
	down.mustPublish(t, "1.0", "hello.txt", mine, false)
	if got := down.mustDescribe(t, "1.0"); got.Status != types.PackageVersionStatusPublished {
		t.Errorf("1.0 in down after upstream=BLOCK: %s", got.Status)
	}
}
