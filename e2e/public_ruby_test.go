package e2e

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/publiccache"
	"github.com/wharf-dev/wharf/internal/upstreamtest"
)

// rbNeed skips (or, under CI, fails) a test without gem and bundle.
func rbNeed(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ruby", "gem", "bundle"} {
		if _, err := exec.LookPath(tool); err != nil {
			missingTool(t, tool, err, "apt-get install -y ruby ruby-bundler")
		}
	}
}

// rbDebianGem rebuilds a gem Debian's ruby bundles with the real
// RubyGems, as the given version ("" keeps the installed one).
func rbDebianGem(t *testing.T, name, installed, version string) *upstreamtest.RubyGem {
	t.Helper()
	g, err := upstreamtest.BuildInstalledGem(upstreamtest.DebianGemSpecs, name, installed, version, t.TempDir())
	if err != nil {
		missingTool(t, "Debian's bundled gem "+name+" "+installed, err, "apt-get install -y ruby")
	}
	return g
}

// rubyStandIn serves real gems Debian's ruby bundles, rebuilt with `gem`'s
// own Gem::Package: test-unit 3.5.3, which depends on power_assert, and
// power_assert 2.0.1.
func rubyStandIn(t *testing.T) *upstreamtest.RubyGems {
	t.Helper()
	s := upstreamtest.NewRubyGems()
	s.Add(rbDebianGem(t, "power_assert", "2.0.1", ""), rbDebianGem(t, "test-unit", "3.5.3", ""))
	return s
}

// TestStandInRubyGemsWithGem: gem install resolves and installs a gem
// with its dependency from the stand-in's compact index, and Bundler
// through /versions and /info; a version released after the first fetch
// installs at once; a corrupted gem fails gem's checksum check.
func TestStandInRubyGemsWithGem(t *testing.T) {
	t.Parallel()
	rbNeed(t)
	rg := rubyStandIn(t)
	srv := httptest.NewServer(rg)
	defer srv.Close()
	env := rbEnv(t, &Server{})
	source := srv.URL + "/"

	got, out, err := rbInstall(t, env, source, "test-unit")
	if err != nil || !slices.Equal(got, []string{"power_assert-2.0.1", "test-unit-3.5.3"}) {
		t.Fatalf("gem install test-unit: %v, installed %v\n%s", err, got, out)
	}
	for _, path := range []string{"/info/test-unit", "/info/power_assert", "/gems/test-unit-3.5.3.gem", "/gems/power_assert-2.0.1.gem"} {
		if rg.Requests(path) == 0 {
			t.Fatalf("gem install never asked for %s; asked %v", path, rg.Paths())
		}
	}

	app := t.TempDir()
	rbGemfile(t, app, source, `gem "test-unit"`)
	if out, err := rbBundle(t, env, app); err != nil {
		t.Fatalf("bundle install: %v\n%s", err, out)
	}
	if lock := rbLocked(t, app); !strings.Contains(lock, "test-unit (3.5.3)") || !strings.Contains(lock, "power_assert (2.0.1)") {
		t.Fatalf("Gemfile.lock:\n%s", lock)
	}
	if rg.Requests("/versions") == 0 {
		t.Fatalf("Bundler never asked for /versions; asked %v", rg.Paths())
	}

	rg.Add(rbDebianGem(t, "power_assert", "2.0.1", "2.0.2"))
	if got, out, err := rbInstall(t, env, source, "power_assert"); err != nil || !slices.Equal(got, []string{"power_assert-2.0.2"}) {
		t.Fatalf("gem install after a release: %v, installed %v\n%s", err, got, out)
	}

	rg.Corrupt("power_assert-2.0.2")
	if got, out, err := rbInstall(t, env, source, "power_assert"); err == nil {
		t.Fatalf("gem installed a corrupted gem: %v\n%s", got, out)
	}
}

// rbGemfile writes app's Gemfile (the source and the gem lines) and has
// Bundler install into app/vendor/bundle.
func rbGemfile(t *testing.T, app, source string, gems ...string) {
	t.Helper()
	gemfile := "source \"" + source + "\"\n\n" + strings.Join(gems, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(app, "Gemfile"), []byte(gemfile), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(app, "Gemfile.lock"))
	Run(t, rbEnv(t, &Server{}), app, "bundle", "config", "set", "--local", "path", "vendor/bundle")
}

// rbOrigins lists a package's versions in a repository as
// VERSION:STATUS:ORIGIN:CONNECTION.
func rbOrigins(t *testing.T, c *ca.Client, domain, repo, pkg string) []string {
	t.Helper()
	out, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: types.PackageFormatRuby, Package: aws.String(pkg)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		t.Fatalf("ListPackageVersions %s %s: %v", repo, pkg, err)
	}
	var vs []string
	for _, v := range out.Versions {
		conn := ""
		if v.Origin != nil && v.Origin.DomainEntryPoint != nil {
			conn = aws.ToString(v.Origin.DomainEntryPoint.ExternalConnectionName)
		}
		origin := ""
		if v.Origin != nil {
			origin = string(v.Origin.OriginType)
		}
		vs = append(vs, aws.ToString(v.Version)+":"+string(v.Status)+":"+origin+":"+conn)
	}
	sort.Strings(vs)
	return vs
}

// TestPublicRubyGemsConnection: the real gem install and bundle install,
// pointed at a repository (team) whose upstream (store) holds
// public:ruby-gems-org, itself pointed at the RubyGems stand-in serving
// real gems. A gem with a dependency installs through the connection and
// is kept in store with origin EXTERNAL; a release upstream installs once
// the freshness window has passed (clients never name a version when they
// read the index); with the registry stopped every gem fetched before
// still installs and a new one is a 502; a corrupted gem is refused with
// a 502 and nothing is kept.
func TestPublicRubyGemsConnection(t *testing.T) {
	t.Parallel()
	rbNeed(t)
	rg := rubyStandIn(t)
	up := httptest.NewServer(rg)
	defer up.Close()
	s := StartServerWith(t, ServerOptions{Args: []string{"--rubygems-url", up.URL, "--freshness", "1s"}})
	c := s.Client()
	const dom, conn = "rbpub", "public:ruby-gems-org"
	Setup(t, c, dom, "store", "team")
	if _, err := c.AssociateExternalConnection(ctx, &ca.AssociateExternalConnectionInput{Domain: aws.String(dom), Repository: aws.String("store"), ExternalConnection: aws.String(conn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateRepository(ctx, &ca.UpdateRepositoryInput{Domain: aws.String(dom), Repository: aws.String("team"), Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("store")}}}); err != nil {
		t.Fatal(err)
	}
	token := s.Token(t, dom)
	endpoint := s.Endpoint(t, dom, "team", types.PackageFormatRuby)
	source := strings.Replace(endpoint, "://", "://aws:"+token+"@", 1)
	env := rbEnv(t, s)
	Run(t, env, "", "bundle", "config", strings.TrimRight(endpoint, "/"), "aws:"+token)

	// gem install through team: test-unit and its dependency come from
	// the registry, are kept in store with origin EXTERNAL, and retained
	// in team.
	got, out, err := rbInstall(t, env, source, "test-unit")
	if err != nil || !slices.Equal(got, []string{"power_assert-2.0.1", "test-unit-3.5.3"}) {
		t.Fatalf("gem install test-unit: %v, installed %v\n%s", err, got, out)
	}
	for _, pv := range [][3]string{{"test-unit", "3.5.3"}, {"power_assert", "2.0.1"}} {
		want := []string{pv[1] + ":Published:EXTERNAL:" + conn}
		if vs := rbOrigins(t, c, dom, "store", pv[0]); !slices.Equal(vs, want) {
			t.Fatalf("store %s versions = %v, want %v", pv[0], vs, want)
		}
		if vs := rbOrigins(t, c, dom, "team", pv[0]); !slices.Equal(vs, want) {
			t.Fatalf("team %s versions = %v, want %v", pv[0], vs, want)
		}
		desc, err := c.DescribePackage(ctx, &ca.DescribePackageInput{Domain: aws.String(dom), Repository: aws.String("store"), Format: types.PackageFormatRuby, Package: aws.String(pv[0])})
		if err != nil {
			t.Fatal(err)
		}
		if r := desc.Package.OriginConfiguration.Restrictions; r.Publish != types.AllowPublishBlock || r.Upstream != types.AllowUpstreamAllow {
			t.Fatalf("store %s origin configuration = %+v", pv[0], r)
		}
	}

	// Bundler through the dependency API resolves the same gems.
	app := t.TempDir()
	rbGemfile(t, app, endpoint, `gem "test-unit"`)
	if out, err := rbBundle(t, env, app); err != nil {
		t.Fatalf("bundle install: %v\n%s", err, out)
	}
	if lock := rbLocked(t, app); !strings.Contains(lock, "test-unit (3.5.3)") || !strings.Contains(lock, "power_assert (2.0.1)") {
		t.Fatalf("Gemfile.lock:\n%s", lock)
	}

	// A release upstream: served once the window has passed (the first
	// read after it refreshes in the background, so at most one install
	// still sees the old index).
	rg.Add(rbDebianGem(t, "power_assert", "2.0.1", "2.0.2"))
	time.Sleep(1100 * time.Millisecond)
	for i := 1; ; i++ {
		got, out, err = rbInstall(t, env, source, "power_assert", "-v", "2.0.2")
		if err == nil || i == 2 {
			t.Logf("gem install power_assert -v 2.0.2 after its release: attempt %d", i)
			break
		}
	}
	if err != nil || !slices.Equal(got, []string{"power_assert-2.0.2"}) {
		t.Fatalf("gem install power_assert -v 2.0.2 after its release: %v, installed %v\n%s", err, got, out)
	}
	if vs := rbOrigins(t, c, dom, "store", "power_assert"); !slices.Equal(vs, []string{"2.0.1:Published:EXTERNAL:" + conn, "2.0.2:Published:EXTERNAL:" + conn}) {
		t.Fatalf("store power_assert versions = %v", vs)
	}
	// A file the cached index lacks is asked of the registry at once (once
	// the last fetch of that index is a second old: publiccache's guard
	// against a storm of requests for a file that does not exist).
	rg.Add(rbDebianGem(t, "power_assert", "2.0.1", "2.0.3"))
	time.Sleep(publiccache.DefaultMinRefetch + 100*time.Millisecond)
	if st := rbGet(t, endpoint+"gems/power_assert-2.0.3.gem", token); st != http.StatusOK {
		t.Fatalf("GET power_assert-2.0.3.gem, released after the index was fetched: %d", st)
	}

	// The registry stopped: what was fetched still installs, with fresh
	// client caches; a gem never fetched is a 502.
	for _, outage := range []upstreamtest.Outage{upstreamtest.Unavailable, upstreamtest.Unreachable} {
		rg.SetOutage(outage)
		time.Sleep(1100 * time.Millisecond) // past the window: reads now refresh, and fail
		got, out, err := rbInstall(t, env, source, "test-unit")
		if err != nil || !slices.Equal(got, []string{"power_assert-2.0.3", "test-unit-3.5.3"}) {
			t.Fatalf("outage %d: gem install test-unit: %v, installed %v\n%s", outage, err, got, out)
		}
		if got, out, err := rbInstall(t, env, source, "power_assert", "-v", "2.0.2"); err != nil || !slices.Equal(got, []string{"power_assert-2.0.2"}) {
			t.Fatalf("outage %d: gem install power_assert -v 2.0.2: %v, installed %v\n%s", outage, err, got, out)
		}
		if out, err := rbBundle(t, env, app); err != nil {
			t.Fatalf("outage %d: bundle install: %v\n%s", outage, err, out)
		}
		if _, out, err := rbInstall(t, env, source, "minitest"); err == nil {
			t.Fatalf("outage %d: gem install of a gem never fetched succeeded:\n%s", outage, out)
		}
		if st := rbGet(t, endpoint+"info/minitest", token); st != http.StatusBadGateway {
			t.Fatalf("outage %d: info/minitest = %d, want 502", outage, st)
		}
	}
	rg.SetOutage(upstreamtest.Up)

	// A corrupted gem upstream: refused (502), nothing kept anywhere.
	rg.Add(rbDebianGem(t, "power_assert", "2.0.1", "2.0.4"))
	rg.Corrupt("power_assert-2.0.4")
	time.Sleep(publiccache.DefaultMinRefetch + 100*time.Millisecond)
	if st := rbGet(t, endpoint+"gems/power_assert-2.0.4.gem", token); st != http.StatusBadGateway {
		t.Fatalf("GET a corrupted gem: %d, want 502", st)
	}
	if _, out, err := rbInstall(t, env, source, "power_assert", "-v", "2.0.4"); err == nil {
		t.Fatalf("gem installed a corrupted gem:\n%s", out)
	}
	for _, repo := range []string{"store", "team"} {
		for _, v := range rbOrigins(t, c, dom, repo, "power_assert") {
			if strings.HasPrefix(v, "2.0.4:") {
				t.Fatalf("%s kept the corrupted power_assert 2.0.4: %v", repo, v)
			}
		}
	}
}
