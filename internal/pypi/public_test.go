package pypi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/archive/archivetest"
	"github.com/wharf-dev/wharf/internal/format/formattest"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/publiccache"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/upstreamtest"
)

var (
	sumA = strings.Repeat("a", 64)
	sumB = strings.Repeat("b", 64)
)

func TestFileVersion(t *testing.T) {
	tests := []struct {
		project, filename, want string
		ok                      bool
	}{
		{"demo", "demo-1.0-py3-none-any.whl", "1.0", true},
		{"Wharf-Demo", "wharf_demo-2.0rc1-1-py3-none-any.whl", "2.0rc1", true},
		{"demo", "demo-1.0.tar.gz", "1.0", true},
		{"demo", "demo-1.0.zip", "1.0", true},
		{"foo-bar", "foo-bar-1.2.3.tar.gz", "1.2.3", true},
		{"foo-bar", "Foo_Bar-1.2.3.post1.tar.gz", "1.2.3.post1", true},
		{"demo", "other-1.0-py3-none-any.whl", "", false},
		{"demo", "demo-1.0-py2.7.egg", "", false},
		{"demo", "demo-1.0.win32.exe", "", false},
		{"demo", "demo-notaversion.tar.gz", "", false},
		{"demo", "demo-1.0-py3-any.whl", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.filename, func(t *testing.T) {
			got, ok := fileVersion(tt.project, tt.filename)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("fileVersion(%q, %q) = %q, %v; want %q, %v", tt.project, tt.filename, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestPublicPageURL(t *testing.T) {
	for _, base := range []string{"https://idx.example/pypi", "https://idx.example/pypi/", "https://idx.example/pypi/simple", "https://idx.example/pypi/simple/"} {
		p, err := newPublicRegistry(base, publiccache.Options{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.pageURL("demo-pkg"); got != "https://idx.example/pypi/simple/demo-pkg/" {
			t.Errorf("base %s: page URL %s", base, got)
		}
		p.docs.Close()
	}
	if _, err := newPublicRegistry("not a url", publiccache.Options{Dir: t.TempDir()}); err == nil {
		t.Error("a base URL without a host was taken")
	}
}

func TestFileBases(t *testing.T) {
	tests := []struct {
		base string
		want []string
	}{
		{"https://pypi.org", []string{"https://pypi.org", pythonHosted}},
		{"https://PyPI.org/", []string{"https://PyPI.org", pythonHosted}},
		{"http://127.0.0.1:8080/mirror", []string{"http://127.0.0.1:8080"}},
		{"https://mirror.example/pypi", []string{"https://mirror.example"}},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.base)
		if err != nil {
			t.Fatal(err)
		}
		if got := fileBases(u); !slices.Equal(got, tt.want) {
			t.Errorf("fileBases(%s) = %v, want %v", tt.base, got, tt.want)
		}
	}
}

func TestDecodePublicPage(t *testing.T) {
	const page = "https://idx.example/simple/demo/"
	bases := []string{"https://idx.example", pythonHosted}
	jsonPage := `{"meta":{"api-version":"1.1"},"name":"demo","files":[
	 {"filename":"demo-1.0-py3-none-any.whl","url":"https://files.pythonhosted.org/packages/aa/demo-1.0-py3-none-any.whl","hashes":{"sha256":"` + strings.ToUpper(sumA) + `"},
	  "requires-python":">=3.8","core-metadata":{"sha256":"` + sumB + `"},"yanked":false,"size":12,"upload-time":"2024-01-02T03:04:05.000000Z"},
	 {"filename":"demo-1.0.0.tar.gz","url":"../../packages/demo-1.0.0.tar.gz","hashes":{"sha256":"` + sumB + `"},"requires-python":null,"yanked":"broken build","dist-info-metadata":true},
	 {"filename":"demo-2.0.tar.gz","url":"/packages/demo-2.0.tar.gz","hashes":{"md5":"00"},"yanked":true},
	 {"filename":"demo-3.0.tar.gz","url":"https://evil.example/demo-3.0.tar.gz","hashes":{"sha256":"` + sumA + `"}},
	 {"filename":"demo-1.0-py2.7.egg","url":"/packages/demo-1.0-py2.7.egg","hashes":{"sha256":"` + sumA + `"}},
	 {"filename":"other-1.0.tar.gz","url":"/packages/other-1.0.tar.gz","hashes":{"sha256":"` + sumA + `"}},
	 {"filename":"demo-4.0.tar.gz","url":"/packages/demo-4.0.tar.gz","hashes":{"sha256":"` + sumA + `"},"yanked":true}
	]}`
	htmlPage := `<!DOCTYPE html><html><head><title>Links for demo</title></head><body>
	<A HREF="https://files.pythonhosted.org/packages/aa/demo-1.0-py3-none-any.whl#sha256=` + sumA + `" data-requires-python="&gt;=3.8" data-core-metadata="sha256=` + sumB + `">demo-1.0-py3-none-any.whl</A><br/>
	<a data-yanked="broken build" href='../../packages/demo-1.0.0.tar.gz#sha256=` + sumB + `' data-dist-info-metadata=true>demo-1.0.0.tar.gz</a>
	<a href="/packages/demo-2.0.tar.gz#md5=00">demo-2.0.tar.gz</a>
	<a href="https://evil.example/demo-3.0.tar.gz#sha256=` + sumA + `">demo-3.0.tar.gz</a>
	<a href=/packages/demo-4.0.tar.gz#sha256=` + sumA + ` data-yanked>demo-4.0.tar.gz</a>
	<abbr>not a link</abbr>
	</body></html>`
	want := []publicFile{
		{Filename: "demo-1.0-py3-none-any.whl", URL: "https://files.pythonhosted.org/packages/aa/demo-1.0-py3-none-any.whl", SHA256: sumA,
			Version: "1.0", RequiresPython: ">=3.8", CoreMetadata: sumB},
		// 1.0.0 is PEP 440's 1.0: the first file's spelling is shared.
		{Filename: "demo-1.0.0.tar.gz", URL: "https://idx.example/packages/demo-1.0.0.tar.gz", SHA256: sumB, Version: "1.0",
			Yanked: true, YankedReason: "broken build"},
		{Filename: "demo-4.0.tar.gz", URL: "https://idx.example/packages/demo-4.0.tar.gz", SHA256: sumA, Version: "4.0", Yanked: true},
	}
	for _, tt := range []struct{ name, body string }{{"json", jsonPage}, {"html", htmlPage}} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := decodePublicPage(page, "demo", []byte(tt.body), bases)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Files) != len(want) {
				t.Fatalf("files %+v, want %+v", p.Files, want)
			}
			for i, f := range p.Files {
				f.Size, f.Uploaded = 0, time.Time{} // JSON only
				if f.key != keyOf(f.Version) {
					t.Errorf("file %d: key %q for version %q", i, f.key, f.Version)
				}
				f.key = ""
				if f != want[i] {
					t.Errorf("file %d:\n got %+v\nwant %+v", i, f, want[i])
				}
			}
			if !p.hasVersion("1.0.0") || !p.hasVersion("4") || p.hasVersion("2.0") || p.hasVersion("3.0") {
				t.Errorf("hasVersion wrong: %v", p.byKey)
			}
			if p.file("demo-4.0.tar.gz") == nil || p.file("demo-2.0.tar.gz") != nil {
				t.Errorf("file lookup wrong")
			}
		})
	}
	if p, _ := decodePublicPage(page, "demo", []byte(jsonPage), bases); p.Files[0].Size != 12 || !p.Files[0].Uploaded.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("JSON size and upload time: %+v", p.Files[0])
	}
	for _, bad := range []string{`{"meta":{"api-version":"2.0"},"files":[]}`, `{"files":`, `{"meta":{},"files":[]}`} {
		if _, err := decodePublicPage(page, "demo", []byte(bad), bases); err == nil {
			t.Errorf("decoded %s", bad)
		}
	}
}

func TestMergeProject(t *testing.T) {
	pub := model.StatusPublished
	ext := func(id int64, v string) *model.Version {
		return &model.Version{ID: id, Version: v, Status: pub, OriginType: model.OriginExternal, OriginExternal: pypiConnection}
	}
	index := &publicProject{Files: []publicFile{
		{Filename: "demo-1.0-py3-none-any.whl", SHA256: sumA, Version: "1.0"},
		{Filename: "demo-1.0.tar.gz", SHA256: sumB, Version: "1.0"},
		{Filename: "demo-2.0.tar.gz", SHA256: sumA, Version: "2.0", Yanked: true},
		{Filename: "demo-3.0.tar.gz", SHA256: sumB, Version: "3.0"},
	}}
	index.byKey = map[string][]int{}
	for i := range index.Files {
		f := &index.Files[i]
		f.key = keyOf(f.Version)
		index.byKey[f.key] = append(index.byKey[f.key], i)
	}
	tests := []struct {
		name      string
		chain     []service.ChainEntry
		pub       *publicProject
		wantFiles []string // file@version
		wantFound bool
	}{
		{"index only", chainOf(entry("team", ""), entry("store", pypiConnection)), index,
			[]string{"demo-1.0-py3-none-any.whl@1.0", "demo-1.0.tar.gz@1.0", "demo-2.0.tar.gz@2.0", "demo-3.0.tar.gz@3.0"}, true},
		{"a repository's own copy wins over the index", chainOf(entry("team", "", upVer(1, "1.0.0", pub)), entry("store", pypiConnection)), index,
			[]string{"demo-1.0.0-team.whl@1.0.0", "demo-2.0.tar.gz@2.0", "demo-3.0.tar.gz@3.0"}, true},
		{"a copy that came through the connection lists the files it lacks", chainOf(entry("team", "", ext(1, "1.0")), entry("store", pypiConnection)), index,
			[]string{"demo-1.0-py3-none-any.whl@1.0", "demo-1.0-team.whl@1.0", "demo-1.0.tar.gz@1.0", "demo-2.0.tar.gz@2.0", "demo-3.0.tar.gz@3.0"}, true},
		{"unlisted nearer hides the index's copy", chainOf(entry("store", pypiConnection, upVer(1, "3.0", model.StatusUnlisted))), index,
			[]string{"demo-1.0-py3-none-any.whl@1.0", "demo-1.0.tar.gz@1.0", "demo-2.0.tar.gz@2.0"}, true},
		{"the index wins over repositories further on", chainOf(entry("team", ""), entry("store", pypiConnection), entry("far", "", upVer(1, "3.0", pub), upVer(2, "4.0", pub))), index,
			[]string{"demo-1.0-py3-none-any.whl@1.0", "demo-1.0.tar.gz@1.0", "demo-2.0.tar.gz@2.0", "demo-3.0.tar.gz@3.0", "demo-4.0-far.whl@4.0"}, true},
		{"index unread", chainOf(entry("team", "", upVer(1, "1.0", pub)), entry("store", pypiConnection)), nil,
			[]string{"demo-1.0-team.whl@1.0"}, true},
		{"nowhere", chainOf(entry("team", ""), entry("store", pypiConnection)), nil, nil, false},
		{"only unlisted: found, empty", chainOf(entry("team", "", upVer(1, "1.0", model.StatusUnlisted))), nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, found, err := mergeProject(tt.chain, tt.pub, "demo")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range p.Files {
				got = append(got, f.Filename+"@"+f.Version)
			}
			if found != tt.wantFound || !slices.Equal(got, tt.wantFiles) {
				t.Fatalf("files %v found %v, want %v %v", got, found, tt.wantFiles, tt.wantFound)
			}
			if tt.pub != nil && !slices.Contains(p.Versions, "2.0") {
				t.Errorf("versions %v lack the index's 2.0", p.Versions)
			}
		})
	}
}

// publicEnv is the PyPI endpoint whose repository has public:pypi, served
// by the stand-in index.
type publicEnv struct {
	*testEndpoint
	index *upstreamtest.PyPI
}

func newPublicEnv(t *testing.T) *publicEnv {
	t.Helper()
	index := upstreamtest.NewPyPI()
	return newPublicEnvWith(t, index, index)
}

// newPublicEnvWith is newPublicEnv with h serving the index.
func newPublicEnvWith(t *testing.T, index *upstreamtest.PyPI, h http.Handler) *publicEnv {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	fx := formattest.New(t, Format, formattest.Options{URLs: map[string]string{pypiConnection: srv.URL}})
	e := &testEndpoint{fx: fx, svc: fx.Service, mux: fx.Mux, token: fx.Token, base: service.EndpointPath(model.FormatPyPI, formattest.Domain, account, formattest.Repository)}
	if _, err := e.svc.AssociateExternalConnection(context.Background(), admin, service.ExternalConnectionInput{
		RepositoryInput: service.RepositoryInput{Domain: formattest.Domain, Repository: formattest.Repository}, ExternalConnection: pypiConnection}); err != nil {
		t.Fatal(err)
	}
	return &publicEnv{testEndpoint: e, index: index}
}

func (e *publicEnv) add(t *testing.T, filename string, data []byte) {
	t.Helper()
	if err := e.index.Add(filename, data); err != nil {
		t.Fatal(err)
	}
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestPublicIndex: a repository with public:pypi lists the index's files
// with links to itself, fetches a file when first asked (verified,
// ingested EXTERNAL, a second file completing the version), asks the
// index again for a file its cached page lacks, refuses bytes that fail
// the index's sha256 (502, nothing kept), keeps serving what it fetched
// while the index is down, and refuses a publish of a version the index
// has.
func TestPublicIndex(t *testing.T) {
	e := newPublicEnv(t)
	ctx := context.Background()
	const whl, sdist = "wharf_demo-1.0-py3-none-any.whl", "Wharf_Demo-1.0.tar.gz"
	wheel, sd := wheelContent("1.0", "a"), sdistContent("1.0", "a")
	e.add(t, whl, wheel)
	e.add(t, sdist, sd)
	e.add(t, "wharf_demo-4.0-py3-none-any.whl", wheelContent("4.0", "d"))

	// A publish of a version the index has is a conflict.
	if w := e.upload(t, "wharf-demo", "4.0", "wharf_demo-4.0-py3-none-any.whl", wheelContent("4.0", "d"), "mine"); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), pypiConnection) {
		t.Fatalf("publish of a version the index has: %d %s", w.Code, w.Body)
	}

	w := e.do(http.MethodGet, "simple/wharf-demo/", nil, "Accept", typeJSON)
	if w.Code != 200 {
		t.Fatalf("page: %d %s", w.Code, w.Body)
	}
	var doc jsonProject
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Files) != 3 || doc.Files[1].URL != "../../files/wharf-demo/1.0/"+whl || doc.Files[1].Hashes["sha256"] != hexSHA256(wheel) || !slices.Equal(doc.Versions, []string{"1.0", "4.0"}) {
		t.Fatalf("page lists %+v", doc)
	}
	if h := e.do(http.MethodGet, "simple/wharf-demo/", nil).Body.String(); !strings.Contains(h, `href="../../files/wharf-demo/1.0/`+whl+`#sha256=`+hexSHA256(wheel)+`"`) {
		t.Fatalf("HTML page:\n%s", h)
	}
	if _, err := e.svc.ViewPackage(ctx, admin, e.fx.Ref("", "wharf-demo"), service.ViewOptions{}); err == nil {
		t.Fatal("reading the page ingested something")
	}

	// First file: fetched and ingested; the second completes the version.
	for _, f := range []struct {
		name string
		data []byte
	}{{whl, wheel}, {sdist, sd}} {
		w := e.do(http.MethodGet, "files/wharf-demo/1.0/"+f.name, nil)
		if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), f.data) {
			t.Fatalf("GET %s: %d %q", f.name, w.Code, w.Body.String()[:min(w.Body.Len(), 200)])
		}
	}
	vv, err := e.svc.ViewVersion(ctx, admin, e.fx.Ref("", "wharf-demo"), "1.0", service.ViewOptions{WithAssets: true})
	if err != nil {
		t.Fatal(err)
	}
	if v := vv.Version; v.OriginType != model.OriginExternal || v.OriginExternal != pypiConnection || len(vv.Assets) != 2 {
		t.Fatalf("ingested %+v with %d assets", v, len(vv.Assets))
	}
	dv, err := e.svc.DescribePackageVersion(ctx, admin, service.VersionRef{PackageRef: e.fx.Ref("", "wharf-demo"), PackageVersion: "1.0"})
	if err != nil || dv.PackageVersion.Summary != "s" || dv.PackageVersion.DisplayName != "Wharf_Demo" {
		t.Fatalf("the ingested version's metadata (from the wheel's METADATA): %+v %v", dv, err)
	}
	fetched := e.index.Total()

	// Released after the page was cached: asking for the file refetches
	// the page (at most once per MinRefetch).
	time.Sleep(publiccache.DefaultMinRefetch + 100*time.Millisecond)
	wheel2 := wheelContent("2.0", "b")
	e.add(t, "wharf_demo-2.0-py3-none-any.whl", wheel2)
	if w := e.do(http.MethodGet, "files/wharf-demo/2.0/wharf_demo-2.0-py3-none-any.whl", nil); w.Code != 200 || !bytes.Equal(w.Body.Bytes(), wheel2) {
		t.Fatalf("GET a file released after the page was cached: %d %s", w.Code, w.Body)
	}
	if e.index.Total() == fetched {
		t.Fatal("the index was not asked again")
	}

	// Corrupted bytes: 502, nothing kept.
	e.add(t, "wharf_demo-3.0-py3-none-any.whl", wheelContent("3.0", "c"))
	e.index.Corrupt("wharf_demo-3.0-py3-none-any.whl")
	time.Sleep(publiccache.DefaultMinRefetch + 100*time.Millisecond)
	blobs := e.blobCount(t)
	if w := e.do(http.MethodGet, "files/wharf-demo/3.0/wharf_demo-3.0-py3-none-any.whl", nil); w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), "sha256") {
		t.Fatalf("corrupted file: %d %s", w.Code, w.Body)
	}
	if _, err := e.svc.ViewVersion(ctx, admin, e.fx.Ref("", "wharf-demo"), "3.0", service.ViewOptions{}); err == nil {
		t.Fatal("a corrupted file was ingested")
	}
	if n := e.blobCount(t); n != blobs {
		t.Fatalf("blobs %d after a refused file, want %d", n, blobs)
	}
	// A file the index does not list, under a version it has.
	if w := e.do(http.MethodGet, "files/wharf-demo/1.0/wharf_demo-1.0-py2-none-any.whl", nil); w.Code != 404 {
		t.Fatalf("unlisted file: %d %s", w.Code, w.Body)
	}

	// The index down: what was fetched is served, a project never
	// fetched is a 502.
	e.index.SetOutage(upstreamtest.Unavailable)
	if w := e.do(http.MethodGet, "simple/wharf-demo/", nil); w.Code != 200 || !strings.Contains(w.Body.String(), whl) {
		t.Fatalf("page with the index down: %d %s", w.Code, w.Body)
	}
	if w := e.do(http.MethodGet, "files/wharf-demo/1.0/"+whl, nil); w.Code != 200 {
		t.Fatalf("fetched file with the index down: %d %s", w.Code, w.Body)
	}
	if w := e.do(http.MethodGet, "simple/never-fetched/", nil); w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), pypiConnection) {
		t.Fatalf("new project with the index down: %d %s", w.Code, w.Body)
	}
	e.index.SetOutage(upstreamtest.Up)

	// upstream=BLOCK: only what the repository holds lists and downloads.
	if _, err := e.svc.PutPackageOriginConfiguration(ctx, admin, service.PutPackageOriginConfigurationInput{PackageRef: e.fx.Ref("", "wharf-demo"),
		Restrictions: model.OriginRestrictions{Publish: model.Allow, Upstream: model.Block}}); err != nil {
		t.Fatal(err)
	}
	if page := e.do(http.MethodGet, "simple/wharf-demo/", nil).Body.String(); !strings.Contains(page, whl) || strings.Contains(page, "wharf_demo-4.0") {
		t.Fatalf("page with upstream=BLOCK:\n%s", page)
	}
	if w := e.do(http.MethodGet, "files/wharf-demo/4.0/wharf_demo-4.0-py3-none-any.whl", nil); w.Code != http.StatusNotFound {
		t.Fatalf("public file with upstream=BLOCK: %d %s", w.Code, w.Body)
	}
}

func TestReadCoreFields(t *testing.T) {
	doc := "Metadata-Version: 2.1\nName: Demo_Pkg\nVersion: 1.0\nSummary: A demo\nHome-page: https://demo.example\n" +
		"Requires-Python: >=3.8\nRequires-Dist: mdurl (~=0.1)\nRequires-Dist: rich ; extra == \"cli\"\n" +
		"Classifier: License :: OSI Approved :: MIT License\nProject-URL: Source, https://git.example/demo\n\n# Demo\n\nThe readme.\n"
	tests := []struct {
		name    string
		file    string
		data    []byte
		wantErr bool
	}{
		{"wheel", "demo_pkg-1.0-py3-none-any.whl", archivetest.Zip(
			archivetest.File{Name: "demo_pkg/__init__.py", Body: ""},
			archivetest.File{Name: "demo_pkg-1.0.dist-info/METADATA", Body: doc}), false},
		{"sdist", "demo_pkg-1.0.tar.gz", archivetest.TarGz(archivetest.File{Name: "demo_pkg-1.0/PKG-INFO", Body: doc}), false},
		{"zip sdist", "demo_pkg-1.0.zip", archivetest.Zip(archivetest.File{Name: "demo_pkg-1.0/PKG-INFO", Body: doc}), false},
		{"wheel without METADATA", "demo_pkg-1.0-py3-none-any.whl", archivetest.Zip(archivetest.File{Name: "demo_pkg/METADATA", Body: doc}), true},
		{"not an archive", "demo_pkg-1.0.tar.gz", []byte("nope"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.CreateTemp(t.TempDir(), "dist")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			f.Write(tt.data)
			f.Seek(0, io.SeekStart)
			md, err := distMetadata(f, int64(len(tt.data)), tt.file)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("read metadata %+v from a broken distribution", md)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if md.DisplayName != "Demo_Pkg" || md.Summary != "A demo" || md.HomePage != "https://demo.example" ||
				md.SourceCodeRepo != "https://git.example/demo" || len(md.Licenses) != 1 || md.Licenses[0].Name != "MIT License" ||
				len(md.Dependencies) != 2 || md.Dependencies[0].Package != "mdurl" || !strings.Contains(md.Readme, "The readme.") {
				t.Fatalf("metadata %+v", md)
			}
			if !strings.Contains(string(md.FormatMetadata), `"requires_python":"\u003e=3.8"`) && !strings.Contains(string(md.FormatMetadata), `"requires_python":">=3.8"`) {
				t.Fatalf("format metadata %s", md.FormatMetadata)
			}
		})
	}
}

func TestRenderYanked(t *testing.T) {
	p := &project{Name: "demo", Versions: []string{"1.0", "2.0"}, Files: []distFile{
		{Filename: "demo-1.0.tar.gz", Version: "1.0", SHA256: sumA, Yanked: true},
		{Filename: "demo-2.0.tar.gz", Version: "2.0", SHA256: sumB, Yanked: true, YankedReason: `broken "build"`},
		{Filename: "demo-3.0.tar.gz", Version: "3.0", SHA256: sumB},
	}}
	h := string(renderProjectHTML(p))
	for _, want := range []string{`demo-1.0.tar.gz#sha256=` + sumA + `" data-yanked="">`, `data-yanked="broken &#34;build&#34;">demo-2.0.tar.gz`, sumB + `">demo-3.0.tar.gz`} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %s:\n%s", want, h)
		}
	}
	var doc struct {
		Files []struct {
			Yanked any `json:"yanked"`
		} `json:"files"`
	}
	if err := json.Unmarshal(renderProjectJSON(p), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Files[0].Yanked != true || doc.Files[1].Yanked != `broken "build"` || doc.Files[2].Yanked != nil {
		t.Errorf("JSON yanked: %+v", doc.Files)
	}
	// What Wharf renders, it reads back.
	for _, body := range [][]byte{renderProjectHTML(p), renderProjectJSON(p)} {
		got, err := decodePublicPage("http://w.example/simple/demo/", "demo", body, []string{"http://w.example"})
		if err != nil || len(got.Files) != 3 || !got.Files[0].Yanked || got.Files[1].YankedReason != `broken "build"` || got.Files[2].Yanked {
			t.Errorf("read back %+v %v", got, err)
		}
	}
}

// TestPublicLookup: the publish lookup answers within its caller's
// deadline, the fetch going on to fill the cache; versions compare as
// PEP 440 versions; a project the index lacks has no version.
func TestPublicLookup(t *testing.T) {
	index := upstreamtest.NewPyPI()
	if err := index.Add("wharf_demo-1.0-py3-none-any.whl", wheelContent("1.0", "a")); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(index)
	defer srv.Close()
	p, err := newPublicRegistry(srv.URL, publiccache.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.docs.Close()
	key := model.PackageKey{Format: model.FormatPyPI, Name: "wharf-demo"}
	index.SetDelay(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := p.hasVersion(ctx, key, "1.0"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lookup past its deadline: %v", err)
	}
	index.SetDelay(0)
	for _, tt := range []struct {
		name, version string
		want          bool
	}{{"wharf-demo", "1.0.0", true}, {"wharf-demo", "1.0", true}, {"wharf-demo", "2.0", false}, {"absent", "1.0", false}} {
		got, err := p.hasVersion(context.Background(), model.PackageKey{Format: model.FormatPyPI, Name: tt.name}, tt.version)
		if err != nil || got != tt.want {
			t.Errorf("hasVersion(%s %s) = %v, %v; want %v", tt.name, tt.version, got, err, tt.want)
		}
	}
	if n := index.Requests("/simple/wharf-demo/"); n != 1 {
		t.Errorf("the index was asked %d times for the page, want 1 (the fetch outlived the first lookup)", n)
	}
}

// TestPublicIndexHTML: an index that serves only PEP 503 HTML works the
// same: its files are listed and fetched.
func TestPublicIndexHTML(t *testing.T) {
	index := upstreamtest.NewPyPI()
	var mu sync.Mutex
	var accepts []string
	e := newPublicEnvWith(t, index, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		accepts = append(accepts, r.Header.Get("Accept"))
		mu.Unlock()
		r.Header.Set("Accept", "text/html")
		index.ServeHTTP(w, r)
	}))
	const whl = "wharf_demo-1.0-py3-none-any.whl"
	wheel := wheelContent("1.0", "a")
	e.add(t, whl, wheel)
	if w := e.do(http.MethodGet, "simple/wharf-demo/", nil, "Accept", typeJSON); w.Code != 200 || !strings.Contains(w.Body.String(), `"url":"../../files/wharf-demo/1.0/`+whl+`"`) {
		t.Fatalf("page: %d %s", w.Code, w.Body)
	}
	if w := e.do(http.MethodGet, "files/wharf-demo/1.0/"+whl, nil); w.Code != 200 || !bytes.Equal(w.Body.Bytes(), wheel) {
		t.Fatalf("file: %d", w.Code)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(accepts) == 0 || accepts[0] != publicAccept {
		t.Errorf("asked the index with Accept %q, want %q", accepts, publicAccept)
	}
}

// TestPublicFileSharedFetch: concurrent first downloads of one file share
// one fetch from the index, and one version is ingested.
func TestPublicFileSharedFetch(t *testing.T) {
	e := newPublicEnv(t)
	const whl = "wharf_demo-1.0-py3-none-any.whl"
	wheel := wheelContent("1.0", "a")
	e.add(t, whl, wheel)
	e.index.SetDelay(50 * time.Millisecond) // the misses overlap
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Go(func() {
			w := e.do(http.MethodGet, "files/wharf-demo/1.0/"+whl, nil)
			if !bytes.Equal(w.Body.Bytes(), wheel) {
				codes[i] = -w.Code
				return
			}
			codes[i] = w.Code
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Fatalf("download %d: %d", i, c)
		}
	}
	fetches := 0
	for _, p := range e.index.Paths() {
		if strings.HasSuffix(p, "/"+whl) {
			fetches += e.index.Requests(p)
		}
	}
	if fetches != 1 {
		t.Fatalf("the index served the file %d times, want 1", fetches)
	}
	if got := e.index.Requests("/simple/wharf-demo/"); got != 1 {
		t.Fatalf("the index served the page %d times, want 1", got)
	}
}
