package e2e

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/upstreamtest"
)

// The local stand-ins for public registries (internal/upstreamtest) are
// checked here against the real clients, so the tests of external
// connections that use them test against something faithful.

// pypiStandIn serves the real wheels Debian has: pip and setuptools from
// /usr/share/python-wheels (which depend on nothing) and markdown-it-py
// with its dependency mdurl, rebuilt from Debian's installed
// python3-markdown-it and python3-mdurl (installed with twine).
func pypiStandIn(t *testing.T) *upstreamtest.PyPI {
	t.Helper()
	p := upstreamtest.NewPyPI()
	wheels, _ := filepath.Glob(filepath.Join(upstreamtest.DebianWheels, "*.whl"))
	if len(wheels) == 0 {
		missingTool(t, "Debian's Python wheels", os.ErrNotExist, "apt-get install -y python3-pip-whl python3-setuptools-whl")
	}
	if err := p.AddFiles(wheels...); err != nil {
		t.Fatal(err)
	}
	for _, project := range []string{"markdown-it-py", "mdurl"} {
		di, err := upstreamtest.FindDistInfo(upstreamtest.DebianSitePackages, project)
		if err != nil {
			missingTool(t, "Debian's "+project, err, "apt-get install -y python3-markdown-it python3-mdurl")
		}
		name, data, err := upstreamtest.InstalledWheel(di)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Add(name, data); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// TestStandInPyPIWithPip: pip resolves and installs a package with a
// dependency from the stand-in index (JSON pages, hashes checked), sees a
// version released after its first fetch, and refuses a file whose bytes
// do not match the published hash.
func TestStandInPyPIWithPip(t *testing.T) {
	t.Parallel()
	pyNeedTool(t, "pip", "pip comes with Python")
	p := pypiStandIn(t)
	srv := httptest.NewServer(p)
	defer srv.Close()
	env := pyEnv(t, &Server{})
	pip := func(args ...string) (string, error) {
		return RunErr(env, "", "pip", append([]string{"install", "--disable-pip-version-check", "--no-cache-dir", "--index-url", srv.URL + "/simple/"}, args...)...)
	}

	target := t.TempDir()
	out, err := pip("--target", target, "markdown-it-py")
	if err != nil {
		t.Fatalf("pip install markdown-it-py: %v\n%s", err, out)
	}
	py := "import sys; sys.path.insert(0, sys.argv[1]); import markdown_it, mdurl; print(markdown_it.MarkdownIt().render('# hi').strip())"
	if got := strings.TrimSpace(Run(t, env, "", "python3", "-c", py, target)); got != "<h1>hi</h1>" {
		t.Fatalf("the installed markdown-it-py rendered %q", got)
	}
	for _, path := range []string{"/simple/markdown-it-py/", "/simple/mdurl/"} {
		if p.Requests(path) == 0 {
			t.Fatalf("pip never asked for %s; asked %v", path, p.Paths())
		}
	}

	// A version released after the first fetch installs at once.
	dir := t.TempDir()
	probe := pyDist{name: "wharf-probe", version: "1.0", summary: "probe", marker: "one"}
	if err := p.AddFiles(pyBuildWheel(t, dir, probe)); err != nil {
		t.Fatal(err)
	}
	target = t.TempDir()
	if out, err := pip("--target", target, "wharf-probe"); err != nil {
		t.Fatalf("pip install wharf-probe: %v\n%s", err, out)
	}
	probe.version, probe.marker = "1.1", "two"
	if err := p.AddFiles(pyBuildWheel(t, dir, probe)); err != nil {
		t.Fatal(err)
	}
	target = t.TempDir()
	if out, err := pip("--target", target, "wharf-probe"); err != nil || !strings.Contains(out, "wharf-probe-1.1") && !strings.Contains(out, "wharf_probe-1.1") {
		t.Fatalf("pip install after a release: %v\n%s", err, out)
	}

	// A corrupted file is refused by pip's hash check.
	p.Corrupt("mdurl-0.1.2-py3-none-any.whl")
	if out, err := pip("--target", t.TempDir(), "mdurl"); err == nil || !strings.Contains(out, "HASH") {
		t.Fatalf("pip installed a corrupted wheel: %v\n%s", err, out)
	}
}

// TestStandInMavenWithMvn: mvn resolves everything, its own plugin
// included, from the stand-in serving Debian's Maven repository, with
// strict checksums (the computed .sha1 files); a version range resolves
// through the generated maven-metadata.xml and sees a release made after
// the first fetch; a corrupted jar fails the checksum.
func TestStandInMavenWithMvn(t *testing.T) {
	t.Parallel()
	mvnNeed(t)
	m := upstreamtest.NewMaven(upstreamtest.DebianMavenRepo)
	srv := httptest.NewServer(m)
	defer srv.Close()
	rig := newMvnRig(t, srv.URL)
	settings := func(name string) string {
		path := filepath.Join(rig.dir, name+"-settings.xml")
		doc := `<settings>
  <localRepository>` + filepath.Join(rig.dir, name+"-m2") + `</localRepository>
  <mirrors><mirror><id>standin</id><mirrorOf>*</mirrorOf><url>` + srv.URL + `</url></mirror></mirrors>
</settings>`
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	get := func(name, artifact string) (string, error) {
		return rig.run(settings(name), "-C", mvnGetPlugin, "-Dartifact="+artifact)
	}

	out, err := get("first", "commons-digester:commons-digester:1.8.1")
	mustMvn(t, "dependency:get commons-digester", out, err)
	for _, f := range []string{
		"commons-digester/commons-digester/1.8.1/commons-digester-1.8.1.jar",
		"commons-beanutils/commons-beanutils/debian/commons-beanutils-debian.jar", // its dependency
		"commons-logging/commons-logging/debian/commons-logging-debian.jar",       // and theirs
		"commons-collections/commons-collections/3.x/commons-collections-3.x.jar", // (transitive)
	} {
		if _, err := os.Stat(filepath.Join(rig.dir, "first-m2", f)); err != nil {
			t.Fatalf("mvn did not fetch %s: %v\n%s", f, err, out)
		}
	}
	if m.Requests("/commons-digester/commons-digester/1.8.1/commons-digester-1.8.1.jar.sha1") == 0 {
		t.Fatalf("mvn did not check the jar's .sha1; asked %d paths", len(m.Paths()))
	}

	m.Add("com.acme.probe", "probe", "1.0", map[string][]byte{"pom": probePOM("1.0"), "jar": jarOf(t, "probe 1.0")})
	out, err = get("range1", "com.acme.probe:probe:[1.0,2.0)")
	mustMvn(t, "dependency:get a range", out, err)
	m.Add("com.acme.probe", "probe", "1.1", map[string][]byte{"pom": probePOM("1.1"), "jar": jarOf(t, "probe 1.1")})
	out, err = get("range2", "com.acme.probe:probe:[1.0,2.0)")
	mustMvn(t, "dependency:get a range after a release", out, err)
	if _, err := os.Stat(filepath.Join(rig.dir, "range2-m2", "com/acme/probe/probe/1.1/probe-1.1.jar")); err != nil {
		t.Fatalf("the range did not resolve to the new release: %v\n%s", err, out)
	}

	m.Corrupt("com/acme/probe/probe/1.1/probe-1.1.jar")
	out, err = get("corrupt", "com.acme.probe:probe:1.1")
	if err == nil || !strings.Contains(strings.ToLower(out), "checksum") {
		t.Fatalf("mvn accepted a corrupted jar: %v\n%s", err, out)
	}
}

func probePOM(version string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme.probe</groupId>
  <artifactId>probe</artifactId>
  <version>` + version + `</version>
  <packaging>jar</packaging>
</project>
`)
}

// TestStandInNuGetWithNuget: nuget.exe installs a package with its
// dependency from the NuGet stand-in (service index, registration,
// flat container), finds a version released after its first fetch, and
// refuses a corrupted nupkg (nuget.exe checks a package's zip, not
// nuget.org's packageHash, so corruption shows as a broken package).
func TestStandInNuGetWithNuget(t *testing.T) {
	t.Parallel()
	dir := nugetDir(t)
	n := upstreamtest.NewNuGet()
	if err := n.AddFixtures("Wharf.Pub.Lib.1.0.0.nupkg", "Wharf.Pub.App.1.0.0.nupkg"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n)
	defer srv.Close()
	g := &nugetRig{t: t, nuget: filepath.Join(dir, "nuget"), env: (&Server{}).Env(t), source: srv.URL + "/v3/index.json"}
	g.home = t.TempDir()
	for i, kv := range g.env {
		if strings.HasPrefix(kv, "HOME=") {
			g.env[i] = "HOME=" + g.home
		}
	}
	if got := g.mustInstall("Wharf.Pub.App", "-Version", "1.0.0"); !slices.Equal(got, []string{"Wharf.Pub.App.1.0.0", "Wharf.Pub.Lib.1.0.0"}) {
		t.Fatalf("install = %v", got)
	}
	t.Logf("nuget install asked %v", n.Paths())
	for _, p := range []string{"/v3/index.json", "/v3/registration5-gz-semver2/wharf.pub.app/index.json", "/v3-flatcontainer/wharf.pub.lib/1.0.0/wharf.pub.lib.1.0.0.nupkg"} {
		if n.Requests(p) == 0 {
			t.Errorf("nuget never asked for %s; asked %v", p, n.Paths())
		}
	}

	// A version released after the first fetch installs at once.
	if err := n.AddFixtures("Wharf.Pub.Lib.1.1.0.nupkg"); err != nil {
		t.Fatal(err)
	}
	if got := g.mustInstall("Wharf.Pub.Lib", "-Version", "1.1.0"); !slices.Equal(got, []string{"Wharf.Pub.Lib.1.1.0"}) {
		t.Fatalf("install after a release = %v", got)
	}

	// A corrupted nupkg is served with bytes its catalog leaf's
	// packageHash does not match (nuget.exe itself does not check it).
	if err := n.AddFixtures("Wharf.Pub.Lib.1.2.0.nupkg"); err != nil {
		t.Fatal(err)
	}
	n.Corrupt("Wharf.Pub.Lib", "1.2.0")
	resp, err := http.Get(srv.URL + "/v3-flatcontainer/wharf.pub.lib/1.2.0/wharf.pub.lib.1.2.0.nupkg")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sum := sha512.Sum512(body)
	if resp.StatusCode != http.StatusOK || base64.StdEncoding.EncodeToString(sum[:]) == n.PackageHash("Wharf.Pub.Lib", "1.2.0") {
		t.Fatalf("corrupted nupkg: %d, matching its packageHash", resp.StatusCode)
	}
	var leaf struct {
		Hash string `json:"packageHash"`
	}
	resp, err = http.Get(srv.URL + "/v3/catalog0/data/2024.01.02.03.04.05/wharf.pub.lib.1.2.0.json")
	if err != nil || json.NewDecoder(resp.Body).Decode(&leaf) != nil || leaf.Hash != n.PackageHash("Wharf.Pub.Lib", "1.2.0") {
		t.Fatalf("catalog leaf: %v %+v", err, leaf)
	}
	resp.Body.Close()
}
