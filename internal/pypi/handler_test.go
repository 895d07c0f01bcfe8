package pypi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/format/formattest"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

const account = formattest.Account

var admin = formattest.Admin

// testEndpoint is the PyPI endpoint over a real service on real stores in
// a temporary folder (formattest).
type testEndpoint struct {
	fx    *formattest.Fixture
	svc   *service.Service
	mux   *http.ServeMux
	token string
	base  string // path of the endpoint, ending in "/"
}

func newTestEndpoint(tb testing.TB) *testEndpoint {
	tb.Helper()
	fx := formattest.New(tb, Format)
	return &testEndpoint{fx: fx, svc: fx.Service, mux: fx.Mux, token: fx.Token, base: service.EndpointPath(model.FormatPyPI, formattest.Domain, account, formattest.Repository)}
}

func (e *testEndpoint) do(method, path string, body io.Reader, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://wharf.test"+e.base+path, body)
	req.SetBasicAuth("aws", e.token)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, req)
	return w
}

// upload posts a file as twine does, with summary as the only metadata
// that varies.
func (e *testEndpoint) upload(tb testing.TB, name, version, filename string, content []byte, summary string) *httptest.ResponseRecorder {
	tb.Helper()
	sum := sha256.Sum256(content)
	filetype := fileWheel
	if strings.HasSuffix(filename, ".tar.gz") || strings.HasSuffix(filename, ".zip") {
		filetype = fileSdist
	}
	parts := []part{
		{name: ":action", value: "file_upload"}, {name: "protocol_version", value: "1"},
		{name: "name", value: name}, {name: "version", value: version}, {name: "filetype", value: filetype},
		{name: "summary", value: summary}, {name: "requires_python", value: ">=3.8"},
		{name: "sha256_digest", value: hex.EncodeToString(sum[:])},
		{name: "content", filename: filename, value: string(content)},
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		if p.filename != "" {
			w, _ = mw.CreateFormFile(p.name, p.filename)
		} else {
			w, _ = mw.CreateFormField(p.name)
		}
		io.WriteString(w, p.value)
	}
	mw.Close()
	return e.do(http.MethodPost, "", &buf, "Content-Type", mw.FormDataContentType())
}

// blobCount counts the files in the blob store, finished or not.
func (e *testEndpoint) blobCount(tb testing.TB) int { return e.fx.BlobCount(tb) }

func (e *testEndpoint) version(tb testing.TB, version string) *model.Version {
	tb.Helper()
	v, err := e.svc.ViewPackage(context.Background(), admin, service.PackageRef{Domain: "dom", DomainOwner: account, Repository: "repo", Format: model.FormatPyPI, Package: "wharf-demo"}, service.ViewOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	for _, ver := range v.Versions {
		if ver.Version == version {
			return ver
		}
	}
	tb.Fatalf("version %s not found", version)
	return nil
}

func TestUploadRules(t *testing.T) {
	e := newTestEndpoint(t)
	const whl, sdist = "wharf_demo-1.0-py3-none-any.whl", "Wharf_Demo-1.0.tar.gz"
	if w := e.upload(t, "Wharf_Demo", "1.0", whl, wheelContent("1.0", "a"), "first summary"); w.Code != 200 {
		t.Fatalf("first upload: %d %s", w.Code, w.Body)
	}
	rev := e.version(t, "1.0").Revision
	steps := []struct {
		name     string
		filename string
		content  []byte
		summary  string
		want     int
		sameRev  bool
	}{
		{"identical re-upload is a no-op", whl, wheelContent("1.0", "a"), "first summary", 200, true},
		{"identical re-upload with other metadata is still a no-op", whl, wheelContent("1.0", "a"), "changed summary", 200, true},
		{"different bytes under the same name", whl, wheelContent("1.0", "b"), "first summary", 409, true},
		{"a second file joins the version", sdist, sdistContent("1.0", "a"), "sdist summary", 200, false},
	}
	for _, s := range steps {
		w := e.upload(t, "wharf-demo", "1.0", s.filename, s.content, s.summary)
		if w.Code != s.want {
			t.Fatalf("%s: %d %s, want %d", s.name, w.Code, w.Body, s.want)
		}
		v := e.version(t, "1.0")
		if (v.Revision == rev) != s.sameRev {
			t.Fatalf("%s: revision changed=%v, want changed=%v", s.name, v.Revision != rev, !s.sameRev)
		}
		rev = v.Revision
		// The release's metadata is its first file's, as on PyPI.
		if v.Summary != "first summary" || v.DisplayName != "Wharf_Demo" {
			t.Fatalf("%s: summary %q display %q", s.name, v.Summary, v.DisplayName)
		}
	}
}

func TestSimpleEndpoint(t *testing.T) {
	e := newTestEndpoint(t)
	wheel := wheelContent("1.0", "a")
	for _, u := range []struct {
		version, file string
		content       []byte
	}{{"1.0", "wharf_demo-1.0-py3-none-any.whl", wheel}, {"1.0", "Wharf_Demo-1.0.tar.gz", sdistContent("1.0", "a")}, {"2.0", "wharf_demo-2.0-py3-none-any.whl", wheelContent("2.0", "2")}} {
		if w := e.upload(t, "Wharf_Demo", u.version, u.file, u.content, "s"); w.Code != 200 {
			t.Fatalf("upload %s: %d %s", u.file, w.Code, w.Body)
		}
	}
	sum := sha256.Sum256(wheel)
	wheelSHA := hex.EncodeToString(sum[:])
	tests := []struct {
		name     string
		method   string
		path     string
		hdr      []string
		status   int
		ctype    string
		location string
		bodyHas  []string
	}{
		{"index html", "GET", "simple/", nil, 200, "text/html; charset=utf-8", "", []string{`<a href="wharf-demo/">wharf-demo</a>`}},
		{"index json", "GET", "simple/", []string{"Accept", typeJSON}, 200, typeJSON, "", []string{`"projects":[{"name":"wharf-demo"}]`}},
		{"index without slash", "GET", "simple", nil, 301, "", "simple/", nil},
		{"project html", "GET", "simple/wharf-demo/", nil, 200, "text/html; charset=utf-8", "",
			[]string{`href="../../files/wharf-demo/1.0/wharf_demo-1.0-py3-none-any.whl#sha256=` + wheelSHA + `" data-requires-python="&gt;=3.8"`, "Wharf_Demo-1.0.tar.gz", "wharf_demo-2.0-py3-none-any.whl"}},
		{"project v1 html", "GET", "simple/wharf-demo/", []string{"Accept", typeHTML}, 200, typeHTML, "", []string{"Links for wharf-demo"}},
		{"project json", "GET", "simple/wharf-demo/", []string{"Accept", typeJSON + ", text/html;q=0.1"}, 200, typeJSON, "",
			[]string{`"versions":["1.0","2.0"]`, `"hashes":{"sha256":"` + wheelSHA + `"}`, `"requires-python":">=3.8"`}},
		{"project head", "HEAD", "simple/wharf-demo/", nil, 200, "text/html; charset=utf-8", "", nil},
		{"non-normalized", "GET", "simple/Wharf_Demo/", nil, 301, "", "../wharf-demo/", nil},
		{"non-normalized without slash", "GET", "simple/Wharf.Demo", nil, 301, "", "wharf-demo/", nil},
		{"no slash", "GET", "simple/wharf-demo", nil, 301, "", "wharf-demo/", nil},
		{"unknown project", "GET", "simple/nope/", nil, 404, "application/json", "", nil},
		{"invalid project name", "GET", "simple/-x-/", nil, 404, "", "", nil},
		{"nested path", "GET", "simple/wharf-demo/extra/", nil, 404, "", "", nil},
		{"file", "GET", "files/wharf-demo/1.0/wharf_demo-1.0-py3-none-any.whl", nil, 200, "application/octet-stream", "", []string{string(wheel)}},
		{"file by other spelling", "GET", "files/Wharf_Demo/1.0/wharf_demo-1.0-py3-none-any.whl", nil, 200, "application/octet-stream", "", nil},
		{"file revalidated", "GET", "files/wharf-demo/1.0/wharf_demo-1.0-py3-none-any.whl", []string{"If-None-Match", `"` + wheelSHA + `"`}, 304, "", "", nil},
		{"file range", "GET", "files/wharf-demo/1.0/wharf_demo-1.0-py3-none-any.whl", []string{"Range", "bytes=0-3"}, 206, "application/octet-stream", "", []string{"PK\x03\x04"}},
		{"file of another version", "GET", "files/wharf-demo/2.0/wharf_demo-1.0-py3-none-any.whl", nil, 404, "", "", nil},
		{"file short path", "GET", "files/wharf-demo/wharf_demo-1.0-py3-none-any.whl", nil, 404, "", "", nil},
		{"post to a page", "POST", "simple/", nil, 405, "", "", nil},
		{"get the upload url", "GET", "", nil, 405, "", "", nil},
		{"upload as json", "POST", "", []string{"Content-Type", "application/json"}, 400, "", "", []string{"multipart/form-data"}},
		{"unknown path", "GET", "pypi/wharf-demo/json", nil, 404, "", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(tc.method, tc.path, strings.NewReader(""), tc.hdr...)
			if w.Code != tc.status {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.path, w.Code, w.Body, tc.status)
			}
			if tc.ctype != "" && w.Header().Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type %q, want %q", w.Header().Get("Content-Type"), tc.ctype)
			}
			if w.Header().Get("Location") != tc.location {
				t.Errorf("Location %q, want %q", w.Header().Get("Location"), tc.location)
			}
			for _, s := range tc.bodyHas {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("body lacks %q:\n%s", s, w.Body)
				}
			}
		})
	}
}

func TestProjectPageFollowsChanges(t *testing.T) {
	e := newTestEndpoint(t)
	ctx := context.Background()
	ref := service.PackageRef{Domain: "dom", DomainOwner: account, Repository: "repo", Format: model.FormatPyPI, Package: "wharf-demo"}
	if w := e.upload(t, "wharf-demo", "1.0", "wharf_demo-1.0-py3-none-any.whl", wheelContent("1.0", "1"), "s"); w.Code != 200 {
		t.Fatal(w.Body)
	}
	first := e.do("GET", "simple/wharf-demo/", nil)
	tag := first.Header().Get("ETag")
	if w := e.do("GET", "simple/wharf-demo/", nil, "If-None-Match", tag); w.Code != 304 || w.Body.Len() != 0 {
		t.Fatalf("unchanged page = %d", w.Code)
	}
	setStatus := func(st model.Status) {
		t.Helper()
		_, err := e.svc.UpdatePackageVersionsStatus(ctx, admin, service.UpdatePackageVersionsStatusInput{PackageRef: ref, Versions: []string{"1.0"}, TargetStatus: st})
		if err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name   string
		change func()
		listed bool
	}{
		{"new version", func() {
			e.upload(t, "wharf-demo", "1.1", "wharf_demo-1.1-py3-none-any.whl", wheelContent("1.1", "2"), "s")
		}, true},
		{"archived", func() { setStatus(model.StatusArchived) }, false},
		{"restored", func() { setStatus(model.StatusPublished) }, true},
		{"unlisted", func() { setStatus(model.StatusUnlisted) }, false},
	}
	for _, s := range steps {
		s.change()
		w := e.do("GET", "simple/wharf-demo/", nil, "If-None-Match", tag)
		if w.Code != 200 {
			t.Fatalf("%s: page = %d, want a fresh 200", s.name, w.Code)
		}
		if got := strings.Contains(w.Body.String(), "wharf_demo-1.0-py3-none-any.whl"); got != s.listed {
			t.Fatalf("%s: 1.0 listed=%v, want %v:\n%s", s.name, got, s.listed, w.Body)
		}
		tag = w.Header().Get("ETag")
	}
	// Unlisted stays downloadable by URL; archived does not.
	if w := e.do("GET", "files/wharf-demo/1.0/wharf_demo-1.0-py3-none-any.whl", nil); w.Code != 200 {
		t.Fatalf("unlisted file = %d", w.Code)
	}
	setStatus(model.StatusArchived)
	if w := e.do("GET", "files/wharf-demo/1.0/wharf_demo-1.0-py3-none-any.whl", nil); w.Code != 404 {
		t.Fatalf("archived file = %d", w.Code)
	}
	if w := e.upload(t, "wharf-demo", "1.0", "wharf_demo-1.0.tar.gz", sdistContent("1.0", "1"), "s"); w.Code != 409 {
		t.Fatalf("upload into an archived version = %d, want 409", w.Code)
	}
	// Disposed: neither listed nor downloadable.
	out, err := e.svc.DisposePackageVersions(ctx, admin, service.DisposePackageVersionsInput{PackageRef: ref, Versions: []string{"1.1"}})
	if err != nil || len(out.FailedVersions) > 0 {
		t.Fatalf("dispose: %v %+v", err, out)
	}
	if w := e.do("GET", "files/wharf-demo/1.1/wharf_demo-1.1-py3-none-any.whl", nil); w.Code != 404 {
		t.Fatalf("disposed file = %d", w.Code)
	}
	if w := e.do("GET", "simple/wharf-demo/", nil); w.Code != 200 || strings.Contains(w.Body.String(), "wharf_demo-1.") {
		t.Fatalf("page after dispose = %d:\n%s", w.Code, w.Body)
	}
}

// BenchmarkSimplePage is pip's hot path: an authenticated GET of a cached
// project page (50 versions, 100 files) through the mux, token check and
// generation check included.
func BenchmarkSimplePage(b *testing.B) {
	e := newTestEndpoint(b)
	for i := range 50 {
		v := fmt.Sprintf("1.%d", i)
		e.upload(b, "wharf-demo", v, "wharf_demo-"+v+"-py3-none-any.whl", wheelContent(v, v), "s")
		e.upload(b, "wharf-demo", v, "wharf_demo-"+v+".tar.gz", sdistContent(v, v), "s")
	}
	for _, accept := range []string{"text/html", typeJSON} {
		b.Run(accept, func(b *testing.B) {
			if w := e.do("GET", "simple/wharf-demo/", nil, "Accept", accept); w.Code != 200 || !strings.Contains(w.Body.String(), "1.49") {
				b.Fatalf("page = %d", w.Code)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if w := e.do("GET", "simple/wharf-demo/", nil, "Accept", accept); w.Code != 200 {
						b.Fatalf("page = %d", w.Code)
					}
				}
			})
		})
	}
}

// BenchmarkRenderProject is the cost of a cache miss's rendering alone.
func BenchmarkRenderProject(b *testing.B) {
	p := &project{Name: "wharf-demo"}
	for i := range 500 {
		v := fmt.Sprintf("1.%d", i)
		p.Versions = append(p.Versions, v)
		p.Files = append(p.Files, distFile{Filename: "wharf_demo-" + v + "-py3-none-any.whl", Version: v, SHA256: strings.Repeat("ab", 32), RequiresPython: ">=3.8", Size: 1000})
	}
	b.ReportAllocs()
	for b.Loop() {
		newPage(1, p)
	}
}
