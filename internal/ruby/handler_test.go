package ruby

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/format/formattest"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

var ctx = context.Background()

var admin = service.Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root", AccessKeyID: "AKIDADMIN"}

// testEnv is a real service on real stores behind the RubyGems handler
// on an HTTP test server.
type testEnv struct {
	svc   *service.Service
	h     *handler
	srv   *httptest.Server
	base  string // the endpoint, ending in "/"
	token string
}

func newTestEnv(t testing.TB, opts ...formattest.Options) *testEnv {
	t.Helper()
	e := &testEnv{}
	f := Format
	f.New = func(env format.Env) (*format.Endpoint, error) {
		h, err := newHandler(env, Options{SpoolDir: t.TempDir()})
		if err != nil {
			return nil, err
		}
		e.h = h
		return h.endpoint(), nil
	}
	fx := formattest.New(t, f, opts...)
	e.svc, e.srv, e.base, e.token = fx.Service, fx.Server, fx.URL, fx.Token
	return e
}

// do sends a request as gem install and Bundler do (Basic aws:TOKEN)
// and returns the response with its body read.
func (e *testEnv) do(t testing.TB, method, path string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("aws", e.token)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// push sends a gem as gem push does (Authorization: Bearer TOKEN).
func (e *testEnv) push(t testing.TB, gem []byte) (int, string) {
	t.Helper()
	resp, b := e.do(t, http.MethodPost, "api/v1/gems", gem, "Authorization", "Bearer "+e.token, "Content-Type", "application/octet-stream")
	return resp.StatusCode, string(b)
}

func (e *testEnv) mustPush(t testing.TB, gem []byte) {
	t.Helper()
	if st, msg := e.push(t, gem); st != http.StatusOK {
		t.Fatalf("push: %d %s", st, msg)
	}
}

func (e *testEnv) ref(name string) service.PackageRef {
	return service.PackageRef{Domain: "dom", DomainOwner: admin.Account, Repository: "repo", Format: model.FormatRuby, Package: name}
}

func (e *testEnv) setStatus(t testing.TB, name, version string, st model.Status) {
	t.Helper()
	out, err := e.svc.UpdatePackageVersionsStatus(ctx, admin, service.UpdatePackageVersionsStatusInput{PackageRef: e.ref(name), Versions: []string{version}, TargetStatus: st})
	if err != nil || len(out.FailedVersions) > 0 {
		t.Fatalf("status %s %s -> %s: %v %+v", name, version, st, err, out)
	}
}

// depGem is dep_gem VERSION, which demo_gem-1.0.0 needs (>= 1.0, < 3).
func depGem(t testing.TB, version string) []byte {
	return buildGem(t, metadataYAML("dep_gem", version), map[string]string{"lib/dep_gem.rb": "module DepGem; end\n"})
}

func TestPushAndInstallPaths(t *testing.T) {
	e := newTestEnv(t)
	demo := readTestdata(t, "demo_gem-1.0.0.gem")
	plat := readTestdata(t, "demo_gem-1.0.0-x86_64-linux.gem")
	dep := depGem(t, "2.0.0")
	for _, g := range [][]byte{dep, demo, plat} {
		e.mustPush(t, g)
	}
	if st, msg := e.push(t, plat); st != http.StatusOK || !strings.Contains(msg, "demo_gem (1.0.0-x86_64-linux)") {
		t.Fatalf("identical re-push: %d %s", st, msg)
	}

	// The probe gem install sends first.
	if resp, _ := e.do(t, http.MethodHead, "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD of the endpoint: %d", resp.StatusCode)
	}

	// info/demo_gem: both platforms, runtime dependencies only.
	resp, info := e.do(t, http.MethodGet, "info/demo_gem", nil)
	want := "---\n" +
		"1.0.0 dep_gem:< 3&>= 1.0|checksum:" + sha256hex(demo) + ",ruby:>= 2.7\n" +
		"1.0.0-x86_64-linux dep_gem:< 3&>= 1.0|checksum:" + sha256hex(plat) + ",ruby:>= 2.7\n"
	if resp.StatusCode != http.StatusOK || string(info) != want {
		t.Fatalf("info/demo_gem: %d\n%s\nwant\n%s", resp.StatusCode, info, want)
	}
	m, s := md5.Sum(info), sha256.Sum256(info)
	if got := resp.Header.Get("ETag"); got != `"`+hex.EncodeToString(m[:])+`"` {
		t.Errorf("ETag %s is not the body's MD5 (Bundler checks it)", got)
	}
	if got := resp.Header.Get("Repr-Digest"); got != "sha-256=:"+base64.StdEncoding.EncodeToString(s[:])+":" {
		t.Errorf("Repr-Digest = %s", got)
	}
	if resp, _ := e.do(t, http.MethodGet, "info/demo_gem", nil, "If-None-Match", resp.Header.Get("ETag")); resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation with the ETag: %d, want 304", resp.StatusCode)
	}
	// Bundler's incremental update: the bytes from one before its copy's end.
	if resp, part := e.do(t, http.MethodGet, "info/demo_gem", nil, "Range", "bytes=10-"); resp.StatusCode != http.StatusPartialContent || string(part) != want[10:] {
		t.Errorf("ranged info: %d %q", resp.StatusCode, part)
	}
	if _, info := e.do(t, http.MethodGet, "info/dep_gem", nil); string(info) != "---\n2.0.0 |checksum:"+sha256hex(dep)+"\n" {
		t.Errorf("info/dep_gem = %q", info)
	}
	if resp, _ := e.do(t, http.MethodGet, "info/nope", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("info of an unknown gem: %d", resp.StatusCode)
	}

	// The dependency API, as Bundler asks (names sorted, comma escaped).
	resp, deps := e.do(t, http.MethodGet, "api/v1/dependencies?gems=demo_gem%2Cdep_gem%2Cnope", nil)
	wantDeps := marshalDump([]any{
		hash{{symbol("name"), "demo_gem"}, {symbol("number"), "1.0.0"}, {symbol("platform"), "ruby"}, {symbol("dependencies"), []any{[]any{"dep_gem", ">= 1.0, < 3"}}}},
		hash{{symbol("name"), "demo_gem"}, {symbol("number"), "1.0.0"}, {symbol("platform"), "x86_64-linux"}, {symbol("dependencies"), []any{[]any{"dep_gem", ">= 1.0, < 3"}}}},
		hash{{symbol("name"), "dep_gem"}, {symbol("number"), "2.0.0"}, {symbol("platform"), "ruby"}, {symbol("dependencies"), []any{}}},
	})
	if resp.StatusCode != http.StatusOK || !bytes.Equal(deps, wantDeps) {
		t.Errorf("dependency API: %d %q\nwant %q", resp.StatusCode, deps, wantDeps)
	}
	if resp, body := e.do(t, http.MethodGet, "api/v1/dependencies", nil); resp.StatusCode != http.StatusOK || len(body) != 0 {
		t.Errorf("bare dependency API (Bundler's probe): %d %q", resp.StatusCode, body)
	}

	// Specs and gems by full name.
	for _, tt := range []struct {
		name string
		gem  []byte
	}{{"demo_gem-1.0.0", demo}, {"demo_gem-1.0.0-x86_64-linux", plat}, {"dep_gem-2.0.0", dep}} {
		resp, rz := e.do(t, http.MethodGet, "quick/Marshal.4.8/"+tt.name+".gemspec.rz", nil)
		spec, err := readGem(bytes.NewReader(tt.gem))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || !bytes.Equal(inflate(t, rz), marshalDump(specValue(spec))) {
			t.Errorf("quick spec of %s: %d", tt.name, resp.StatusCode)
		}
		if resp, got := e.do(t, http.MethodGet, "gems/"+tt.name+".gem", nil); resp.StatusCode != http.StatusOK || !bytes.Equal(got, tt.gem) {
			t.Errorf("gems/%s.gem: %d, %d bytes", tt.name, resp.StatusCode, len(got))
		}
	}
	for _, p := range []string{"gems/demo_gem-9.9.gem", "gems/nope-1.0.gem", "quick/Marshal.4.8/demo_gem-1.0.0-java.gemspec.rz", "gems/-1.gem"} {
		if resp, _ := e.do(t, http.MethodGet, p, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}

	// The control plane's view of the version comes from the first gem.
	d, err := e.svc.DescribePackageVersion(ctx, admin, service.VersionRef{PackageRef: e.ref("demo_gem"), PackageVersion: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	pv := d.PackageVersion
	if got := fmt.Sprint(pv.Summary, "|", pv.HomePage, "|", pv.SourceCodeRepository, "|", pv.Licenses); got != "A demo|https://example.com/demo|https://github.com/x/demo|[{MIT }]" {
		t.Errorf("DescribePackageVersion = %s", got)
	}
	ld, err := e.svc.ListPackageVersionDependencies(ctx, admin, service.ListPackageVersionDependenciesInput{VersionRef: service.VersionRef{PackageRef: e.ref("demo_gem"), PackageVersion: "1.0.0"}})
	if err != nil || fmt.Sprint(ld.Dependencies) != "[{ dep_gem runtime >= 1.0, < 3}]" {
		t.Errorf("ListPackageVersionDependencies = %v, %v", ld, err)
	}
	rd, err := e.svc.GetPackageVersionReadme(ctx, admin, service.VersionRef{PackageRef: e.ref("demo_gem"), PackageVersion: "1.0.0"})
	if err != nil || rd.Readme != "Longer demo" {
		t.Errorf("readme = %v, %v", rd, err)
	}
	as, err := e.svc.ListPackageVersionAssets(ctx, admin, service.ListPackageVersionAssetsInput{VersionRef: service.VersionRef{PackageRef: e.ref("demo_gem"), PackageVersion: "1.0.0"}})
	if err != nil || len(as.Assets) != 2 || as.Assets[0].Name != "demo_gem-1.0.0-x86_64-linux.gem" || as.Assets[1].Name != "demo_gem-1.0.0.gem" {
		t.Errorf("assets = %+v, %v", as, err)
	}

	// A file name splits into gem name and version at a "-" before a
	// digit; a gem name may hold one too.
	ab, ab2x := buildGem(t, metadataYAML("ab", "1.0"), nil), buildGem(t, metadataYAML("ab-2x", "1.0"), nil)
	e.mustPush(t, ab)
	e.mustPush(t, ab2x)
	for name, want := range map[string][]byte{"ab-1.0": ab, "ab-2x-1.0": ab2x} {
		if resp, got := e.do(t, http.MethodGet, "gems/"+name+".gem", nil); resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
			t.Errorf("gems/%s.gem: %d", name, resp.StatusCode)
		}
	}

	// Other bytes under a pushed name: 409, as rubygems.org refuses a
	// re-push.
	other := buildGem(t, metadataYAML("dep_gem", "2.0.0", "description: changed"), nil)
	if st, msg := e.push(t, other); st != http.StatusConflict {
		t.Errorf("push of other bytes as dep_gem 2.0.0: %d %s", st, msg)
	}
}

func inflate(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStatusesAsDecision8: an Unlisted version leaves /info and the
// dependency API but its spec and gem still download by name; Archived,
// Disposed and deleted versions are gone everywhere; a restore brings the
// version back.
func TestStatusesAsDecision8(t *testing.T) {
	e := newTestEnv(t)
	v1, v2 := depGem(t, "1.0.0"), depGem(t, "2.0.0")
	e.mustPush(t, v1)
	e.mustPush(t, v2)
	line := func(v string, g []byte) string { return v + " |checksum:" + sha256hex(g) + "\n" }
	check := func(label, wantInfo string, wantDeps []string, downloadable bool) {
		t.Helper()
		if _, info := e.do(t, http.MethodGet, "info/dep_gem", nil); string(info) != "---\n"+wantInfo {
			t.Errorf("%s: info = %q, want %q", label, info, "---\n"+wantInfo)
		}
		var entries []any
		for _, v := range wantDeps {
			entries = append(entries, hash{{symbol("name"), "dep_gem"}, {symbol("number"), v}, {symbol("platform"), "ruby"}, {symbol("dependencies"), []any{}}})
		}
		if entries == nil {
			entries = []any{}
		}
		if _, deps := e.do(t, http.MethodGet, "api/v1/dependencies?gems=dep_gem", nil); !bytes.Equal(deps, marshalDump(entries)) {
			t.Errorf("%s: dependency API lists other versions than %v", label, wantDeps)
		}
		want := http.StatusNotFound
		if downloadable {
			want = http.StatusOK
		}
		for _, p := range []string{"gems/dep_gem-1.0.0.gem", "quick/Marshal.4.8/dep_gem-1.0.0.gemspec.rz"} {
			if resp, _ := e.do(t, http.MethodGet, p, nil); resp.StatusCode != want {
				t.Errorf("%s: %s = %d, want %d", label, p, resp.StatusCode, want)
			}
		}
	}
	check("published", line("1.0.0", v1)+line("2.0.0", v2), []string{"1.0.0", "2.0.0"}, true)
	e.setStatus(t, "dep_gem", "1.0.0", model.StatusUnlisted)
	check("unlisted", line("2.0.0", v2), []string{"2.0.0"}, true)
	e.setStatus(t, "dep_gem", "1.0.0", model.StatusArchived)
	check("archived", line("2.0.0", v2), []string{"2.0.0"}, false)
	if st, msg := e.push(t, v1); st != http.StatusConflict {
		t.Errorf("push into an Archived version: %d %s", st, msg)
	}
	e.setStatus(t, "dep_gem", "1.0.0", model.StatusPublished)
	check("restored", line("1.0.0", v1)+line("2.0.0", v2), []string{"1.0.0", "2.0.0"}, true)
	if _, err := e.svc.DeletePackageVersions(ctx, admin, service.DeletePackageVersionsInput{PackageRef: e.ref("dep_gem"), Versions: []string{"1.0.0"}}); err != nil {
		t.Fatal(err)
	}
	check("deleted", line("2.0.0", v2), []string{"2.0.0"}, false)
	// A deleted version may be pushed again.
	e.mustPush(t, v1)
	check("pushed again", line("2.0.0", v2)+line("1.0.0", v1), []string{"2.0.0", "1.0.0"}, true)
}

// TestPushRefused: a bad upload is refused with a 4xx saying why, and
// stores nothing.
func TestPushRefused(t *testing.T) {
	e := newTestEnv(t)
	good := depGem(t, "1.0.0")
	tests := []struct {
		name   string
		body   []byte
		status int
		want   string
	}{
		{"empty", nil, http.StatusUnprocessableEntity, "not a gem"},
		{"not a gem", []byte(strings.Repeat("garbage ", 200)), http.StatusUnprocessableEntity, "not a gem"},
		{"truncated", good[:len(good)-700], http.StatusUnprocessableEntity, "truncated"},
		{"metadata that does not parse", buildGem(t, "--- !ruby/object:Gem::Specification\nname: [unclosed\n", nil), http.StatusUnprocessableEntity, "not valid YAML"},
		{"bad name", buildGem(t, metadataYAML("dep gem", "1.0"), nil), http.StatusUnprocessableEntity, "Invalid gem name"},
	}
	for _, tt := range tests {
		st, msg := e.push(t, tt.body)
		if st != tt.status || !strings.Contains(msg, tt.want) {
			t.Errorf("%s: %d %q, want %d with %q", tt.name, st, msg, tt.status, tt.want)
		}
	}
	keys, err := e.svc.ListPackageKeys(ctx, admin, service.RepoRef{Domain: "dom", DomainOwner: admin.Account, Repository: "repo"}, model.FormatRuby)
	if err != nil || len(keys) != 0 {
		t.Errorf("after refused pushes the repository holds %v (%v)", keys, err)
	}

	// Over the size limit: 413 before anything is read further.
	e.h.opts.MaxGemBytes = 1000
	if st, msg := e.push(t, good); st != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized push: %d %s", st, msg)
	}
}

// TestUnsupported: what CodeArtifact does not serve is 404 (Bundler then
// uses the dependency API), wrong methods 405, no token 401.
func TestUnsupported(t *testing.T) {
	e := newTestEnv(t)
	for _, p := range []string{"versions", "names", "specs.4.8.gz", "latest_specs.4.8.gz", "prerelease_specs.4.8.gz", "api/v1/dependencies.json", "api/v1/gems/rack.json", "api/v1/search.json?query=x"} {
		if resp, _ := e.do(t, http.MethodGet, p, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	if resp, body := e.do(t, http.MethodDelete, "api/v1/gems/yank", []byte("gem_name=x&version=1")); resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "not supported") {
		t.Errorf("gem yank: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.do(t, http.MethodPost, "info/x", nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST info/x: %d", resp.StatusCode)
	}
	if resp, _ := e.do(t, http.MethodGet, "api/v1/gems", nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET api/v1/gems: %d", resp.StatusCode)
	}
	resp, err := http.Get(e.base + "info/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("no token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// gem push with a credentials value that is the bare token.
	r2, _ := e.do(t, http.MethodPost, "api/v1/gems", depGem(t, "1.0.0"), "Authorization", e.token)
	if r2.StatusCode != http.StatusOK {
		t.Errorf("push with a bare token: %d", r2.StatusCode)
	}
}
