package e2e

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/upstreamtest"
)

// TestPublicPyPIConnection: pip, logged in to team (whose upstream store
// holds public:pypi, pointed at a PEP 691/503 stand-in over real
// wheels), installs markdown-it-py with its dependency mdurl; both are
// ingested in store with origin EXTERNAL and publish=BLOCK,
// upstream=ALLOW; a version released upstream after the first fetch is
// served from the request after the page's refresh; with the index
// stopped (503, then closed connections) everything fetched still
// installs with a cold pip cache while a project never fetched fails
// with 502; a file whose bytes do not match the index's sha256 is
// refused and nothing is retained.
func TestPublicPyPIConnection(t *testing.T) {
	t.Parallel()
	pyNeedTool(t, "pip", "pip comes with Python")
	pyNeedTool(t, "aws", "pip install awscli")
	up := pypiStandIn(t)
	srv := httptest.NewServer(up)
	defer srv.Close()
	// A one-second freshness window, so the release below is seen seconds
	// after it happens rather than minutes.
	s := StartServerWith(t, ServerOptions{Args: []string{"--pypi-url", srv.URL, "--freshness", "1s"}})
	c := s.Client()
	const dom = "pubpy"
	Setup(t, c, dom, "store", "team")
	associate(t, c, dom, "store", "public:pypi")
	chainRepos(t, c, dom, "team", "store")
	env := pyEnv(t, s)
	Run(t, env, "", "aws", "codeartifact", "login", "--tool", "pip", "--domain", dom, "--repository", "team", "--endpoint-url", s.URL)
	token := s.Token(t, dom)
	team := s.Endpoint(t, dom, "team", types.PackageFormatPypi)
	pip := func(args ...string) (string, error) {
		// --no-cache-dir: every install asks Wharf for everything.
		return RunErr(env, "", "pip", append([]string{"install", "--disable-pip-version-check", "--no-cache-dir", "--target", t.TempDir()}, args...)...)
	}
	installMarkdown := func(when string) {
		t.Helper()
		target := t.TempDir()
		out, err := RunErr(env, "", "pip", "install", "--disable-pip-version-check", "--no-cache-dir", "--target", target, "markdown-it-py")
		if err != nil {
			t.Fatalf("pip install markdown-it-py %s: %v\n%s", when, err, out)
		}
		py := "import sys; sys.path.insert(0, sys.argv[1]); import markdown_it, mdurl; print(markdown_it.MarkdownIt().render('# hi').strip())"
		if got := strings.TrimSpace(Run(t, env, "", "python3", "-c", py, target)); got != "<h1>hi</h1>" {
			t.Fatalf("markdown-it-py installed %s rendered %q", when, got)
		}
	}

	// A package with a dependency, through the connection.
	installMarkdown("through public:pypi")
	for _, pkg := range []struct{ name, version string }{{"markdown-it-py", "2.1.0"}, {"mdurl", "0.1.2"}} {
		out, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(dom), Repository: aws.String("store"),
			Format: types.PackageFormatPypi, Package: aws.String(pkg.name)})
		if err != nil {
			t.Fatalf("ListPackageVersions %s in store: %v", pkg.name, err)
		}
		if len(out.Versions) != 1 || aws.ToString(out.Versions[0].Version) != pkg.version {
			t.Fatalf("store holds %s versions %+v, want [%s]", pkg.name, out.Versions, pkg.version)
		}
		o := out.Versions[0].Origin
		if o == nil || o.OriginType != types.PackageVersionOriginTypeExternal || o.DomainEntryPoint == nil ||
			aws.ToString(o.DomainEntryPoint.ExternalConnectionName) != "public:pypi" {
			t.Errorf("origin of %s %s in store: %+v, want EXTERNAL through public:pypi", pkg.name, pkg.version, o)
		}
		dp, err := c.DescribePackage(ctx, &ca.DescribePackageInput{Domain: aws.String(dom), Repository: aws.String("store"),
			Format: types.PackageFormatPypi, Package: aws.String(pkg.name)})
		if err != nil {
			t.Fatal(err)
		}
		if r := dp.Package.OriginConfiguration.Restrictions; r.Publish != types.AllowPublishBlock || r.Upstream != types.AllowUpstreamAllow {
			t.Errorf("origin configuration of %s in store: %+v, want publish=BLOCK upstream=ALLOW", pkg.name, r)
		}
		if got := pypiVersions(t, c, dom, "team", pkg.name, ""); !slices.Equal(got, []string{pkg.version}) {
			t.Errorf("team holds %s %v, want [%s] retained", pkg.name, got, pkg.version)
		}
	}

	// A release after the first fetch: the page is served from the cache
	// while it refreshes, so the request after the refresh lists it and
	// pip installs it.
	dist := t.TempDir()
	probe := pyDist{name: "wharf-probe", version: "1.0", summary: "probe", marker: "one"}
	if err := up.AddFiles(pyBuildWheel(t, dist, probe)); err != nil {
		t.Fatal(err)
	}
	if out, err := pip("wharf-probe"); err != nil {
		t.Fatalf("pip install wharf-probe: %v\n%s", err, out)
	}
	probe.version, probe.marker = "1.1", "two"
	if err := up.AddFiles(pyBuildWheel(t, dist, probe)); err != nil {
		t.Fatal(err)
	}
	pyWaitPage(t, team+"simple/wharf-probe/", token, "wharf_probe-1.1-")
	if out, err := pip("wharf-probe==1.1"); err != nil {
		t.Fatalf("pip install wharf-probe==1.1 after its release: %v\n%s", err, out)
	}
	if got := pypiVersions(t, c, dom, "store", "wharf-probe", ""); !slices.Equal(got, []string{"1.0", "1.1"}) {
		t.Errorf("store holds wharf-probe %v, want [1.0 1.1]", got)
	}

	// The index stopped: what was fetched still installs (pip's cache is
	// off), a project never fetched is a 502.
	setuptools, _ := filepath.Glob(filepath.Join(upstreamtest.DebianWheels, "setuptools-*.whl"))
	if len(setuptools) != 1 {
		t.Fatalf("Debian's setuptools wheel: %v", setuptools)
	}
	for _, o := range []struct {
		name   string
		outage upstreamtest.Outage
	}{{"unavailable", upstreamtest.Unavailable}, {"unreachable", upstreamtest.Unreachable}} {
		up.SetOutage(o.outage)
		time.Sleep(1100 * time.Millisecond) // past the freshness window: refreshes are tried, and fail
		installMarkdown("with the index " + o.name)
		for _, v := range []string{"1.0", "1.1"} {
			if out, err := pip("wharf-probe==" + v); err != nil {
				t.Fatalf("pip install wharf-probe==%s with the index %s: %v\n%s", v, o.name, err, out)
			}
		}
		if out, err := pip("setuptools"); err == nil {
			t.Fatalf("pip installed setuptools, never fetched, with the index %s:\n%s", o.name, out)
		}
		pyWantStatus(t, team+"simple/setuptools/", token, http.StatusBadGateway, "public:pypi")
	}
	up.SetOutage(upstreamtest.Up)
	wantNoPackage(t, c, dom, "store", types.PackageFormatPypi, "", "setuptools")

	// A corrupted file: pip gets an error, Wharf a 502, and nothing is kept.
	// (The index is asked again once the last failure is a MinRefetch old.)
	name := filepath.Base(setuptools[0])
	pyWaitPage(t, team+"simple/setuptools/", token, name)
	up.Corrupt(name)
	if out, err := pip("setuptools"); err == nil {
		t.Fatalf("pip installed a corrupted setuptools:\n%s", out)
	}
	version := strings.Split(name, "-")[1]
	pyWantStatus(t, team+"files/setuptools/"+version+"/"+name, token, http.StatusBadGateway, "sha256")
	wantNoPackage(t, c, dom, "store", types.PackageFormatPypi, "", "setuptools")
	wantNoPackage(t, c, dom, "team", types.PackageFormatPypi, "", "setuptools")
}

// pyWaitPage polls a project page until it lists want: a page older than
// the freshness window is answered from the cache while it refreshes.
func pyWaitPage(t *testing.T, url, token, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp := pyGet(t, url, token, "")
		body := pyBody(t, resp)
		if resp.StatusCode == http.StatusOK && strings.Contains(body, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %d, never listed %s:\n%s", url, resp.StatusCode, want, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// pyWantStatus GETs url (Basic auth with the token) and checks the status
// and that the body mentions what.
func pyWantStatus(t *testing.T, url, token string, status int, what string) {
	t.Helper()
	resp := pyGet(t, url, token, "")
	body := pyBody(t, resp)
	if resp.StatusCode != status || !strings.Contains(body, what) {
		t.Errorf("GET %s: %d %s, want %d mentioning %q", url, resp.StatusCode, body, status, what)
	}
}
