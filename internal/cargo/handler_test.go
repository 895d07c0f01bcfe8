package cargo

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/archive/archivetest"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// cargoError decodes cargo's error shape and returns its detail.
func cargoError(t *testing.T, b []byte) string {
	t.Helper()
	var e struct {
		Errors []struct {
			Detail string `json:"detail"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(b, &e); err != nil || len(e.Errors) != 1 || e.Errors[0].Detail == "" {
		t.Fatalf("not cargo's error shape: %s", b)
	}
	return e.Errors[0].Detail
}

func TestAuthAndConfig(t *testing.T) {
	e := newTestEnv(t)
	req, _ := http.NewRequest("GET", e.base+"config.json", nil)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// Cargo's first request has no token; the 401 makes it retry with one.
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != "Cargo" {
		t.Fatalf("unauthenticated config.json: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	cargoError(t, b)

	for _, auth := range []string{e.token, "Bearer " + e.token} {
		resp, b := e.do(t, "GET", "config.json", nil, "Authorization", auth)
		var cfg map[string]any
		if resp.StatusCode != 200 || json.Unmarshal(b, &cfg) != nil {
			t.Fatalf("config.json with %q: %d %s", auth[:6], resp.StatusCode, b)
		}
		want := map[string]any{"dl": e.base + "api/v1/crates", "api": strings.TrimSuffix(e.base, "/"), "auth-required": true}
		for k, v := range want {
			if cfg[k] != v {
				t.Errorf("config.json %s = %v, want %v", k, cfg[k], v)
			}
		}
	}
	resp, b = e.do(t, "GET", "config.json", nil, "Authorization", "wharf1.not-a-token")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token: %d %s", resp.StatusCode, b)
	}
}

func TestPublishIndexDownload(t *testing.T) {
	e := newTestEnv(t)
	crate := e.publish(t, "Demo_Crate", "1.0.0", map[string]any{
		"readme": "# Demo", "homepage": "https://h.test", "repository": "https://r.test",
		"deps": []any{map[string]any{"name": "wharf-a", "version_req": "^0.1", "features": []string{}, "optional": false, "default_features": true,
			"target": nil, "kind": "normal", "registry": nil, "explicit_name_in_toml": "a_lib"}},
	})
	path := indexPath("Demo_Crate")
	resp, b := e.do(t, "GET", path, nil)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" || resp.Header.Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("index: %d %v %s", resp.StatusCode, resp.Header, b)
	}
	_, lines := e.lines(t, "Demo_Crate")
	if len(lines) != 1 || lines[0]["name"] != "Demo_Crate" || lines[0]["vers"] != "1.0.0" || lines[0]["yanked"] != false {
		t.Fatalf("index lines %v", lines)
	}
	dep := lines[0]["deps"].([]any)[0].(map[string]any)
	if dep["name"] != "a_lib" || dep["package"] != "wharf-a" || dep["req"] != "^0.1" {
		t.Fatalf("renamed dependency %v", dep)
	}

	// Revalidation and the warm path: no render until the crate changes.
	tag := resp.Header.Get("ETag")
	if resp, _ := e.do(t, "GET", path, nil, "If-None-Match", tag); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", resp.StatusCode)
	}
	if resp, zb := e.do(t, "GET", path, nil, "Accept-Encoding", "gzip"); resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip: %v", resp.Header)
	} else if zr, err := gzip.NewReader(bytes.NewReader(zb)); err != nil {
		t.Fatal(err)
	} else if plain, _ := io.ReadAll(zr); !bytes.Equal(plain, b) {
		t.Fatal("gzip body differs")
	}
	if n := e.renders.Load(); n != 1 {
		t.Fatalf("%d renders for one generation", n)
	}
	e.publish(t, "Demo_Crate", "0.9.0", nil)
	resp, _ = e.do(t, "GET", path, nil, "If-None-Match", tag)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == tag {
		t.Fatalf("after a publish: %d, ETag %s", resp.StatusCode, resp.Header.Get("ETag"))
	}
	if _, lines := e.lines(t, "Demo_Crate"); len(lines) != 2 || lines[1]["vers"] != "0.9.0" {
		t.Fatalf("publish order: %v", lines)
	}

	// The .crate, however cargo spells the crate.
	for _, p := range []string{"api/v1/crates/Demo_Crate/1.0.0/download", "api/v1/crates/demo_crate/1.0.0/download"} {
		resp, got := e.do(t, "GET", p, nil)
		if resp.StatusCode != 200 || !bytes.Equal(got, crate) {
			t.Fatalf("download %s: %d, %d bytes", p, resp.StatusCode, len(got))
		}
	}
	if resp, _ := e.do(t, "GET", "api/v1/crates/Demo_Crate/3.0.0/download", nil); resp.StatusCode != 404 {
		t.Fatalf("download of a missing version: %d", resp.StatusCode)
	}

	// What the control plane shows of it.
	vr := service.VersionRef{PackageRef: ref("Demo_Crate"), PackageVersion: "1.0.0"}
	d, err := e.svc.DescribePackageVersion(ctx, admin, vr)
	if err != nil {
		t.Fatal(err)
	}
	pv := d.PackageVersion
	if pv.PackageName != "demo_crate" || pv.DisplayName != "Demo_Crate" || pv.Summary != "the Demo_Crate crate" || pv.HomePage != "https://h.test" || pv.SourceCodeRepository != "https://r.test" || len(pv.Licenses) != 1 || pv.Licenses[0].Name != "MIT" {
		t.Fatalf("DescribePackageVersion %+v", pv)
	}
	deps, err := e.svc.ListPackageVersionDependencies(ctx, admin, service.ListPackageVersionDependenciesInput{VersionRef: vr})
	if err != nil || len(deps.Dependencies) != 1 || deps.Dependencies[0] != (model.Dependency{Package: "wharf-a", DependencyType: "normal", VersionRequirement: "^0.1"}) {
		t.Fatalf("ListPackageVersionDependencies %+v %v", deps, err)
	}
	rd, err := e.svc.GetPackageVersionReadme(ctx, admin, vr)
	if err != nil || rd.Readme != "# Demo" {
		t.Fatalf("GetPackageVersionReadme %+v %v", rd, err)
	}
}

func TestReadmeFromCrate(t *testing.T) {
	e := newTestEnv(t)
	e.publish(t, "doc", "1.0.0", map[string]any{"readme": nil, "readme_file": "README.md"}, tarFile{"README.md", "from the crate"})
	rd, err := e.svc.GetPackageVersionReadme(ctx, admin, service.VersionRef{PackageRef: ref("doc"), PackageVersion: "1.0.0"})
	if err != nil || rd.Readme != "from the crate" {
		t.Fatalf("readme %+v %v", rd, err)
	}
}

// Decision 8: yanked (Unlisted) versions stay in the index and download;
// Archived, Disposed and deleted ones are gone from both.
func TestStatuses(t *testing.T) {
	e := newTestEnv(t)
	e.publish(t, "st", "1.0.0", nil)
	e.publish(t, "st", "1.1.0", nil)
	yanked := func() map[string]any {
		t.Helper()
		_, lines := e.lines(t, "st")
		out := map[string]any{}
		for _, l := range lines {
			out[l["vers"].(string)] = l["yanked"]
		}
		return out
	}
	download := func(v string) int {
		resp, _ := e.do(t, "GET", "api/v1/crates/st/"+v+"/download", nil)
		return resp.StatusCode
	}
	for _, step := range []struct {
		method, path string
	}{{"DELETE", "api/v1/crates/st/1.1.0/yank"}, {"DELETE", "api/v1/crates/st/1.1.0/yank"}} {
		resp, b := e.do(t, step.method, step.path, nil)
		if resp.StatusCode != 200 || string(b) != `{"ok":true}`+"\n" {
			t.Fatalf("%s %s: %d %s", step.method, step.path, resp.StatusCode, b)
		}
	}
	if got := yanked(); got["1.1.0"] != true || got["1.0.0"] != false || download("1.1.0") != 200 {
		t.Fatalf("after yank: %v, download %d", got, download("1.1.0"))
	}
	vs, _ := e.svc.ListPackageVersions(ctx, admin, service.ListPackageVersionsInput{PackageRef: ref("st")})
	for _, v := range vs.Versions {
		if want := map[string]model.Status{"1.0.0": model.StatusPublished, "1.1.0": model.StatusUnlisted}[v.Version]; v.Status != want {
			t.Fatalf("version %s is %s, want %s", v.Version, v.Status, want)
		}
	}
	if resp, _ := e.do(t, "PUT", "api/v1/crates/st/1.1.0/unyank", nil); resp.StatusCode != 200 || yanked()["1.1.0"] != false {
		t.Fatalf("unyank: %d %v", resp.StatusCode, yanked())
	}

	e.setStatus(t, "st", model.StatusArchived, "1.1.0")
	if got := yanked(); len(got) != 1 || download("1.1.0") != 404 {
		t.Fatalf("archived: %v, download %d", got, download("1.1.0"))
	}
	// cargo yank cannot revive an archived version.
	if resp, b := e.do(t, "DELETE", "api/v1/crates/st/1.1.0/yank", nil); resp.StatusCode != 404 {
		t.Fatalf("yank of an archived version: %d %s", resp.StatusCode, b)
	}
	e.setStatus(t, "st", model.StatusPublished, "1.1.0")
	if got := yanked(); len(got) != 2 || download("1.1.0") != 200 {
		t.Fatalf("restored: %v", got)
	}
	if _, err := e.svc.DisposePackageVersions(ctx, admin, service.DisposePackageVersionsInput{PackageRef: ref("st"), Versions: []string{"1.1.0"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DeletePackageVersions(ctx, admin, service.DeletePackageVersionsInput{PackageRef: ref("st"), Versions: []string{"1.0.0"}}); err != nil {
		t.Fatal(err)
	}
	if status, _ := e.lines(t, "st"); status != 404 || download("1.0.0") != 404 || download("1.1.0") != 404 {
		t.Fatalf("nothing left to show: index %d", status)
	}
	if resp, b := e.do(t, "GET", indexPath("nope"), nil); resp.StatusCode != 404 {
		t.Fatalf("unknown crate: %d %s", resp.StatusCode, b)
	} else {
		cargoError(t, b)
	}
}

// storedBlobs counts the content files in the blob store.
func (e *testEnv) storedBlobs(t *testing.T) int {
	t.Helper()
	n := 0
	filepath.WalkDir(filepath.Join(e.blobs, "sha256"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func TestBadUploads(t *testing.T) {
	e := newTestEnv(t)
	good := makeCrate(t, "bad", "1.0.0")
	meta := publishJSON("bad", "1.0.0", nil)
	tests := []struct {
		name   string
		body   []byte
		status int
		detail string
	}{
		{"truncated body", frame(meta, good)[:100], 400, "truncated"},
		{"truncated crate", frame(meta, good)[:len(frame(meta, good))-10], 400, "truncated"},
		{"crate length lying short", append(frame(meta, good[:len(good)-5]), good[len(good)-5:]...), 400, "goes on after"},
		{"another crate inside", frame(meta, makeCrate(t, "other", "1.0.0")), 400, "outside the directory"},
		{"another name in Cargo.toml", frame(meta, makeTgz(t, tarFile{"bad-1.0.0/Cargo.toml", manifestTOML("evil", "1.0.0")})), 400, `names the crate "evil"`},
		{"another version in Cargo.toml", frame(meta, makeTgz(t, tarFile{"bad-1.0.0/Cargo.toml", manifestTOML("bad", "2.0.0")})), 400, "gives version"},
		{"not gzip", frame(meta, []byte("just some bytes")), 400, "not gzip"},
		{"tar bomb", frame(meta, archivetest.TarGzBomb([]archivetest.File{{Name: "bad-1.0.0/Cargo.toml", Body: manifestTOML("bad", "1.0.0")}}, "bad-1.0.0/zeros", crateLimits.MaxUnpacked+1)), 413, "expands"},
		{"bad JSON", frame([]byte("{"), good), 400, "not a valid JSON"},
		{"bad name", frame(publishJSON("a b", "1.0.0", nil), good), 400, "Invalid crate name"},
		{"reserved name", frame(publishJSON("nul", "1.0.0", nil), good), 400, "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := e.do(t, "PUT", "api/v1/crates/new", tt.body)
			if resp.StatusCode != tt.status || !strings.Contains(cargoError(t, b), tt.detail) {
				t.Fatalf("%d %s, want %d with %q", resp.StatusCode, b, tt.status, tt.detail)
			}
		})
	}
	ps, err := e.svc.ListPackages(ctx, admin, service.ListPackagesInput{Domain: "dom", Repository: "repo"})
	if err != nil || len(ps.Packages) != 0 {
		t.Fatalf("refused uploads left packages: %+v %v", ps, err)
	}
	if n := e.storedBlobs(t); n != 0 {
		t.Fatalf("refused uploads left %d blobs", n)
	}
	if resp, b := e.do(t, "PUT", "api/v1/crates/new", frame(meta, good), "Content-Encoding", "gzip"); resp.StatusCode != 415 {
		t.Fatalf("compressed publish: %d %s", resp.StatusCode, b)
	}
}

func TestRepublishAndCollisions(t *testing.T) {
	e := newTestEnv(t)
	crate := makeCrate(t, "Foo-Bar", "1.0.0")
	body := frame(publishJSON("Foo-Bar", "1.0.0", nil), crate)
	for range 2 { // identical bytes again: idempotent
		if resp, b := e.do(t, "PUT", "api/v1/crates/new", body); resp.StatusCode != 200 {
			t.Fatalf("publish: %d %s", resp.StatusCode, b)
		}
	}
	// Collisions are refused before the bytes are read.
	for _, name := range []string{"foo_bar", "foo-bar", "FOO_BAR"} {
		resp, b := e.do(t, "PUT", "api/v1/crates/new", frame(publishJSON(name, "2.0.0", nil), makeCrate(t, name, "2.0.0")))
		if resp.StatusCode != 409 || !strings.Contains(cargoError(t, b), "collides") {
			t.Fatalf("publish %s: %d %s", name, resp.StatusCode, b)
		}
	}
	if n := e.storedBlobs(t); n != 1 {
		t.Fatalf("%d blobs stored, want the one crate", n)
	}
	other := frame(publishJSON("Foo-Bar", "1.0.0", map[string]any{"description": "other"}), makeCrate(t, "Foo-Bar", "1.0.0", tarFile{"x", "y"}))
	if resp, b := e.do(t, "PUT", "api/v1/crates/new", other); resp.StatusCode != 409 {
		t.Fatalf("other bytes for an existing version: %d %s", resp.StatusCode, b)
	}
	if _, lines := e.lines(t, "Foo-Bar"); len(lines) != 1 || lines[0]["cksum"] != sha256hex(crate) {
		t.Fatalf("index after a refused re-publish: %v", lines)
	}
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestUnsupported(t *testing.T) {
	e := newTestEnv(t)
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"GET", "api/v1/crates?q=x&per_page=10", 404},
		{"GET", "api/v1/crates/x/owners", 404},
		{"PUT", "api/v1/crates/x/owners", 404},
		{"GET", "me", 404},
		{"GET", "", 404},
		{"GET", "api/v1/crates/x/1.0.0/readme", 404},
		{"POST", "config.json", 405},
		{"GET", "api/v1/crates/new", 405},
		{"PUT", "api/v1/crates/x/1.0.0/yank", 405},
		{"DELETE", "ca/rg/cargo", 405},
	} {
		resp, b := e.do(t, tt.method, tt.path, nil)
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s: %d %s", tt.method, tt.path, resp.StatusCode, b)
			continue
		}
		cargoError(t, b)
	}
}
