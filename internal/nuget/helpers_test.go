package nuget

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/archive/archivetest"
	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/token"
)

// spec describes a test package's manifest.
type spec struct {
	id, version string
	deps        string // the <dependencies> element's inner XML
	extra       string // more <metadata> children
}

func (s spec) xml() string {
	deps := ""
	if s.deps != "" {
		deps = "<dependencies>" + s.deps + "</dependencies>"
	}
	return `<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>` + s.id + `</id>
    <version>` + s.version + `</version>
    <authors>Wharf Tests</authors>
    <description>Test package ` + s.id + `</description>
    ` + deps + s.extra + `
  </metadata>
</package>`
}

// file is one zip entry of a test package.
type file struct {
	name, body string
	store      bool // stored rather than deflated
}

// makeZip writes a zip of files, in order.
func makeZip(tb testing.TB, files ...file) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		m := zip.Deflate
		if f.store {
			m = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: m})
		if err != nil {
			tb.Fatal(err)
		}
		io.WriteString(w, f.body)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// bomb is a package whose one library expands to n zero bytes, made
// cheaply; declared is what its headers claim (less than n for one that
// lies about its size).
func bomb(tb testing.TB, s spec, n, declared int64) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(s.id + ".nuspec")
	io.WriteString(w, s.xml())
	if err := archivetest.AddZeros(zw, "lib/netstandard2.0/bomb.dll", n, declared); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// makeNupkg builds a package as nuget pack lays it out: the manifest
// first, then the OPC parts and a library.
func makeNupkg(tb testing.TB, s spec, more ...file) []byte {
	tb.Helper()
	files := []file{
		{name: s.id + ".nuspec", body: s.xml()},
		{name: "_rels/.rels", body: `<?xml version="1.0"?><Relationships/>`},
		{name: "[Content_Types].xml", body: `<?xml version="1.0"?><Types/>`},
		{name: "lib/netstandard2.0/" + s.id + ".dll", body: "placeholder"},
	}
	return makeZip(tb, append(files, more...)...)
}

const account = "111122223333"

var admin = service.Caller{Account: account, ARN: "arn:aws:iam::" + account + ":root", AccessKeyID: "AKIDADMIN"}

// testEndpoint is the NuGet endpoint over a real service on real stores
// in a temporary folder.
type testEndpoint struct {
	dir   string
	svc   *service.Service
	mux   *http.ServeMux
	token string
	path  string // path of the endpoint, ending in "/"
	base  string // absolute URL of the endpoint
}

func newTestEndpoint(tb testing.TB) *testEndpoint {
	tb.Helper()
	return newTestEndpointWith(tb, Options{})
}

func newTestEndpointWith(tb testing.TB, opts Options) *testEndpoint {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	m, err := sqlite.Open(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	b, err := fs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(m, b, nil, service.Config{PublicURL: "http://wharf.test", Logger: log})
	svc.SetTokenIssuer(token.NewIssuer([]byte("0123456789abcdef0123456789abcdef")))
	if _, err := svc.CreateDomain(ctx, admin, service.CreateDomainInput{Domain: "dom"}); err != nil {
		tb.Fatal(err)
	}
	for _, repo := range []string{"repo", "up"} {
		if _, err := svc.CreateRepository(ctx, admin, service.CreateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: "dom", Repository: repo}}); err != nil {
			tb.Fatal(err)
		}
	}
	tok, err := svc.GetAuthorizationToken(ctx, admin, service.GetAuthorizationTokenInput{Domain: "dom"})
	if err != nil {
		tb.Fatal(err)
	}
	if opts.SpoolDir == "" {
		opts.SpoolDir = tb.TempDir()
	}
	mux := http.NewServeMux()
	f := Format
	f.New = func(env format.Env) (*format.Endpoint, error) {
		h, err := New(env, opts)
		if err != nil {
			return nil, err
		}
		return h.Endpoint(), nil
	}
	if err := format.Install(mux, f, format.Env{Service: svc, Log: log, PublicCacheDir: filepath.Join(dir, "public-cache")}); err != nil {
		tb.Fatal(err)
	}
	path := "/nuget/dom-" + account + "/repo/"
	return &testEndpoint{dir: dir, svc: svc, mux: mux, token: tok.AuthorizationToken, path: path, base: "http://wharf.test" + path}
}

// in returns the endpoint of another repository of the same domain.
func (e *testEndpoint) in(repo string) *testEndpoint {
	c := *e
	c.path = "/nuget/dom-" + account + "/" + repo + "/"
	c.base = "http://wharf.test" + c.path
	return &c
}

func (e *testEndpoint) do(method, path string, body io.Reader, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, e.base+path, body)
	req.SetBasicAuth("aws", e.token)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, req)
	return w
}

// push sends a package as nuget.exe does: a multipart PUT whose one part
// is name=package, filename=package.nupkg.
func (e *testEndpoint) push(tb testing.TB, nupkg []byte) *httptest.ResponseRecorder {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("package", "package.nupkg")
	w.Write(nupkg)
	mw.Close()
	return e.do(http.MethodPut, pathPublish+"/", &buf, "Content-Type", mw.FormDataContentType(), "X-NuGet-ApiKey", "aws")
}

func (e *testEndpoint) mustPush(tb testing.TB, s spec) {
	tb.Helper()
	if w := e.push(tb, makeNupkg(tb, s)); w.Code != http.StatusCreated {
		tb.Fatalf("push %s %s: %d %s", s.id, s.version, w.Code, w.Body)
	}
}

// getJSON fetches and decodes a JSON document.
func (e *testEndpoint) getJSON(tb testing.TB, path string, out any) int {
	tb.Helper()
	w := e.do(http.MethodGet, path, nil)
	if w.Code == http.StatusOK {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			tb.Fatalf("GET %s: %v\n%s", path, err, w.Body)
		}
	}
	return w.Code
}

// setStatus changes versions' status through the control plane's path.
func (e *testEndpoint) setStatus(tb testing.TB, repo, id string, st model.Status, versions ...string) {
	tb.Helper()
	out, err := e.svc.UpdatePackageVersionsStatus(context.Background(), admin, service.UpdatePackageVersionsStatusInput{
		PackageRef: service.PackageRef{Domain: "dom", Repository: repo, Format: "nuget", Package: id},
		Versions:   versions, TargetStatus: st,
	})
	if err != nil || len(out.FailedVersions) > 0 {
		tb.Fatalf("UpdatePackageVersionsStatus %s %v -> %s: %v %+v", id, versions, st, err, out)
	}
}

// blobCount counts the files in the blob store.
func (e *testEndpoint) blobCount(tb testing.TB) int {
	tb.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(e.dir, "blobs"), func(_ string, d iofs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil && !strings.Contains(err.Error(), "no such file") {
		tb.Fatal(err)
	}
	return n
}

func versionsJSON(vs ...string) string {
	b, _ := json.Marshal(map[string][]string{"versions": vs})
	return string(b)
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(fmt.Errorf("unexpected: %w", err))
	}
}
