package upstreamtest

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wheel builds a small wheel whose METADATA says what the test needs.
func wheel(t *testing.T, name, version, requiresPython string, requires ...string) (string, []byte) {
	t.Helper()
	mod := strings.ReplaceAll(name, "-", "_")
	meta := "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n"
	if requiresPython != "" {
		meta += "Requires-Python: " + requiresPython + "\n"
	}
	for _, r := range requires {
		meta += "Requires-Dist: " + r + "\n"
	}
	meta += "\nA test package.\n"
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for n, body := range map[string]string{
		mod + "/__init__.py":                                "VERSION = '" + version + "'\n",
		mod + "-" + version + ".dist-info/METADATA":         meta,
		mod + "-" + version + ".dist-info/WHEEL":            "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
		mod + "-" + version + ".dist-info/RECORD":           "",
		mod + "-" + version + ".dist-info/top_level.txt":    mod + "\n",
		mod + "-" + version + ".dist-info/entry_points.txt": "",
	} {
		w, _ := zw.Create(n)
		io.WriteString(w, body)
	}
	zw.Close()
	return mod + "-" + version + "-py3-none-any.whl", buf.Bytes()
}

type got struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, url string, hdr ...string) got {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return got{resp.StatusCode, resp.Header, string(b)}
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestNegotiate(t *testing.T) {
	for accept, want := range map[string]string{
		"": "text/html",
		// pip 23's header
		"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01": simpleJSON,
		"application/vnd.pypi.simple.v1+html":                        simpleHTML,
		"text/html":                                                  "text/html",
		"application/vnd.pypi.simple.latest+json":                    simpleJSON,
		"text/html, application/vnd.pypi.simple.v1+json":             simpleJSON, // a tie: JSON
		"application/vnd.pypi.simple.v1+json;q=0.5, text/html;q=0.9": "text/html",
		"application/json":                                           "",
		"application/vnd.pypi.simple.v1+json;q=0":                    "",
		"*/*": "text/html",
	} {
		if got := negotiate(accept); got != want {
			t.Errorf("negotiate(%q) = %q, want %q", accept, got, want)
		}
	}
}

func TestPyPI(t *testing.T) {
	p := NewPyPI()
	fn1, w1 := wheel(t, "Tiny.Lib", "1.0", ">=3.7", "dep-one>=1")
	fn2, w2 := wheel(t, "dep-one", "1.2", "")
	for _, f := range []struct {
		name string
		data []byte
	}{{fn1, w1}, {fn2, w2}} {
		if err := p.Add(f.name, f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Add(fn1, w1); err == nil {
		t.Fatal("the same file added twice")
	}
	if err := p.Add("junk.zip", []byte("x")); err == nil {
		t.Fatal("a file that is no distribution was accepted")
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	fileURL := srv.URL + "/packages/" + sha(w1)[:2] + "/" + sha(w1)[2:4] + "/" + sha(w1)[4:] + "/" + fn1

	cases := []struct {
		name, path, accept string
		status             int
		ctype              string
		contains           []string
	}{
		{"json page", "/simple/tiny-lib/", simpleJSON, 200, simpleJSON, []string{
			`"name":"tiny-lib"`, `"versions":["1.0"]`, `"url":"` + fileURL + `"`, `"hashes":{"sha256":"` + sha(w1) + `"}`,
			`"requires-python":"\u003e=3.7"`, `"core-metadata":{"sha256":`, `"api-version":"1.1"`, `"yanked":false`}},
		{"html page", "/simple/tiny-lib/", "text/html", 200, "text/html", []string{
			`<a href="` + fileURL + `#sha256=` + sha(w1) + `" data-requires-python="&gt;=3.7" data-dist-info-metadata="sha256=`,
			`pypi:repository-version`, `>` + fn1 + `</a>`}},
		{"pip's accept header", "/simple/dep-one/", "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01",
			200, simpleJSON, []string{`"requires-python":null`}},
		{"project list, json", "/simple/", simpleJSON, 200, simpleJSON, []string{`{"name":"Tiny.Lib"}`, `{"name":"dep-one"}`}},
		{"project list, html", "/simple/", "", 200, "text/html", []string{`<a href="/simple/tiny-lib/">Tiny.Lib</a>`}},
		{"not normalized", "/simple/Tiny_Lib/", simpleJSON, 301, "", nil},
		{"no slash", "/simple/tiny-lib", simpleJSON, 301, "", nil},
		{"unknown project", "/simple/nothing/", simpleJSON, 404, "", nil},
		{"not acceptable", "/simple/tiny-lib/", "application/json", 406, "", nil},
		{"file", strings.TrimPrefix(fileURL, srv.URL), "", 200, "application/octet-stream", []string{string(w1[:20])}},
		{"core metadata", strings.TrimPrefix(fileURL, srv.URL) + ".metadata", "", 200, "", []string{"Requires-Dist: dep-one>=1"}},
		{"unknown file", "/packages/00/00/00/none.whl", "", 404, "", nil},
	}
	for _, tc := range cases {
		g := get(t, srv.URL+tc.path, "Accept", tc.accept)
		if g.status != tc.status || tc.ctype != "" && !strings.HasPrefix(g.header.Get("Content-Type"), tc.ctype) {
			t.Errorf("%s: %d %s, want %d %s\n%s", tc.name, g.status, g.header.Get("Content-Type"), tc.status, tc.ctype, g.body)
			continue
		}
		for _, s := range tc.contains {
			if !strings.Contains(g.body, s) {
				t.Errorf("%s: no %q in\n%s", tc.name, s, g.body)
			}
		}
	}
	if g := get(t, srv.URL+"/simple/Tiny_Lib/"); g.header.Get("Location") != "/simple/tiny-lib/" {
		t.Errorf("redirect to %q", g.header.Get("Location"))
	}
	// JSON is what a client reads: it parses and the file's bytes match.
	var page struct {
		Files []struct {
			URL    string
			Hashes map[string]string
		}
	}
	if err := json.Unmarshal([]byte(get(t, srv.URL+"/simple/tiny-lib/", "Accept", simpleJSON).body), &page); err != nil || len(page.Files) != 1 {
		t.Fatalf("page %+v: %v", page, err)
	}
	if b := get(t, page.Files[0].URL).body; sha([]byte(b)) != page.Files[0].Hashes["sha256"] {
		t.Fatal("the file does not match its published hash")
	}

	// Conditional requests.
	g := get(t, srv.URL+"/simple/tiny-lib/", "Accept", simpleJSON)
	if g2 := get(t, srv.URL+"/simple/tiny-lib/", "Accept", simpleJSON, "If-None-Match", g.header.Get("ETag")); g2.status != 304 {
		t.Fatalf("If-None-Match: %d", g2.status)
	}

	// A version released after the first fetch.
	fn3, w3 := wheel(t, "tiny-lib", "1.1", ">=3.7")
	if err := p.Add(fn3, w3); err != nil {
		t.Fatal(err)
	}
	g2 := get(t, srv.URL+"/simple/tiny-lib/", "Accept", simpleJSON, "If-None-Match", g.header.Get("ETag"))
	if g2.status != 200 || !strings.Contains(g2.body, `"versions":["1.0","1.1"]`) {
		t.Fatalf("after a release: %d %s", g2.status, g2.body)
	}

	// A corrupted file: other bytes, same published hash.
	p.Corrupt(fn1)
	if b := get(t, fileURL).body; len(b) != len(w1) || sha([]byte(b)) == sha(w1) || p.FileSHA256(fn1) != sha(w1) {
		t.Fatal("Corrupt did not change the bytes served, or changed the published hash")
	}
}

func TestInstalledWheel(t *testing.T) {
	site := t.TempDir()
	di := filepath.Join(site, "tiny_lib-1.0.dist-info")
	files := map[string]string{
		"tiny_lib/__init__.py":                 "X = 1\n",
		"tiny_lib/sub/mod.py":                  "Y = 2\n",
		"tiny_lib-1.0.dist-info/METADATA":      "Metadata-Version: 2.1\nName: tiny-lib\nVersion: 1.0\nRequires-Dist: dep-one\n",
		"tiny_lib-1.0.dist-info/WHEEL":         "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
		"tiny_lib-1.0.dist-info/INSTALLER":     "debian\n",
		"tiny_lib-1.0.dist-info/RECORD":        "tiny_lib/__init__.py,sha256=x,6\ntiny_lib/sub/mod.py,,\n../../bin/tiny,sha256=y,3\ntiny_lib/__pycache__/x.pyc,,\n",
		"tiny_lib/__pycache__/x.cpython.pyc":   "junk",
		"tiny_lib/not_in_record.py":            "left out\n",
		"tiny_lib-1.0.dist-info/top_level.txt": "tiny_lib\n",
	}
	for n, b := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(site, n)), 0o755)
		os.WriteFile(filepath.Join(site, n), []byte(b), 0o644)
	}
	found, err := FindDistInfo(site, "Tiny.Lib")
	if err != nil || found != di {
		t.Fatalf("FindDistInfo: %q %v", found, err)
	}
	name, data, err := InstalledWheel(di)
	if err != nil {
		t.Fatal(err)
	}
	if name != "tiny_lib-1.0-py3-none-any.whl" {
		t.Fatalf("file name %q", name)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	want := "tiny_lib-1.0.dist-info/METADATA tiny_lib-1.0.dist-info/WHEEL tiny_lib-1.0.dist-info/top_level.txt tiny_lib/__init__.py tiny_lib/sub/mod.py tiny_lib-1.0.dist-info/RECORD"
	if strings.Join(names, " ") != want {
		t.Fatalf("wheel holds %v\nwant %s", names, want)
	}
	if err := NewPyPI().Add(name, data); err != nil {
		t.Fatalf("the index refuses the rebuilt wheel: %v", err)
	}
	os.WriteFile(filepath.Join(di, "WHEEL"), []byte("Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n"), 0o644)
	if _, _, err := InstalledWheel(di); err == nil {
		t.Fatal("a platform wheel was rebuilt")
	}
}

// mavenTree lays out a small repository as Debian's: a version and the
// "debian" alias, the jar a symbolic link outside the tree.
func mavenTree(t *testing.T) (root string, jar []byte) {
	t.Helper()
	root = t.TempDir()
	jar = []byte("PK\x03\x04 a jar")
	java := filepath.Join(t.TempDir(), "lib.jar")
	os.WriteFile(java, jar, 0o644)
	for _, v := range []string{"1.10", "1.9", "debian", "2.0-SNAPSHOT"} {
		dir := filepath.Join(root, "org", "acme", "lib", v)
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "lib-"+v+".pom"), []byte("<project>"+v+"</project>"), 0o644)
		if err := os.Symlink(java, filepath.Join(dir, "lib-"+v+".jar")); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, "org", "acme", "lib", "notes"), 0o755) // not a version: no POM
	return root, jar
}

func TestMaven(t *testing.T) {
	root, jar := mavenTree(t)
	m := NewMaven(root)
	srv := httptest.NewServer(m)
	defer srv.Close()
	s1 := sha1.Sum(jar)
	cases := []struct {
		path   string
		status int
		body   string
	}{
		{"/org/acme/lib/1.10/lib-1.10.jar", 200, string(jar)},
		{"/org/acme/lib/1.10/lib-1.10.jar.sha1", 200, hex.EncodeToString(s1[:])},
		{"/org/acme/lib/1.10/lib-1.10.jar.sha256", 200, sha(jar)},
		{"/org/acme/lib/1.10/lib-1.10.pom", 200, "<project>1.10</project>"},
		{"/org/acme/lib/1.10/", 404, ""},
		{"/org/acme/lib/1.10", 404, ""},
		{"/org/acme/lib/1.11/lib-1.11.jar", 404, ""},
		{"/org/acme/lib/1.11/lib-1.11.jar.sha1", 404, ""},
		{"/org/acme/maven-metadata.xml", 404, ""},
		{"/org/acme/lib/../lib/1.10/lib-1.10.pom", 404, ""},
	}
	for _, tc := range cases {
		g := get(t, srv.URL+tc.path)
		if g.status != tc.status || tc.body != "" && g.body != tc.body {
			t.Errorf("GET %s: %d %q, want %d %q", tc.path, g.status, g.body, tc.status, tc.body)
		}
	}
	md := func() mavenMetadata {
		g := get(t, srv.URL+"/org/acme/lib/maven-metadata.xml")
		var md mavenMetadata
		if err := xml.Unmarshal([]byte(g.body), &md); err != nil || g.status != 200 {
			t.Fatalf("metadata %d %v\n%s", g.status, err, g.body)
		}
		sum := sha1.Sum([]byte(g.body))
		if s := get(t, srv.URL+"/org/acme/lib/maven-metadata.xml.sha1").body; s != hex.EncodeToString(sum[:]) {
			t.Fatalf("metadata .sha1 %q does not match", s)
		}
		return md
	}
	got := md()
	if got.GroupID != "org.acme" || got.ArtifactID != "lib" || strings.Join(got.Versioning.Versions, " ") != "debian 1.9 1.10 2.0-SNAPSHOT" ||
		got.Versioning.Latest != "2.0-SNAPSHOT" || got.Versioning.Release != "1.10" || len(got.Versioning.LastUpdated) != 14 {
		t.Fatalf("metadata %+v", got)
	}

	// A release after the first fetch, then a corrupted jar.
	m.Add("org.acme", "lib", "1.11", map[string][]byte{"pom": []byte("<project>1.11</project>"), "jar": []byte("new jar"), "sources.jar": []byte("src")})
	if got := md(); got.Versioning.Release != "1.11" {
		t.Fatalf("after a release: %+v", got.Versioning)
	}
	if g := get(t, srv.URL+"/org/acme/lib/1.11/lib-1.11-sources.jar"); g.body != "src" {
		t.Fatalf("classifier file: %d %q", g.status, g.body)
	}
	m.Corrupt("org/acme/lib/1.10/lib-1.10.jar")
	if g := get(t, srv.URL+"/org/acme/lib/1.10/lib-1.10.jar"); g.body == string(jar) || len(g.body) != len(jar) {
		t.Fatal("Corrupt did not change the bytes")
	}
	if g := get(t, srv.URL+"/org/acme/lib/1.10/lib-1.10.jar.sha1"); g.body != hex.EncodeToString(s1[:]) {
		t.Fatal("Corrupt changed the published checksum")
	}
	// A plugin group lists its plugins' prefixes; other directories and a
	// plugin without a POM are not plugin groups.
	m.Add("org.acme.plugins", "maven-foo-plugin", "1.0", map[string][]byte{"pom": []byte("<project/>")})
	m.Add("org.acme.plugins", "bar-maven-plugin", "2.0", map[string][]byte{"pom": []byte("<project/>")})
	m.Add("org.acme.plugins", "maven-nopom-plugin", "1.0", map[string][]byte{"jar": []byte("jar")})
	m.Add("org.acme.plugins", "helper", "1.0", map[string][]byte{"pom": []byte("<project/>")})
	if g := get(t, srv.URL+"/org/acme/plugins/maven-metadata.xml"); g.status != 200 ||
		!strings.Contains(g.body, "<prefix>foo</prefix>\n      <artifactId>maven-foo-plugin</artifactId>") ||
		!strings.Contains(g.body, "<prefix>bar</prefix>\n      <artifactId>bar-maven-plugin</artifactId>") ||
		strings.Contains(g.body, "nopom") || strings.Contains(g.body, "helper") {
		t.Fatalf("plugin group metadata: %d\n%s", g.status, g.body)
	}
	for _, tc := range []struct{ artifact, prefix string }{
		{"maven-dependency-plugin", "dependency"}, {"versions-maven-plugin", "versions"}, {"maven-plugin", ""}, {"-maven-plugin", ""}, {"lib", ""},
	} {
		if got := pluginPrefix(tc.artifact); got != tc.prefix {
			t.Errorf("pluginPrefix(%q) = %q, want %q", tc.artifact, got, tc.prefix)
		}
	}

	// Conditional GET, as Maven's resolver may send.
	g := get(t, srv.URL+"/org/acme/lib/1.9/lib-1.9.pom")
	if g2 := get(t, srv.URL+"/org/acme/lib/1.9/lib-1.9.pom", "If-Modified-Since", g.header.Get("Last-Modified")); g2.status != 304 {
		t.Fatalf("If-Modified-Since: %d", g2.status)
	}
}

func TestCompareMavenVersions(t *testing.T) {
	ordered := []string{"debian", "1.0-alpha-1", "1.0-beta", "1.0-rc1", "1.0-SNAPSHOT", "1", "1.0.0", "1-sp", "1.1", "1.9", "1.10", "2.0"}
	for i := range ordered {
		for j := range ordered {
			got := CompareMavenVersions(ordered[i], ordered[j])
			want := 0
			switch {
			case ordered[i] == "1" && ordered[j] == "1.0.0", ordered[i] == "1.0.0" && ordered[j] == "1":
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got != want {
				t.Errorf("compare(%s, %s) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
}

func TestNpm(t *testing.T) {
	dir := t.TempDir()
	tgz := []byte("\x1f\x8b tarball bytes")
	full := `{"name":"@acme/lib","versions":{"1.0.0":{"dist":{"tarball":"https://registry.npmjs.org/@acme/lib/-/lib-1.0.0.tgz"}}}}`
	abbrev := `{"name":"@acme/lib","modified":"2024-01-01T00:00:00Z","versions":{"1.0.0":{"dist":{"tarball":"https://registry.npmjs.org/@acme/lib/-/lib-1.0.0.tgz"}}}}`
	for path, body := range map[string]string{
		PackumentFile(dir, "@acme/lib", false):         full,
		PackumentFile(dir, "@acme/lib", true):          abbrev,
		PackumentFile(dir, "plain", false):             `{"name":"plain"}`,
		TarballFile(dir, "@acme/lib", "lib-1.0.0.tgz"): string(tgz),
	} {
		os.MkdirAll(filepath.Dir(path), 0o755)
		os.WriteFile(path, []byte(body), 0o644)
	}
	n := NewNpm(dir)
	srv := httptest.NewServer(n)
	defer srv.Close()
	corgi := "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"
	cases := []struct {
		path, accept string
		status       int
		ctype        string
		body         string
	}{
		{"/@acme%2flib", "application/json", 200, "application/json", strings.ReplaceAll(full, NpmOrigin, srv.URL)},
		{"/@acme%2Flib", corgi, 200, "application/vnd.npm.install-v1+json", strings.ReplaceAll(abbrev, NpmOrigin, srv.URL)},
		{"/@acme/lib", "application/json", 200, "application/json", strings.ReplaceAll(full, NpmOrigin, srv.URL)},
		{"/plain", corgi, 200, "application/json", `{"name":"plain"}`}, // no install document: the full one
		{"/@acme/lib/-/lib-1.0.0.tgz", "*/*", 200, "application/octet-stream", string(tgz)},
		{"/@acme/lib/-/lib-9.0.0.tgz", "*/*", 404, "application/json", `{"error":"Not found"}` + "\n"},
		{"/nothing", "application/json", 404, "application/json", `{"error":"Not found"}` + "\n"},
		{"/../etc/passwd", "application/json", 404, "", ""},
	}
	for _, tc := range cases {
		g := get(t, srv.URL+tc.path, "Accept", tc.accept)
		if g.status != tc.status || tc.ctype != "" && g.header.Get("Content-Type") != tc.ctype || tc.body != "" && g.body != tc.body {
			t.Errorf("GET %s: %d %s %q\nwant %d %s %q", tc.path, g.status, g.header.Get("Content-Type"), g.body, tc.status, tc.ctype, tc.body)
		}
	}
	g := get(t, srv.URL+"/@acme%2flib")
	if g2 := get(t, srv.URL+"/@acme%2flib", "If-None-Match", g.header.Get("ETag")); g2.status != 304 {
		t.Fatalf("If-None-Match: %d", g2.status)
	}
	n.Corrupt("/@acme/lib/-/lib-1.0.0.tgz")
	if g := get(t, srv.URL+"/@acme/lib/-/lib-1.0.0.tgz"); g.body == string(tgz) {
		t.Fatal("Corrupt did not change the tarball")
	}
	if got := n.Requests("/@acme%2flib"); got != 3 {
		t.Fatalf("%d requests counted for /@acme%%2flib, want 3", got)
	}

	// A release while running: both documents show it as latest, the
	// old validators no longer match, its tarball is served.
	tgz2 := []byte("\x1f\x8b second tarball")
	m2 := `{"name":"@acme/lib","version":"1.1.0","dist":{"tarball":"https://registry.npmjs.org/@acme/lib/-/lib-1.1.0.tgz"}}`
	if err := n.AddVersion("@acme/lib", []byte(m2), tgz2); err != nil {
		t.Fatal(err)
	}
	for _, accept := range []string{"application/json", corgi} {
		g2 := get(t, srv.URL+"/@acme%2flib", "Accept", accept)
		var doc struct {
			DistTags map[string]string          `json:"dist-tags"`
			Versions map[string]json.RawMessage `json:"versions"`
			Time     map[string]string          `json:"time"`
			Modified string                     `json:"modified"`
		}
		if err := json.Unmarshal([]byte(g2.body), &doc); err != nil || g2.status != 200 {
			t.Fatalf("%s after AddVersion: %d %v %s", accept, g2.status, err, g2.body)
		}
		if doc.DistTags["latest"] != "1.1.0" || len(doc.Versions) != 2 || !strings.Contains(string(doc.Versions["1.1.0"]), srv.URL+"/@acme/lib/-/lib-1.1.0.tgz") ||
			doc.Time["1.1.0"] == "" && doc.Modified == "" {
			t.Errorf("%s after AddVersion: %s", accept, g2.body)
		}
	}
	if g2 := get(t, srv.URL+"/@acme%2flib", "If-None-Match", g.header.Get("ETag")); g2.status != 200 {
		t.Errorf("If-None-Match with the ETag from before the release: %d, want 200", g2.status)
	}
	if g := get(t, srv.URL+"/@acme/lib/-/lib-1.1.0.tgz"); g.status != 200 || g.body != string(tgz2) {
		t.Errorf("added tarball: %d %q", g.status, g.body)
	}
	n.Corrupt("/@acme/lib/-/lib-1.1.0.tgz")
	if g := get(t, srv.URL+"/@acme/lib/-/lib-1.1.0.tgz"); g.body == string(tgz2) {
		t.Error("Corrupt did not change the added tarball")
	}
	// A package the fixture lacks can be released too.
	if err := n.AddVersion("fresh", []byte(`{"name":"fresh","version":"0.1.0","dist":{"tarball":"https://registry.npmjs.org/fresh/-/fresh-0.1.0.tgz"}}`), tgz); err != nil {
		t.Fatal(err)
	}
	if g := get(t, srv.URL+"/fresh", "Accept", corgi); g.status != 200 || !strings.Contains(g.body, `"latest":"0.1.0"`) {
		t.Errorf("released new package: %d %s", g.status, g.body)
	}
	for _, bad := range []string{
		`{"name":"other","version":"1.0.0","dist":{"tarball":"https://registry.npmjs.org/other/-/other-1.0.0.tgz"}}`,
		`{"name":"fresh","dist":{"tarball":"https://registry.npmjs.org/fresh/-/fresh-1.0.0.tgz"}}`,
		`{"name":"fresh","version":"1.0.0","dist":{"tarball":"https://elsewhere.example/fresh/-/fresh-1.0.0.tgz"}}`,
		`not json`,
	} {
		if err := n.AddVersion("fresh", []byte(bad), tgz); err == nil {
			t.Errorf("AddVersion accepted %s", bad)
		}
	}
}

// Every stand-in has the same switches: a delay, two kinds of outage and
// request counts.
func TestControl(t *testing.T) {
	root, _ := mavenTree(t)
	npmDir := t.TempDir()
	os.MkdirAll(filepath.Join(npmDir, "packuments"), 0o755)
	os.WriteFile(PackumentFile(npmDir, "plain", false), []byte(`{"name":"plain"}`), 0o644)
	p := NewPyPI()
	fn, w := wheel(t, "tiny", "1.0", "")
	p.Add(fn, w)
	for _, tc := range []struct {
		name string
		h    interface {
			http.Handler
			control() *Control
		}
		path string
	}{
		{"pypi", p, "/simple/tiny/"},
		{"maven", NewMaven(root), "/org/acme/lib/1.9/lib-1.9.pom"},
		{"npm", NewNpm(npmDir), "/plain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			c := tc.h.control()
			if g := get(t, srv.URL+tc.path); g.status != 200 {
				t.Fatalf("up: %d", g.status)
			}
			c.SetDelay(60 * time.Millisecond)
			t0 := time.Now()
			get(t, srv.URL+tc.path)
			if el := time.Since(t0); el < 60*time.Millisecond {
				t.Fatalf("answered after %v despite a 60ms delay", el)
			}
			c.SetDelay(0)
			c.SetOutage(Unavailable)
			if g := get(t, srv.URL+tc.path); g.status != 503 {
				t.Fatalf("unavailable: %d", g.status)
			}
			c.SetOutage(Unreachable)
			cl := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			if resp, err := cl.Get(srv.URL + tc.path); err == nil {
				resp.Body.Close()
				t.Fatalf("unreachable: answered %d", resp.StatusCode)
			} else if errors.Is(err, http.ErrHandlerTimeout) {
				t.Fatal(err)
			}
			c.SetOutage(Up)
			if g := get(t, srv.URL+tc.path); g.status != 200 {
				t.Fatalf("up again: %d", g.status)
			}
			if c.Requests(tc.path) != 5 || c.Total() != 5 || len(c.Paths()) != 1 {
				t.Fatalf("counted %d for the path, %d in all, paths %v; want 5", c.Requests(tc.path), c.Total(), c.Paths())
			}
			c.ResetCounts()
			if c.Total() != 0 || c.Requests(tc.path) != 0 {
				t.Fatal("ResetCounts")
			}
		})
	}
}

func (c *Control) control() *Control { return c }
