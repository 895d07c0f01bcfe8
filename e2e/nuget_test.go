package e2e

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/archive/archivetest"
)

// The NuGet tests drive nuget.exe 5.8 (npm's nuget-exe package) on
// Debian's Mono through a `nuget` wrapper, as .ci/run installs them.
// Debian's own nuget (2.8) speaks only the V2 protocol and is refused.

// nugetInstall is how .ci/run installs the client.
const nugetInstall = "run .ci/run as root (Debian's mono-runtime and libraries, nuget-exe@5.8.0 from npm, a nuget wrapper in .tools/bin)"

// nugetDir finds the directory of a `nuget` wrapper for NuGet 4.8 or
// later (CodeArtifact's minimum): the repository's .tools/bin first, then
// PATH. Missing, it fails under CI and skips, loudly, elsewhere.
func nugetDir(t *testing.T) string {
	t.Helper()
	var cands []string
	if p, err := filepath.Abs("../.tools/bin/nuget"); err == nil {
		cands = append(cands, p)
	}
	if p, err := exec.LookPath("nuget"); err == nil {
		cands = append(cands, p)
	}
	var why error = exec.ErrNotFound
	for _, p := range cands {
		cmd := exec.Command(p, "help")
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			why = err
			continue
		}
		m := regexp.MustCompile(`NuGet Version: (\d+)\.(\d+)`).FindStringSubmatch(string(out))
		if m == nil {
			why = &cmdError{err: exec.ErrNotFound, stderr: p + " printed no NuGet version"}
			continue
		}
		major, _ := strconv.Atoi(m[1])
		minor, _ := strconv.Atoi(m[2])
		if major < 4 || major == 4 && minor < 8 {
			why = &cmdError{err: exec.ErrNotFound, stderr: p + " is NuGet " + m[1] + "." + m[2] + "; CodeArtifact needs 4.8 or later"}
			continue
		}
		return filepath.Dir(p)
	}
	missingTool(t, "nuget.exe 5.8 on Mono", why, nugetInstall)
	return ""
}

// nugetPkg is a test package: a real nupkg is a zip holding its .nuspec
// at the root and the files it installs.
type nugetPkg struct {
	id, version string
	deps        string // <dependency> elements for .NETStandard2.0
	payload     []byte // the library's bytes, when set
}

func (p nugetPkg) build(t *testing.T, dir string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	nuspec := `<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>` + p.id + `</id>
    <version>` + p.version + `</version>
    <authors>Wharf</authors>
    <description>Wharf e2e package ` + p.id + `</description>
    <projectUrl>https://example.com/` + p.id + `</projectUrl>
    <dependencies><group targetFramework=".NETStandard2.0">` + p.deps + `</group></dependencies>
  </metadata>
</package>`
	lib := p.payload
	if lib == nil {
		lib = []byte("placeholder for " + p.id + " " + p.version)
	}
	for _, f := range []struct {
		name string
		body []byte
	}{
		{p.id + ".nuspec", []byte(nuspec)},
		{"lib/netstandard2.0/" + p.id + ".dll", lib},
	} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, p.id+"."+p.version+".nupkg")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// nugetRig runs nuget against one repository with its own HOME, so
// NuGet.Config and NuGet's caches are the test's alone.
type nugetRig struct {
	t      *testing.T
	nuget  string // the wrapper's path
	env    []string
	home   string
	source string // the source name aws codeartifact login gives
}

func (g *nugetRig) run(args ...string) (string, error) {
	return RunErr(g.env, g.home, g.nuget, append(args, "-NonInteractive")...)
}

func (g *nugetRig) mustRun(args ...string) string {
	g.t.Helper()
	out, err := g.run(args...)
	if err != nil {
		g.t.Fatalf("nuget %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// clearCaches empties NuGet's HTTP cache (30 minutes otherwise) and
// package folders between steps.
func (g *nugetRig) clearCaches() { g.mustRun("locals", "all", "-clear") }

// install runs nuget install into a fresh folder and returns the
// package folders it made (ID.VERSION), or nuget's output and error.
func (g *nugetRig) install(args ...string) ([]string, string, error) {
	g.t.Helper()
	g.clearCaches()
	out := g.t.TempDir()
	log, err := g.run(append([]string{"install"}, append(args, "-Source", g.source, "-OutputDirectory", out)...)...)
	if err != nil {
		return nil, log, err
	}
	ents, _ := os.ReadDir(out)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
		if _, err := os.Stat(filepath.Join(out, e.Name(), e.Name()+".nupkg")); err != nil {
			g.t.Errorf("%s was installed without its nupkg: %v", e.Name(), err)
		}
	}
	slices.Sort(got)
	return got, log, nil
}

func (g *nugetRig) mustInstall(args ...string) []string {
	g.t.Helper()
	got, log, err := g.install(args...)
	if err != nil {
		g.t.Fatalf("nuget install %s: %v\n%s", strings.Join(args, " "), err, log)
	}
	return got
}

// TestNuGetClient drives nuget.exe as a CodeArtifact user would:
// `aws codeartifact login --tool nuget` writes the source, nuget push
// publishes (a second push is refused, -SkipDuplicate skips it), nuget
// install resolves a dependency, nuget delete unlists, and status changes
// made through the API are what nuget sees.
func TestNuGetClient(t *testing.T) {
	t.Parallel()
	needTool(t, "aws")
	dir := nugetDir(t)
	s := StartServer(t)
	c := s.Client()
	const dom, repo = "nugetd", "nugetrepo"
	Setup(t, c, dom, repo)

	// The real login: it lists NuGet's sources, then adds this one.
	g := nugetLogin(t, s, dir, dom, repo)
	env, home := g.env, g.home
	endpoint := s.Endpoint(t, dom, repo, types.PackageFormatNuget)
	cfg, err := os.ReadFile(filepath.Join(home, ".config", "NuGet", "NuGet.Config"))
	if err != nil || !strings.Contains(string(cfg), `key="`+g.source+`" value="`+endpoint+`v3/index.json"`) || !strings.Contains(string(cfg), `<add key="Username" value="aws" />`) {
		t.Fatalf("NuGet.Config after login (%v):\n%s", err, cfg)
	}
	// Running it again updates the source rather than adding a second.
	out := Run(t, env, home, "aws", "codeartifact", "login", "--tool", "nuget", "--domain", dom, "--repository", repo, "--endpoint-url", s.URL)
	if !strings.Contains(out, "Updated source "+g.source) {
		t.Fatalf("second login added the source again:\n%s", out)
	}

	pkgs := t.TempDir()
	lib10 := nugetPkg{id: "Wharf.Demo.Lib", version: "1.0.0"}.build(t, pkgs)
	lib11 := nugetPkg{id: "Wharf.Demo.Lib", version: "1.1.0"}.build(t, pkgs)
	app := nugetPkg{id: "Wharf.Demo.App", version: "2.0.0", deps: `<dependency id="Wharf.Demo.Lib" version="1.0.0" />`}.build(t, pkgs)

	// Push, then push again: 409, which -SkipDuplicate skips.
	g.mustRun("push", lib10, "-Source", g.source)
	if out, err := g.run("push", lib10, "-Source", g.source); err == nil || !strings.Contains(out, "409") {
		t.Fatalf("second push of the same version succeeded or failed otherwise: %v\n%s", err, out)
	}
	if out := g.mustRun("push", lib10, "-Source", g.source, "-SkipDuplicate"); !strings.Contains(out, "already exists") {
		t.Fatalf("push -SkipDuplicate:\n%s", out)
	}
	g.mustRun("push", lib11, "-Source", g.source)
	g.mustRun("push", app, "-Source", g.source)
	// A package of several megabytes: nuget streams it unauthenticated
	// first, and must still see the challenge and retry.
	payload := make([]byte, 8<<20)
	rand.Read(payload)
	g.mustRun("push", nugetPkg{id: "Wharf.Demo.Big", version: "1.0.0", payload: payload}.build(t, pkgs), "-Source", g.source)

	// Each version through the Go SDK.
	libRef := pkgRef{c: c, domain: dom, repo: repo, format: types.PackageFormatNuget, name: "wharf.demo.lib"}
	appRef := pkgRef{c: c, domain: dom, repo: repo, format: types.PackageFormatNuget, name: "wharf.demo.app"}
	if got := libRef.versions(t, ""); len(got) != 2 || got["1.0.0"].Status != types.PackageVersionStatusPublished || got["1.1.0"].Status != types.PackageVersionStatusPublished {
		t.Fatalf("ListPackageVersions wharf.demo.lib = %+v", got)
	}
	if got := appRef.versions(t, ""); len(got) != 1 || got["2.0.0"].Status != types.PackageVersionStatusPublished {
		t.Fatalf("ListPackageVersions wharf.demo.app = %+v", got)
	}
	desc, err := c.DescribePackageVersion(ctx, &ca.DescribePackageVersionInput{Domain: aws.String(dom), Repository: aws.String(repo),
		Format: types.PackageFormatNuget, Package: aws.String("Wharf.Demo.App"), PackageVersion: aws.String("2.0")})
	if err != nil || aws.ToString(desc.PackageVersion.DisplayName) != "Wharf.Demo.App" || aws.ToString(desc.PackageVersion.HomePage) != "https://example.com/Wharf.Demo.App" {
		t.Fatalf("DescribePackageVersion: %v %+v", err, desc)
	}
	deps, err := c.ListPackageVersionDependencies(ctx, &ca.ListPackageVersionDependenciesInput{Domain: aws.String(dom), Repository: aws.String(repo),
		Format: types.PackageFormatNuget, Package: aws.String("wharf.demo.app"), PackageVersion: aws.String("2.0.0")})
	if err != nil || len(deps.Dependencies) != 1 || aws.ToString(deps.Dependencies[0].Package) != "wharf.demo.lib" || aws.ToString(deps.Dependencies[0].VersionRequirement) != "1.0.0" {
		t.Fatalf("ListPackageVersionDependencies: %v %+v", err, deps)
	}

	// nuget install with the dependency: the highest version the range
	// allows, then the lowest (NuGet's default).
	if got := g.mustInstall("Wharf.Demo.App", "-DependencyVersion", "Highest"); !slices.Equal(got, []string{"Wharf.Demo.App.2.0.0", "Wharf.Demo.Lib.1.1.0"}) {
		t.Fatalf("install (highest dependency) = %v", got)
	}
	if got := g.mustInstall("Wharf.Demo.App"); !slices.Equal(got, []string{"Wharf.Demo.App.2.0.0", "Wharf.Demo.Lib.1.0.0"}) {
		t.Fatalf("install = %v", got)
	}

	// nuget delete unlists (as on nuget.org): the version stays, Unlisted.
	g.mustRun("delete", "Wharf.Demo.Lib", "1.1.0", "-Source", g.source)
	if got := libRef.versions(t, ""); got["1.1.0"].Status != types.PackageVersionStatusUnlisted {
		t.Fatalf("after nuget delete: %+v", got)
	}
	// An Unlisted version is not chosen for a floating range, but installs
	// by its exact version.
	if got := g.mustInstall("Wharf.Demo.App", "-DependencyVersion", "Highest"); !slices.Equal(got, []string{"Wharf.Demo.App.2.0.0", "Wharf.Demo.Lib.1.0.0"}) {
		t.Fatalf("install (highest dependency) with 1.1.0 unlisted = %v", got)
	}
	if got := g.mustInstall("Wharf.Demo.Lib", "-Version", "1.1.0"); !slices.Equal(got, []string{"Wharf.Demo.Lib.1.1.0"}) {
		t.Fatalf("install of the unlisted version = %v", got)
	}

	// Archived through the API: not installable, even by exact version.
	if out, err := libRef.updateStatus([]string{"1.0.0"}, nil, "", types.PackageVersionStatusArchived); err != nil || len(out.FailedVersions) > 0 {
		t.Fatalf("archive 1.0.0: %v %+v", err, out)
	}
	if got, log, err := g.install("Wharf.Demo.Lib", "-Version", "1.0.0"); err == nil || !strings.Contains(log, "not found") {
		t.Fatalf("install of an archived version: %v %v\n%s", got, err, log)
	}
	// Relisted through the API, 1.1.0 is the dependency again.
	if out, err := libRef.updateStatus([]string{"1.1.0"}, nil, "", types.PackageVersionStatusPublished); err != nil || len(out.FailedVersions) > 0 {
		t.Fatalf("relist 1.1.0: %v %+v", err, out)
	}
	if got := g.mustInstall("Wharf.Demo.App"); !slices.Equal(got, []string{"Wharf.Demo.App.2.0.0", "Wharf.Demo.Lib.1.1.0"}) {
		t.Fatalf("install with 1.0.0 archived = %v", got)
	}
	// Deleted through the API, a version can be pushed again.
	if out, err := libRef.deleteVersions([]string{"1.0.0"}, ""); err != nil || len(out.FailedVersions) > 0 {
		t.Fatalf("delete 1.0.0: %v %+v", err, out)
	}
	g.mustRun("push", lib10, "-Source", g.source)
	if got := g.mustInstall("Wharf.Demo.Lib", "-Version", "1.0.0"); !slices.Equal(got, []string{"Wharf.Demo.Lib.1.0.0"}) {
		t.Fatalf("install after re-push = %v", got)
	}
}

// nugetLogin runs the real `aws codeartifact login --tool nuget` for a
// repository, with its own HOME and the wrapper first on PATH (the CLI
// runs `nuget sources list`, then `nuget sources add`), and returns a rig
// for it.
func nugetLogin(t *testing.T, s *Server, dir, dom, repo string) *nugetRig {
	t.Helper()
	env := s.Env(t)
	home := ""
	for i, kv := range env {
		if h, ok := strings.CutPrefix(kv, "HOME="); ok {
			home = h
		}
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			env[i] = "PATH=" + dir + string(os.PathListSeparator) + p
		}
	}
	out := Run(t, env, home, "aws", "codeartifact", "login", "--tool", "nuget", "--domain", dom, "--repository", repo, "--endpoint-url", s.URL)
	if !strings.Contains(out, "Added source "+dom+"/"+repo+" to the user level NuGet.Config") {
		t.Fatalf("aws codeartifact login --tool nuget:\n%s", out)
	}
	return &nugetRig{t: t, nuget: filepath.Join(dir, "nuget"), env: env, home: home, source: dom + "/" + repo}
}

// TestNuGetUpstreamReadThrough: nuget pushes to a; nuget install through
// b (b -> mid -> a) resolves the package and its dependency; b retains
// the versions it downloaded and mid, between them, nothing; a miss
// reaching public:nuget-org while its feed cannot be reached is a 502.
func TestNuGetUpstreamReadThrough(t *testing.T) {
	t.Parallel()
	needTool(t, "aws")
	dir := nugetDir(t)
	// Nothing listens at the feed's address.
	s := StartServerWith(t, ServerOptions{Args: []string{"--nuget-org-url", "http://" + freeAddr(t) + "/v3/index.json"}})
	c := s.Client()
	const dom = "nugetup"
	Setup(t, c, dom, "upa", "mid", "upb", "nugetstore")
	chainRepos(t, c, dom, "upb", "mid", "upa")
	associate(t, c, dom, "nugetstore", "public:nuget-org")
	a := nugetLogin(t, s, dir, dom, "upa")
	pkgs := t.TempDir()
	a.mustRun("push", nugetPkg{id: "Wharf.Up.Lib", version: "1.0.0"}.build(t, pkgs), "-Source", a.source)
	a.mustRun("push", nugetPkg{id: "Wharf.Up.App", version: "1.0.0", deps: `<dependency id="Wharf.Up.Lib" version="1.0.0" />`}.build(t, pkgs), "-Source", a.source)
	wantNoPackage(t, c, dom, "upb", types.PackageFormatNuget, "", "wharf.up.app")

	b := nugetLogin(t, s, dir, dom, "upb")
	if got := b.mustInstall("Wharf.Up.App"); !slices.Equal(got, []string{"Wharf.Up.App.1.0.0", "Wharf.Up.Lib.1.0.0"}) {
		t.Fatalf("install through b = %v", got)
	}
	for _, pkg := range []string{"wharf.up.app", "wharf.up.lib"} {
		ref := pkgRef{c: c, domain: dom, repo: "upb", format: types.PackageFormatNuget, name: pkg}
		if got := ref.versions(t, ""); len(got) != 1 || got["1.0.0"].Origin == nil || got["1.0.0"].Origin.OriginType != types.PackageVersionOriginTypeInternal {
			t.Errorf("%s retained in b: %+v", pkg, got)
		}
		wantNoPackage(t, c, dom, "mid", types.PackageFormatNuget, "", pkg)
	}

	store := s.Endpoint(t, dom, "nugetstore", types.PackageFormatNuget)
	token := s.Token(t, dom)
	for _, path := range []string{"newtonsoft.json/index.json", "newtonsoft.json/13.0.1/newtonsoft.json.13.0.1.nupkg"} {
		resp := pyGet(t, store+"v3/flatcontainer/"+path, token, "")
		if body := pyBody(t, resp); resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "public:nuget-org could not be read") {
			t.Errorf("GET %s: %d %s, want 502 naming public:nuget-org", path, resp.StatusCode, body)
		}
	}
	wantNoPackage(t, c, dom, "nugetstore", types.PackageFormatNuget, "", "newtonsoft.json")
}

// TestNuGetRefusedPushes: nuget push of a zip bomb, of a package whose
// manifest is named after another id than the one it declares, and of a
// package whose manifest is malformed in a way nuget.exe does not check;
// each is a 400 nuget reports, nothing is created, and the valid package
// then pushes.
func TestNuGetRefusedPushes(t *testing.T) {
	t.Parallel()
	needTool(t, "aws")
	dir := nugetDir(t)
	s := StartServer(t)
	c := s.Client()
	const dom, repo = "nugetbomb", "repo"
	Setup(t, c, dom, repo)
	g := nugetLogin(t, s, dir, dom, repo)
	pkgs := t.TempDir()
	good := nugetPkg{id: "Wharf.Bomb", version: "1.0.0"}
	goodPath := good.build(t, pkgs)
	goodBytes, err := os.ReadFile(goodPath)
	if err != nil {
		t.Fatal(err)
	}
	// rewrap copies the good package, renaming entries and adding more.
	rewrap := func(name string, rename map[string]string, add func(zw *zip.Writer)) string {
		zr, err := zip.NewReader(bytes.NewReader(goodBytes), int64(len(goodBytes)))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, f := range zr.File {
			n := f.Name
			if r, ok := rename[n]; ok {
				n = r
			}
			w, _ := zw.Create(n)
			rc, _ := f.Open()
			io.Copy(w, rc)
			rc.Close()
		}
		if add != nil {
			add(zw)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for name, path := range map[string]string{
		"zip bomb": rewrap("Wharf.Bomb.1.0.0.nupkg", nil, func(zw *zip.Writer) {
			if err := archivetest.AddZeros(zw, "lib/netstandard2.0/zeros.dll", 1<<30, 1<<30); err != nil {
				t.Fatal(err)
			}
		}),
		"manifest named after another id": rewrap("Wharf.Bomb.1.0.0.nupkg", map[string]string{"Wharf.Bomb.nuspec": "Other.Package.nuspec"}, nil),
		"readme the package lacks":        nugetPkgWithManifest(t, "Wharf.Bomb", "1.0.0", "<readme>docs/README.md</readme>"),
	} {
		out, err := g.run("push", path, "-Source", g.source)
		if err == nil || !strings.Contains(out, "400") {
			t.Errorf("%s: nuget push succeeded or failed otherwise: %v\n%s", name, err, out)
		}
	}
	wantNoPackage(t, c, dom, repo, types.PackageFormatNuget, "", "wharf.bomb")
	g.mustRun("push", goodPath, "-Source", g.source)
	ref := pkgRef{c: c, domain: dom, repo: repo, format: types.PackageFormatNuget, name: "wharf.bomb"}
	if got := ref.versions(t, ""); len(got) != 1 {
		t.Fatalf("after the valid push: %+v", got)
	}
}

// nugetPkgWithManifest writes a package whose manifest carries extra
// metadata elements.
func nugetPkgWithManifest(t *testing.T, id, version, extra string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(id + ".nuspec")
	io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata><id>`+id+`</id><version>`+version+`</version><authors>Wharf</authors><description>d</description>`+extra+`</metadata>
</package>`)
	w, _ = zw.Create("lib/netstandard2.0/" + id + ".dll")
	io.WriteString(w, "placeholder")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), id+"."+version+".nupkg")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
