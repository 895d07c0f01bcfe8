package maven

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/format/formattest"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// These tests drive the handler over HTTP against the real service and
// stores; e2e/maven_test.go drives the real mvn against the binary.

var (
	ctx   = context.Background()
	admin = formattest.Admin
)

type fixture struct {
	t     *testing.T
	fx    *formattest.Fixture
	svc   *service.Service
	other *service.Service // a second replica on the same stores
	base  string
	token string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	fx := formattest.New(t, Format)
	return &fixture{t: t, fx: fx, svc: fx.Service, other: fx.Replica(), base: fx.URL, token: fx.Token}
}

// do sends a request with the fixture's token and returns status and body.
func (f *fixture) do(method, path string, body []byte) (int, []byte, http.Header) {
	f.t.Helper()
	return f.doAs(f.token, method, path, body)
}

func (f *fixture) doAs(tok, method, path string, body []byte) (int, []byte, http.Header) {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, f.base+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if tok != "" {
		req.SetBasicAuth("aws", tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

func (f *fixture) expect(method, path string, body []byte, want int) []byte {
	f.t.Helper()
	st, out, _ := f.do(method, path, body)
	if st != want {
		f.t.Fatalf("%s %s = %d %s, want %d", method, path, st, out, want)
	}
	return out
}

func (f *fixture) ref(g, a string) service.PackageRef {
	return f.fx.Ref(g, a)
}

// statuses lists every version of g:a with its status ("" map when the
// package does not exist).
func (f *fixture) statuses(g, a string) map[string]model.Status {
	f.t.Helper()
	out := map[string]model.Status{}
	for _, st := range []model.Status{"", model.StatusArchived} {
		res, err := f.svc.ListPackageVersions(ctx, admin, service.ListPackageVersionsInput{PackageRef: f.ref(g, a), Status: st})
		if model.AsError(err).Kind == model.KindNotFound {
			return out
		}
		if err != nil {
			f.t.Fatal(err)
		}
		for _, v := range res.Versions {
			out[v.Version] = v.Status
		}
	}
	return out
}

func (f *fixture) setStatus(g, a, version string, st model.Status) {
	f.t.Helper()
	res, err := f.svc.UpdatePackageVersionsStatus(ctx, admin, service.UpdatePackageVersionsStatusInput{PackageRef: f.ref(g, a), Versions: []string{version}, TargetStatus: st})
	if err != nil || len(res.FailedVersions) > 0 {
		f.t.Fatalf("UpdatePackageVersionsStatus %s -> %s: %v %+v", version, st, err, res)
	}
}

func pom(g, a, v, extra string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>` + g + `</groupId><artifactId>` + a + `</artifactId><version>` + v + `</version>
  ` + extra + `
</project>`)
}

func artifactMetadata(g, a string, versions ...string) []byte {
	var b strings.Builder
	b.WriteString("<metadata><groupId>" + g + "</groupId><artifactId>" + a + "</artifactId><versioning><versions>")
	for _, v := range versions {
		b.WriteString("<version>" + v + "</version>")
	}
	b.WriteString("</versions><lastUpdated>20260101000000</lastUpdated></versioning></metadata>")
	return []byte(b.String())
}

func sums(b []byte) map[string]string {
	m5, s1, s256, s512 := md5.Sum(b), sha1.Sum(b), sha256.Sum256(b), sha512.Sum512(b)
	return map[string]string{"md5": hex.EncodeToString(m5[:]), "sha1": hex.EncodeToString(s1[:]),
		"sha256": hex.EncodeToString(s256[:]), "sha512": hex.EncodeToString(s512[:])}
}

func TestDeployThenResolve(t *testing.T) {
	f := newFixture(t)
	jar := jarOf("lib")
	p := pom("com.acme", "lib", "1.0", `<description>The lib.</description>
  <dependencies><dependency><groupId>org.x</groupId><artifactId>dep</artifactId><version>2.0</version></dependency></dependencies>`)
	dir := "com/acme/lib/1.0/"

	// Files arrive as Maven sends them; the version is Unfinished and
	// invisible until maven-metadata.xml lists it.
	f.expect("PUT", dir+"lib-1.0.jar", jar, 201)
	f.expect("PUT", dir+"lib-1.0.jar.sha1", []byte(sums(jar)["sha1"]), 201)
	f.expect("PUT", dir+"lib-1.0.jar.md5", []byte(sums(jar)["md5"]+"  lib-1.0.jar\n"), 201)
	f.expect("PUT", dir+"lib-1.0.pom", p, 201)
	f.expect("PUT", dir+"lib-1.0.pom.sha1", []byte(sums(p)["sha1"]), 201)
	if st := f.statuses("com.acme", "lib"); st["1.0"] != model.StatusUnfinished {
		t.Fatalf("before metadata: %v, want 1.0 Unfinished", st)
	}
	f.expect("GET", dir+"lib-1.0.jar", nil, 404)
	f.expect("GET", dir+"lib-1.0.jar.sha1", nil, 404)
	f.expect("GET", "com/acme/lib/maven-metadata.xml", nil, 404)

	f.expect("PUT", "com/acme/lib/maven-metadata.xml", artifactMetadata("com.acme", "lib", "1.0"), 201)
	f.expect("PUT", "com/acme/lib/maven-metadata.xml.sha1", []byte(strings.Repeat("a", 40)), 201)
	if st := f.statuses("com.acme", "lib"); st["1.0"] != model.StatusPublished {
		t.Fatalf("after metadata: %v, want 1.0 Published", st)
	}

	st, got, hd := f.do("GET", dir+"lib-1.0.jar", nil)
	if st != 200 || !bytes.Equal(got, jar) {
		t.Fatalf("GET jar = %d %q", st, got)
	}
	if hd.Get("X-Checksum-Sha1") != sums(jar)["sha1"] || hd.Get("Content-Type") != "application/java-archive" {
		t.Fatalf("jar headers: %v", hd)
	}
	for file, content := range map[string][]byte{"lib-1.0.jar": jar, "lib-1.0.pom": p} {
		for algo, want := range sums(content) {
			if got := f.expect("GET", dir+file+"."+algo, nil, 200); string(got) != want {
				t.Errorf("%s.%s = %s, want %s", file, algo, got, want)
			}
		}
	}
	st, _, hd = f.do("HEAD", dir+"lib-1.0.jar", nil)
	if st != 200 || hd.Get("Content-Length") != strconv.Itoa(len(jar)) {
		t.Fatalf("HEAD jar = %d, length %s", st, hd.Get("Content-Length"))
	}

	md := f.expect("GET", "com/acme/lib/maven-metadata.xml", nil, 200)
	m, err := ParseMetadata(md)
	if err != nil || len(m.Versions()) != 1 || m.Versions()[0] != "1.0" || m.Versioning.Release != "1.0" {
		t.Fatalf("metadata %s: %v", md, err)
	}
	for algo, want := range sums(md) {
		if got := f.expect("GET", "com/acme/lib/maven-metadata.xml."+algo, nil, 200); string(got) != want {
			t.Errorf("maven-metadata.xml.%s = %s, want %s", algo, got, want)
		}
	}

	ref := service.VersionRef{PackageRef: f.ref("com.acme", "lib"), PackageVersion: "1.0"}
	desc, err := f.svc.DescribePackageVersion(ctx, admin, ref)
	if err != nil || desc.PackageVersion.Summary != "The lib." {
		t.Fatalf("DescribePackageVersion: %+v %v", desc, err)
	}
	deps, err := f.svc.ListPackageVersionDependencies(ctx, admin, service.ListPackageVersionDependenciesInput{VersionRef: ref})
	if err != nil || len(deps.Dependencies) != 1 || deps.Dependencies[0] != (model.Dependency{Namespace: "org.x", Package: "dep", DependencyType: "compile", VersionRequirement: "2.0"}) {
		t.Fatalf("ListPackageVersionDependencies: %+v %v", deps, err)
	}

	// Re-deploying identical bytes is fine; different bytes conflict.
	f.expect("PUT", dir+"lib-1.0.jar", jar, 201)
	f.expect("PUT", dir+"lib-1.0.jar", jarOf("other bytes"), 409)
	// A classifier joins the finished version.
	f.expect("PUT", dir+"lib-1.0-sources.jar", jarOf("sources"), 201)
	f.expect("GET", dir+"lib-1.0-sources.jar", nil, 200)
}

func TestBadUploadsChangeNothing(t *testing.T) {
	f := newFixture(t)
	dir := "com/acme/lib/1.0/"
	tests := []struct {
		name   string
		method string
		path   string
		body   []byte
		want   int
	}{
		{"malformed POM", "PUT", dir + "lib-1.0.pom", []byte("<project><groupId>com.acme"), 400},
		{"POM for another artifact", "PUT", dir + "lib-1.0.pom", pom("com.acme", "other", "1.0", ""), 400},
		{"POM for another version", "PUT", dir + "lib-1.0.pom", pom("com.acme", "lib", "2.0", ""), 400},
		{"POM for another group", "PUT", dir + "lib-1.0.pom", pom("com.other", "lib", "1.0", ""), 400},
		{"file not named after the artifact", "PUT", dir + "other-1.0.jar", []byte("x"), 400},
		{"file without extension", "PUT", dir + "lib-1.0", []byte("x"), 400},
		{"encoded dot-dot", "PUT", "com/acme/%2e%2e/lib/1.0/lib-1.0.jar", []byte("x"), 400},
		{"encoded slash", "PUT", "com/acme%2Flib/1.0/lib-1.0.jar", []byte("x"), 400},
		{"NUL", "PUT", dir + "lib-1.0.jar%00", []byte("x"), 400},
		{"malformed metadata", "PUT", "com/acme/lib/maven-metadata.xml", []byte("<metadata><versioning>"), 400},
		{"metadata for another artifact", "PUT", "com/acme/lib/maven-metadata.xml", artifactMetadata("com.acme", "other", "1.0"), 400},
		{"checksum of a file never uploaded", "PUT", dir + "lib-1.0.jar.sha1", []byte(strings.Repeat("0", 40)), 404},
		{"checksum that is not hex", "PUT", dir + "lib-1.0.jar.sha1", []byte("not a checksum"), 400},
		{"DELETE", "DELETE", dir + "lib-1.0.jar", nil, 405},
		{"GET of an unsafe path", "GET", "com/acme/%2e%2e/%2e%2e/x/1/x-1.jar", nil, 400},
		{"GET of a directory", "GET", "com/acme/lib/", nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body, _ := f.do(tt.method, tt.path, tt.body)
			if st != tt.want {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, st, body, tt.want)
			}
			if st >= 400 && !bytes.Contains(body, []byte(`"error"`)) {
				t.Fatalf("error without a message: %s", body)
			}
			if got := f.statuses("com.acme", "lib"); len(got) != 0 {
				t.Fatalf("something was stored: %v", got)
			}
		})
	}

	// A wrong checksum for a stored file is refused.
	jar := jarOf("jar bytes")
	f.expect("PUT", dir+"lib-1.0.jar", jar, 201)
	f.expect("PUT", dir+"lib-1.0.jar.sha1", []byte(strings.Repeat("0", 40)), 400)
	f.expect("PUT", dir+"lib-1.0.jar.sha512", []byte(sums(jar)["sha512"]), 201)
	// A malformed POM for an existing version leaves it as it was.
	f.expect("PUT", dir+"lib-1.0.pom", []byte("junk"), 400)
	assets, err := f.svc.ListPackageVersionAssets(ctx, admin, service.ListPackageVersionAssetsInput{VersionRef: service.VersionRef{PackageRef: f.ref("com.acme", "lib"), PackageVersion: "1.0"}})
	if err != nil || len(assets.Assets) != 1 || assets.Assets[0].Name != "lib-1.0.jar" {
		t.Fatalf("assets after refused uploads: %+v %v", assets, err)
	}
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t)
	for _, tok := range []string{"", "wrong-token"} {
		st, _, hd := f.doAs(tok, "PUT", "com/acme/lib/1.0/lib-1.0.jar", []byte("x"))
		if st != 401 || !strings.HasPrefix(hd.Get("WWW-Authenticate"), "Basic") {
			t.Fatalf("token %q: %d %v, want 401 with a Basic challenge", tok, st, hd)
		}
	}
	if got := f.statuses("com.acme", "lib"); len(got) != 0 {
		t.Fatalf("unauthenticated upload stored %v", got)
	}
}

func TestStatusesAndListing(t *testing.T) {
	f := newFixture(t)
	for _, v := range []string{"1.0", "1.1", "2.0"} {
		f.expect("PUT", "g/a/"+v+"/a-"+v+".jar", jarOf("jar "+v), 201)
	}
	// Only listed versions are finished.
	f.expect("PUT", "g/a/maven-metadata.xml", artifactMetadata("g", "a", "1.0", "1.1"), 201)
	want := map[string]model.Status{"1.0": model.StatusPublished, "1.1": model.StatusPublished, "2.0": model.StatusUnfinished}
	if got := f.statuses("g", "a"); len(got) != 3 || got["1.0"] != want["1.0"] || got["1.1"] != want["1.1"] || got["2.0"] != want["2.0"] {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	listed := func() []string {
		m, err := ParseMetadata(f.expect("GET", "g/a/maven-metadata.xml", nil, 200))
		if err != nil {
			t.Fatal(err)
		}
		return m.Versions()
	}
	if got := listed(); strings.Join(got, ",") != "1.0,1.1" {
		t.Fatalf("listed %v", got)
	}

	tests := []struct {
		status       model.Status
		downloadable bool
		listed       string
	}{
		{model.StatusUnlisted, true, "1.0"},
		{model.StatusArchived, false, "1.0"},
		{model.StatusPublished, true, "1.0,1.1"},
	}
	for _, tt := range tests {
		f.setStatus("g", "a", "1.1", tt.status)
		want := 404
		if tt.downloadable {
			want = 200
		}
		f.expect("GET", "g/a/1.1/a-1.1.jar", nil, want)
		f.expect("GET", "g/a/1.1/a-1.1.jar.sha1", nil, want)
		if got := strings.Join(listed(), ","); got != tt.listed {
			t.Fatalf("%s: listed %s, want %s", tt.status, got, tt.listed)
		}
	}
	// Archived versions refuse uploads.
	f.setStatus("g", "a", "1.1", model.StatusArchived)
	f.expect("PUT", "g/a/1.1/a-1.1-sources.jar", jarOf("s"), 409)
	if got := strings.Join(listed(), ","); got != "1.0" {
		t.Fatalf("archived: listed %s", got)
	}

	// A change made through another replica (no OnChange here) is seen:
	// the cached document is checked against the package Generation.
	if _, err := f.other.UpdatePackageVersionsStatus(ctx, admin, service.UpdatePackageVersionsStatusInput{PackageRef: f.ref("g", "a"), Versions: []string{"1.1"}, TargetStatus: model.StatusPublished}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(listed(), ","); got != "1.0,1.1" {
		t.Fatalf("after another replica's change: listed %s", got)
	}

	// Deleted: gone, and may be deployed again with new bytes.
	if _, err := f.svc.DeletePackageVersions(ctx, admin, service.DeletePackageVersionsInput{PackageRef: f.ref("g", "a"), Versions: []string{"1.1"}}); err != nil {
		t.Fatal(err)
	}
	f.expect("GET", "g/a/1.1/a-1.1.jar", nil, 404)
	f.expect("PUT", "g/a/1.1/a-1.1.jar", jarOf("new bytes"), 201)
}

func TestSnapshotDeploys(t *testing.T) {
	f := newFixture(t)
	dir := "com/acme/lib/1.0-SNAPSHOT/"
	f.expect("GET", dir+"maven-metadata.xml", nil, 404)
	build := func(ts string, n string) {
		f.expect("PUT", dir+"lib-1.0-"+ts+"-"+n+".jar", jarOf("jar "+ts), 201)
		f.expect("PUT", dir+"lib-1.0-"+ts+"-"+n+".pom", pom("com.acme", "lib", "1.0-SNAPSHOT", ""), 201)
		f.expect("PUT", dir+"maven-metadata.xml", []byte(`<metadata modelVersion="1.1.0"><groupId>com.acme</groupId><artifactId>lib</artifactId><version>1.0-SNAPSHOT</version><versioning><snapshot><timestamp>`+ts+`</timestamp><buildNumber>`+n+`</buildNumber></snapshot></versioning></metadata>`), 201)
		f.expect("PUT", "com/acme/lib/maven-metadata.xml", artifactMetadata("com.acme", "lib", "1.0-SNAPSHOT"), 201)
	}
	snapshot := func() *snapshot {
		md := f.expect("GET", dir+"maven-metadata.xml", nil, 200)
		m, err := ParseMetadata(md)
		if err != nil || m.Versioning == nil || m.Versioning.Snapshot == nil {
			t.Fatalf("version metadata %s: %v", md, err)
		}
		return m.Versioning.Snapshot
	}
	build("20261127.101500", "1")
	if s := snapshot(); s.Timestamp != "20261127.101500" || s.BuildNumber != "1" {
		t.Fatalf("snapshot %+v", s)
	}
	// The next build adds files to the Published SNAPSHOT.
	build("20261127.111500", "2")
	if s := snapshot(); s.Timestamp != "20261127.111500" || s.BuildNumber != "2" {
		t.Fatalf("snapshot %+v", s)
	}
	if got := f.expect("GET", dir+"lib-1.0-20261127.111500-2.jar", nil, 200); !bytes.Equal(got, jarOf("jar 20261127.111500")) {
		t.Fatalf("build 2 jar = %q", got)
	}
	f.expect("GET", dir+"lib-1.0-20261127.101500-1.jar", nil, 200)
	if st := f.statuses("com.acme", "lib"); len(st) != 1 || st["1.0-SNAPSHOT"] != model.StatusPublished {
		t.Fatalf("statuses %v", st)
	}
	md := f.expect("GET", "com/acme/lib/maven-metadata.xml", nil, 200)
	if !bytes.Contains(md, []byte("<latest>1.0-SNAPSHOT</latest>")) || bytes.Contains(md, []byte("<release>")) {
		t.Fatalf("artifact metadata %s", md)
	}
	// A version-level document about another version is refused.
	f.expect("PUT", dir+"maven-metadata.xml", []byte(`<metadata><groupId>com.acme</groupId><artifactId>lib</artifactId><version>2.0-SNAPSHOT</version></metadata>`), 400)
}
