package upstreamtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The index line is what crates.io writes for the Cargo.toml: every kind
// of dependency, a rename as name+package, target-specific ones, the v2
// features apart, links and rust_version.
func TestCargoIndexLine(t *testing.T) {
	manifest := `[package]
name = "My_Crate"
version = "1.2.3"
links = "z"
rust-version = "1.60"

[dependencies]
plain = "1.0"
[dependencies.renamed]
version = "^2"
package = "real-name"
optional = true
default-features = false
features = ["a", "b"]

[dev-dependencies.tester]
version = "0.1"

[build-dependencies]
cc = { version = "1" }

[target."cfg(unix)".dependencies.libc]
version = "0.2"

[features]
default = ["std"]
std = []
opt = ["dep:renamed", "plain?/x"]
`
	line, name, vers, err := cargoIndexLine([]byte(manifest), "00ff")
	if err != nil || name != "My_Crate" || vers != "1.2.3" {
		t.Fatalf("cargoIndexLine = %s %s %v", name, vers, err)
	}
	b, _ := json.Marshal(line)
	want := `{"cksum":"00ff","deps":[` +
		`{"default_features":true,"features":[],"kind":"build","name":"cc","optional":false,"req":"1","target":null},` +
		`{"default_features":true,"features":[],"kind":"normal","name":"libc","optional":false,"req":"0.2","target":"cfg(unix)"},` +
		`{"default_features":true,"features":[],"kind":"normal","name":"plain","optional":false,"req":"1.0","target":null},` +
		`{"default_features":false,"features":["a","b"],"kind":"normal","name":"renamed","optional":true,"package":"real-name","req":"^2","target":null},` +
		`{"default_features":true,"features":[],"kind":"dev","name":"tester","optional":false,"req":"0.1","target":null}],` +
		`"features":{"default":["std"],"std":[]},"features2":{"opt":["dep:renamed","plain?/x"]},"links":"z","name":"My_Crate","rust_version":"1.60","v":2,"vers":"1.2.3"}`
	if string(b) != want {
		t.Fatalf("line\n got %s\nwant %s", b, want)
	}
	for _, bad := range []string{"[package]\nname = \"x\"\n", "not toml ===", "[package]\nname=\"x\"\nversion=\"1.0.0\"\n[dependencies]\nx = 3\n"} {
		if _, _, _, err := cargoIndexLine([]byte(bad), "00"); err == nil {
			t.Errorf("cargoIndexLine(%q) accepted it", bad)
		}
	}
}

// A crate directory packages into a deterministic .crate under
// NAME-VERSION/, less Debian's additions; a version given replaces the
// manifest's.
func TestCrateFromDir(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"Cargo.toml":           "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n\n[dependencies.x]\nversion = \"1\"\n",
		"src/lib.rs":           "pub fn f() {}\n",
		".cargo-checksum.json": "{}",
		"debian/patches/p":     "x",
	} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	name, vers, data, err := CrateFromDir(dir, "")
	if err != nil || name != "demo" || vers != "0.1.0" {
		t.Fatalf("CrateFromDir = %s %s %v", name, vers, err)
	}
	if _, _, again, _ := CrateFromDir(dir, ""); !bytes.Equal(again, data) {
		t.Fatal("the same sources packaged into other bytes")
	}
	m, err := crateManifest(data)
	if err != nil || !strings.Contains(string(m), `version = "0.1.0"`) {
		t.Fatalf("manifest %q %v", m, err)
	}
	_, vers, bumped, err := CrateFromDir(dir, "0.2.0")
	if err != nil || vers != "0.2.0" {
		t.Fatalf("bumped: %s %v", vers, err)
	}
	if m, _ := crateManifest(bumped); !strings.Contains(string(m), `version = "0.2.0"`) || !strings.Contains(string(m), "[dependencies.x]\nversion = \"1\"") {
		t.Fatalf("bumped manifest %q", m)
	}
	c := NewCargo()
	if err := c.AddCrate(data); err != nil {
		t.Fatal(err)
	}
	if err := c.AddCrate(data); err == nil {
		t.Fatal("the same version added twice")
	}
}

// The registry serves config.json, index files with ETags and 304s, the
// downloads, yanked flags and corrupted bytes, and 404s for the rest.
func TestCargoServes(t *testing.T) {
	c := NewCargo()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Cargo.toml"), []byte("[package]\nname = \"Abcd\"\nversion = \"1.0.0\"\n"), 0o644)
	if _, _, err := c.AddDir(dir, ""); err != nil {
		t.Fatal(err)
	}
	_, _, crate, _ := CrateFromDir(dir, "")
	srv := httptest.NewServer(c)
	defer srv.Close()
	get := func(path string, hdr ...string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	if resp, b := get("/config.json"); resp.StatusCode != 200 || !strings.Contains(string(b), `"dl":"`+srv.URL+`/crates"`) {
		t.Fatalf("config.json: %d %s", resp.StatusCode, b)
	}
	resp, b := get("/ab/cd/abcd")
	sum := sha256.Sum256(crate)
	if resp.StatusCode != 200 || !strings.Contains(string(b), hex.EncodeToString(sum[:])) || !strings.Contains(string(b), `"yanked":false`) {
		t.Fatalf("index file: %d %s", resp.StatusCode, b)
	}
	if again, _ := get("/ab/cd/abcd", "If-None-Match", resp.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation: %d", again.StatusCode)
	}
	c.Yank("abcd", "1.0.0", true)
	if resp, b := get("/ab/cd/abcd"); !strings.Contains(string(b), `"yanked":true`) || resp.Header.Get("ETag") == "" {
		t.Fatalf("yanked: %s", b)
	}
	if resp, b := get("/crates/Abcd/1.0.0/download"); resp.StatusCode != 200 || !bytes.Equal(b, crate) {
		t.Fatalf("download: %d", resp.StatusCode)
	}
	c.Corrupt("Abcd", "1.0.0")
	if _, b := get("/crates/Abcd/1.0.0/download"); bytes.Equal(b, crate) || len(b) != len(crate) {
		t.Fatal("corrupted download served the true bytes")
	}
	for _, p := range []string{"/AB/CD/ABCD", "/ab/cd/nope", "/a/b", "/crates/Abcd/9.9.9/download", "/crates/Abcd/1.0.0"} {
		if resp, _ := get(p); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
	c.SetOutage(Unavailable)
	if resp, _ := get("/ab/cd/abcd"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("outage: %d", resp.StatusCode)
	}
}
