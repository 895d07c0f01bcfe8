package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// rbGem describes a gem the test builds with the real `gem build`.
type rbGem struct {
	name, version, platform string
	deps                    []string // add_dependency arguments, e.g. `"dep_gem", ">= 1.0"`
}

func (g rbGem) file() string {
	if g.platform != "" {
		return fmt.Sprintf("%s-%s-%s.gem", g.name, g.version, g.platform)
	}
	return fmt.Sprintf("%s-%s.gem", g.name, g.version)
}

// rbBuild writes a gemspec and its one source file into a folder of dir
// and runs `gem build`, returning the .gem's path.
func rbBuild(t *testing.T, env []string, dir string, g rbGem) string {
	t.Helper()
	src := filepath.Join(dir, g.file()+".src")
	if err := os.MkdirAll(filepath.Join(src, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	var spec strings.Builder
	fmt.Fprintf(&spec, "Gem::Specification.new do |s|\n  s.name = %q\n  s.version = %q\n", g.name, g.version)
	if g.platform != "" {
		fmt.Fprintf(&spec, "  s.platform = %q\n", g.platform)
	}
	fmt.Fprintf(&spec, "  s.summary = %q\n  s.description = %q\n  s.authors = [\"Wharf\"]\n  s.license = \"MIT\"\n", "Wharf e2e gem "+g.name, "Built by the Wharf end-to-end tests.")
	fmt.Fprintf(&spec, "  s.homepage = %q\n  s.metadata = { \"source_code_uri\" => %q }\n", "https://example.test/"+g.name, "https://example.test/"+g.name+"/src")
	fmt.Fprintf(&spec, "  s.files = [\"lib/%s.rb\"]\n", g.name)
	for _, d := range g.deps {
		fmt.Fprintf(&spec, "  s.add_dependency %s\n", d)
	}
	spec.WriteString("  s.add_development_dependency \"rake\", \">= 10\"\nend\n")
	if err := os.WriteFile(filepath.Join(src, g.name+".gemspec"), []byte(spec.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var module strings.Builder
	for part := range strings.SplitSeq(g.name, "_") {
		module.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	code := fmt.Sprintf("module %s\n  VERSION = %q\nend\n", module.String(), g.version)
	if err := os.WriteFile(filepath.Join(src, "lib", g.name+".rb"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	Run(t, env, src, "gem", "build", g.name+".gemspec")
	return filepath.Join(src, g.file())
}

// rbEnv is s.Env without any Ruby configuration from the machine.
func rbEnv(t *testing.T, s *Server) []string {
	var env []string
	for _, kv := range s.Env(t) {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GEM_") || strings.HasPrefix(k, "BUNDLE_") || strings.HasPrefix(k, "RUBY") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// rbInstall runs gem install from the endpoint alone, with the token in
// the source URL as the AWS documentation's .gemrc has it, into a fresh
// folder, and returns the full names installed (or gem's output and
// error).
func rbInstall(t *testing.T, env []string, source string, args ...string) ([]string, string, error) {
	t.Helper()
	dir := t.TempDir()
	out, err := RunErr(env, "", "gem", append([]string{"install", "--clear-sources", "--source", source, "--install-dir", dir, "--no-document"}, args...)...)
	if err != nil {
		return nil, out, err
	}
	specs, _ := filepath.Glob(filepath.Join(dir, "specifications", "*.gemspec"))
	var got []string
	for _, s := range specs {
		got = append(got, strings.TrimSuffix(filepath.Base(s), ".gemspec"))
	}
	sort.Strings(got)
	return got, out, nil
}

// rbBundle runs bundle install in app (removing what an earlier run
// installed, so Bundler asks the server again) and returns the locked
// specs.
func rbBundle(t *testing.T, env []string, app string) (string, error) {
	t.Helper()
	os.RemoveAll(filepath.Join(app, "vendor"))
	out, err := RunErr(env, app, "bundle", "install")
	return out, err
}

func rbLocked(t *testing.T, app string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(app, "Gemfile.lock"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rbGet is a download as gem and Bundler send it (Basic aws:TOKEN).
func rbGet(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth("aws", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func rbVersions(t *testing.T, c *ca.Client, domain, repo, pkg string) []string {
	t.Helper()
	out, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: types.PackageFormatRuby, Package: aws.String(pkg)})
	if err != nil {
		t.Fatalf("ListPackageVersions %s: %v", pkg, err)
	}
	var vs []string
	for _, v := range out.Versions {
		vs = append(vs, *v.Version+":"+string(v.Status))
	}
	sort.Strings(vs)
	return vs
}

func rbSetStatus(t *testing.T, c *ca.Client, domain, repo, pkg, version string, st types.PackageVersionStatus) {
	t.Helper()
	out, err := c.UpdatePackageVersionsStatus(ctx, &ca.UpdatePackageVersionsStatusInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: types.PackageFormatRuby, Package: aws.String(pkg), Versions: []string{version}, TargetStatus: st})
	if err != nil || len(out.FailedVersions) > 0 {
		t.Fatalf("UpdatePackageVersionsStatus %s %s -> %s: %v %+v", pkg, version, st, err, out)
	}
}

// TestRubyGemsPushInstallBundle: the real gem and Bundler configured as
// the AWS documentation configures them for CodeArtifact. gem push with
// the credentials file; gem install of a gem with a dependency from Wharf
// alone; bundle install from a Gemfile; the versions through the Go SDK;
// and after unlisting, archiving and deleting, what each client sees is
// Decision 8's, and again after each restore.
func TestRubyGemsPushInstallBundle(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"gem", "bundle"} {
		if _, err := exec.LookPath(tool); err != nil {
			missingTool(t, tool, err, "apt-get install -y ruby ruby-bundler")
		}
	}
	s := StartServer(t)
	c := s.Client()
	const dom, repo = "rbd", "gems"
	Setup(t, c, dom, repo)
	token := s.Token(t, dom)
	endpoint := s.Endpoint(t, dom, repo, types.PackageFormatRuby)
	if !strings.HasSuffix(endpoint, "/ruby/"+dom+"-"+testAccount+"/"+repo+"/") {
		t.Fatalf("ruby endpoint = %s", endpoint)
	}
	env := rbEnv(t, s)
	home := pyHome(env)

	// As the documentation: RUBYGEMS_HOST is the endpoint without its
	// trailing slash; the credentials file holds "Bearer TOKEN" and must
	// be private.
	host := strings.TrimRight(endpoint, "/")
	if err := os.MkdirAll(filepath.Join(home, ".gem"), 0o700); err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(home, ".gem", "credentials")
	if err := os.WriteFile(creds, []byte(":codeartifact_api_key: Bearer "+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	source := strings.Replace(endpoint, "://", "://aws:"+token+"@", 1)

	build := t.TempDir()
	dep1 := rbBuild(t, env, build, rbGem{name: "dep_gem", version: "1.0.0"})
	dep2 := rbBuild(t, env, build, rbGem{name: "dep_gem", version: "2.0.0"})
	demo := rbBuild(t, env, build, rbGem{name: "demo_gem", version: "1.0.0", deps: []string{`"dep_gem", ">= 1.0", "< 3"`}})
	demoJava := rbBuild(t, env, build, rbGem{name: "demo_gem", version: "1.0.0", platform: "java", deps: []string{`"dep_gem", ">= 1.0", "< 3"`}})

	hostEnv := append(slices.Clone(env), "RUBYGEMS_HOST="+host)
	for _, g := range []string{dep1, dep2} {
		if out := Run(t, hostEnv, "", "gem", "push", "--key", "codeartifact_api_key", g); !strings.Contains(out, "Successfully registered gem") {
			t.Fatalf("gem push %s:\n%s", g, out)
		}
	}
	// The second push keeps the endpoint's trailing slash, as a user who
	// skips the documentation's sed does: gem sends repo//api/v1/gems.
	for g, h := range map[string]string{demo: host, demoJava: endpoint} {
		if out := Run(t, env, "", "gem", "push", "--key", "codeartifact_api_key", "--host", h, g); !strings.Contains(out, "Successfully registered gem") {
			t.Fatalf("gem push --host %s %s:\n%s", h, g, out)
		}
	}
	// A body that is not a gem (gem push itself reads a gem before it
	// sends it, so this one goes as gem push would send it): refused,
	// nothing stored.
	req, _ := http.NewRequest(http.MethodPost, host+"/api/v1/gems", strings.NewReader(strings.Repeat("not a gem ", 100)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "cannot process this gem") {
		t.Fatalf("push of a non-gem: %d %s", resp.StatusCode, body)
	}

	// The Go SDK sees each version; the platform gem is a second asset.
	if vs := rbVersions(t, c, dom, repo, "dep_gem"); !slices.Equal(vs, []string{"1.0.0:Published", "2.0.0:Published"}) {
		t.Fatalf("ListPackageVersions(dep_gem) = %v", vs)
	}
	if vs := rbVersions(t, c, dom, repo, "demo_gem"); !slices.Equal(vs, []string{"1.0.0:Published"}) {
		t.Fatalf("ListPackageVersions(demo_gem) = %v", vs)
	}
	assets, err := c.ListPackageVersionAssets(ctx, &ca.ListPackageVersionAssetsInput{Domain: aws.String(dom), Repository: aws.String(repo),
		Format: types.PackageFormatRuby, Package: aws.String("demo_gem"), PackageVersion: aws.String("1.0.0")})
	if err != nil || len(assets.Assets) != 2 || *assets.Assets[0].Name != "demo_gem-1.0.0-java.gem" || *assets.Assets[1].Name != "demo_gem-1.0.0.gem" {
		t.Fatalf("ListPackageVersionAssets(demo_gem 1.0.0) = %+v, %v", assets, err)
	}
	deps, err := c.ListPackageVersionDependencies(ctx, &ca.ListPackageVersionDependenciesInput{Domain: aws.String(dom), Repository: aws.String(repo),
		Format: types.PackageFormatRuby, Package: aws.String("demo_gem"), PackageVersion: aws.String("1.0.0")})
	if err != nil || len(deps.Dependencies) != 1 || *deps.Dependencies[0].Package != "dep_gem" || *deps.Dependencies[0].VersionRequirement != ">= 1.0, < 3" {
		t.Fatalf("ListPackageVersionDependencies(demo_gem 1.0.0) = %+v, %v", deps, err)
	}
	desc, err := c.DescribePackageVersion(ctx, &ca.DescribePackageVersionInput{Domain: aws.String(dom), Repository: aws.String(repo),
		Format: types.PackageFormatRuby, Package: aws.String("demo_gem"), PackageVersion: aws.String("1.0.0")})
	if err != nil || aws.ToString(desc.PackageVersion.Summary) != "Wharf e2e gem demo_gem" || aws.ToString(desc.PackageVersion.SourceCodeRepository) != "https://example.test/demo_gem/src" {
		t.Fatalf("DescribePackageVersion(demo_gem 1.0.0) = %+v, %v", desc, err)
	}

	// gem install from Wharf alone: the gem and its newest dependency.
	got, out, err := rbInstall(t, env, source, "demo_gem")
	if err != nil || !slices.Equal(got, []string{"demo_gem-1.0.0", "dep_gem-2.0.0"}) {
		t.Fatalf("gem install demo_gem: %v, installed %v\n%s", err, got, out)
	}

	// Bundler, with the credentials the documentation sets.
	Run(t, env, "", "bundle", "config", host, "aws:"+token)
	app := t.TempDir()
	gemfile := fmt.Sprintf("source %q\n\ngem \"demo_gem\"\n", endpoint)
	if err := os.WriteFile(filepath.Join(app, "Gemfile"), []byte(gemfile), 0o644); err != nil {
		t.Fatal(err)
	}
	Run(t, env, app, "bundle", "config", "set", "--local", "path", "vendor/bundle")
	if out, err := rbBundle(t, env, app); err != nil {
		t.Fatalf("bundle install: %v\n%s", err, out)
	}
	if lock := rbLocked(t, app); !strings.Contains(lock, "demo_gem (1.0.0)") || !strings.Contains(lock, "dep_gem (2.0.0)") {
		t.Fatalf("Gemfile.lock after bundle install:\n%s", lock)
	}
	lock := rbLocked(t, app)
	depURL := endpoint + "gems/dep_gem-2.0.0.gem"

	// Unlisted: gone from resolution (gem install picks 1.0.0, an exact
	// pin finds nothing, Bundler's lockfile pin fails), still
	// downloadable by name.
	rbSetStatus(t, c, dom, repo, "dep_gem", "2.0.0", types.PackageVersionStatusUnlisted)
	if got, out, err := rbInstall(t, env, source, "demo_gem"); err != nil || !slices.Equal(got, []string{"demo_gem-1.0.0", "dep_gem-1.0.0"}) {
		t.Fatalf("gem install demo_gem with dep_gem 2.0.0 Unlisted: %v, installed %v\n%s", err, got, out)
	}
	if _, out, err := rbInstall(t, env, source, "dep_gem", "--version", "2.0.0"); err == nil || !strings.Contains(out, "Could not find a valid gem 'dep_gem' (= 2.0.0)") {
		t.Fatalf("gem install dep_gem -v 2.0.0 while Unlisted: err=%v\n%s", err, out)
	}
	if st := rbGet(t, depURL, token); st != http.StatusOK {
		t.Fatalf("download of the Unlisted dep_gem-2.0.0.gem: %d", st)
	}
	if out, err := rbBundle(t, env, app); err == nil || !strings.Contains(out, "dep_gem") {
		t.Fatalf("bundle install pinned to an Unlisted version: err=%v\n%s", err, out)
	}
	rbSetStatus(t, c, dom, repo, "dep_gem", "2.0.0", types.PackageVersionStatusPublished)
	os.WriteFile(filepath.Join(app, "Gemfile.lock"), []byte(lock), 0o644)
	if out, err := rbBundle(t, env, app); err != nil {
		t.Fatalf("bundle install after relisting: %v\n%s", err, out)
	}
	if got, out, err := rbInstall(t, env, source, "dep_gem", "--version", "2.0.0"); err != nil || !slices.Equal(got, []string{"dep_gem-2.0.0"}) {
		t.Fatalf("gem install dep_gem -v 2.0.0 after relisting: %v %v\n%s", err, got, out)
	}

	// Archived: gone everywhere, downloads included; back after a restore.
	rbSetStatus(t, c, dom, repo, "dep_gem", "2.0.0", types.PackageVersionStatusArchived)
	if _, out, err := rbInstall(t, env, source, "dep_gem", "--version", "2.0.0"); err == nil {
		t.Fatalf("gem install of an Archived version succeeded:\n%s", out)
	}
	if st := rbGet(t, depURL, token); st != http.StatusNotFound {
		t.Fatalf("download of the Archived dep_gem-2.0.0.gem: %d", st)
	}
	if out, err := rbBundle(t, env, app); err == nil {
		t.Fatalf("bundle install pinned to an Archived version succeeded:\n%s", out)
	}
	if vs := rbVersions(t, c, dom, repo, "dep_gem"); !slices.Equal(vs, []string{"1.0.0:Published"}) {
		t.Fatalf("ListPackageVersions(dep_gem) with 2.0.0 Archived = %v", vs)
	}
	rbSetStatus(t, c, dom, repo, "dep_gem", "2.0.0", types.PackageVersionStatusPublished)
	if out, err := rbBundle(t, env, app); err != nil {
		t.Fatalf("bundle install after restoring from Archived: %v\n%s", err, out)
	}
	if st := rbGet(t, depURL, token); st != http.StatusOK {
		t.Fatalf("download after restoring from Archived: %d", st)
	}

	// Deleted: gone; the same version may be pushed again and is back.
	if _, err := c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: aws.String(dom), Repository: aws.String(repo),
		Format: types.PackageFormatRuby, Package: aws.String("dep_gem"), Versions: []string{"1.0.0"}}); err != nil {
		t.Fatal(err)
	}
	if _, out, err := rbInstall(t, env, source, "dep_gem", "--version", "1.0.0"); err == nil {
		t.Fatalf("gem install of a deleted version succeeded:\n%s", out)
	}
	if st := rbGet(t, endpoint+"gems/dep_gem-1.0.0.gem", token); st != http.StatusNotFound {
		t.Fatalf("download of the deleted dep_gem-1.0.0.gem: %d", st)
	}
	if vs := rbVersions(t, c, dom, repo, "dep_gem"); !slices.Equal(vs, []string{"2.0.0:Published"}) {
		t.Fatalf("ListPackageVersions(dep_gem) after the delete = %v", vs)
	}
	Run(t, hostEnv, "", "gem", "push", "--key", "codeartifact_api_key", dep1)
	if got, out, err := rbInstall(t, env, source, "dep_gem", "--version", "1.0.0"); err != nil || !slices.Equal(got, []string{"dep_gem-1.0.0"}) {
		t.Fatalf("gem install dep_gem -v 1.0.0 after pushing it again: %v %v\n%s", err, got, out)
	}
	if vs := rbVersions(t, c, dom, repo, "dep_gem"); !slices.Equal(vs, []string{"1.0.0:Published", "2.0.0:Published"}) {
		t.Fatalf("ListPackageVersions(dep_gem) after pushing 1.0.0 again = %v", vs)
	}
}
