package e2e

import (
	"encoding/json"
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

// npmEnv is one npm user: a HOME whose ~/.npmrc was written by the real
// `aws codeartifact login --tool npm`, pointing at one repository.
type npmEnv struct {
	s        *Server
	env      []string
	home     string
	registry string // the endpoint login configured, ending in "/"
	domain   string
	repo     string
}

// npmSetup starts a server with a domain and repository and logs npm in
// to it.
func npmSetup(t *testing.T) *npmEnv {
	t.Helper()
	return npmSetupWith(t, ServerOptions{})
}

// npmSetupWith is npmSetup with a server started with opt.
func npmSetupWith(t *testing.T, opt ServerOptions) *npmEnv {
	t.Helper()
	needTool(t, "npm", "npm", "--version")
	needTool(t, "aws")
	if out, _ := RunErr(nil, "", "npm", "--version"); !strings.HasPrefix(out, "11.") {
		t.Logf("npm %s (these tests were written against npm 11)", strings.TrimSpace(out))
	}
	s := StartServerWith(t, opt)
	Setup(t, s.Client(), "acme", "npm-store")
	e := &npmEnv{s: s, domain: "acme", repo: "npm-store"}
	e.env = append(s.Env(t),
		// Quiet and offline apart from the registry under test.
		"npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_loglevel=warn")
	for _, kv := range e.env {
		if h, ok := strings.CutPrefix(kv, "HOME="); ok {
			e.home = h
		}
	}
	Run(t, e.env, "", "aws", "codeartifact", "login", "--tool", "npm", "--domain", e.domain, "--repository", e.repo, "--endpoint-url", s.URL)
	rc, err := os.ReadFile(filepath.Join(e.home, ".npmrc"))
	if err != nil {
		t.Fatal(err)
	}
	e.registry = s.Endpoint(t, e.domain, e.repo, types.PackageFormatNpm)
	host := strings.TrimPrefix(e.registry, "http:")
	if !strings.Contains(string(rc), "registry="+e.registry) || !strings.Contains(string(rc), host+":_authToken=") {
		t.Fatalf("aws codeartifact login wrote an unexpected ~/.npmrc for %s:\n%s", e.registry, rc)
	}
	return e
}

// npm runs npm in dir and fails the test if it fails.
func (e *npmEnv) npm(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return Run(t, e.env, dir, "npm", args...)
}

// npmErr runs npm expecting failure and returns its output.
func (e *npmEnv) npmErr(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := RunErr(e.env, dir, "npm", args...)
	if err == nil {
		t.Fatalf("npm %s succeeded, want failure:\n%s", strings.Join(args, " "), out)
	}
	return out
}

// viewJSON runs npm view --json and decodes it.
func (e *npmEnv) viewJSON(t *testing.T, args ...string) any {
	t.Helper()
	out, err := runStdout(e.env, "", "npm", append([]string{"view", "--json"}, args...)...)
	if err != nil {
		t.Fatalf("npm view %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("npm view %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v
}

// versions is `npm view NAME versions`, always as a list.
func (e *npmEnv) versions(t *testing.T, name string) []string {
	t.Helper()
	var out []string
	switch v := e.viewJSON(t, name, "versions").(type) {
	case string:
		out = []string{v}
	case []any:
		for _, s := range v {
			out = append(out, s.(string))
		}
	}
	return out
}

// pkgDir writes a package to publish: package.json plus files.
func npmPkgDir(t *testing.T, manifest map[string]any, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	b, _ := json.MarshalIndent(manifest, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "package.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// publish runs npm publish for a package exporting its version.
func (e *npmEnv) publish(t *testing.T, name, version string, extra map[string]any) {
	t.Helper()
	m := map[string]any{"name": name, "version": version, "main": "index.js", "license": "MIT"}
	for k, v := range extra {
		m[k] = v
	}
	dir := npmPkgDir(t, m, map[string]string{"index.js": "module.exports = " + `"` + name + "@" + version + `";` + "\n"})
	e.npm(t, dir, "publish")
}

// project is an empty npm project to install into.
func npmProject(t *testing.T) string {
	return npmPkgDir(t, map[string]any{"name": "consumer", "version": "1.0.0", "private": true}, nil)
}

// required is what node gets from require(name) in dir.
func (e *npmEnv) required(t *testing.T, dir, name string) string {
	t.Helper()
	return strings.TrimSpace(Run(t, e.env, dir, "node", "-p", "require("+`"`+name+`"`+")"))
}

func (e *npmEnv) pkg(ns, name string) pkgCoord {
	return pkgCoord{c: e.s.Client(), domain: e.domain, repo: e.repo, ns: ns, name: name}
}

// pkgCoord is an npm package seen through the Go SDK.
type pkgCoord struct {
	c                      *ca.Client
	domain, repo, ns, name string
}

func (p pkgCoord) nsPtr() *string {
	if p.ns == "" {
		return nil
	}
	return aws.String(p.ns)
}

func (p pkgCoord) listVersions(t *testing.T, status types.PackageVersionStatus) map[string]types.PackageVersionStatus {
	t.Helper()
	out, err := p.c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(p.domain), Repository: aws.String(p.repo),
		Format: types.PackageFormatNpm, Namespace: p.nsPtr(), Package: aws.String(p.name), Status: status})
	if err != nil {
		t.Fatalf("ListPackageVersions %s/%s: %v", p.ns, p.name, err)
	}
	if out.Format != types.PackageFormatNpm || aws.ToString(out.Namespace) != p.ns || aws.ToString(out.Package) != p.name {
		t.Fatalf("ListPackageVersions answered for %s %q %q", out.Format, aws.ToString(out.Namespace), aws.ToString(out.Package))
	}
	got := map[string]types.PackageVersionStatus{}
	for _, v := range out.Versions {
		got[aws.ToString(v.Version)] = v.Status
	}
	return got
}

func (p pkgCoord) setStatus(t *testing.T, target types.PackageVersionStatus, versions ...string) {
	t.Helper()
	out, err := p.c.UpdatePackageVersionsStatus(ctx, &ca.UpdatePackageVersionsStatusInput{Domain: aws.String(p.domain), Repository: aws.String(p.repo),
		Format: types.PackageFormatNpm, Namespace: p.nsPtr(), Package: aws.String(p.name), Versions: versions, TargetStatus: target})
	if err != nil || len(out.FailedVersions) > 0 {
		t.Fatalf("UpdatePackageVersionsStatus %v to %s: %v %v", versions, target, err, out)
	}
}

func (p pkgCoord) deleteVersions(t *testing.T, versions ...string) {
	t.Helper()
	out, err := p.c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: aws.String(p.domain), Repository: aws.String(p.repo),
		Format: types.PackageFormatNpm, Namespace: p.nsPtr(), Package: aws.String(p.name), Versions: versions})
	if err != nil || len(out.FailedVersions) > 0 {
		t.Fatalf("DeletePackageVersions %v: %v %v", versions, err, out)
	}
}

func (p pkgCoord) version(v string) *ca.DescribePackageVersionInput {
	return &ca.DescribePackageVersionInput{Domain: aws.String(p.domain), Repository: aws.String(p.repo),
		Format: types.PackageFormatNpm, Namespace: p.nsPtr(), Package: aws.String(p.name), PackageVersion: aws.String(v)}
}

// get fetches a path under the registry with the token, as npm would.
func (e *npmEnv) get(t *testing.T, path string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", e.registry+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.s.Token(t, e.domain))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestNpmPublishInstallView: npm publish (plain and scoped) and install
// from an empty project, resolving dependencies from the registry;
// npm view; and what npm published, seen through the Go SDK.
func TestNpmPublishInstallView(t *testing.T) {
	e := npmSetup(t)
	e.npm(t, "", "ping")

	e.publish(t, "@acme/util", "1.0.0", map[string]any{"description": "Scoped helper"})
	e.publish(t, "wharf-opt", "1.0.0", nil)
	readme := "# Wharf demo\n\nPublished by the end-to-end tests.\n"
	demo := map[string]any{
		"description": "Wharf's npm demo", "homepage": "https://example.test/demo", "license": "Apache-2.0",
		"repository":           map[string]string{"type": "git", "url": "https://example.test/demo.git"},
		"dependencies":         map[string]string{"@acme/util": "^1.0.0"},
		"devDependencies":      map[string]string{"left-pad": "^1.3.0"},
		"peerDependencies":     map[string]string{"@acme/util": ">=1"},
		"optionalDependencies": map[string]string{"wharf-opt": "^1.0.0"},
	}
	for _, v := range []string{"1.0.0", "1.1.0"} {
		dir := npmPkgDir(t, merge(map[string]any{"name": "wharf-demo", "version": v, "main": "index.js"}, demo),
			map[string]string{"index.js": `module.exports = "demo ` + v + `: " + require("@acme/util");` + "\n", "README.md": readme})
		e.npm(t, dir, "publish")
	}

	// npm view, plain and scoped.
	if got := e.versions(t, "wharf-demo"); !slices.Equal(got, []string{"1.0.0", "1.1.0"}) {
		t.Fatalf("npm view wharf-demo versions = %v", got)
	}
	view := e.viewJSON(t, "wharf-demo").(map[string]any)
	if view["description"] != "Wharf's npm demo" || view["license"] != "Apache-2.0" || view["version"] != "1.1.0" ||
		view["dist-tags"].(map[string]any)["latest"] != "1.1.0" || !strings.HasPrefix(view["dist"].(map[string]any)["tarball"].(string), e.registry+"wharf-demo/-/") {
		t.Fatalf("npm view wharf-demo = %v", view)
	}
	if got := e.viewJSON(t, "@acme/util", "description"); got != "Scoped helper" {
		t.Fatalf("npm view @acme/util description = %v", got)
	}

	// npm install into an empty project: the package and its regular and
	// optional dependencies come from the registry.
	proj := npmProject(t)
	e.npm(t, proj, "install", "wharf-demo")
	if got := e.required(t, proj, "wharf-demo"); got != "demo 1.1.0: @acme/util@1.0.0" {
		t.Fatalf("require(wharf-demo) = %q", got)
	}
	if got := e.required(t, proj, "wharf-opt"); got != "wharf-opt@1.0.0" {
		t.Fatalf("require(wharf-opt) = %q", got)
	}
	lock, _ := os.ReadFile(filepath.Join(proj, "package-lock.json"))
	if !strings.Contains(string(lock), `"resolved": "`+e.registry+`@acme/util/-/util-1.0.0.tgz"`) {
		t.Fatalf("lockfile does not resolve @acme/util from the registry:\n%s", lock)
	}

	// The Go SDK sees what npm published: format npm, scope as namespace.
	if got := e.pkg("acme", "util").listVersions(t, ""); !reflect.DeepEqual(got, map[string]types.PackageVersionStatus{"1.0.0": types.PackageVersionStatusPublished}) {
		t.Fatalf("ListPackageVersions @acme/util = %v", got)
	}
	p := e.pkg("", "wharf-demo")
	if got := p.listVersions(t, ""); len(got) != 2 {
		t.Fatalf("ListPackageVersions wharf-demo = %v", got)
	}
	d, err := p.c.DescribePackageVersion(ctx, p.version("1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	pv := d.PackageVersion
	if aws.ToString(pv.Summary) != "Wharf's npm demo" || aws.ToString(pv.HomePage) != "https://example.test/demo" ||
		len(pv.Licenses) != 1 || aws.ToString(pv.Licenses[0].Name) != "Apache-2.0" || pv.Format != types.PackageFormatNpm ||
		aws.ToString(pv.SourceCodeRepository) != "https://example.test/demo.git" {
		t.Fatalf("DescribePackageVersion: summary %q homepage %q licenses %v source %q format %s", aws.ToString(pv.Summary), aws.ToString(pv.HomePage),
			pv.Licenses, aws.ToString(pv.SourceCodeRepository), pv.Format)
	}
	rd, err := p.c.GetPackageVersionReadme(ctx, &ca.GetPackageVersionReadmeInput{Domain: aws.String(p.domain), Repository: aws.String(p.repo),
		Format: types.PackageFormatNpm, Package: aws.String("wharf-demo"), PackageVersion: aws.String("1.0.0")})
	if err != nil || aws.ToString(rd.Readme) != readme {
		t.Fatalf("GetPackageVersionReadme = %v, %v", aws.ToString(rd.Readme), err)
	}
	deps, err := p.c.ListPackageVersionDependencies(ctx, &ca.ListPackageVersionDependenciesInput{Domain: aws.String(p.domain), Repository: aws.String(p.repo),
		Format: types.PackageFormatNpm, Package: aws.String("wharf-demo"), PackageVersion: aws.String("1.0.0")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range deps.Dependencies {
		got = append(got, aws.ToString(d.DependencyType)+" "+aws.ToString(d.Namespace)+"/"+aws.ToString(d.Package)+" "+aws.ToString(d.VersionRequirement))
	}
	slices.Sort(got)
	want := []string{"dev /left-pad ^1.3.0", "optional /wharf-opt ^1.0.0", "peer acme/util >=1", "regular acme/util ^1.0.0"}
	if !slices.Equal(got, want) {
		t.Fatalf("ListPackageVersionDependencies = %v, want %v", got, want)
	}

	// npm refuses to publish over a version; a different tarball for an
	// existing version forced past that check is a 409 from the registry.
	dir := npmPkgDir(t, map[string]any{"name": "wharf-opt", "version": "1.0.0", "main": "index.js"}, map[string]string{"index.js": "changed\n"})
	if out := e.npmErr(t, dir, "publish"); !strings.Contains(out, "cannot publish over") {
		t.Fatalf("republish: %s", out)
	}
	if out := e.npmErr(t, dir, "publish", "--force"); !strings.Contains(out, "409") {
		t.Fatalf("forced republish with different bytes: %s", out)
	}
}

func merge(a, b map[string]any) map[string]any {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// TestNpmDistTagsDeprecate: npm dist-tag add/ls/rm and npm deprecate
// against the registry, and installs that follow them.
func TestNpmDistTagsDeprecate(t *testing.T) {
	e := npmSetup(t)
	e.publish(t, "@acme/tagged", "1.0.0", nil)
	e.publish(t, "@acme/tagged", "2.0.0", nil)

	if out := e.npm(t, "", "dist-tag", "add", "@acme/tagged@1.0.0", "stable"); !strings.Contains(out, "+stable: @acme/tagged@1.0.0") {
		t.Fatalf("dist-tag add: %s", out)
	}
	if out := e.npm(t, "", "dist-tag", "ls", "@acme/tagged"); strings.TrimSpace(out) != "latest: 2.0.0\nstable: 1.0.0" {
		t.Fatalf("dist-tag ls: %q", out)
	}
	proj := npmProject(t)
	e.npm(t, proj, "install", "@acme/tagged@stable")
	if got := e.required(t, proj, "@acme/tagged"); got != "@acme/tagged@1.0.0" {
		t.Fatalf("install @stable gave %q", got)
	}
	e.npm(t, "", "dist-tag", "rm", "@acme/tagged", "stable")
	if out := e.npm(t, "", "dist-tag", "ls", "@acme/tagged"); strings.TrimSpace(out) != "latest: 2.0.0" {
		t.Fatalf("dist-tag ls after rm: %q", out)
	}
	if out := e.npmErr(t, "", "dist-tag", "add", "@acme/tagged@9.9.9", "nope"); !strings.Contains(out, "404") {
		t.Fatalf("dist-tag add to a missing version: %s", out)
	}

	// Deprecate one version; npm warns on install and shows it in view.
	e.npm(t, "", "deprecate", "@acme/tagged@1.0.0", "use 2.x")
	if got := e.viewJSON(t, "@acme/tagged@1.0.0", "deprecated"); got != "use 2.x" {
		t.Fatalf("deprecated = %v", got)
	}
	proj = npmProject(t)
	if out := e.npm(t, proj, "install", "@acme/tagged@1.0.0"); !strings.Contains(out, "deprecated @acme/tagged@1.0.0: use 2.x") {
		t.Fatalf("install of a deprecated version did not warn:\n%s", out)
	}
	out, err := runStdout(e.env, "", "npm", "view", "@acme/tagged@2.0.0", "deprecated")
	if err != nil || strings.TrimSpace(out) != "" {
		t.Fatalf("2.0.0 deprecated too: %q %v", out, err)
	}
	e.npm(t, "", "deprecate", "@acme/tagged@1.0.0", "")
	out, err = runStdout(e.env, "", "npm", "view", "@acme/tagged@1.0.0", "deprecated")
	if err != nil || strings.TrimSpace(out) != "" {
		t.Fatalf("undeprecate left %q %v", out, err)
	}
}

// TestNpmVersionStatuses: what CodeArtifact's status changes mean to npm.
// Deleted and Archived versions vanish (packument and tarball) and come
// back when restored; Unlisted ones leave the packument but lockfiles
// still install them; latest moves off a hidden version.
func TestNpmVersionStatuses(t *testing.T) {
	e := npmSetup(t)
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0", "1.3.0"} {
		e.publish(t, "wharf-lib", v, nil)
	}
	p := e.pkg("", "wharf-lib")
	tarball := func(v string) string { return e.registry + "wharf-lib/-/wharf-lib-" + v + ".tgz" }

	// A lockfile pinned to 1.1.0, made while it was Published.
	pinned := npmProject(t)
	e.npm(t, pinned, "install", "wharf-lib@1.1.0")

	// Deleted: gone from npm's view, its tarball 404s.
	p.deleteVersions(t, "1.3.0")
	if got := e.versions(t, "wharf-lib"); !slices.Equal(got, []string{"1.0.0", "1.1.0", "1.2.0"}) {
		t.Fatalf("after delete: %v", got)
	}
	if out := e.npmErr(t, npmProject(t), "install", tarball("1.3.0")); !strings.Contains(out, "404") {
		t.Fatalf("install of a deleted tarball: %s", out)
	}

	// Archived: gone and unfetchable; latest falls back to 1.1.0.
	p.setStatus(t, types.PackageVersionStatusArchived, "1.2.0")
	if got := e.versions(t, "wharf-lib"); !slices.Equal(got, []string{"1.0.0", "1.1.0"}) {
		t.Fatalf("after archive: %v", got)
	}
	if got := e.viewJSON(t, "wharf-lib", "dist-tags.latest"); got != "1.1.0" {
		t.Fatalf("latest after archiving 1.2.0 = %v", got)
	}
	if out := e.npmErr(t, npmProject(t), "install", "wharf-lib@1.2.0"); !strings.Contains(out, "ETARGET") {
		t.Fatalf("install of an archived version: %s", out)
	}
	if out := e.npmErr(t, npmProject(t), "install", tarball("1.2.0")); !strings.Contains(out, "404") {
		t.Fatalf("install of an archived tarball: %s", out)
	}
	// Restored: visible and installable again.
	p.setStatus(t, types.PackageVersionStatusPublished, "1.2.0")
	if got := e.versions(t, "wharf-lib"); !slices.Equal(got, []string{"1.0.0", "1.1.0", "1.2.0"}) {
		t.Fatalf("after restore: %v", got)
	}
	proj := npmProject(t)
	e.npm(t, proj, "install", "wharf-lib@1.2.0")
	if got := e.required(t, proj, "wharf-lib"); got != "wharf-lib@1.2.0" {
		t.Fatalf("after restore require = %q", got)
	}

	// Unlisted: absent from npm view and from resolution, but the
	// lockfile's exact version still installs (from an empty cache).
	p.setStatus(t, types.PackageVersionStatusUnlisted, "1.1.0")
	if got := e.versions(t, "wharf-lib"); !slices.Equal(got, []string{"1.0.0", "1.2.0"}) {
		t.Fatalf("after unlist: %v", got)
	}
	if out := e.npmErr(t, npmProject(t), "install", "wharf-lib@1.1.0"); !strings.Contains(out, "ETARGET") {
		t.Fatalf("resolving an unlisted version: %s", out)
	}
	os.RemoveAll(filepath.Join(pinned, "node_modules"))
	env := append(slices.Clone(e.env), "npm_config_cache="+t.TempDir())
	Run(t, env, pinned, "npm", "ci")
	if got := e.required(t, pinned, "wharf-lib"); got != "wharf-lib@1.1.0" {
		t.Fatalf("npm ci of an unlisted pinned version gave %q", got)
	}
	if got := p.listVersions(t, ""); got["1.1.0"] != types.PackageVersionStatusUnlisted || got["1.2.0"] != types.PackageVersionStatusPublished {
		t.Fatalf("ListPackageVersions = %v", got)
	}

	// Nothing left to list: npm says E404, as the public registry makes
	// it for a package whose versions are all gone; the pinned unlisted
	// version still installs from its lockfile.
	p.setStatus(t, types.PackageVersionStatusArchived, "1.0.0", "1.2.0")
	if out := e.npmErr(t, npmProject(t), "view", "wharf-lib"); !strings.Contains(out, "E404") {
		t.Fatalf("npm view of a package with nothing listed: %s", out)
	}
	os.RemoveAll(filepath.Join(pinned, "node_modules"))
	env = append(slices.Clone(e.env), "npm_config_cache="+t.TempDir())
	Run(t, env, pinned, "npm", "ci")
	if got := e.required(t, pinned, "wharf-lib"); got != "wharf-lib@1.1.0" {
		t.Fatalf("npm ci with nothing listed gave %q", got)
	}
}

// TestNpmUnpublish: npm unpublish, which CodeArtifact refuses, removes
// one version and then the whole package through the same rules as
// DeletePackageVersions and DeletePackage.
func TestNpmUnpublish(t *testing.T) {
	e := npmSetup(t)
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		e.publish(t, "@acme/gone", v, nil)
	}
	p := e.pkg("acme", "gone")

	out := e.npm(t, "", "unpublish", "@acme/gone@1.2.0")
	if !strings.Contains(out, "- @acme/gone@1.2.0") {
		t.Fatalf("unpublish: %s", out)
	}
	if got := e.versions(t, "@acme/gone"); !slices.Equal(got, []string{"1.0.0", "1.1.0"}) {
		t.Fatalf("npm view after unpublish = %v", got)
	}
	if got := e.viewJSON(t, "@acme/gone", "dist-tags.latest"); got != "1.1.0" {
		t.Fatalf("latest after unpublishing it = %v", got)
	}
	if got := p.listVersions(t, ""); len(got) != 2 || got["1.2.0"] != "" {
		t.Fatalf("ListPackageVersions after unpublish = %v", got)
	}
	if st := e.get(t, "@acme/gone/-/gone-1.2.0.tgz"); st != 404 {
		t.Fatalf("tarball of an unpublished version: %d", st)
	}
	// Deleted versions can be published again.
	e.publish(t, "@acme/gone", "1.2.0", nil)

	e.npm(t, "", "unpublish", "@acme/gone", "--force")
	_, err := p.c.DescribePackage(ctx, &ca.DescribePackageInput{Domain: aws.String(p.domain), Repository: aws.String(p.repo),
		Format: types.PackageFormatNpm, Namespace: aws.String("acme"), Package: aws.String("gone")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("DescribePackage after unpublish --force: %v", err)
	}
	if out := e.npmErr(t, "", "view", "@acme/gone"); !strings.Contains(out, "E404") {
		t.Fatalf("npm view after unpublish --force: %s", out)
	}
}

// TestNpmAuthAndUnsupported: a missing or invalid token is a 401 that
// writes nothing; npmjs-only commands get a clear 404.
func TestNpmAuthAndUnsupported(t *testing.T) {
	e := npmSetup(t)
	e.publish(t, "wharf-auth", "1.0.0", nil)
	rcPath := filepath.Join(e.home, ".npmrc")
	good, _ := os.ReadFile(rcPath)

	for name, rc := range map[string]string{
		"invalid token": strings.Replace(string(good), ":_authToken=", ":_authToken=not-a-token", 1),
		"no token":      "registry=" + e.registry + "\n",
	} {
		os.WriteFile(rcPath, []byte(rc), 0o600)
		if out := e.npmErr(t, "", "view", "wharf-auth"); !strings.Contains(out, "E401") {
			t.Errorf("%s: npm view: %s", name, out)
		}
		dir := npmPkgDir(t, map[string]any{"name": "wharf-auth", "version": "2.0.0"}, nil)
		out := e.npmErr(t, dir, "publish")
		if name == "invalid token" && !strings.Contains(out, "E401") {
			t.Errorf("%s: npm publish: %s", name, out)
		}
		if name == "no token" && !strings.Contains(out, "ENEEDAUTH") {
			t.Errorf("%s: npm publish: %s", name, out)
		}
	}
	os.WriteFile(rcPath, good, 0o600)
	if got := e.pkg("", "wharf-auth").listVersions(t, ""); len(got) != 1 {
		t.Fatalf("versions after refused publishes: %v", got)
	}
	// Without npm's client-side check, a publish with no token still
	// reaches the registry and is refused.
	req, _ := http.NewRequest("PUT", e.registry+"wharf-auth", strings.NewReader(`{"name":"wharf-auth"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("PUT without a token: %d", resp.StatusCode)
	}

	for cmd, want := range map[string]string{
		"whoami":     "npm whoami is not supported",
		"search foo": "npm search is not supported",
		"token list": "npm token is not supported",
	} {
		if out := e.npmErr(t, "", strings.Fields(cmd)...); !strings.Contains(out, want) {
			t.Errorf("npm %s: %s", cmd, out)
		}
	}
	if out := e.npmErr(t, "", "owner", "add", "bob", "wharf-auth"); !strings.Contains(out, "npm login and adduser are not supported") {
		t.Errorf("npm owner add: %s", out)
	}
}
