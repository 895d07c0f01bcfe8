package swift

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/format/formattest"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// file is one file of a test package.
type file struct{ name, body string }

// manifestFor is a Package.swift for a package named name.
func manifestFor(tools, name string) string {
	return "// swift-tools-version:" + tools + "\nimport PackageDescription\n\nlet package = Package(\n    name: \"" + name + "\",\n    products: [.library(name: \"" + name + "\", targets: [\"" + name + "\"])],\n    targets: [.target(name: \"" + name + "\")]\n)\n"
}

// packageFiles is a small package: a manifest, a source file, a README
// and whatever extra files are given.
func packageFiles(name string, extra ...file) []file {
	return append([]file{
		{"Package.swift", manifestFor("5.7", name)},
		{"README.md", "# " + name + "\n"},
		{"Sources/" + name + "/" + name + ".swift", "public struct " + name + " {}\n"},
	}, extra...)
}

// makeArchive zips files under prefix/ the way git archive --format
// zip --prefix PREFIX/ does, which is what swift package archive-source
// runs: a directory entry for every directory, deflated files and the
// commit id as the archive comment.
func makeArchive(t testing.TB, prefix string, files []file) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	dirs := map[string]bool{}
	mod := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	addDir := func(d string) {
		if d == "" || dirs[d] {
			return
		}
		dirs[d] = true
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: d + "/", Modified: mod}); err != nil {
			t.Fatal(err)
		}
	}
	if prefix != "" {
		addDir(prefix)
	}
	for _, f := range files {
		name := f.name
		if prefix != "" {
			name = prefix + "/" + f.name
		}
		parts := strings.Split(name, "/")
		for i := 1; i < len(parts); i++ {
			addDir(strings.Join(parts[:i], "/"))
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mod})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f.body))
	}
	zw.SetComment("4b825dc642cb6eb9a060e54bf8d69288fbee4904")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var admin = service.Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root", AccessKeyID: "AKIDADMIN"}

// testEnv is a real service on real stores behind the Swift handler on
// an HTTP test server.
type testEnv struct {
	svc   *service.Service
	srv   *httptest.Server
	base  string // the endpoint, ending in "/"
	token string
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	f := Format
	f.New = func(env format.Env) (*format.Endpoint, error) {
		return &format.Endpoint{Serve: newHandler(env, Options{SpoolDir: t.TempDir(), MaxArchiveBytes: 1 << 20}).serve}, nil
	}
	fx := formattest.New(t, f)
	return &testEnv{svc: fx.Service, srv: fx.Server, base: fx.URL, token: fx.Token}
}

// swiftPMAccept is the Accept header SwiftPM's RegistryClient sends for
// each media type.
func swiftPMAccept(media string) string { return "application/vnd.swift.registry.v1+" + media }

// get sends a request as SwiftPM's RegistryClient does: Bearer token and
// the Accept header for media ("" for none).
func (e *testEnv) get(t testing.TB, path, media string) (*http.Response, []byte) {
	t.Helper()
	hdr := http.Header{"Authorization": {"Bearer " + e.token}}
	if media != "" {
		hdr.Set("Accept", swiftPMAccept(media))
	}
	return e.do(t, http.MethodGet, path, hdr, nil)
}

// do sends a request to the endpoint and returns the response (body
// read) and its body.
func (e *testEnv) do(t testing.TB, method, path string, hdr http.Header, body []byte) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
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

// swiftPMPublishBody is the body SwiftPM's RegistryClient.publish builds,
// byte for byte: the archive part binary, each signature binary, the
// metadata labelled quoted-printable but sent as it is.
func swiftPMPublishBody(boundary string, archive []byte, metadata string, archiveSig, metadataSig []byte) []byte {
	var b bytes.Buffer
	b.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"source-archive\"\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: binary\r\n\r\n")
	b.Write(archive)
	if archiveSig != nil {
		b.WriteString("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"source-archive-signature\"\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n")
		b.Write(archiveSig)
	}
	if metadata != "" {
		b.WriteString("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + metadata)
		if metadataSig != nil {
			b.WriteString("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"metadata-signature\"\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n")
			b.Write(metadataSig)
		}
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return b.Bytes()
}

const testBoundary = "6E0F3C7A-1B2C-4D5E-8F90-A1B2C3D4E5F6"

// swiftPMPublishHeaders are the headers RegistryClient.publish sends.
func (e *testEnv) swiftPMPublishHeaders() http.Header {
	return http.Header{
		"Authorization": {"Bearer " + e.token},
		"Content-Type":  {`multipart/form-data;boundary="` + testBoundary + `"`},
		"Accept":        {swiftPMAccept("json")},
		"Expect":        {"100-continue"},
		"Prefer":        {"respond-async"},
	}
}

// publish publishes a release as SwiftPM does and returns the response.
func (e *testEnv) publish(t testing.TB, scope, name, version string, archive []byte, metadata string) (*http.Response, []byte) {
	t.Helper()
	return e.do(t, http.MethodPut, scope+"/"+name+"/"+version, e.swiftPMPublishHeaders(), swiftPMPublishBody(testBoundary, archive, metadata, nil, nil))
}

// mustPublish publishes a release and fails the test unless it is 201.
func (e *testEnv) mustPublish(t testing.TB, scope, name, version string, archive []byte, metadata string) {
	t.Helper()
	resp, body := e.publish(t, scope, name, version, archive, metadata)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("publish %s.%s %s: %d %s", scope, name, version, resp.StatusCode, body)
	}
}

// basicAuth is the Authorization header curl --user aws:TOKEN sends.
func basicAuth(token string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte("aws:"+token))
}

// setStatus changes versions' status through the control plane's rules.
func (e *testEnv) setStatus(t testing.TB, scope, name string, target model.Status, versions ...string) {
	t.Helper()
	out, err := e.svc.UpdatePackageVersionsStatus(context.Background(), admin, service.UpdatePackageVersionsStatusInput{
		PackageRef: service.PackageRef{Domain: "dom", Repository: "repo", Format: model.FormatSwift, Namespace: scope, Package: name},
		Versions:   versions, TargetStatus: target,
	})
	if err != nil || len(out.FailedVersions) > 0 {
		t.Fatalf("set %v %s: %v %+v", versions, target, err, out)
	}
}

// serviceVersionRef names a Swift version in the test repository.
func serviceVersionRef(scope, name, version string) service.VersionRef {
	return service.VersionRef{PackageRef: service.PackageRef{Domain: "dom", Repository: "repo", Format: model.FormatSwift, Namespace: scope, Package: name}, PackageVersion: version}
}

func disposeInput(ref service.PackageRef, versions ...string) service.DisposePackageVersionsInput {
	return service.DisposePackageVersionsInput{PackageRef: ref, Versions: versions}
}

// assetNames lists a version's assets through the control plane's rules.
func (e *testEnv) assetNames(t testing.TB, scope, name, version string) []string {
	t.Helper()
	out, err := e.svc.ListPackageVersionAssets(context.Background(), admin, service.ListPackageVersionAssetsInput{VersionRef: serviceVersionRef(scope, name, version)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range out.Assets {
		names = append(names, a.Name)
	}
	slices.Sort(names)
	return names
}

// incompressible is n bytes a zip cannot shrink.
func incompressible(n int) string {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{1}).Read(b)
	return string(b)
}
