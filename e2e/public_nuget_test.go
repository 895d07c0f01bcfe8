package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
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

// packagesConfig writes a packages.config pinning id/version pairs: what
// `nuget install packages.config` restores straight from the flat
// container, without reading registrations (NuGet's lockfile install).
func packagesConfig(t *testing.T, pins ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n<packages>\n")
	for i := 0; i+1 < len(pins); i += 2 {
		b.WriteString(`  <package id="` + pins[i] + `" version="` + pins[i+1] + `" targetFramework="net472" />` + "\n")
	}
	b.WriteString("</packages>\n")
	path := filepath.Join(t.TempDir(), "packages.config")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPublicNuGetOrg: nuget.exe installs through public:nuget-org, its
// feed a local stand-in laid out as nuget.org's (real nupkgs, catalog
// packageHash). Repository store holds the connection, team has store as
// upstream, nuget is logged in to team:
//   - a package with a dependency installs; store lists both versions
//     with origin EXTERNAL through public:nuget-org, and the packages'
//     origin configuration is publish=BLOCK, upstream=ALLOW;
//   - a version added upstream after the first fetch installs at once
//     (packages.config names it: the nupkg miss refetches the
//     registration, and `nuget install -Version` then finds it too);
//   - with the feed stopped (503s, then closed connections), every
//     version fetched still installs with an empty client cache, and a
//     version or a package never fetched fails with 502;
//   - a nupkg corrupted upstream is refused (502, nuget fails) and
//     nothing of it is retained.
func TestPublicNuGetOrg(t *testing.T) {
	t.Parallel()
	needTool(t, "aws")
	dir := nugetDir(t)
	feed := upstreamtest.NewNuGet()
	if err := feed.AddFixtures("Wharf.Pub.Lib.1.0.0.nupkg", "Wharf.Pub.App.1.0.0.nupkg", "Wharf.Pub.Extra.1.0.0.nupkg"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(feed)
	defer srv.Close()
	s := StartServerWith(t, ServerOptions{Args: []string{"--nuget-org-url", srv.URL + "/v3/index.json"}})
	c := s.Client()
	const dom = "pubnuget"
	Setup(t, c, dom, "store", "team")
	associate(t, c, dom, "store", "public:nuget-org")
	chainRepos(t, c, dom, "team", "store")
	g := nugetLogin(t, s, dir, dom, "team")

	// A package with its dependency.
	if got := g.mustInstall("Wharf.Pub.App", "-Version", "1.0.0"); !slices.Equal(got, []string{"Wharf.Pub.App.1.0.0", "Wharf.Pub.Lib.1.0.0"}) {
		t.Fatalf("install through public:nuget-org = %v", got)
	}
	wantExternal := func(repo, pkg string, versions ...string) {
		t.Helper()
		ref := pkgRef{c: c, domain: dom, repo: repo, format: types.PackageFormatNuget, name: pkg}
		got := ref.versions(t, "")
		for _, v := range versions {
			o := got[v].Origin
			if o == nil || o.OriginType != types.PackageVersionOriginTypeExternal || o.DomainEntryPoint == nil ||
				aws.ToString(o.DomainEntryPoint.ExternalConnectionName) != "public:nuget-org" {
				t.Errorf("%s %s in %s: %+v", pkg, v, repo, got[v])
			}
		}
		if len(got) != len(versions) {
			t.Errorf("%s in %s: %d versions, want %v", pkg, repo, len(got), versions)
		}
	}
	for _, pkg := range []string{"wharf.pub.app", "wharf.pub.lib"} {
		wantExternal("store", pkg, "1.0.0")
		wantExternal("team", pkg, "1.0.0")
		d, err := c.DescribePackage(ctx, &ca.DescribePackageInput{Domain: aws.String(dom), Repository: aws.String("store"),
			Format: types.PackageFormatNuget, Package: aws.String(pkg)})
		if err != nil {
			t.Fatalf("DescribePackage %s: %v", pkg, err)
		}
		if r := d.Package.OriginConfiguration.Restrictions; r.Publish != types.AllowPublishBlock || r.Upstream != types.AllowUpstreamAllow {
			t.Errorf("origin configuration of %s in store: %+v", pkg, r)
		}
	}
	if feed.Requests("/v3-flatcontainer/wharf.pub.lib/1.0.0/wharf.pub.lib.1.0.0.nupkg") != 1 {
		t.Errorf("the feed was asked for the nupkg %d times", feed.Requests("/v3-flatcontainer/wharf.pub.lib/1.0.0/wharf.pub.lib.1.0.0.nupkg"))
	}

	// Added upstream after the first fetch: installs at once. A version
	// the cached registration lacks is asked for anew at most once per
	// publiccache's MinRefetch (1 s, against storms of requests for a
	// version that does not exist), so the release comes a second after
	// the first fetch, as any real one does.
	if err := feed.AddFixtures("Wharf.Pub.Lib.1.1.0.nupkg"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if got := g.mustInstall(packagesConfig(t, "Wharf.Pub.Lib", "1.1.0")); !slices.Equal(got, []string{"Wharf.Pub.Lib.1.1.0"}) {
		t.Fatalf("packages.config install of a version added upstream = %v", got)
	}
	if got := g.mustInstall("Wharf.Pub.Lib", "-Version", "1.1.0"); !slices.Equal(got, []string{"Wharf.Pub.Lib.1.1.0"}) {
		t.Fatalf("install -Version of a version added upstream = %v", got)
	}
	wantExternal("store", "wharf.pub.lib", "1.0.0", "1.1.0")

	// The feed stopped: what was fetched still installs; a version
	// released just before (which the cached registration lacks) and a
	// package never fetched are 502s.
	if err := feed.AddFixtures("Wharf.Pub.Lib.1.2.0.nupkg"); err != nil {
		t.Fatal(err)
	}
	token := s.Token(t, dom)
	team := s.Endpoint(t, dom, "team", types.PackageFormatNuget)
	for _, o := range []upstreamtest.Outage{upstreamtest.Unavailable, upstreamtest.Unreachable} {
		feed.SetOutage(o)
		if got := g.mustInstall("Wharf.Pub.App", "-Version", "1.0.0"); !slices.Equal(got, []string{"Wharf.Pub.App.1.0.0", "Wharf.Pub.Lib.1.0.0"}) {
			t.Fatalf("outage %d: install = %v", o, got)
		}
		if got := g.mustInstall("Wharf.Pub.Lib", "-Version", "1.1.0"); !slices.Equal(got, []string{"Wharf.Pub.Lib.1.1.0"}) {
			t.Fatalf("outage %d: install of 1.1.0 = %v", o, got)
		}
		if got, log, err := g.install("Wharf.Pub.Extra", "-Version", "1.0.0"); err == nil {
			t.Fatalf("outage %d: a package never fetched installed: %v\n%s", o, got, log)
		}
		if got, log, err := g.install(packagesConfig(t, "Wharf.Pub.Lib", "1.2.0")); err == nil {
			t.Fatalf("outage %d: a version never fetched installed: %v\n%s", o, got, log)
		}
		for _, path := range []string{"wharf.pub.extra/index.json", "wharf.pub.extra/1.0.0/wharf.pub.extra.1.0.0.nupkg", "wharf.pub.lib/1.2.0/wharf.pub.lib.1.2.0.nupkg"} {
			resp := pyGet(t, team+"v3/flatcontainer/"+path, token, "")
			if body := pyBody(t, resp); resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "public:nuget-org") {
				t.Errorf("outage %d: GET %s: %d %s, want 502", o, path, resp.StatusCode, body)
			}
		}
	}
	feed.SetOutage(upstreamtest.Up)
	wantNoPackage(t, c, dom, "store", types.PackageFormatNuget, "", "wharf.pub.extra")
	// A failed fetch is remembered for publiccache's MinRefetch (1 s):
	// wait until the feed answers again (1.2.0's nuspec, which makes Wharf
	// read the registration anew and ingests nothing), so the corrupted
	// nupkg below is really fetched and checked.
	eventually(t, "the feed answering again", func() error {
		resp := pyGet(t, team+"v3/flatcontainer/wharf.pub.lib/1.2.0/wharf.pub.lib.nuspec", token, "")
		if body := pyBody(t, resp); resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%d %s", resp.StatusCode, body)
		}
		return nil
	})

	// Corrupted upstream: refused, nothing retained.
	feed.Corrupt("Wharf.Pub.Lib", "1.2.0")
	if got, log, err := g.install(packagesConfig(t, "Wharf.Pub.Lib", "1.2.0")); err == nil {
		t.Fatalf("a corrupted nupkg installed: %v\n%s", got, log)
	}
	resp := pyGet(t, team+"v3/flatcontainer/wharf.pub.lib/1.2.0/wharf.pub.lib.1.2.0.nupkg", token, "")
	if body := pyBody(t, resp); resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "packageHash") {
		t.Errorf("corrupted nupkg: %d %s, want 502 naming the packageHash", resp.StatusCode, body)
	}
	wantExternal("store", "wharf.pub.lib", "1.0.0", "1.1.0")
	wantExternal("team", "wharf.pub.lib", "1.0.0", "1.1.0")
}
