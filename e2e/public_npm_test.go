package e2e

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/upstreamtest"
)

// npmjsFixture holds real packuments (trimmed to the versions kept) and
// tarballs from registry.npmjs.org: chalk 4.1.2 and its tree
// (ansi-styles, color-convert, color-name, supports-color 7.2.0,
// has-flag) and ms 2.0.0 and 2.1.3. npmjsLater holds supports-color
// 8.1.1 (manifest and tarball), released while a test runs.
const (
	npmjsFixture = "testdata/npmjs"
	npmjsLater   = "testdata/npmjs-later"
)

// chalkTree is what npm install chalk@4.1.2 installs.
var chalkTree = map[string]string{"chalk": "4.1.2", "ansi-styles": "4.3.0", "color-convert": "2.0.1", "color-name": "1.1.4",
	"supports-color": "7.2.0", "has-flag": "4.0.0"}

// npmStandIn serves the fixture on a local server.
func npmStandIn(t *testing.T) (*upstreamtest.Npm, *httptest.Server) {
	t.Helper()
	n := upstreamtest.NewNpm(npmjsFixture)
	srv := httptest.NewServer(n)
	t.Cleanup(srv.Close)
	return n, srv
}

// releaseSupportsColor8 publishes supports-color 8.1.1 on the stand-in.
func releaseSupportsColor8(t *testing.T, n *upstreamtest.Npm) {
	t.Helper()
	manifest, err := os.ReadFile(filepath.Join(npmjsLater, "supports-color-8.1.1.json"))
	if err != nil {
		t.Fatal(err)
	}
	tgz, err := os.ReadFile(filepath.Join(npmjsLater, "supports-color-8.1.1.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.AddVersion("supports-color", manifest, tgz); err != nil {
		t.Fatal(err)
	}
}

// installedVersions reads the versions npm installed under dir.
func installedVersions(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	pjs, _ := filepath.Glob(filepath.Join(dir, "node_modules", "*", "package.json"))
	for _, pj := range pjs {
		var m struct{ Name, Version string }
		b, err := os.ReadFile(pj)
		if err != nil || json.Unmarshal(b, &m) != nil {
			t.Fatalf("%s: %v", pj, err)
		}
		out[m.Name] = m.Version
	}
	return out
}

// TestStandInNpmWithNpm: npm installs a package with its dependency tree
// from the npm stand-in (integrity checked against the real registry's),
// sees a version released after its first fetch, and refuses a tarball
// whose bytes do not match the published integrity.
func TestStandInNpmWithNpm(t *testing.T) {
	t.Parallel()
	needTool(t, "npm", "npm", "--version")
	n, srv := npmStandIn(t)
	env := append(os.Environ(), "HOME="+t.TempDir(), "npm_config_update_notifier=false", "npm_config_fund=false",
		"npm_config_audit=false", "npm_config_loglevel=warn")
	install := func(spec string) (string, string, error) {
		proj := npmProject(t)
		out, err := RunErr(env, proj, "npm", "install", "--registry", srv.URL+"/", "--cache", t.TempDir(), "--fetch-retries=0", spec)
		return proj, out, err
	}

	proj, out, err := install("chalk@4.1.2")
	if err != nil {
		t.Fatalf("npm install chalk@4.1.2: %v\n%s", err, out)
	}
	if got := installedVersions(t, proj); !reflect.DeepEqual(got, chalkTree) {
		t.Fatalf("installed %v, want %v", got, chalkTree)
	}
	if n.Requests("/has-flag/-/has-flag-4.0.0.tgz") != 1 {
		t.Fatalf("npm did not fetch has-flag's tarball from the stand-in; asked %v", n.Paths())
	}

	releaseSupportsColor8(t, n)
	if proj, out, err = install("supports-color@latest"); err != nil {
		t.Fatalf("npm install supports-color@latest after a release: %v\n%s", err, out)
	}
	if got := installedVersions(t, proj)["supports-color"]; got != "8.1.1" {
		t.Fatalf("supports-color@latest installed %s, want the release 8.1.1", got)
	}

	n.Corrupt("/ms/-/ms-2.1.3.tgz")
	if _, out, err = install("ms@2.1.3"); err == nil || !strings.Contains(out, "EINTEGRITY") && !strings.Contains(out, "corrupted") {
		t.Fatalf("npm installed a corrupted tarball: %v\n%s", err, out)
	}
}

// TestPublicNpmjsLocalUpstream is issue 11's test for public:npmjs
// against a local registry serving real packages (the stand-in, through
// --npmjs-url): npm, pointed at team (upstream store, which holds the
// connection), installs chalk with its dependency tree; the versions
// are ingested into store with origin EXTERNAL from public:npmjs and
// their packages get publish=BLOCK upstream=ALLOW; a version released
// upstream after the first fetch installs at once; with the registry
// stopped (503s, then closed connections) everything fetched still
// installs with an empty npm cache while a package never fetched fails
// with 502; a corrupted tarball is refused with 502 and nothing is kept.
func TestPublicNpmjsLocalUpstream(t *testing.T) {
	up, srv := npmStandIn(t)
	// A freshness window short enough that the installs below find the
	// cached packuments stale, so the outage is met by the background
	// refreshes it makes fail.
	e := npmSetupWith(t, ServerOptions{Args: []string{"--npmjs-url", srv.URL, "--freshness", "1s"}})
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
	// Every install starts from an empty npm cache: what it gets comes
	// from Wharf.
	install := func(args ...string) (string, string, error) {
		proj := npmProject(t)
		out, err := RunErr(e.env, proj, "npm", append([]string{"install", "--cache", t.TempDir(), "--audit=false", "--fetch-retries=0"}, args...)...)
		return proj, out, err
	}
	mustInstall := func(want map[string]string, args ...string) string {
		t.Helper()
		proj, out, err := install(args...)
		if err != nil {
			t.Fatalf("npm install %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		got := installedVersions(t, proj)
		for name, v := range want {
			if got[name] != v {
				t.Fatalf("npm install %s installed %v, want %v", strings.Join(args, " "), got, want)
			}
		}
		return proj
	}

	// A package with its dependencies, through the connection.
	proj := mustInstall(chalkTree, "chalk@4.1.2")
	if got := e.required(t, proj, "chalk"); !strings.Contains(got, "Chalk") && !strings.Contains(got, "chalk") {
		t.Errorf("require(chalk) = %q", got)
	}
	for name, v := range chalkTree {
		if up.Requests("/"+name+"/-/"+name+"-"+v+".tgz") != 1 {
			t.Errorf("the registry served %s's tarball %d times, want once", name, up.Requests("/"+name+"/-/"+name+"-"+v+".tgz"))
		}
		store := e.inRepo("npm-store", "", name)
		out, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(e.domain), Repository: aws.String("npm-store"),
			Format: types.PackageFormatNpm, Package: aws.String(name)})
		if err != nil || len(out.Versions) != 1 || aws.ToString(out.Versions[0].Version) != v || out.Versions[0].Origin == nil ||
			out.Versions[0].Origin.OriginType != types.PackageVersionOriginTypeExternal || out.Versions[0].Origin.DomainEntryPoint == nil ||
			aws.ToString(out.Versions[0].Origin.DomainEntryPoint.ExternalConnectionName) != "public:npmjs" {
			t.Errorf("ListPackageVersions %s in npm-store: %v %+v, want %s EXTERNAL from public:npmjs", name, err, out, v)
		}
		if r := store.originConfig(t); r.Publish != types.AllowPublishBlock || r.Upstream != types.AllowUpstreamAllow {
			t.Errorf("%s in npm-store has origin configuration %+v, want publish=BLOCK upstream=ALLOW", name, r)
		}
		if got := e.inRepo("team", "", name).listVersions(t, ""); !reflect.DeepEqual(got, map[string]types.PackageVersionStatus{v: types.PackageVersionStatusPublished}) {
			t.Errorf("team retained %s %v, want %s", name, got, v)
		}
	}

	// A release upstream after the first fetch installs at once: a
	// lockfile naming it makes Wharf ask the registry again for the
	// packument its cache has without the version, and the packument
	// served next has it (well inside the freshness window's
	// background refresh, which this does not wait for).
	releaseSupportsColor8(t, up)
	// Wharf asks the registry about one package at most once a second
	// (publiccache's MinRefetch, against storms of requests for a
	// version that does not exist); the last fetch may have been just
	// now.
	time.Sleep(1100 * time.Millisecond)
	lockProj := npmPkgDir(t, map[string]any{"name": "consumer", "version": "1.0.0", "private": true,
		"dependencies": map[string]string{"supports-color": "8.1.1"}}, nil)
	lock := map[string]any{"name": "consumer", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": map[string]any{
		"": map[string]any{"name": "consumer", "version": "1.0.0", "dependencies": map[string]string{"supports-color": "8.1.1"}},
		"node_modules/supports-color": map[string]any{"version": "8.1.1", "resolved": e.registry + "supports-color/-/supports-color-8.1.1.tgz",
			"integrity":    "sha512-MpUEN2OodtUzxvKQl72cUF7RQ5EiHsGvSsVG0ia9c5RbWGL2CI4C7EpPS8UTBIplnlzZiNuV56w+FuNxy3ty2Q==",
			"dependencies": map[string]string{"has-flag": "^4.0.0"}},
		"node_modules/has-flag": map[string]any{"version": "4.0.0", "resolved": e.registry + "has-flag/-/has-flag-4.0.0.tgz",
			"integrity": "sha512-EykJT/Q1KjTWctppgIAgfSO0tKVuZUjhgMr17kqTumMl6Afv3EISleU7qZUzoXDFTAHTDC4NOoG/ZxU3EvlMPQ=="},
	}}
	lb, _ := json.Marshal(lock)
	if err := os.WriteFile(filepath.Join(lockProj, "package-lock.json"), lb, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := RunErr(e.env, lockProj, "npm", "ci", "--cache", t.TempDir(), "--audit=false", "--fetch-retries=0"); err != nil {
		t.Fatalf("npm ci of the released supports-color 8.1.1: %v\n%s\nregistry asked %d times for the packument", err, out, up.Requests("/supports-color"))
	}
	if got := installedVersions(t, lockProj)["supports-color"]; got != "8.1.1" {
		t.Fatalf("npm ci installed supports-color %s, want 8.1.1", got)
	}
	mustInstall(map[string]string{"supports-color": "8.1.1"}, "supports-color@latest")
	if got := e.inRepo("npm-store", "", "supports-color").listVersions(t, ""); !reflect.DeepEqual(got,
		map[string]types.PackageVersionStatus{"7.2.0": types.PackageVersionStatusPublished, "8.1.1": types.PackageVersionStatusPublished}) {
		t.Errorf("npm-store holds supports-color %v, want 7.2.0 and the release 8.1.1", got)
	}

	// The registry stopped: what was fetched still installs (the cached
	// packuments are stale by now, so their refreshes fail meanwhile);
	// a package never fetched is a 502.
	time.Sleep(1100 * time.Millisecond)
	for _, o := range []struct {
		name   string
		outage upstreamtest.Outage
	}{{"unavailable", upstreamtest.Unavailable}, {"unreachable", upstreamtest.Unreachable}} {
		up.SetOutage(o.outage)
		before := up.Total()
		mustInstall(chalkTree, "chalk@4.1.2")
		mustInstall(map[string]string{"supports-color": "8.1.1", "has-flag": "4.0.0"}, "supports-color@8.1.1")
		_, out, err := install("ms@2.1.3")
		if err == nil || !strings.Contains(out, "502") {
			t.Errorf("%s registry: npm install ms (never fetched): %v\n%s\nwant a 502", o.name, err, out)
		}
		if up.Total() == before {
			t.Errorf("%s registry: nothing reached it; the installs did not test an outage", o.name)
		}
	}
	up.SetOutage(upstreamtest.Up)
	// A failed fetch of ms is remembered for publiccache's MinRefetch (a
	// second), so that a registry that is down is not asked again by
	// every request; past it, ms is fetched again.
	time.Sleep(1100 * time.Millisecond)

	// A corrupted tarball is refused (502) and nothing is retained.
	up.Corrupt("/ms/-/ms-2.1.3.tgz")
	_, out, err := install("ms@2.1.3")
	if err == nil || !strings.Contains(out, "502") {
		t.Errorf("npm install of a corrupted ms 2.1.3: %v\n%s\nwant a 502", err, out)
	}
	if up.Requests("/ms/-/ms-2.1.3.tgz") == 0 {
		t.Errorf("Wharf never fetched the corrupted tarball; asked %v", up.Paths())
	}
	for _, repo := range []string{"npm-store", "team"} {
		out, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(e.domain), Repository: aws.String(repo),
			Format: types.PackageFormatNpm, Package: aws.String("ms")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) && (err != nil || len(out.Versions) != 0) {
			t.Errorf("%s after the corrupted tarball: %v %+v, want no ms versions", repo, err, out)
		}
	}
}
