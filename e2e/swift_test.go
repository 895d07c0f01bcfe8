package e2e

import (
	"archive/zip"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// SwiftPM does not run on Debian, so the Swift registry is driven with
// requests shaped exactly as SwiftPM's RegistryClient sends them (its
// Accept header per media type, Bearer auth, the login probe, its
// multipart publish body), with source archives made by the command
// `swift package archive-source` runs (git archive --format zip
// --prefix NAME/ HEAD), and with the real curl and aws CLI where the AWS
// documentation uses them.

// swiftManifest is a Package.swift.
func swiftManifest(tools, name string) string {
	return fmt.Sprintf("// swift-tools-version:%s\nimport PackageDescription\n\nlet package = Package(\n    name: %q,\n    products: [.library(name: %q, targets: [%q])],\n    targets: [.target(name: %q)]\n)\n", tools, name, name, name, name)
}

// swiftArchiveSource commits files to a fresh git repository and
// archives it as `swift package archive-source` does in a git checkout:
// git archive --format zip --prefix NAME/ --output NAME.zip HEAD.
func swiftArchiveSource(t *testing.T, name string, files map[string]string) []byte {
	t.Helper()
	needTool(t, "git")
	dir := t.TempDir()
	for f, body := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "GIT_AUTHOR_NAME=Mona", "GIT_AUTHOR_EMAIL=mona@example.com", "GIT_COMMITTER_NAME=Mona",
		"GIT_COMMITTER_EMAIL=mona@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	Run(t, env, dir, "git", "init", "-q")
	Run(t, env, dir, "git", "add", "-A")
	Run(t, env, dir, "git", "commit", "-q", "-m", "release")
	out := filepath.Join(t.TempDir(), name+".zip")
	Run(t, env, dir, "git", "archive", "--format", "zip", "--prefix", name+"/", "--output", out, "HEAD")
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// swiftPackage is the files of a small package, the version written
// into its source so each release's archive differs.
func swiftPackage(name, version string, extra map[string]string) map[string]string {
	files := map[string]string{
		"Package.swift": swiftManifest("5.7", name),
		"README.md":     "# " + name + "\n",
		"Sources/" + name + "/" + name + ".swift": "public let version = \"" + version + "\"\n",
	}
	for k, v := range extra {
		files[k] = v
	}
	return files
}

// swiftResp is an answer of the registry.
type swiftResp struct {
	status int
	header http.Header
	body   []byte
}

// swiftDo sends one request as SwiftPM's RegistryClient does: Bearer
// token, the Accept header of the media type ("" for none, as its login
// probe), redirects not followed.
func swiftDo(t *testing.T, hc *http.Client, method, u, auth, media string, hdr http.Header, body []byte) swiftResp {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if media != "" {
		req.Header.Set("Accept", "application/vnd.swift.registry.v1+"+media)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v := resp.Header.Get("Content-Version"); v != "1" {
		t.Errorf("%s %s: Content-Version %q, want 1", method, u, v)
	}
	if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s %s: error %d as %q, want application/problem+json", method, u, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return swiftResp{resp.StatusCode, resp.Header, b}
}

// swiftPublishBody is RegistryClient.publish's body, byte for byte.
func swiftPublishBody(boundary string, archive []byte, metadata string) []byte {
	var b bytes.Buffer
	b.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"source-archive\"\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: binary\r\n\r\n")
	b.Write(archive)
	if metadata != "" {
		b.WriteString("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + metadata)
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return b.Bytes()
}

// swiftPublish publishes as `swift package-registry publish` does.
func swiftPublish(t *testing.T, hc *http.Client, ep, token, id, version string, archive []byte, metadata string) swiftResp {
	t.Helper()
	scope, name, _ := strings.Cut(id, ".")
	boundary := "A7B1C2D3-E4F5-4A6B-8C7D-9E0F1A2B3C4D"
	hdr := http.Header{
		"Content-Type": {`multipart/form-data;boundary="` + boundary + `"`},
		"Expect":       {"100-continue"},
		"Prefer":       {"respond-async"},
	}
	return swiftDo(t, hc, http.MethodPut, ep+scope+"/"+name+"/"+version, "Bearer "+token, "json", hdr, swiftPublishBody(boundary, archive, metadata))
}

func swiftVersions(t *testing.T, c *ca.Client, status types.PackageVersionStatus) []string {
	t.Helper()
	in := &ca.ListPackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("main"), Format: types.PackageFormatSwift,
		Namespace: aws.String("mona"), Package: aws.String("linkedlist"), Status: status}
	out, err := c.ListPackageVersions(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, v := range out.Versions {
		vs = append(vs, *v.Version+"="+string(v.Status))
	}
	slices.Sort(vs)
	return vs
}

// TestSwiftRegistry resolves and publishes as SwiftPM does against the
// real server, and changes statuses through the Go SDK.
func TestSwiftRegistry(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "acme", "main")
	token := s.Token(t, "acme")
	ep := s.Endpoint(t, "acme", "main", types.PackageFormatSwift)
	if want := s.URL + "/swift/acme-" + testAccount + "/main/"; ep != want {
		t.Fatalf("endpoint %q, want %q", ep, want)
	}

	// swift package-registry login probes {endpoint}login.
	if r := swiftDo(t, nil, http.MethodPost, ep+"login", "Bearer "+token, "", nil, nil); r.status != http.StatusOK {
		t.Fatalf("login probe: %d %s", r.status, r.body)
	}
	if r := swiftDo(t, nil, http.MethodPost, ep+"login", "Bearer wrong", "", nil, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("login with a bad token: %d %s", r.status, r.body)
	}

	archives := map[string][]byte{}
	meta := `{"description":"One thing links to another.","repositoryURLs":["https://github.com/mona/LinkedList"],"licenseURL":"https://www.apache.org/licenses/LICENSE-2.0","author":{"name":"Mona Lisa Octocat"}}`
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		extra := map[string]string{}
		if v == "1.2.0" {
			extra["Package@swift-5.9.swift"] = swiftManifest("5.9", "LinkedList")
		}
		archives[v] = swiftArchiveSource(t, "LinkedList", swiftPackage("LinkedList", v, extra))
		r := swiftPublish(t, nil, ep, token, "mona.LinkedList", v, archives[v], meta)
		if r.status != http.StatusCreated || r.header.Get("Location") != ep+"mona/linkedlist/"+v {
			t.Fatalf("publish %s: %d %s %v", v, r.status, r.body, r.header)
		}
	}
	if r := swiftPublish(t, nil, ep, token, "mona.LinkedList", "1.0.0", archives["1.0.0"], meta); r.status != http.StatusConflict {
		t.Fatalf("second publish of 1.0.0: %d %s", r.status, r.body)
	}

	// Resolution as SwiftPM does it.
	list := func() map[string]any {
		t.Helper()
		r := swiftDo(t, nil, http.MethodGet, ep+"mona/LinkedList", "Bearer "+token, "json", nil, nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("list: %d %s", r.status, r.body)
		}
		var doc struct {
			Releases map[string]any `json:"releases"`
		}
		if err := json.Unmarshal(r.body, &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Releases
	}
	if rel := list(); len(rel) != 3 {
		t.Fatalf("releases %v", rel)
	}
	r := swiftDo(t, nil, http.MethodGet, ep+"mona/LinkedList/1.2.0", "Bearer "+token, "json", nil, nil)
	var info struct {
		ID        string `json:"id"`
		Resources []struct {
			Name, Type, Checksum string
		} `json:"resources"`
		Metadata struct {
			RepositoryURLs []string `json:"repositoryURLs"`
		} `json:"metadata"`
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &info) != nil || info.ID != "mona.linkedlist" || len(info.Resources) != 1 {
		t.Fatalf("release metadata: %d %s", r.status, r.body)
	}
	if !strings.Contains(r.header.Get("Link"), `rel="latest-version"`) || !strings.Contains(r.header.Get("Link"), `1.1.0>; rel="predecessor-version"`) {
		t.Errorf("release Link %q", r.header.Get("Link"))
	}
	r = swiftDo(t, nil, http.MethodGet, ep+"mona/LinkedList/1.2.0/Package.swift", "Bearer "+token, "swift", nil, nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/x-swift" || string(r.body) != swiftManifest("5.7", "LinkedList") ||
		r.header.Get("Link") != "<"+ep+`mona/linkedlist/1.2.0/Package.swift?swift-version=5.9>; rel="alternate"; filename="Package@swift-5.9.swift"; swift-tools-version="5.9"` {
		t.Fatalf("manifest: %d %v %s", r.status, r.header, r.body)
	}
	r = swiftDo(t, nil, http.MethodGet, ep+"mona/LinkedList/1.2.0/Package.swift?swift-version=5.9", "Bearer "+token, "swift", nil, nil)
	if r.status != http.StatusOK || string(r.body) != swiftManifest("5.9", "LinkedList") {
		t.Fatalf("manifest for 5.9: %d %s", r.status, r.body)
	}
	r = swiftDo(t, nil, http.MethodGet, ep+"mona/LinkedList/1.2.0.zip", "Bearer "+token, "zip", nil, nil)
	sum := sha256.Sum256(r.body)
	// SwiftPM checks the archive against the release's checksum (4.4.1)
	// and the Digest header.
	if r.status != http.StatusOK || !bytes.Equal(r.body, archives["1.2.0"]) || hex.EncodeToString(sum[:]) != info.Resources[0].Checksum ||
		r.header.Get("Digest") != "sha-256="+base64.StdEncoding.EncodeToString(sum[:]) || r.header.Get("Content-Length") != fmt.Sprint(len(r.body)) ||
		r.header.Get("Accept-Ranges") != "bytes" || r.header.Get("Content-Disposition") != `attachment; filename="LinkedList-1.2.0.zip"` {
		t.Fatalf("archive: %d %v (%d bytes)", r.status, r.header, len(r.body))
	}
	r = swiftDo(t, nil, http.MethodGet, ep+"identifiers?url="+url.QueryEscape("git@github.com:mona/LinkedList.git"), "Bearer "+token, "json", nil, nil)
	if r.status != http.StatusOK || string(r.body) != `{"identifiers":["mona.linkedlist"]}` {
		t.Fatalf("identifiers: %d %s", r.status, r.body)
	}
	if r := swiftDo(t, nil, http.MethodGet, ep+"mona/LinkedList", "Bearer "+token, "", http.Header{"Accept": {"application/vnd.swift.registry.v2+json"}}, nil); r.status != http.StatusBadRequest {
		t.Errorf("API version 2: %d %s", r.status, r.body)
	}
	if r := swiftDo(t, nil, http.MethodGet, ep+"mona/LinkedList", "Bearer "+token, "zip", nil, nil); r.status != http.StatusUnsupportedMediaType {
		t.Errorf("list as +zip: %d %s", r.status, r.body)
	}

	// Every version through the Go SDK.
	if got := swiftVersions(t, c, ""); !slices.Equal(got, []string{"1.0.0=Published", "1.1.0=Published", "1.2.0=Published"}) {
		t.Fatalf("ListPackageVersions %v", got)
	}
	d, err := c.DescribePackageVersion(ctx, &ca.DescribePackageVersionInput{Domain: aws.String("acme"), Repository: aws.String("main"),
		Format: types.PackageFormatSwift, Namespace: aws.String("MONA"), Package: aws.String("LinkedList"), PackageVersion: aws.String("1.1.0")})
	if err != nil {
		t.Fatal(err)
	}
	if pv := d.PackageVersion; aws.ToString(pv.Summary) != "One thing links to another." || aws.ToString(pv.SourceCodeRepository) != "https://github.com/mona/LinkedList" || aws.ToString(pv.DisplayName) != "LinkedList" {
		t.Errorf("DescribePackageVersion %+v", pv)
	}

	// Decision 8: Unlisted leaves the list and still resolves by exact
	// version; Archived, Disposed and Deleted are gone.
	fetch := func(v string) [3]int {
		var st [3]int
		for i, p := range []struct{ path, media string }{{v, "json"}, {v + ".zip", "zip"}, {v + "/Package.swift", "swift"}} {
			st[i] = swiftDo(t, nil, http.MethodGet, ep+"mona/LinkedList/"+p.path, "Bearer "+token, p.media, nil, nil).status
		}
		return st
	}
	ok, gone := [3]int{200, 200, 200}, [3]int{404, 404, 404}
	dom, repo, ns, name := aws.String("acme"), aws.String("main"), aws.String("mona"), aws.String("linkedlist")
	if _, err := c.UpdatePackageVersionsStatus(ctx, &ca.UpdatePackageVersionsStatusInput{Domain: dom, Repository: repo, Format: types.PackageFormatSwift,
		Namespace: ns, Package: name, Versions: []string{"1.1.0"}, TargetStatus: types.PackageVersionStatusUnlisted}); err != nil {
		t.Fatal(err)
	}
	if rel := list(); len(rel) != 2 || rel["1.1.0"] != nil {
		t.Errorf("after unlisting 1.1.0: releases %v", rel)
	}
	if st := fetch("1.1.0"); st != ok {
		t.Errorf("Unlisted 1.1.0 fetches %v, want %v", st, ok)
	}
	if _, err := c.UpdatePackageVersionsStatus(ctx, &ca.UpdatePackageVersionsStatusInput{Domain: dom, Repository: repo, Format: types.PackageFormatSwift,
		Namespace: ns, Package: name, Versions: []string{"1.0.0"}, TargetStatus: types.PackageVersionStatusArchived}); err != nil {
		t.Fatal(err)
	}
	if st := fetch("1.0.0"); st != gone {
		t.Errorf("Archived 1.0.0 fetches %v, want %v", st, gone)
	}
	if rel := list(); len(rel) != 1 || rel["1.2.0"] == nil {
		t.Errorf("after archiving 1.0.0: releases %v", rel)
	}
	if _, err := c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: dom, Repository: repo, Format: types.PackageFormatSwift,
		Namespace: ns, Package: name, Versions: []string{"1.2.0"}}); err != nil {
		t.Fatal(err)
	}
	if st := fetch("1.2.0"); st != gone {
		t.Errorf("Deleted 1.2.0 fetches %v, want %v", st, gone)
	}
	if _, err := c.DisposePackageVersions(ctx, &ca.DisposePackageVersionsInput{Domain: dom, Repository: repo, Format: types.PackageFormatSwift,
		Namespace: ns, Package: name, Versions: []string{"1.1.0"}}); err != nil {
		t.Fatal(err)
	}
	if st := fetch("1.1.0"); st != gone {
		t.Errorf("Disposed 1.1.0 fetches %v, want %v", st, gone)
	}
	if r := swiftDo(t, nil, http.MethodGet, ep+"mona/LinkedList", "Bearer "+token, "json", nil, nil); r.status != http.StatusNotFound {
		t.Errorf("list with nothing fetchable: %d %s", r.status, r.body)
	}
	if got := swiftVersions(t, c, ""); !slices.Equal(got, []string{"1.1.0=Disposed"}) {
		t.Errorf("ListPackageVersions %v", got)
	}
	// A deleted release may be published again, with new content.
	again := swiftArchiveSource(t, "LinkedList", swiftPackage("LinkedList", "1.2.0-again", nil))
	if r := swiftPublish(t, nil, ep, token, "mona.LinkedList", "1.2.0", again, ""); r.status != http.StatusCreated {
		t.Fatalf("republish deleted 1.2.0: %d %s", r.status, r.body)
	}
	r = swiftDo(t, nil, http.MethodGet, ep+"mona/LinkedList/1.2.0.zip", "Bearer "+token, "zip", nil, nil)
	if !bytes.Equal(r.body, again) {
		t.Error("republished 1.2.0 serves the old archive")
	}
	if got := swiftVersions(t, c, types.PackageVersionStatusArchived); !slices.Equal(got, []string{"1.0.0=Archived"}) {
		t.Errorf("ListPackageVersions status=Archived %v", got)
	}
}

// TestSwiftCurlPublish publishes with the real curl exactly as the AWS
// documentation shows (Basic auth aws:TOKEN, -F source-archive=@FILE).
func TestSwiftCurlPublish(t *testing.T) {
	needTool(t, "curl")
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "acme", "main")
	token := s.Token(t, "acme")
	ep := s.Endpoint(t, "acme", "main", types.PackageFormatSwift)
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "test_package.zip")
	if err := os.WriteFile(zipPath, swiftArchiveSource(t, "my_package", swiftPackage("my_package", "1.0.0", nil)), 0o644); err != nil {
		t.Fatal(err)
	}
	curl := func(version string, extra ...string) (string, string) {
		t.Helper()
		args := append([]string{"-sS", "--noproxy", "*", "-X", "PUT", "--user", "aws:" + token,
			"-H", "Accept: application/vnd.swift.registry.v1+json",
			"-F", "source-archive=@" + zipPath}, extra...)
		args = append(args, "-w", "\n%{http_code}", ep+"my-scope/my_package/"+version)
		out := Run(t, nil, dir, "curl", args...)
		i := strings.LastIndex(out, "\n")
		return out[i+1:], out[:max(i, 0)]
	}
	if code, body := curl("1.0.0"); code != "201" {
		t.Fatalf("curl publish: %s %s", code, body)
	}
	if code, body := curl("1.1.0", "-F", `metadata={"description":"published with curl","repositoryURLs":["https://github.com/my-scope/my_package"]}`); code != "201" {
		t.Fatalf("curl publish with metadata: %s %s", code, body)
	}
	code, body := curl("1.1.0")
	if code != "409" || !strings.Contains(body, `"detail"`) {
		t.Fatalf("curl re-publish: %s %s", code, body)
	}
	out, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("main"),
		Format: types.PackageFormatSwift, Namespace: aws.String("my-scope"), Package: aws.String("my_package")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Versions) != 2 {
		t.Fatalf("ListPackageVersions: %+v", out.Versions)
	}
	r := swiftDo(t, nil, http.MethodGet, ep+"my-scope/my_package/1.1.0", "Bearer "+token, "json", nil, nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"description":"published with curl"`) {
		t.Fatalf("release metadata: %d %s", r.status, r.body)
	}
}

// TestSwiftLoginCLI runs the real `aws codeartifact login --tool swift`
// against a server on TLS (SwiftPM logs in over https only), with a
// stand-in swift on PATH that records what it is asked to do, and then
// logs in with what the CLI wrote, as swift package-registry login
// would.
func TestSwiftLoginCLI(t *testing.T) {
	needTool(t, "aws")
	s := StartServerWith(t, ServerOptions{HTTPS: true, Args: []string{"--tls-self-signed"}})
	c := s.Client()
	Setup(t, c, "acme", "main")
	certFile := filepath.Join(s.DataDir, "tls-self-signed.crt")
	if fi, err := os.Stat(filepath.Join(s.DataDir, "tls-self-signed.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("self-signed key: %v %v", err, fi)
	}
	ep := s.Endpoint(t, "acme", "main", types.PackageFormatSwift)
	if !strings.HasPrefix(ep, "https://"+s.addr+"/swift/") {
		t.Fatalf("endpoint %q is not the https public URL", ep)
	}

	bin := t.TempDir()
	record := filepath.Join(t.TempDir(), "swift-calls")
	stub := "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done >> '" + record + "'\necho >> '" + record + "'\n"
	if err := os.WriteFile(filepath.Join(bin, "swift"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(s.Env(t), "AWS_CA_BUNDLE="+certFile)
	for i, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			env[i] = "PATH=" + bin + string(os.PathListSeparator) + p
		}
	}
	home := ""
	for _, kv := range env {
		if h, ok := strings.CutPrefix(kv, "HOME="); ok {
			home = h
		}
	}
	out := Run(t, env, "", "aws", "codeartifact", "login", "--tool", "swift", "--domain", "acme", "--repository", "main", "--endpoint-url", s.URL)
	if !strings.Contains(out, "Successfully configured swift") {
		t.Errorf("aws codeartifact login said %q", out)
	}
	calls, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	want := "[package-registry][set][" + ep + "]\n[package-registry][login][" + ep + "login]\n"
	if string(calls) != want {
		t.Fatalf("swift ran\n%s\nwant\n%s", calls, want)
	}
	netrcPath := filepath.Join(home, ".netrc")
	netrc, err := os.ReadFile(netrcPath)
	if err != nil {
		t.Fatal(err)
	}
	host, _, _ := net.SplitHostPort(s.addr)
	line := strings.TrimSuffix(string(netrc), "\n")
	token, ok := strings.CutPrefix(line, "machine "+host+" login token password ")
	if !ok || strings.ContainsAny(token, " \n") || token == "" {
		t.Fatalf(".netrc is %q, want one line machine %s login token password TOKEN", netrc, host)
	}
	if fi, _ := os.Stat(netrcPath); fi.Mode().Perm() != 0o600 {
		t.Errorf(".netrc mode %v, want 0600", fi.Mode().Perm())
	}

	// What swift package-registry login does next: POST {endpoint}login
	// over https, the netrc token as Bearer, the certificate verified.
	pool := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(pemBytes)
	verified := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if r := swiftDo(t, verified, http.MethodPost, ep+"login", "Bearer "+token, "", nil, nil); r.status != http.StatusOK {
		t.Fatalf("login with the netrc token: %d %s", r.status, r.body)
	}
	z := swiftArchiveSource(t, "LinkedList", swiftPackage("LinkedList", "1.0.0", nil))
	if r := swiftPublish(t, verified, ep, token, "mona.LinkedList", "1.0.0", z, ""); r.status != http.StatusCreated {
		t.Fatalf("publish over https: %d %s", r.status, r.body)
	}
	if got := swiftVersions(t, c, ""); !slices.Equal(got, []string{"1.0.0=Published"}) {
		t.Fatalf("ListPackageVersions %v", got)
	}

	// Again with a scope: the set command scopes the registry, and the
	// netrc entry is updated in place.
	os.Remove(record)
	Run(t, env, "", "aws", "codeartifact", "login", "--tool", "swift", "--domain", "acme", "--repository", "main", "--namespace", "mona", "--endpoint-url", s.URL)
	calls, _ = os.ReadFile(record)
	if want := "[package-registry][set][" + ep + "][--scope][mona]\n[package-registry][login][" + ep + "login]\n"; string(calls) != want {
		t.Fatalf("swift ran\n%s\nwant\n%s", calls, want)
	}
	netrc, _ = os.ReadFile(netrcPath)
	if strings.Count(string(netrc), "machine ") != 1 || !strings.HasPrefix(string(netrc), "machine "+host+" login token password ") {
		t.Fatalf(".netrc after a second login: %q", netrc)
	}
}

// testCert makes a self-signed certificate for 127.0.0.1 and writes it
// and its key as PEM files into dir, returning the serial number.
func testCert(t *testing.T, dir, name string) (certFile, keyFile string, serial *big.Int) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ = rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile, serial
}

// servedSerial opens a new TLS connection and returns the serial number
// of the certificate the server presents.
func servedSerial(t *testing.T, addr string) *big.Int {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber
}

// TestTLSCertReload serves with --tls-cert/--tls-key, replaces the files
// the way a renewal does (write elsewhere, rename over), and sees new
// connections get the new certificate without a restart.
func TestTLSCertReload(t *testing.T) {
	live := t.TempDir()
	certA, keyA, serialA := testCert(t, live, "server")
	s := StartServerWith(t, ServerOptions{HTTPS: true, Args: []string{"--tls-cert", certA, "--tls-key", keyA}})
	if got := servedSerial(t, s.addr); got.Cmp(serialA) != 0 {
		t.Fatalf("serving serial %v, want %v", got, serialA)
	}
	// The control plane and the public URL are on TLS too.
	if _, err := s.Client().ListDomains(ctx, &ca.ListDomainsInput{}); err != nil {
		t.Fatalf("ListDomains over TLS: %v", err)
	}
	Setup(t, s.Client(), "acme", "main")
	if ep := s.Endpoint(t, "acme", "main", types.PackageFormatSwift); !strings.HasPrefix(ep, "https://") {
		t.Errorf("endpoint %q is not https", ep)
	}

	staging := t.TempDir()
	certB, keyB, serialB := testCert(t, staging, "server")
	later := time.Now().Add(2 * time.Second)
	for src, dst := range map[string]string{keyB: keyA, certB: certA} {
		if err := os.Rename(src, dst); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(dst, later, later) // past any coarse mtime granularity
	}
	if got := servedSerial(t, s.addr); got.Cmp(serialB) != 0 {
		t.Fatalf("after replacing the files serving serial %v, want the new %v", got, serialB)
	}
	// A broken replacement keeps the working certificate in service.
	if err := os.WriteFile(certA, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := servedSerial(t, s.addr); got.Cmp(serialB) != 0 {
		t.Fatalf("after a broken replacement serving serial %v, want %v", got, serialB)
	}
	// The server's log reaches us through a pipe, a moment after the
	// handshake that triggered it.
	eventually(t, "the broken replacement logged", func() error {
		if !strings.Contains(s.log.String(), "keeping the previous TLS certificate") {
			return errors.New("not in the log")
		}
		return nil
	})
}

// TestTLSFlags: the TLS flags refuse halves and mixtures.
func TestTLSFlags(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := testCert(t, dir, "x")
	for _, args := range [][]string{
		{"--tls-cert", certFile},
		{"--tls-key", keyFile},
		{"--tls-self-signed", "--tls-cert", certFile, "--tls-key", keyFile},
		{"--tls-cert", keyFile, "--tls-key", certFile},
	} {
		out, err := RunErr(nil, "", wharfBin, append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir()}, args...)...)
		if err == nil || !strings.Contains(out, "tls") {
			t.Errorf("wharf serve %v: %v\n%s", args, err, out)
		}
	}
}

// swiftZip builds a source archive with Go's zip writer, for archives
// git would take long to make (a bomb) or refuses to make.
func swiftZip(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSwiftBadUploads sends the real server uploads it must refuse, each
// with a 4xx problem, and checks that nothing changed: no version, no
// asset, no blob.
func TestSwiftBadUploads(t *testing.T) {
	s, c := startBadServer(t)
	token := s.Token(t, badDomain)
	ep := s.Endpoint(t, badDomain, "repo", types.PackageFormatSwift)
	good := swiftArchiveSource(t, "LinkedList", swiftPackage("LinkedList", "1.0.0", nil))
	if r := swiftPublish(t, nil, ep, token, "mona.LinkedList", "1.0.0", good, ""); r.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	before := badState(t, s, c)

	manifest := []byte(swiftManifest("5.7", "LinkedList"))
	bomb := swiftZip(t, map[string][]byte{"LinkedList/Package.swift": manifest, "LinkedList/zeros.bin": make([]byte, 64<<20)})
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %d bytes", len(bomb))
	}
	tests := []struct {
		name, version string
		archive       []byte
		metadata      string
		status        int
	}{
		{"bomb", "2.0.0", bomb, "", http.StatusUnprocessableEntity},
		{"not a zip", "2.0.0", []byte("#!/bin/sh\necho not an archive\n"), "", http.StatusUnprocessableEntity},
		{"no manifest", "2.0.0", swiftZip(t, map[string][]byte{"LinkedList/README.md": []byte("x")}), "", http.StatusUnprocessableEntity},
		{"manifest outside a directory", "2.0.0", swiftZip(t, map[string][]byte{"Package.swift": manifest}), "", http.StatusUnprocessableEntity},
		{"climbing entry", "2.0.0", swiftZip(t, map[string][]byte{"LinkedList/Package.swift": manifest, "LinkedList/../../evil": []byte("x")}), "", http.StatusUnprocessableEntity},
		{"invalid metadata", "2.0.0", good, `{"author": {"email": "no name"}}`, http.StatusUnprocessableEntity},
		{"existing version", "1.0.0", good, "", http.StatusConflict},
		{"not SemVer", "2.0", good, "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		r := swiftPublish(t, nil, ep, token, "mona.LinkedList", tt.version, tt.archive, tt.metadata)
		wantRefused(t, r.status, tt.status, string(r.body))
		if r.status != tt.status {
			t.Errorf("%s: %d %s", tt.name, r.status, r.body)
		}
	}
	// Not multipart at all, and a publish without credentials.
	r := swiftDo(t, nil, http.MethodPut, ep+"mona/LinkedList/2.0.0", "Bearer "+token, "json", http.Header{"Content-Type": {"application/zip"}}, good)
	wantRefused(t, r.status, http.StatusUnsupportedMediaType, string(r.body))
	r = swiftDo(t, nil, http.MethodPut, ep+"mona/LinkedList/2.0.0", "", "json", http.Header{"Content-Type": {"multipart/form-data; boundary=x"}}, []byte("--x--\r\n"))
	wantRefused(t, r.status, http.StatusUnauthorized, string(r.body))
	waitUnchanged(t, s, c, before)
}
