package e2e

// The bad-input suite: requests no client should send — oversized and
// truncated bodies, names built to escape a directory (../, encoded
// slashes, NUL), invalid UTF-8, mismatched digests, compression bombs —
// sent as raw HTTP so nothing on the client side cleans them up. Each must
// get a clean 4xx (never a 5xx, a hang or a dropped connection), and
// afterwards the repository, as the API shows it, and the blob store must
// be exactly as before.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/archive/archivetest"
)

const badDomain = "bad"

// badReq is a raw control-plane request.
type badReq struct {
	method, path string
	query        url.Values
	rawQuery     string // used as is when set (for bytes url.Values would escape)
	body         []byte
	// payloadHash is what x-amz-content-sha256 claims; the body's own
	// hash when empty.
	payloadHash string
	// contentLength, when set, is what the headers claim while only body
	// is sent before the client stops writing (a truncated upload).
	contentLength int64
}

// send signs the request with the administrator's keys and sends it over
// a fresh connection, returning the status and body of the answer.
func (b badReq) send(t *testing.T, s *Server) (int, string) {
	t.Helper()
	u := s.URL + b.path
	q := b.rawQuery
	if q == "" && b.query != nil {
		q = b.query.Encode()
	}
	if q != "" {
		u += "?" + q
	}
	req, err := http.NewRequest(b.method, u, bytes.NewReader(b.body))
	if err != nil {
		t.Fatalf("build %s %s: %v", b.method, b.path, err)
	}
	if b.method == http.MethodGet || b.method == http.MethodDelete {
		req.Body, req.ContentLength = nil, 0
	}
	if b.path != "" && strings.ContainsAny(b.path, "%") {
		req.URL.RawPath = b.path
	}
	sum := sha256.Sum256(b.body)
	hash := hex.EncodeToString(sum[:])
	if b.payloadHash != "" {
		hash = b.payloadHash
	}
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if b.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if b.contentLength > 0 {
		req.ContentLength = b.contentLength
	}
	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "codeartifact", testRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	return rawRoundTrip(t, s, req, b.body, b.contentLength > 0)
}

// rawRoundTrip writes req's head and body over a new TCP connection; when
// truncate is set it then half-closes the connection, so the server sees
// the body end early while the answer can still come back.
func rawRoundTrip(t *testing.T, s *Server, req *http.Request, body []byte, truncate bool) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\n", req.Method, req.URL.RequestURI(), req.URL.Host)
	if req.ContentLength > 0 || body != nil {
		fmt.Fprintf(&head, "Content-Length: %d\r\n", req.ContentLength)
	}
	req.Header.Write(&head)
	head.WriteString("Connection: close\r\n\r\n")
	if _, err := conn.Write(head.Bytes()); err != nil {
		t.Fatal(err)
	}
	// The server may answer and close before reading a large or bad body;
	// a failed write is then expected, and the answer is still there.
	conn.Write(body)
	if truncate {
		conn.(*net.TCPConn).CloseWrite()
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("%s %s: no answer: %v", req.Method, req.URL.RequestURI(), err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

// badState is everything the suite compares before and after: the
// domains, the repositories, every version and asset, and the blob files.
func badState(t *testing.T, s *Server, c *ca.Client) string {
	t.Helper()
	var b strings.Builder
	ds, err := c.ListDomains(ctx, &ca.ListDomainsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds.Domains {
		fmt.Fprintf(&b, "domain %s\n", aws.ToString(d.Name))
	}
	rs, err := c.ListRepositories(ctx, &ca.ListRepositoriesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var repos []string
	for _, r := range rs.Repositories {
		fmt.Fprintf(&b, "repository %s/%s\n", aws.ToString(r.DomainName), aws.ToString(r.Name))
		if aws.ToString(r.DomainName) == badDomain {
			repos = append(repos, aws.ToString(r.Name))
		}
	}
	snap := relSnapshot(t, c, badDomain, repos...)
	keys := make([]string, 0, len(snap))
	for k := range snap {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, snap[k])
	}
	blobs, temps := relBlobFiles(t, s.DataDir)
	var names []string
	for d := range blobs {
		names = append(names, d)
	}
	sort.Strings(names)
	fmt.Fprintf(&b, "blobs %v temps %v\n", names, temps)
	return b.String()
}

// publishQuery is the query string of a generic PublishPackageVersion.
func badPublishQuery(pkg, ns, version, asset string) url.Values {
	return url.Values{"domain": {badDomain}, "repository": {"repo"}, "format": {"generic"},
		"namespace": {ns}, "package": {pkg}, "version": {version}, "asset": {asset}}
}

// startBadServer starts a server with the bad-input domain and its
// repository. A refused upload's bytes, if any reached the disk, must be
// gone by the final comparison: short collector settings make that quick.
func startBadServer(t *testing.T) (*Server, *ca.Client) {
	t.Setenv("WHARF_GC_INTERVAL", "200ms")
	t.Setenv("WHARF_GC_GRACE", "1s")
	t.Setenv("WHARF_BLOB_LEASE", "2s")
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, badDomain, "repo")
	return s, c
}

func TestBadInputControlPlane(t *testing.T) {
	s, c := startBadServer(t)
	good := []byte("the only content that belongs here\n")
	PublishGeneric(t, c, badDomain, "repo", "ns", "pkg", "1.0", "a.bin", good, false)
	before := badState(t, s, c)

	content := []byte("bytes that must not land\n")
	pub := func(pkg, ns, version, asset string) badReq {
		return badReq{method: "POST", path: "/v1/package/version/publish", query: badPublishQuery(pkg, ns, version, asset), body: content}
	}
	pkgQuery := url.Values{"domain": {badDomain}, "repository": {"repo"}, "format": {"generic"}, "namespace": {"ns"}, "package": {"pkg"}}
	deleteBody := func(body string) badReq {
		return badReq{method: "POST", path: "/v1/package/versions/delete", query: pkgQuery, body: []byte(body)}
	}
	big := make([]byte, 3<<20)
	for i := range big {
		big[i] = 'x'
	}
	hugeJSON := []byte(`{"versions":["` + string(big) + `"]}`)
	asset := func(name string) badReq {
		q := url.Values{"domain": {badDomain}, "repository": {"repo"}, "format": {"generic"}, "namespace": {"ns"}, "package": {"pkg"},
			"version": {"1.0"}, "asset": {name}}
		return badReq{method: "GET", path: "/v1/package/version/asset", query: q}
	}
	truncated := pub("pkg", "ns", "2.0", "big.bin")
	truncated.body = big[:1<<20]
	truncated.payloadHash = relSHA(big) // what the whole upload would hash to
	truncated.contentLength = int64(len(big))
	lying := pub("pkg", "ns", "2.0", "a.bin")
	lying.payloadHash = relSHA([]byte("something else"))
	oversized := pub("pkg", "ns", "2.0", "huge.bin")
	oversized.payloadHash = relSHA(big)
	oversized.contentLength = 6 << 30 // over the 5 GiB asset limit
	oversized.body = big[:64<<10]

	cases := []struct {
		name string
		req  badReq
		want int // 0: any 4xx
	}{
		{"package ../etc", pub("../etc", "ns", "2.0", "a.bin"), 400},
		{"package with encoded slash", pub("a/b", "ns", "2.0", "a.bin"), 400},
		{"package ..", pub("..", "ns", "2.0", "a.bin"), 400},
		{"package with NUL", pub("a\x00b", "ns", "2.0", "a.bin"), 400},
		{"package invalid UTF-8", pub("\xff\xfe", "ns", "2.0", "a.bin"), 400},
		{"namespace ../..", pub("pkg", "../..", "2.0", "a.bin"), 400},
		{"namespace ..", pub("pkg", "..", "2.0", "a.bin"), 400},
		{"version ../1", pub("pkg", "ns", "../1", "a.bin"), 400},
		{"version ..", pub("pkg", "ns", "..", "a.bin"), 400},
		{"version with NUL", pub("pkg", "ns", "1\x00", "a.bin"), 400},
		{"version invalid UTF-8", pub("pkg", "ns", "1.\xc0\xaf", "a.bin"), 400},
		{"asset ../../wharf.db", pub("pkg", "ns", "2.0", "../../wharf.db"), 400},
		{"asset a/b", pub("pkg", "ns", "2.0", "a/b"), 400},
		{"asset ..", pub("pkg", "ns", "2.0", ".."), 400},
		{"asset with NUL", pub("pkg", "ns", "2.0", "a\x00"), 400},
		{"asset invalid UTF-8", pub("pkg", "ns", "2.0", "\xc3\x28"), 400},
		{"asset backslash traversal", pub("pkg", "ns", "2.0", `..\..\wharf.db`), 400},
		{"asset name over 255 bytes", pub("pkg", "ns", "2.0", strings.Repeat("a", 256)), 400},
		{"domain ../x", badReq{method: "POST", path: "/v1/domain", query: url.Values{"domain": {"../x"}}, body: []byte("{}")}, 400},
		{"repository a/../b", badReq{method: "POST", path: "/v1/repository", query: url.Values{"domain": {badDomain}, "repository": {"a/../b"}}, body: []byte("{}")}, 400},
		{"repository with NUL", badReq{method: "POST", path: "/v1/repository", query: url.Values{"domain": {badDomain}, "repository": {"ab\x00"}}, body: []byte("{}")}, 400},
		{"truncated upload", truncated, 400},
		{"body differs from x-amz-content-sha256", lying, 400},
		{"declared length over the asset limit", oversized, 0},
		{"JSON body over 1 MiB", deleteBody(string(hugeJSON)), 0},
		{"malformed JSON", deleteBody(`{"versions":["1.0"`), 400},
		{"JSON of the wrong shape", deleteBody(`{"versions":"1.0"}`), 400},
		{"invalid UTF-8 in the JSON body", deleteBody("{\"versions\":[\"1.0\xff\"]}"), 400},
		{"101 versions in one batch", deleteBody(`{"versions":[` + strings.TrimSuffix(strings.Repeat(`"1.0",`, 101), ",") + `]}`), 400},
		{"asset ../../wharf.db download", asset("../../wharf.db"), 0},
		{"asset ..%2F..%2Fwharf.db download", asset("..%2F..%2Fwharf.db"), 0},
		{"dot segments in the path", badReq{method: "GET", path: "/v1/package/version/../../../wharf.db", query: pkgQuery}, 0},
		{"encoded dot segments in the path", badReq{method: "GET", path: "/v1/package/version/%2e%2e/%2e%2e/wharf.db", query: pkgQuery}, 0},
		{"encoded slash in the path", badReq{method: "GET", path: "/v1/package%2Fversion%2Fasset", query: pkgQuery}, 0},
		{"NUL in the path", badReq{method: "GET", path: "/v1/package/version/asset%00", query: pkgQuery}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, body := tc.req.send(t, s)
			wantRefused(t, st, tc.want, body)
		})
	}
	waitUnchanged(t, s, c, before)
	if got, err := relFetch(c, badDomain, relRef{Repo: "repo", NS: "ns", Pkg: "pkg", Version: "1.0"}, "a.bin"); err != nil || string(got) != string(good) {
		t.Errorf("the one good asset: %q, %v", got, err)
	}
}

// wantRefused checks a bad request's answer: a 4xx (want, when not 0)
// that leaks nothing of the database.
func wantRefused(t *testing.T, st, want int, body string) {
	t.Helper()
	if st < 400 || st > 499 || (want != 0 && st != want) {
		t.Errorf("status %d, want %s; body %.300s", st, badWantText(want), body)
	}
	if strings.Contains(body, "SQLite format") {
		t.Errorf("the answer holds the metadata database")
	}
}

// waitUnchanged checks that the bad requests changed nothing. Refused
// uploads may have left temp files for the collector; it gets a moment.
func waitUnchanged(t *testing.T, s *Server, c *ca.Client, before string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	after := badState(t, s, c)
	for after != before && time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		after = badState(t, s, c)
	}
	if after != before {
		t.Errorf("bad input changed the repository:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func badWantText(st int) string {
	if st == 0 {
		return "a 4xx"
	}
	return fmt.Sprint(st)
}

// badRaw sends a raw request to a repository endpoint over a fresh
// connection (so no client library cleans the path) and returns the
// status and body.
func badRaw(t *testing.T, s *Server, method, target string, hdr http.Header, body []byte, claimed int64) (int, string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	req := &http.Request{Method: method, URL: u, Header: hdr, ContentLength: int64(len(body))}
	if claimed > 0 {
		req.ContentLength = claimed
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	return rawRoundTrip(t, s, req, body, claimed > 0)
}

// gzipOf compresses b.
func gzipOf(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// tarOf builds a tar of the given entries; a negative size claims more
// bytes than the entry carries.
func tarOf(t *testing.T, entries ...badTarEntry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		size := int64(len(e.body))
		if e.claim > 0 {
			size = e.claim
		}
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
		if e.claim > 0 {
			return buf.Bytes() // the rest never comes
		}
	}
	tw.Close()
	return buf.Bytes()
}

type badTarEntry struct {
	name, body string
	claim      int64
}

// npmPublishBody is the PUT body npm publish sends for name@version with
// tgz as its tarball.
func npmPublishBody(name, version string, tgz []byte) []byte {
	b, _ := json.Marshal(map[string]any{
		"_id": name, "name": name, "dist-tags": map[string]string{"latest": version},
		"versions": map[string]any{version: map[string]any{"name": name, "version": version, "_id": name + "@" + version,
			"dist": map[string]any{"tarball": "http://x.invalid/" + name + "-" + version + ".tgz"}}},
		"_attachments": map[string]any{name + "-" + version + ".tgz": map[string]any{"content_type": "application/octet-stream",
			"data": base64.StdEncoding.EncodeToString(tgz), "length": len(tgz)}},
	})
	return b
}

// npmBomb is a valid npm tarball whose second entry holds size zero
// bytes, as a multi-member gzip: one member compressing 64 MiB of zeros,
// repeated, so building it costs one 64 MiB compression, not size.
func npmBomb(t *testing.T, packageJSON string, size int64) []byte {
	const chunk = 64 << 20
	head := tarOf(t, badTarEntry{name: "package/package.json", body: packageJSON})
	head = head[:len(head)-1024] // drop the end-of-archive blocks
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	tw.WriteHeader(&tar.Header{Name: "package/zeros", Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
	tw.Flush()
	var out bytes.Buffer
	out.Write(gzipOf(t, append(head, hdr.Bytes()...)))
	member := gzipOf(t, make([]byte, chunk))
	for n := int64(0); n < size+chunk; n += chunk {
		out.Write(member)
	}
	return out.Bytes()
}

// cargoBody frames a cargo publish: u32 LE JSON length, the JSON
// metadata, u32 LE .crate length, the .crate.
func cargoBody(name, version string, crate []byte) []byte {
	meta, _ := json.Marshal(map[string]any{"name": name, "vers": version, "deps": []any{}, "features": map[string]any{}})
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(meta)))
	b = append(b, meta...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(crate)))
	return append(b, crate...)
}

// cargoCrate is a .crate: the directory NAME-VERSION/ with a Cargo.toml
// naming tomlName.
func cargoCrate(t *testing.T, dir, tomlName, version string) []byte {
	return gzipOf(t, tarOf(t, badTarEntry{name: dir + "/Cargo.toml", body: fmt.Sprintf("[package]\nname = %q\nversion = %q\n", tomlName, version)}))
}

// multipartBody builds twine's upload form.
func multipartBody(t *testing.T, fields [][2]string, filename string, content []byte) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range fields {
		mw.WriteField(kv[0], kv[1])
	}
	fw, _ := mw.CreateFormFile("content", filename)
	fw.Write(content)
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func TestBadInputRepositoryEndpoints(t *testing.T) {
	s, c := startBadServer(t)
	tok := s.Token(t, badDomain)
	npmEP := s.Endpoint(t, badDomain, "repo", types.PackageFormatNpm)
	pypiEP := s.Endpoint(t, badDomain, "repo", types.PackageFormatPypi)
	mavenEP := s.Endpoint(t, badDomain, "repo", types.PackageFormatMaven)
	cargoEP := s.Endpoint(t, badDomain, "repo", types.PackageFormatCargo)
	bearer := http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"}}
	cargoAuth := http.Header{"Authorization": {tok}, "Content-Type": {"application/octet-stream"}}
	basic := func(ct string) http.Header {
		return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("aws:"+tok))}, "Content-Type": {ct}}
	}
	// One good package per format, to show nothing else changes.
	pj := func(name, version string) string {
		b, _ := json.Marshal(map[string]string{"name": name, "version": version})
		return string(b)
	}
	goodTgz := gzipOf(t, tarOf(t, badTarEntry{name: "package/package.json", body: pj("good", "1.0.0")}))
	if st, body := badRaw(t, s, "PUT", npmEP+"good", bearer, npmPublishBody("good", "1.0.0", goodTgz), 0); st != 200 && st != 201 {
		t.Fatalf("good npm publish: %d %s", st, body)
	}
	if st, body := badRaw(t, s, "PUT", mavenEP+"com/acme/good/1.0/good-1.0.jar", basic("application/java-archive"), jarOf(t, "good"), 0); st/100 != 2 {
		t.Fatalf("good maven upload: %d %s", st, body)
	}
	if st, body := badRaw(t, s, "PUT", cargoEP+"api/v1/crates/new", cargoAuth, cargoBody("good", "1.0.0", cargoCrate(t, "good-1.0.0", "good", "1.0.0")), 0); st != 200 {
		t.Fatalf("good cargo publish: %d %s", st, body)
	}
	before := badState(t, s, c)

	goodCrate := cargoBody("liar", "1.0.0", cargoCrate(t, "liar-1.0.0", "liar", "1.0.0"))
	wheelFields := [][2]string{{":action", "file_upload"}, {"protocol_version", "1"}, {"name", "evil"}, {"version", "1.0"},
		{"filetype", "bdist_wheel"}, {"metadata_version", "2.1"}}
	// Go's multipart reader already reduces "../../x" to its base name;
	// a backslash path is what reaches the server as sent.
	traversalWheel, traversalCT := multipartBody(t, wheelFields, `..\..\evil-1.0-py3-none-any.whl`, []byte("PK\x03\x04"))
	truncWheel, truncCT := multipartBody(t, wheelFields, "evil-1.0-py3-none-any.whl", bytes.Repeat([]byte("x"), 1<<20))

	cases := []struct {
		name    string
		method  string
		target  string
		hdr     http.Header
		body    []byte
		claimed int64 // Content-Length claimed beyond the body: truncated upload
	}{
		{"npm packument ..%2f..%2fwharf.db", "GET", npmEP + "..%2f..%2fwharf.db", bearer, nil, 0},
		{"npm packument %2e%2e", "GET", npmEP + "%2e%2e", bearer, nil, 0},
		{"npm packument .. segment", "GET", npmEP + "../../../wharf.db", bearer, nil, 0},
		{"npm packument with NUL", "GET", npmEP + "a%00b", bearer, nil, 0},
		{"npm packument invalid UTF-8", "GET", npmEP + "%FF%FE", bearer, nil, 0},
		{"npm scoped traversal", "GET", npmEP + "@scope%2f..%2f..%2fwharf.db", bearer, nil, 0},
		{"npm tarball traversal", "GET", npmEP + "good/-/..%2f..%2fwharf.db", bearer, nil, 0},
		{"npm publish named ../evil", "PUT", npmEP + "..%2fevil", bearer, npmPublishBody("../evil", "1.0.0", goodTgz), 0},
		{"npm publish, body names another package", "PUT", npmEP + "evil", bearer, npmPublishBody("../evil", "1.0.0", goodTgz), 0},
		{"npm publish, tarball entry claims 100 GB", "PUT", npmEP + "liar", bearer,
			npmPublishBody("liar", "1.0.0", gzipOf(t, tarOf(t, badTarEntry{name: "package/package.json", body: pj("liar", "1.0.0")}, badTarEntry{name: "package/big", body: "x", claim: 100 << 30}))), 0},
		{"npm publish, not gzip", "PUT", npmEP + "plain", bearer, npmPublishBody("plain", "1.0.0", []byte("just text")), 0},
		{"npm publish, truncated body", "PUT", npmEP + "trunc", bearer, npmPublishBody("trunc", "1.0.0", goodTgz)[:200], 10 << 20},
		{"npm publish, invalid UTF-8 in JSON", "PUT", npmEP + "utf", bearer, []byte("{\"name\":\"utf\xff\",\"versions\":{}}"), 0},
		{"npm publish, malformed JSON", "PUT", npmEP + "json", bearer, []byte(`{"name":"json","versions":{`), 0},
		{"pypi file ..%2f..%2fwharf.db", "GET", pypiEP + "files/x/1.0/..%2f..%2fwharf.db", basic(""), nil, 0},
		{"pypi simple .. segment", "GET", pypiEP + "simple/../../wharf.db", basic(""), nil, 0},
		{"pypi upload, ..\\ file name", "POST", pypiEP, basic(traversalCT), traversalWheel, 0},
		{"pypi upload, truncated", "POST", pypiEP, basic(truncCT), truncWheel[:len(truncWheel)/2], int64(len(truncWheel))},
		{"maven .. segments", "PUT", mavenEP + "com/acme/../../../x/1.0/x-1.0.jar", basic("application/java-archive"), []byte("x"), 0},
		{"maven encoded slash", "PUT", mavenEP + "com/acme/x/1.0/..%2f..%2fx-1.0.jar", basic("application/java-archive"), []byte("x"), 0},
		{"maven NUL", "PUT", mavenEP + "com/acme/x/1.0/x-1.0.jar%00", basic("application/java-archive"), []byte("x"), 0},
		{"maven backslash", "PUT", mavenEP + "com/acme/x/1.0/..%5c..%5cx-1.0.jar", basic("application/java-archive"), []byte("x"), 0},
		{"maven POM with entity expansion", "PUT", mavenEP + "com/acme/lol/1.0/lol-1.0.pom", basic("text/xml"),
			[]byte(`<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><project><groupId>com.acme</groupId><artifactId>lol</artifactId><version>1.0</version><name>&c;</name></project>`), 0},
		{"maven truncated upload", "PUT", mavenEP + "com/acme/trunc/1.0/trunc-1.0.jar", basic("application/java-archive"), []byte("short"), 1 << 20},
		{"maven metadata that is not XML", "PUT", mavenEP + "com/acme/good/maven-metadata.xml", basic("text/xml"), []byte("not xml"), 0},
		{"cargo index ..%2f..%2fwharf.db", "GET", cargoEP + "..%2f..%2fwharf.db", cargoAuth, nil, 0},
		{"cargo index .. segments", "GET", cargoEP + "go/od/../../../wharf.db", cargoAuth, nil, 0},
		{"cargo index uppercase path", "GET", cargoEP + "GO/OD/GOOD", cargoAuth, nil, 0},
		{"cargo download traversal", "GET", cargoEP + "api/v1/crates/..%2f..%2fwharf.db/1.0.0/download", cargoAuth, nil, 0},
		{"cargo publish, truncated body", "PUT", cargoEP + "api/v1/crates/new", cargoAuth, goodCrate[:len(goodCrate)-20], int64(len(goodCrate))},
		{"cargo publish, lengths lying", "PUT", cargoEP + "api/v1/crates/new", cargoAuth, append(append([]byte{}, goodCrate...), "more"...), 0},
		{"cargo publish, JSON length past the body", "PUT", cargoEP + "api/v1/crates/new", cargoAuth, append(binary.LittleEndian.AppendUint32(nil, 1<<24), '{'), 0},
		{"cargo publish, crate of another crate", "PUT", cargoEP + "api/v1/crates/new", cargoAuth, cargoBody("liar", "1.0.0", cargoCrate(t, "evil-1.0.0", "evil", "1.0.0")), 0},
		{"cargo publish, Cargo.toml names another crate", "PUT", cargoEP + "api/v1/crates/new", cargoAuth, cargoBody("liar", "1.0.0", cargoCrate(t, "liar-1.0.0", "evil", "1.0.0")), 0},
		{"cargo publish, not gzip", "PUT", cargoEP + "api/v1/crates/new", cargoAuth, cargoBody("liar", "1.0.0", []byte("just text")), 0},
		{"cargo publish, name ../evil", "PUT", cargoEP + "api/v1/crates/new", cargoAuth, cargoBody("../evil", "1.0.0", cargoCrate(t, "../evil-1.0.0", "../evil", "1.0.0")), 0},
		{"cargo publish, name colliding with good", "PUT", cargoEP + "api/v1/crates/new", cargoAuth, cargoBody("GOOD", "2.0.0", cargoCrate(t, "GOOD-2.0.0", "GOOD", "2.0.0")), 0},
		{"cargo publish, gzip bomb", "PUT", cargoEP + "api/v1/crates/new", cargoAuth, cargoBody("bomb", "1.0.0", archivetest.TarGzBomb([]archivetest.File{{Name: "bomb-1.0.0/Cargo.toml", Body: "[package]\nname = \"bomb\"\nversion = \"1.0.0\"\n"}}, "bomb-1.0.0/zeros", 1<<30)), 0},
	}
	// Refusing it means inflating npm's whole 8 GiB bound (zeros inflate
	// fast: about two seconds here).
	cases = append(cases, struct {
		name    string
		method  string
		target  string
		hdr     http.Header
		body    []byte
		claimed int64
	}{"npm publish, gzip bomb (9 GiB of zeros in 9 MB)", "PUT", npmEP + "bomb", bearer, npmPublishBody("bomb", "1.0.0", npmBomb(t, pj("bomb", "1.0.0"), 9<<30)), 0})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, body := badRaw(t, s, tc.method, tc.target, tc.hdr.Clone(), tc.body, tc.claimed)
			wantRefused(t, st, 0, body)
		})
	}
	waitUnchanged(t, s, c, before)
}
