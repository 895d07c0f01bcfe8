package cargo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/format/formattest"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/publiccache"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/upstreamtest"
)

func TestDecodePublicDoc(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	line := func(name, vers string, extra string) string {
		return `{"name":"` + name + `","vers":"` + vers + `","deps":[{"name":"x","req":"^1","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal","package":"real-x"}],"cksum":"` + sum + `","features":{},"yanked":false,"links":null` + extra + `}`
	}
	tests := []struct {
		name, key, body string
		wantErr         bool
		versions        []string // with "!" for yanked
	}{
		{"two versions", "my-crate", line("My-Crate", "1.0.0", "") + "\n" + strings.Replace(line("My-Crate", "1.1.0", ""), `"yanked":false`, `"yanked":true`, 1) + "\n", false, []string{"1.0.0", "1.1.0!"}},
		{"blank lines", "my-crate", "\n" + line("my-crate", "1.0.0", "") + "\n\n", false, []string{"1.0.0"}},
		{"empty file", "my-crate", "", false, nil},
		{"not JSON", "my-crate", line("my-crate", "1.0.0", "") + "\n{oops\n", true, nil},
		{"line of another crate", "my-crate", line("other", "1.0.0", ""), true, nil},
		{"version not semver skipped", "my-crate", line("my-crate", "1.0", "") + "\n" + line("my-crate", "2.0.0", ""), false, []string{"2.0.0"}},
		{"bad cksum skipped", "my-crate", strings.Replace(line("my-crate", "1.0.0", ""), sum, "zz", 1), false, nil},
		{"duplicate version once", "my-crate", line("my-crate", "1.0.0", "") + "\n" + line("my-crate", "1.0.0", ""), false, []string{"1.0.0"}},
		{"config", configKey, `{"dl":"https://static.crates.io/crates","api":"https://crates.io"}`, false, nil},
		{"config without dl", configKey, `{"api":"https://crates.io"}`, true, nil},
		{"config not JSON", configKey, `<html>`, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := decodePublicDoc(tt.key, []byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil || tt.key == configKey {
				return
			}
			var got []string
			for _, v := range d.view.Versions {
				s := v.Version
				if v.Status == model.StatusUnlisted {
					s += "!"
				}
				if bytes.Contains(v.FormatMetadata, []byte("yanked")) {
					t.Errorf("entry of %s keeps its yanked flag: %s", v.Version, v.FormatMetadata)
				}
				if v.OriginType != model.OriginExternal || v.OriginExternal != cratesIOConnection {
					t.Errorf("origin of %s: %s %s", v.Version, v.OriginType, v.OriginExternal)
				}
				if len(v.Dependencies) != 1 || v.Dependencies[0].Package != "real-x" {
					t.Errorf("dependencies of %s: %+v", v.Version, v.Dependencies)
				}
				got = append(got, s)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.versions) {
				t.Fatalf("versions %v, want %v", got, tt.versions)
			}
		})
	}
}

func TestExpandDL(t *testing.T) {
	tests := []struct{ dl, name, want string }{
		{"https://static.crates.io/crates", "Serde", "https://static.crates.io/crates/Serde/1.0.0/download"},
		{"https://static.crates.io/crates/", "a", "https://static.crates.io/crates/a/1.0.0/download"},
		{"https://m.test/{crate}/{version}.crate", "ab", "https://m.test/ab/1.0.0.crate"},
		{"https://m.test/{prefix}/{crate}-{version}?sum={sha256-checksum}", "Abc", "https://m.test/3/A/Abc-1.0.0?sum=ff"},
		{"https://m.test/{lowerprefix}/{crate}", "CargoX", "https://m.test/ca/rg/CargoX"},
		{"https://m.test/{prefix}/{crate}", "CargoX", "https://m.test/Ca/rg/CargoX"},
		{"https://m.test/{prefix}/{crate}", "x", "https://m.test/1/x"},
		{"https://m.test/{prefix}/{crate}", "xy", "https://m.test/2/xy"},
	}
	for _, tt := range tests {
		if got := expandDL(tt.dl, tt.name, "1.0.0", "ff"); got != tt.want {
			t.Errorf("expandDL(%q, %q) = %q, want %q", tt.dl, tt.name, got, tt.want)
		}
	}
}

func TestDownloadBase(t *testing.T) {
	tests := []struct{ index, u, want string }{
		{"https://index.crates.io", "https://static.crates.io/crates/serde/1.0.0/download", "https://static.crates.io/"},
		{"https://index.crates.io", "https://evil.test/serde", "https://index.crates.io/"},
		{"http://127.0.0.1:9/index", "http://127.0.0.1:9/crates/a/1.0.0/download", "http://127.0.0.1:9/"},
		{"http://127.0.0.1:9/index", "https://static.crates.io/crates/a/1.0.0/download", "http://127.0.0.1:9/"},
	}
	for _, tt := range tests {
		p := &publicRegistry{base: tt.index}
		if got := p.downloadBase(tt.u); got != tt.want {
			t.Errorf("downloadBase(%q) from %s = %q, want %q", tt.u, tt.index, got, tt.want)
		}
	}
}

// publicEnv is a service whose repository store holds public:crates-io,
// pointed at a stand-in registry, and team has store as its upstream;
// the endpoint is team's.
func publicEnv(t *testing.T, registry http.Handler) *testEnv {
	t.Helper()
	srv := httptest.NewServer(registry)
	t.Cleanup(srv.Close)
	e := newTestEnv(t, formattest.Options{URLs: map[string]string{cratesIOConnection: srv.URL}})
	if _, err := e.svc.CreateRepository(ctx, admin, service.CreateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: "dom", Repository: "store"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AssociateExternalConnection(ctx, admin, service.ExternalConnectionInput{RepositoryInput: service.RepositoryInput{Domain: "dom", Repository: "store"}, ExternalConnection: cratesIOConnection}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateRepository(ctx, admin, service.CreateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: "dom", Repository: "team"},
		Upstreams: []service.UpstreamRepositoryInfo{{RepositoryName: "store"}}}); err != nil {
		t.Fatal(err)
	}
	e.base = strings.Replace(e.base, "/repo/", "/team/", 1)
	return e
}

// versionsIn lists a crate's versions in a repository with their origin.
func versionsIn(t *testing.T, e *testEnv, repo, name string) map[string]string {
	t.Helper()
	out, err := e.svc.ListPackageVersions(ctx, admin, service.ListPackageVersionsInput{PackageRef: service.PackageRef{Domain: "dom", Repository: repo, Format: model.FormatCargo, Package: name}})
	if errors.Is(err, model.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, v := range out.Versions {
		o := ""
		if v.Origin != nil {
			o = v.Origin.OriginType
			if v.Origin.DomainEntryPoint != nil {
				o += " " + v.Origin.DomainEntryPoint.ExternalConnectionName
			}
		}
		m[v.Version] = o
	}
	return m
}

// depCrate is a .crate whose Cargo.toml depends on dep.
func depCrate(t *testing.T, name, vers, dep string) []byte {
	dir := name + "-" + vers + "/"
	return makeTgz(t, tarFile{dir + "Cargo.toml", manifestTOML(name, vers) + "\n[dependencies." + dep + "]\nversion = \"1\"\n"}, tarFile{dir + "src/lib.rs", "pub fn f() {}\n"})
}

// byVers indexes index lines by version.
func byVers(lines []map[string]any) map[string]map[string]any {
	m := map[string]map[string]any{}
	for _, l := range lines {
		m[l["vers"].(string)] = l
	}
	return m
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// public:crates-io proxies a sparse index: its lines merge into the index
// team serves, a download ingests the version into store (origin
// EXTERNAL) and retains it in team after checking its cksum, a version
// released since the index was cached downloads at once, a corrupted
// .crate is refused with 502 and kept nowhere, and with the registry down
// what was fetched keeps being served while true misses are 502.
func TestPublicCratesIO(t *testing.T) {
	up := upstreamtest.NewCargo()
	dep := makeCrate(t, "pub-dep", "1.0.0")
	v1 := depCrate(t, "Pub-Crate", "1.0.0", "pub-dep")
	for _, c := range [][]byte{dep, v1, depCrate(t, "Pub-Crate", "1.1.0", "pub-dep")} {
		if err := up.AddCrate(c); err != nil {
			t.Fatal(err)
		}
	}
	up.Yank("Pub-Crate", "1.1.0", true)
	e := publicEnv(t, up)

	status, lines := e.lines(t, "pub-crate")
	if status != 200 || len(lines) != 2 || lines[0]["vers"] != "1.0.0" || lines[0]["yanked"] != false || lines[1]["yanked"] != true ||
		lines[0]["cksum"] != sha(v1) || lines[0]["name"] != "Pub-Crate" {
		t.Fatalf("merged index: %d %v", status, lines)
	}
	if deps, _ := lines[0]["deps"].([]any); len(deps) != 1 || deps[0].(map[string]any)["name"] != "pub-dep" || deps[0].(map[string]any)["registry"] != nil {
		t.Fatalf("dependencies of the public line: %v", lines[0]["deps"])
	}
	if got := versionsIn(t, e, "store", "pub-crate"); got != nil {
		t.Fatalf("an index read ingested %v", got)
	}

	resp, b := e.do(t, "GET", "api/v1/crates/Pub-Crate/1.0.0/download", nil)
	if resp.StatusCode != 200 || !bytes.Equal(b, v1) {
		t.Fatalf("download through the connection: %d %s", resp.StatusCode, b)
	}
	want := map[string]string{"1.0.0": "EXTERNAL " + cratesIOConnection}
	if got := versionsIn(t, e, "store", "pub-crate"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("store holds %v, want %v", got, want)
	}
	if got := versionsIn(t, e, "team", "pub-crate"); len(got) != 1 || !strings.HasPrefix(got["1.0.0"], "EXTERNAL") {
		t.Fatalf("team retained %v", got)
	}
	if resp, b = e.do(t, "GET", "api/v1/crates/pub-crate/1.0.0/download", nil); resp.StatusCode != 200 || !bytes.Equal(b, v1) || up.Requests("/crates/Pub-Crate/1.0.0/download") != 1 {
		t.Fatalf("second download: %d, registry asked %d times", resp.StatusCode, up.Requests("/crates/Pub-Crate/1.0.0/download"))
	}
	// The ingested line is the public one; the merged index still shows
	// the same two versions.
	if _, again := e.lines(t, "pub-crate"); len(again) != 2 || byVers(again)["1.0.0"]["cksum"] != sha(v1) || byVers(again)["1.0.0"]["yanked"] != false {
		t.Fatalf("index after ingest: %v", again)
	}

	// A yanked version still downloads (a Cargo.lock may pin it) and
	// stays yanked once fetched.
	if resp, _ = e.do(t, "GET", "api/v1/crates/Pub-Crate/1.1.0/download", nil); resp.StatusCode != 200 {
		t.Fatalf("download of a yanked version: %d", resp.StatusCode)
	}
	if _, l := e.lines(t, "pub-crate"); len(l) != 2 || byVers(l)["1.1.0"]["yanked"] != true || byVers(l)["1.0.0"]["yanked"] != false {
		t.Fatalf("index after fetching a yanked version: %v", l)
	}

	// Released after the index was cached: the download asks again (once
	// the least time between two fetches of one file has passed).
	v12, v13 := depCrate(t, "Pub-Crate", "1.2.0", "pub-dep"), depCrate(t, "Pub-Crate", "1.3.0", "pub-dep")
	for _, c := range [][]byte{v12, v13} {
		if err := up.AddCrate(c); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(publiccache.DefaultMinRefetch)
	if resp, b = e.do(t, "GET", "api/v1/crates/Pub-Crate/1.2.0/download", nil); resp.StatusCode != 200 || !bytes.Equal(b, v12) {
		t.Fatalf("download of a version released since: %d %s", resp.StatusCode, b)
	}
	if _, l := e.lines(t, "pub-crate"); len(l) != 4 {
		t.Fatalf("index after the refetch: %v", l)
	}

	// A corrupted .crate: 502, nothing kept.
	up.Corrupt("Pub-Crate", "1.3.0")
	if resp, b = e.do(t, "GET", "api/v1/crates/Pub-Crate/1.3.0/download", nil); resp.StatusCode != http.StatusBadGateway || !strings.Contains(cargoError(t, b), "cksum") {
		t.Fatalf("corrupted download: %d %s", resp.StatusCode, b)
	}
	for _, repo := range []string{"store", "team"} {
		if _, ok := versionsIn(t, e, repo, "pub-crate")["1.3.0"]; ok {
			t.Fatalf("the corrupted version was kept in %s", repo)
		}
	}

	// Unknown crate: 404 from the registry, 404 here.
	if resp, b = e.do(t, "GET", indexPath("nowhere"), nil); resp.StatusCode != 404 {
		t.Fatalf("crate the registry lacks: %d %s", resp.StatusCode, b)
	}

	// Publishing a version crates.io serves is refused.
	if resp, b = e.do(t, "PUT", "api/v1/crates/new", frame(publishJSON("pub-dep", "1.0.0", nil), dep)); resp.StatusCode != http.StatusConflict {
		t.Fatalf("publish of a version the registry has: %d %s", resp.StatusCode, b)
	}

	for _, o := range []upstreamtest.Outage{upstreamtest.Unavailable, upstreamtest.Unreachable} {
		up.SetOutage(o)
		if st, l := e.lines(t, "pub-crate"); st != 200 || len(l) != 4 {
			t.Fatalf("outage %d: cached index: %d %v", o, st, l)
		}
		if resp, b = e.do(t, "GET", "api/v1/crates/pub-crate/1.2.0/download", nil); resp.StatusCode != 200 || !bytes.Equal(b, v12) {
			t.Fatalf("outage %d: fetched crate: %d", o, resp.StatusCode)
		}
		// The cached index of pub-dep was read by the publish lookup; its
		// .crate was never fetched.
		if resp, b = e.do(t, "GET", "api/v1/crates/pub-dep/1.0.0/download", nil); resp.StatusCode != http.StatusBadGateway || !strings.Contains(cargoError(t, b), cratesIOConnection) {
			t.Fatalf("outage %d: a crate never fetched: %d %s", o, resp.StatusCode, b)
		}
		if resp, b = e.do(t, "GET", indexPath("never-asked"), nil); resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("outage %d: an index never fetched: %d %s", o, resp.StatusCode, b)
		}
	}
	up.SetOutage(upstreamtest.Up)

	// store's package blocking upstream versions leaves crates.io out:
	// only what store holds shows, and nothing more is fetched.
	if _, err := e.svc.PutPackageOriginConfiguration(ctx, admin, service.PutPackageOriginConfigurationInput{
		PackageRef:   service.PackageRef{Domain: "dom", Repository: "store", Format: model.FormatCargo, Package: "pub-crate"},
		Restrictions: model.OriginRestrictions{Publish: model.Block, Upstream: model.Block}}); err != nil {
		t.Fatal(err)
	}
	if _, l := e.lines(t, "pub-crate"); len(l) != 3 || byVers(l)["1.3.0"] != nil {
		t.Fatalf("index with upstream blocked in store: %v", l)
	}
	if resp, b = e.do(t, "GET", "api/v1/crates/pub-crate/1.3.0/download", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("download with upstream blocked in store: %d %s", resp.StatusCode, b)
	}

	// A repository holding the connection itself serves and ingests too.
	e.base = strings.Replace(e.base, "/team/", "/store/", 1)
	if resp, b = e.do(t, "GET", "api/v1/crates/pub-dep/1.0.0/download", nil); resp.StatusCode != 200 || !bytes.Equal(b, dep) {
		t.Fatalf("download from the repository holding the connection: %d %s", resp.StatusCode, b)
	}
	if got := versionsIn(t, e, "store", "pub-dep"); got["1.0.0"] != "EXTERNAL "+cratesIOConnection {
		t.Fatalf("pub-dep in store: %v", got)
	}
}

// A dl template pointing at a host neither the index's nor allowed for
// it is refused (502) without being fetched.
func TestPublicDownloadHostRefused(t *testing.T) {
	up := upstreamtest.NewCargo()
	crate := makeCrate(t, "far-crate", "1.0.0")
	up.AddCrate(crate)
	other := httptest.NewServer(up)
	defer other.Close()
	e := publicEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/config.json" {
			fmt.Fprintf(w, `{"dl":%q}`, other.URL+"/crates")
			return
		}
		up.ServeHTTP(w, r)
	}))
	if st, l := e.lines(t, "far-crate"); st != 200 || len(l) != 1 {
		t.Fatalf("index: %d %v", st, l)
	}
	up.ResetCounts()
	resp, b := e.do(t, "GET", "api/v1/crates/far-crate/1.0.0/download", nil)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(cargoError(t, b), "outside") || up.Requests("/crates/far-crate/1.0.0/download") != 0 {
		t.Fatalf("download from another host: %d %s (asked %d times)", resp.StatusCode, b, up.Requests("/crates/far-crate/1.0.0/download"))
	}
	if got := versionsIn(t, e, "store", "far-crate"); got != nil {
		t.Fatalf("kept %v", got)
	}
}
