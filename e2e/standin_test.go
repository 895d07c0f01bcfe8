package e2e

import (
	"net/http/httptest"
	"os"
	"path/filepath"
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
