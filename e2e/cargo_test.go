package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// cargoEnv drives the real cargo (rustup's, 1.74 or later: Debian's 0.66
// has no registry authentication) against one repository, configured as
// the AWS documentation configures it, with the real aws CLI as the
// credential provider reaching Wharf through AWS_ENDPOINT_URL.
type cargoEnv struct {
	s        *Server
	cargo    string
	env      []string // without CARGO_HOME: each run gets one
	index    string   // sparse+ENDPOINT
	domain   string
	repo     string
	homeConf string
}

// realCargo finds rustup's cargo in the user's home (tests move HOME)
// and requires 1.74 or later.
func realCargo(t *testing.T) (cargo, rustupHome string) {
	t.Helper()
	home, err := os.UserHomeDir()
	if err != nil {
		missingTool(t, "cargo", err, "rustup")
	}
	cargo = filepath.Join(home, ".cargo", "bin", "cargo")
	rustupHome = os.Getenv("RUSTUP_HOME")
	if rustupHome == "" {
		rustupHome = filepath.Join(home, ".rustup")
	}
	cmd := exec.Command(cargo, "--version")
	cmd.Env = append(os.Environ(), "RUSTUP_HOME="+rustupHome)
	out, err := cmd.Output()
	if err != nil {
		missingTool(t, "cargo 1.74+ (rustup's, in ~/.cargo/bin)", err, "rustup")
	}
	m := regexp.MustCompile(`^cargo 1\.(\d+)\.`).FindStringSubmatch(string(out))
	if m == nil {
		missingTool(t, "cargo 1.74+", fmt.Errorf("unrecognized version %q", out), "rustup")
	}
	if minor, _ := strconv.Atoi(m[1]); minor < 74 {
		missingTool(t, "cargo 1.74+", fmt.Errorf("found %s", strings.TrimSpace(string(out))), "rustup")
	}
	return cargo, rustupHome
}

func cargoSetup(t *testing.T) *cargoEnv {
	t.Helper()
	return cargoSetupWith(t, ServerOptions{}, "crates")
}

// cargoSetupWith starts a server with opt, creates domain acme with
// repository repo, and configures cargo against repo.
func cargoSetupWith(t *testing.T, opt ServerOptions, repo string) *cargoEnv {
	t.Helper()
	cargo, rustupHome := realCargo(t)
	needTool(t, "aws")
	s := StartServerWith(t, opt)
	Setup(t, s.Client(), "acme", repo)
	e := &cargoEnv{s: s, cargo: cargo, domain: "acme", repo: repo}
	endpoint := s.Endpoint(t, e.domain, e.repo, types.PackageFormatCargo)
	if !strings.HasSuffix(endpoint, "/cargo/acme-"+testAccount+"/"+repo+"/") {
		t.Fatalf("cargo endpoint %s", endpoint)
	}
	e.index = "sparse+" + endpoint
	e.env = append(s.Env(t), "RUSTUP_HOME="+rustupHome, "CARGO_TERM_COLOR=never", "CARGO_TERM_PROGRESS_WHEN=never",
		// Fail at once rather than retry a refused request.
		"CARGO_NET_RETRY=0")
	// The documented config.toml (configure-use-cargo): the registry's
	// sparse index, the aws CLI as credential provider, the registry as
	// the default; global-credential-providers as the Cargo book
	// recommends for registries without their own. No
	// [source.crates-io] replace-with: cargo does not insist on it for
	// crates without crates.io dependencies, and crates.io is
	// unreachable here.
	e.homeConf = fmt.Sprintf(`[registries.wharf]
index = %q
credential-provider = "cargo:token-from-stdout aws codeartifact get-authorization-token --domain %s --domain-owner %s --query authorizationToken --output text"

[registry]
default = "wharf"
global-credential-providers = ["cargo:token"]
`, e.index, e.domain, testAccount)
	return e
}

// home makes a fresh CARGO_HOME holding the documented config: an empty
// index cache and no downloaded crates.
func (e *cargoEnv) home(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(e.homeConf), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// run runs cargo in dir with home as CARGO_HOME and returns its output,
// failing the test if it fails.
func (e *cargoEnv) run(t *testing.T, home, dir string, args ...string) string {
	t.Helper()
	return Run(t, append(e.env, "CARGO_HOME="+home), dir, e.cargo, args...)
}

// runErr runs cargo expecting failure and returns its output.
func (e *cargoEnv) runErr(t *testing.T, home, dir string, args ...string) string {
	t.Helper()
	out, err := RunErr(append(e.env, "CARGO_HOME="+home), dir, e.cargo, args...)
	if err == nil {
		t.Fatalf("cargo %s succeeded, want failure:\n%s", strings.Join(args, " "), out)
	}
	return out
}

// crate writes a crate's sources into a new directory.
func crateDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// libA is the first crate: no dependencies, a readme, features.
func libA(t *testing.T, version string) string {
	return crateDir(t, map[string]string{
		"Cargo.toml": `[package]
name = "wharf-a"
version = "` + version + `"
edition = "2021"
description = "Wharf's first test crate"
license = "MIT OR Apache-2.0"
repository = "https://example.test/wharf-a"
readme = "README.md"

[features]
default = ["std"]
std = []
`,
		"README.md":  "# wharf-a\n\nPublished by the end-to-end tests.\n",
		"src/lib.rs": `pub fn a() -> String { format!("wharf-a {}", env!("CARGO_PKG_VERSION")) }` + "\n",
	})
}

// cargoPkg is a crate seen through the Go SDK.
func (e *cargoEnv) versions(t *testing.T, name string) map[string]types.PackageVersionStatus {
	t.Helper()
	out, err := e.s.Client().ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(e.domain), Repository: aws.String(e.repo),
		Format: types.PackageFormatCargo, Package: aws.String(name)})
	if err != nil {
		t.Fatalf("ListPackageVersions %s: %v", name, err)
	}
	got := map[string]types.PackageVersionStatus{}
	for _, v := range out.Versions {
		got[aws.ToString(v.Version)] = v.Status
	}
	return got
}

func (e *cargoEnv) setStatus(t *testing.T, name, version string, st types.PackageVersionStatus) {
	t.Helper()
	out, err := e.s.Client().UpdatePackageVersionsStatus(ctx, &ca.UpdatePackageVersionsStatusInput{Domain: aws.String(e.domain), Repository: aws.String(e.repo),
		Format: types.PackageFormatCargo, Package: aws.String(name), Versions: []string{version}, TargetStatus: st})
	if err != nil || len(out.FailedVersions) > 0 {
		t.Fatalf("UpdatePackageVersionsStatus %s %s to %s: %v %v", name, version, st, err, out)
	}
}

// lockedA is the version of wharf-a a Cargo.lock pins.
func lockedA(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "Cargo.lock"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`name = "wharf-a"\nversion = "([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("Cargo.lock has no wharf-a:\n%s", b)
	}
	return string(m[1])
}

// TestCargo: cargo publish of two crates (one depending on the other,
// renamed), cargo build of a third using both from Wharf alone, with and
// without a Cargo.lock, cargo yank and --undo, and what cargo sees after
// the control plane unlists, archives, deletes and restores a version
// (Decision 8).
func TestCargo(t *testing.T) {
	e := cargoSetup(t)
	home := e.home(t)

	// Publish: wharf-a 0.1.0, then Wharf_B 0.2.0 depending on it under
	// another name. cargo publish builds each packaged crate first, so B's
	// verification already downloads A from Wharf.
	e.run(t, home, libA(t, "0.1.0"), "publish")
	libB := crateDir(t, map[string]string{
		"Cargo.toml": `[package]
name = "Wharf_B"
version = "0.2.0"
edition = "2021"
description = "Wharf's second test crate"
license = "MIT"

[dependencies]
a_lib = { package = "wharf-a", version = "0.1", registry = "wharf", default-features = false }
`,
		"src/lib.rs": `pub fn b() -> String { format!("Wharf_B {} on {}", env!("CARGO_PKG_VERSION"), a_lib::a()) }` + "\n",
	})
	out := e.run(t, home, libB, "publish")
	if !strings.Contains(out, "Published Wharf_B v0.2.0") {
		t.Fatalf("cargo publish Wharf_B:\n%s", out)
	}

	// The Go SDK sees each version; names are stored lowercase and keep
	// their spelling as the display name.
	if got := e.versions(t, "wharf-a"); len(got) != 1 || got["0.1.0"] != types.PackageVersionStatusPublished {
		t.Fatalf("ListPackageVersions wharf-a = %v", got)
	}
	if got := e.versions(t, "Wharf_B"); len(got) != 1 || got["0.2.0"] != types.PackageVersionStatusPublished {
		t.Fatalf("ListPackageVersions Wharf_B = %v", got)
	}
	c := e.s.Client()
	vb := func(pkg, v string) (*string, *string, *string, *string, types.PackageFormat) {
		return aws.String(e.domain), aws.String(e.repo), aws.String(pkg), aws.String(v), types.PackageFormatCargo
	}
	dom, repo, pkg, ver, f := vb("Wharf_B", "0.2.0")
	d, err := c.DescribePackageVersion(ctx, &ca.DescribePackageVersionInput{Domain: dom, Repository: repo, Package: pkg, PackageVersion: ver, Format: f})
	if err != nil {
		t.Fatal(err)
	}
	if pv := d.PackageVersion; aws.ToString(pv.PackageName) != "wharf_b" || aws.ToString(pv.DisplayName) != "Wharf_B" || aws.ToString(pv.Summary) != "Wharf's second test crate" {
		t.Fatalf("DescribePackageVersion Wharf_B: %q %q %q", aws.ToString(pv.PackageName), aws.ToString(pv.DisplayName), aws.ToString(pv.Summary))
	}
	deps, err := c.ListPackageVersionDependencies(ctx, &ca.ListPackageVersionDependenciesInput{Domain: dom, Repository: repo, Package: pkg, PackageVersion: ver, Format: f})
	if err != nil || len(deps.Dependencies) != 1 || aws.ToString(deps.Dependencies[0].Package) != "wharf-a" ||
		aws.ToString(deps.Dependencies[0].DependencyType) != "normal" || aws.ToString(deps.Dependencies[0].VersionRequirement) != "^0.1" {
		t.Fatalf("ListPackageVersionDependencies Wharf_B: %+v %v", deps, err)
	}
	dom, repo, pkg, ver, f = vb("wharf-a", "0.1.0")
	rd, err := c.GetPackageVersionReadme(ctx, &ca.GetPackageVersionReadmeInput{Domain: dom, Repository: repo, Package: pkg, PackageVersion: ver, Format: f})
	if err != nil || aws.ToString(rd.Readme) != "# wharf-a\n\nPublished by the end-to-end tests.\n" {
		t.Fatalf("GetPackageVersionReadme wharf-a: %q %v", aws.ToString(rd.Readme), err)
	}

	// A crate name differing only in '-' against '_' is refused.
	collide := crateDir(t, map[string]string{
		"Cargo.toml": "[package]\nname = \"wharf_a\"\nversion = \"9.0.0\"\nedition = \"2021\"\ndescription = \"x\"\nlicense = \"MIT\"\n",
		"src/lib.rs": "",
	})
	if out := e.runErr(t, home, collide, "publish", "--no-verify"); !strings.Contains(out, "collides with package wharf-a") {
		t.Fatalf("cargo publish wharf_a:\n%s", out)
	}

	// A third crate using both, built from Wharf alone.
	app := crateDir(t, map[string]string{
		"Cargo.toml": `[package]
name = "wharf-app"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
wharf-a = { version = "0.1", registry = "wharf" }
Wharf_B = { version = "0.2", registry = "wharf" }
`,
		"src/main.rs": `fn main() { println!("{} | {}", wharf_a::a(), Wharf_B::b()); }` + "\n",
	})
	build := func(home string) string {
		t.Helper()
		e.run(t, home, app, "build")
		return strings.TrimSpace(Run(t, nil, app, filepath.Join(app, "target", "debug", "wharf-app")))
	}
	if got := build(home); got != "wharf-a 0.1.0 | Wharf_B 0.2.0 on wharf-a 0.1.0" {
		t.Fatalf("wharf-app printed %q", got)
	}

	// wharf-a 0.1.1: a fresh resolution (no Cargo.lock) takes it.
	e.run(t, home, libA(t, "0.1.1"), "publish")
	fresh := func() string {
		t.Helper()
		os.Remove(filepath.Join(app, "Cargo.lock"))
		got := build(e.home(t))
		if v := lockedA(t, app); !strings.Contains(got, "wharf-a "+v+" |") {
			t.Fatalf("Cargo.lock pins wharf-a %s but the build printed %q", v, got)
		}
		return lockedA(t, app)
	}
	if v := fresh(); v != "0.1.1" {
		t.Fatalf("fresh resolution took wharf-a %s, want 0.1.1", v)
	}
	lock011, err := os.ReadFile(filepath.Join(app, "Cargo.lock"))
	if err != nil {
		t.Fatal(err)
	}
	// locked builds with a fresh CARGO_HOME, so the pinned .crate is
	// downloaded again, not taken from cargo's cache.
	locked := func() (string, error) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(app, "Cargo.lock"), lock011, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := RunErr(append(e.env, "CARGO_HOME="+e.home(t)), app, e.cargo, "build", "--locked")
		return out, err
	}

	// cargo yank: Unlisted. A fresh resolution skips it; a Cargo.lock
	// pinning it still builds (the .crate still downloads).
	e.run(t, home, app, "yank", "wharf-a@0.1.1")
	if got := e.versions(t, "wharf-a"); got["0.1.1"] != types.PackageVersionStatusUnlisted || got["0.1.0"] != types.PackageVersionStatusPublished {
		t.Fatalf("after cargo yank: %v", got)
	}
	if v := fresh(); v != "0.1.0" {
		t.Fatalf("fresh resolution with 0.1.1 yanked took %s", v)
	}
	if out, err := locked(); err != nil {
		t.Fatalf("build from a Cargo.lock pinning the yanked 0.1.1: %v\n%s", err, out)
	}
	e.run(t, home, app, "yank", "--undo", "wharf-a@0.1.1")
	if got := e.versions(t, "wharf-a"); got["0.1.1"] != types.PackageVersionStatusPublished {
		t.Fatalf("after cargo yank --undo: %v", got)
	}
	if v := fresh(); v != "0.1.1" {
		t.Fatalf("fresh resolution after unyank took %s", v)
	}

	// The control plane's statuses, each then restored to Published.
	for _, st := range []types.PackageVersionStatus{types.PackageVersionStatusUnlisted, types.PackageVersionStatusArchived} {
		e.setStatus(t, "wharf-a", "0.1.1", st)
		if v := fresh(); v != "0.1.0" {
			t.Fatalf("fresh resolution with 0.1.1 %s took %s", st, v)
		}
		out, err := locked()
		switch {
		case st == types.PackageVersionStatusUnlisted && err != nil:
			t.Fatalf("locked build with 0.1.1 Unlisted: %v\n%s", err, out)
		case st == types.PackageVersionStatusArchived && err == nil:
			t.Fatalf("locked build with 0.1.1 Archived succeeded:\n%s", out)
		}
		e.setStatus(t, "wharf-a", "0.1.1", types.PackageVersionStatusPublished)
		if v := fresh(); v != "0.1.1" {
			t.Fatalf("fresh resolution after restoring 0.1.1 from %s took %s", st, v)
		}
		if out, err := locked(); err != nil {
			t.Fatalf("locked build after restoring 0.1.1 from %s: %v\n%s", st, err, out)
		}
	}

	// Deleted: gone for cargo, and publishable again.
	if out, err := c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: aws.String(e.domain), Repository: aws.String(e.repo),
		Format: types.PackageFormatCargo, Package: aws.String("wharf-a"), Versions: []string{"0.1.1"}}); err != nil || len(out.FailedVersions) > 0 {
		t.Fatalf("DeletePackageVersions: %v %v", err, out)
	}
	if got := e.versions(t, "wharf-a"); len(got) != 1 {
		t.Fatalf("after delete: %v", got)
	}
	if v := fresh(); v != "0.1.0" {
		t.Fatalf("fresh resolution with 0.1.1 deleted took %s", v)
	}
	if out, err := locked(); err == nil {
		t.Fatalf("locked build with 0.1.1 deleted succeeded:\n%s", out)
	}
	e.run(t, home, libA(t, "0.1.1"), "publish")
	if v := fresh(); v != "0.1.1" {
		t.Fatalf("fresh resolution after re-publishing 0.1.1 took %s", v)
	}
}
