package e2e

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
