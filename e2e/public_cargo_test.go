package e2e

import (
	"errors"
	"fmt"
	"io"
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

// Real crates Debian ships as librust-*-dev sources: csv-core depends
// on memchr, whose libc feature csv-core's default feature turns on;
// crc32fast depends on cfg-if. The rest are optional dependencies of
// these, in the registry as on crates.io.
var debianCrates = []string{"csv-core", "memchr", "libc", "crc32fast", "cfg-if", "compiler_builtins", "rustc-std-workspace-core"}

// cargoStandIn is a sparse registry over Debian's crates; it returns the
// registry and each crate's source directory.
func cargoStandIn(t *testing.T) (*upstreamtest.Cargo, map[string]string) {
	t.Helper()
	c := upstreamtest.NewCargo()
	dirs := map[string]string{}
	for _, name := range debianCrates {
		found, _ := filepath.Glob(filepath.Join(upstreamtest.DebianCargoRegistry, name+"-[0-9]*"))
		if len(found) == 0 {
			missingTool(t, "Debian's crate "+name, os.ErrNotExist, "apt-get install -y librust-csv-core-dev librust-crc32fast-dev")
		}
		for _, d := range found {
			if _, _, err := c.AddDir(d, ""); err != nil {
				t.Fatal(err)
			}
		}
		dirs[name] = found[len(found)-1]
	}
	return c, dirs
}

// releaseAfter is a version n patch releases after the one a crate
// directory (NAME-MAJOR.MINOR.PATCH) holds, and the MAJOR.MINOR
// requirement that version and the directory's both match.
func releaseAfter(t *testing.T, dir string, n int) (version, req string) {
	t.Helper()
	base := filepath.Base(dir)
	v := base[strings.LastIndexByte(base, '-')+1:]
	var major, minor, patch int
	if _, err := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch); err != nil {
		t.Fatalf("version of %s: %v", dir, err)
	}
	return fmt.Sprintf("%d.%d.%d", major, minor, patch+n), fmt.Sprintf("%d.%d", major, minor)
}

// cargoProject writes a binary crate depending on deps (name to
// requirement) from registry.
func cargoProject(t *testing.T, registry string, deps map[string]string, main string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("[package]\nname = \"probe\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n")
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "%s = { version = %q, registry = %q }\n", n, deps[n], registry)
	}
	if main == "" {
		main = "fn main() {}\n"
	}
	return crateDir(t, map[string]string{"Cargo.toml": b.String(), "src/main.rs": main})
}

// csvMain uses csv-core (and through it memchr) for real.
const csvMain = `fn main() {
    let mut r = csv_core::Reader::new();
    let mut out = [0u8; 16];
    let (_, _, n) = r.read_field(b"wharf,dock", &mut out);
    println!("field {}", std::str::from_utf8(&out[..n]).unwrap());
}
`

// TestStandInCargoWithCargo: cargo resolves, downloads and builds crates
// with dependencies from the stand-in sparse registry, sees a version
// released after its first fetch, and refuses a .crate whose bytes do
// not match the index's cksum.
func TestStandInCargoWithCargo(t *testing.T) {
	t.Parallel()
	cargo, rustupHome := realCargo(t)
	up, dirs := cargoStandIn(t)
	v7, req := releaseAfter(t, dirs["csv-core"], 100)
	v8, _ := releaseAfter(t, dirs["csv-core"], 101)
	srv := httptest.NewServer(up)
	defer srv.Close()
	env := append(os.Environ(), "RUSTUP_HOME="+rustupHome, "CARGO_TERM_COLOR=never", "CARGO_TERM_PROGRESS_WHEN=never", "CARGO_NET_RETRY=0")
	conf := fmt.Sprintf("[registries.standin]\nindex = \"sparse+%s/\"\n", srv.URL)
	home := func() string {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "config.toml"), []byte(conf), 0o644)
		return "CARGO_HOME=" + dir
	}
	run := func(dir string, args ...string) (string, error) {
		return RunErr(append(env, home()), dir, cargo, args...)
	}

	proj := cargoProject(t, "standin", map[string]string{"csv-core": req}, csvMain)
	if out, err := run(proj, "run"); err != nil || !strings.Contains(out, "field wharf") {
		t.Fatalf("cargo run: %v\n%s", err, out)
	}
	for _, p := range []string{"/cs/v-/csv-core", "/me/mc/memchr"} {
		if up.Requests(p) == 0 {
			t.Fatalf("cargo never asked for %s; asked %v", p, up.Paths())
		}
	}

	if _, _, err := up.AddDir(dirs["csv-core"], v7); err != nil {
		t.Fatal(err)
	}
	pinned := cargoProject(t, "standin", map[string]string{"csv-core": "=" + v7}, "")
	if out, err := run(pinned, "fetch"); err != nil {
		t.Fatalf("cargo fetch of a version released since: %v\n%s", err, out)
	}

	if _, _, err := up.AddDir(dirs["csv-core"], v8); err != nil {
		t.Fatal(err)
	}
	up.Corrupt("csv-core", v8)
	bad := cargoProject(t, "standin", map[string]string{"csv-core": "=" + v8}, "")
	if out, err := run(bad, "fetch"); err == nil || !strings.Contains(out, "checksum") {
		t.Fatalf("cargo fetch of a corrupted .crate: %v\n%s", err, out)
	}
}

// TestPublicCargo: cargo builds a crate with dependencies through
// public:crates-io (held by store, with team taking store as its
// upstream; cargo points at team) from a local sparse registry of real
// crates. The versions land in store with origin EXTERNAL; a version
// released upstream installs as soon as the index is refreshed (a
// freshness window of one second here); a corrupted .crate is refused
// (502) and kept nowhere; with the registry stopped (503s, then closed
// connections) everything fetched before still installs into an empty
// cargo cache, and a crate never fetched fails with 502.
func TestPublicCargo(t *testing.T) {
	t.Parallel()
	up, dirs := cargoStandIn(t)
	v7, req := releaseAfter(t, dirs["csv-core"], 100)
	v8, _ := releaseAfter(t, dirs["csv-core"], 101)
	reg := httptest.NewServer(up)
	defer reg.Close()
	e := cargoSetupWith(t, ServerOptions{Args: []string{"--crates-io-url", reg.URL, "--freshness", "1s"}}, "team")
	c := e.s.Client()
	if _, err := c.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("store")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AssociateExternalConnection(ctx, &ca.AssociateExternalConnectionInput{Domain: aws.String("acme"), Repository: aws.String("store"),
		ExternalConnection: aws.String("public:crates-io")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateRepository(ctx, &ca.UpdateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("team"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("store")}}}); err != nil {
		t.Fatal(err)
	}

	proj := cargoProject(t, "wharf", map[string]string{"csv-core": req}, csvMain)
	if out := e.run(t, e.home(t), proj, "run"); !strings.Contains(out, "field wharf") {
		t.Fatalf("cargo run through public:crates-io:\n%s", out)
	}
	for _, crate := range []string{"csv-core", "memchr", "libc"} {
		for _, repo := range []string{"store", "team"} {
			vs := publicCargoVersions(t, c, repo, crate)
			v := vs[filepath.Base(dirs[crate])[len(crate)+1:]]
			if len(vs) != 1 || v.Origin == nil || v.Origin.OriginType != types.PackageVersionOriginTypeExternal ||
				(repo == "store" && (v.Origin.DomainEntryPoint == nil || aws.ToString(v.Origin.DomainEntryPoint.ExternalConnectionName) != "public:crates-io")) {
				t.Fatalf("%s in %s: %+v", crate, repo, vs)
			}
		}
		pkg, err := c.DescribePackage(ctx, &ca.DescribePackageInput{Domain: aws.String("acme"), Repository: aws.String("store"), Format: types.PackageFormatCargo, Package: aws.String(crate)})
		if err != nil {
			t.Fatal(err)
		}
		if r := pkg.Package.OriginConfiguration.Restrictions; r.Publish != types.AllowPublishBlock || r.Upstream != types.AllowUpstreamAllow {
			t.Fatalf("origin configuration of %s in store: %+v", crate, r)
		}
	}

	// Released upstream after the first fetch: the next index read after
	// the freshness window refreshes it, and cargo installs the version.
	if _, _, err := up.AddDir(dirs["csv-core"], v7); err != nil {
		t.Fatal(err)
	}
	e.waitIndex(t, "csv-core", v7)
	pinned := cargoProject(t, "wharf", map[string]string{"csv-core": "=" + v7}, "")
	e.run(t, e.home(t), pinned, "fetch")
	if _, ok := publicCargoVersions(t, c, "store", "csv-core")[v7]; !ok {
		t.Fatalf("csv-core %s was not ingested into store", v7)
	}

	// A corrupted .crate: cargo gets a 502 and nothing is kept.
	if _, _, err := up.AddDir(dirs["csv-core"], v8); err != nil {
		t.Fatal(err)
	}
	up.Corrupt("csv-core", v8)
	e.waitIndex(t, "csv-core", v8)
	bad := cargoProject(t, "wharf", map[string]string{"csv-core": "=" + v8}, "")
	if out := e.runErr(t, e.home(t), bad, "fetch"); !strings.Contains(out, "502") {
		t.Fatalf("cargo fetch of a corrupted .crate:\n%s", out)
	}
	if st, body := e.get(t, "api/v1/crates/csv-core/"+v8+"/download"); st != http.StatusBadGateway || !strings.Contains(body, "cksum") {
		t.Fatalf("download of the corrupted .crate: %d %s", st, body)
	}
	for _, repo := range []string{"store", "team"} {
		if _, ok := publicCargoVersions(t, c, repo, "csv-core")[v8]; ok {
			t.Fatalf("the corrupted csv-core %s was kept in %s", v8, repo)
		}
	}

	for _, o := range []upstreamtest.Outage{upstreamtest.Unavailable, upstreamtest.Unreachable} {
		up.SetOutage(o)
		time.Sleep(1100 * time.Millisecond) // past the freshness window: reads try a refresh
		up.ResetCounts()
		// Both projects have their Cargo.lock; each cargo home is empty.
		e.run(t, e.home(t), proj, "fetch")
		e.run(t, e.home(t), pinned, "fetch")
		if up.Total() == 0 {
			t.Fatalf("outage %d: the registry was never asked (the test proves nothing)", o)
		}
		fresh := cargoProject(t, "wharf", map[string]string{"crc32fast": "1"}, "")
		if out := e.runErr(t, e.home(t), fresh, "fetch"); !strings.Contains(out, "502") {
			t.Fatalf("outage %d: cargo fetch of a crate never fetched:\n%s", o, out)
		}
		if st, body := e.get(t, "cr/c3/crc32fast"); st != http.StatusBadGateway || !strings.Contains(body, "public:crates-io") {
			t.Fatalf("outage %d: index of a crate never fetched: %d %s", o, st, body)
		}
	}
}

// publicCargoVersions lists a crate's versions in a repository (none
// when the repository lacks the crate).
func publicCargoVersions(t *testing.T, c *ca.Client, repo, crate string) map[string]types.PackageVersionSummary {
	t.Helper()
	out, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String(repo),
		Format: types.PackageFormatCargo, Package: aws.String(crate)})
	var nf *types.ResourceNotFoundException
	if err != nil && errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]types.PackageVersionSummary{}
	for _, v := range out.Versions {
		m[aws.ToString(v.Version)] = v
	}
	return m
}

// get sends a request to the repository's endpoint as cargo does (bare
// token) and returns the status and body.
func (e *cargoEnv) get(t *testing.T, path string) (int, string) {
	t.Helper()
	endpoint := strings.TrimPrefix(e.index, "sparse+")
	req, _ := http.NewRequest("GET", endpoint+path, nil)
	req.Header.Set("Authorization", e.s.Token(t, e.domain))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// waitIndex reads a crate's index file through the endpoint until it
// lists version: the first read after the freshness window is answered
// from the cache while the refresh runs.
func (e *cargoEnv) waitIndex(t *testing.T, crate, version string) {
	t.Helper()
	path := crate[:2] + "/" + crate[2:4] + "/" + crate
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, body := e.get(t, path)
		if st == http.StatusOK && strings.Contains(body, `"vers":"`+version+`"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index of %s never listed %s: %d %s", crate, version, st, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
