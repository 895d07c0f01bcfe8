package npm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/format/formattest"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// tgzFile is one entry of a test tarball.
type tgzFile struct {
	name, body string
}

// makeTgz builds a gzip-compressed tar as npm pack does.
func makeTgz(t testing.TB, files ...tgzFile) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg, ModTime: time.Unix(499162500, 0)}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(f.body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return b.Bytes()
}

// pkgTgz is a minimal valid tarball for name@version.
func pkgTgz(t testing.TB, name, version string, extra ...tgzFile) []byte {
	pj, _ := json.Marshal(map[string]string{"name": name, "version": version})
	return makeTgz(t, append([]tgzFile{{"package/package.json", string(pj)}, {"package/index.js", "module.exports = " + `"` + version + `"`}}, extra...)...)
}

// publishBody builds the PUT body npm publish sends.
func publishBody(name, version string, manifest map[string]any, tgz []byte) []byte {
	m := map[string]any{"name": name, "version": version}
	for k, v := range manifest {
		m[k] = v
	}
	sha := sha1.Sum(tgz)
	sum := sha512.Sum512(tgz)
	m["_id"] = name + "@" + version
	m["dist"] = map[string]any{"shasum": hex.EncodeToString(sha[:]), "integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum[:]), "tarball": "http://client.invalid/x.tgz"}
	body := map[string]any{
		"_id": name, "name": name, "description": m["description"],
		"dist-tags": map[string]string{"latest": version},
		"versions":  map[string]any{version: m},
		"access":    nil,
		"_attachments": map[string]any{
			name + "-" + version + ".tgz": map[string]any{"content_type": "application/octet-stream", "data": base64.StdEncoding.EncodeToString(tgz), "length": len(tgz)},
		},
	}
	b, _ := json.Marshal(body)
	return b
}

var admin = formattest.Admin

// testEnv is a real service on real stores behind the npm handler on an
// HTTP test server (formattest), with the handler itself at hand.
type testEnv struct {
	fx    *formattest.Fixture
	svc   *service.Service
	h     *Handler
	srv   *httptest.Server
	base  string // npm endpoint, ending in "/"
	token string
}

func newTestEnv(t testing.TB, opts ...formattest.Options) *testEnv {
	t.Helper()
	var h *Handler
	f := Format
	f.New = func(env format.Env) (*format.Endpoint, error) {
		// A small spool, so tests see tarballs spill to disk.
		var err error
		h, err = New(env, Options{SpoolDir: t.TempDir(), SpoolMemory: 1 << 10})
		if err != nil {
			return nil, err
		}
		return h.Endpoint(), nil
	}
	fx := formattest.New(t, f, opts...)
	return &testEnv{fx: fx, svc: fx.Service, h: h, srv: fx.Server, base: fx.URL, token: fx.Token}
}

// do sends a request with the token and returns status and body.
func (e *testEnv) do(t testing.TB, method, path string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	return e.fx.Do(t, method, path, body, hdr...)
}

// publish PUTs a package version and requires success.
func (e *testEnv) publish(t testing.TB, name, version string, manifest map[string]any, tgz []byte) {
	t.Helper()
	if tgz == nil {
		tgz = pkgTgz(t, name, version)
	}
	resp, b := e.do(t, "PUT", escapeName(name), publishBody(name, version, manifest, tgz), "Content-Type", "application/json")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("publish %s@%s: %d %s", name, version, resp.StatusCode, b)
	}
}

// escapeName spells a name as npm puts it in URLs.
func escapeName(name string) string { return strings.Replace(name, "/", "%2f", 1) }

// ref is the service coordinate of a test package.
func ref(name string) service.PackageRef {
	n, err := parseName(name)
	if err != nil {
		panic(err)
	}
	return service.PackageRef{Domain: "dom", DomainOwner: admin.Account, Repository: "repo", Format: model.FormatNpm, Namespace: n.Scope, Package: n.Name}
}

func readFileIfExists(name string) ([]byte, error) { return os.ReadFile(name) }

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
