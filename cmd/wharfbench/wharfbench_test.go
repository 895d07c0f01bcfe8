package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/upstreamtest"
)

func TestStatOf(t *testing.T) {
	cases := []struct {
		in            []float64
		med, min, max float64
	}{
		{[]float64{3}, 3, 3, 3},
		{[]float64{5, 1, 3}, 3, 1, 5},
		{[]float64{4, 1, 3, 2}, 2.5, 1, 4},
	}
	for _, c := range cases {
		s := statOf(c.in)
		if s.Median != c.med || s.Min != c.min || s.Max != c.max {
			t.Errorf("statOf(%v) = %+v, want median %v in [%v, %v]", c.in, s, c.med, c.min, c.max)
		}
		if len(s.All) != len(c.in) || s.All[0] != c.in[0] {
			t.Errorf("statOf(%v) lost the rounds' order: %v", c.in, s.All)
		}
	}
}

func TestQuantile(t *testing.T) {
	d := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for q, want := range map[float64]time.Duration{0.5: 5, 0.99: 10, 0.1: 1} {
		if got := quantile(d, q); got != want {
			t.Errorf("quantile(%v) = %v, want %v", q, got, want)
		}
	}
	if quantile(nil, 0.5) != 0 {
		t.Error("quantile of nothing")
	}
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{1234567: "1,234,567", 999: "999", 12.345: "12.3", 0.5: "0.50", 1000: "1,000"} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
}

// The load generator sends exactly n requests over conc connections and
// fails the run on the first bad answer.
func TestLoad(t *testing.T) {
	var hits, bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad" {
			bad.Add(1)
			http.Error(w, "no", http.StatusTeapot)
			return
		}
		hits.Add(1)
		io.WriteString(w, "hello")
	}))
	defer srv.Close()
	c := newClient(4)
	run, err := Load(context.Background(), c, 100, 4, func(int) (*http.Request, error) { return http.NewRequest("GET", srv.URL+"/ok", nil) })
	if err != nil {
		t.Fatal(err)
	}
	if run.Requests != 100 || hits.Load() != 100 || run.Bytes != 500 || run.RPS() <= 0 {
		t.Fatalf("run %+v after %d hits", run, hits.Load())
	}
	_, err = Load(context.Background(), c, 50, 4, func(i int) (*http.Request, error) {
		path := "/ok"
		if i == 10 {
			path = "/bad"
		}
		return http.NewRequest("GET", srv.URL+path, nil)
	})
	if err == nil || !strings.Contains(err.Error(), "status 418") {
		t.Fatalf("a 418 in the run: %v", err)
	}
}

// The generated packages are what npm publish would send: a tarball with
// package/package.json naming the version, and an integrity that matches.
func TestNpmPackage(t *testing.T) {
	p := npmPackage{Name: "bench-x", Version: "1.2.3", Deps: map[string]string{"y": "^1.0.0"}, Filler: 1000}
	doc, err := p.publishDoc("http://r.example/npm/")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Name     string
		Versions map[string]struct {
			Dist struct{ Integrity, Tarball string }
		}
		Attachments map[string]struct{ Data string } `json:"_attachments"`
	}
	if err := json.Unmarshal(doc, &body); err != nil {
		t.Fatal(err)
	}
	tgz, err := base64.StdEncoding.DecodeString(body.Attachments["bench-x-1.2.3.tgz"].Data)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512(tgz)
	v := body.Versions["1.2.3"]
	if v.Dist.Integrity != "sha512-"+base64.StdEncoding.EncodeToString(sum[:]) || v.Dist.Tarball != "http://r.example/npm/bench-x/-/bench-x-1.2.3.tgz" {
		t.Fatalf("dist %+v", v.Dist)
	}
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name], _ = io.ReadAll(tr)
	}
	var pj struct{ Name, Version string }
	json.Unmarshal(files["package/package.json"], &pj)
	if pj.Name != "bench-x" || pj.Version != "1.2.3" || len(files["package/data.bin"]) != 1000 {
		t.Fatalf("tarball holds %v, package.json %+v", len(files), pj)
	}
}

func TestDepTree(t *testing.T) {
	roots, pkgs := depTree("d")
	names := map[string]bool{}
	for _, p := range pkgs {
		names[p.Name] = true
		for dep := range p.Deps {
			if !strings.HasPrefix(dep, "d-") {
				t.Errorf("%s depends on %s outside the tree", p.Name, dep)
			}
		}
	}
	if len(roots) != 10 || len(names) != 50 || len(pkgs) != 150 {
		t.Fatalf("%d roots, %d packages, %d versions", len(roots), len(names), len(pkgs))
	}
}

func TestGenReader(t *testing.T) {
	a, _ := io.ReadAll(newGen(7, 100000))
	b, _ := io.ReadAll(newGen(7, 100000))
	c, _ := io.ReadAll(newGen(8, 100000))
	if len(a) != 100000 || !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Fatalf("generator: %d bytes, repeatable %v, seed-dependent %v", len(a), bytes.Equal(a, b), !bytes.Equal(a, c))
	}
}

func TestCheckIntegrity(t *testing.T) {
	b := []byte("tarball")
	s512 := sha512.Sum512(b)
	s1 := sha1.Sum(b)
	good512 := "sha512-" + base64.StdEncoding.EncodeToString(s512[:])
	good1 := "sha1-" + base64.StdEncoding.EncodeToString(s1[:])
	for _, tc := range []struct {
		sri string
		ok  bool
	}{
		{good512, true},
		{good1, true},
		{"md5-xyz " + good512, true},
		{"sha512-" + base64.StdEncoding.EncodeToString(s1[:]), false},
		{"", false},
		{"md5-xyz", false},
	} {
		if err := checkIntegrity(tc.sri, b); (err == nil) != tc.ok {
			t.Errorf("checkIntegrity(%q) = %v, want ok=%v", tc.sri, err, tc.ok)
		}
	}
}

// countInstalled counts every package of a node_modules tree: scoped,
// nested, not .bin nor stray folders.
func TestCountInstalled(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a", "@s/b", "@s/c", "a/node_modules/d", "a/node_modules/@t/e", "@s/b/node_modules/f"} {
		pkg := filepath.Join(dir, "node_modules", filepath.FromSlash(p))
		os.MkdirAll(pkg, 0o755)
		os.WriteFile(filepath.Join(pkg, "package.json"), []byte("{}"), 0o644)
	}
	os.MkdirAll(filepath.Join(dir, "node_modules", ".bin", "x"), 0o755)
	os.MkdirAll(filepath.Join(dir, "node_modules", "not-a-package"), 0o755)
	if got := countInstalled(dir); got != 6 {
		t.Fatalf("countInstalled = %d, want 6", got)
	}
}

// The static mirror puts install documents where npm asks for them, and
// tarballs where their rewritten URLs point.
func TestStaticProxyMirror(t *testing.T) {
	fx := &proxyFixture{Dir: t.TempDir()}
	files := map[string]string{
		upstreamtest.PackumentFile(fx.Dir, "@s/p", true):        `{"dist":{"tarball":"` + upstreamtest.NpmOrigin + `/@s/p/-/p-1.0.0.tgz"}}`,
		upstreamtest.PackumentFile(fx.Dir, "q", true):           `{"dist":{"tarball":"` + upstreamtest.NpmOrigin + `/q/-/q-1.0.0.tgz"}}`,
		upstreamtest.TarballFile(fx.Dir, "@s/p", "p-1.0.0.tgz"): "P",
		upstreamtest.TarballFile(fx.Dir, "q", "q-1.0.0.tgz"):    "Q",
	}
	for p, body := range files {
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	dir := t.TempDir()
	srv := httptest.NewServer(http.StripPrefix("/files/", http.FileServer(http.Dir(dir))))
	defer srv.Close()
	if err := staticProxyMirror(fx, dir, srv.URL+"/files/"); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/files/@s%2fp":                  `{"dist":{"tarball":"` + srv.URL + `/files/_tgz/@s/p/-/p-1.0.0.tgz"}}`,
		"/files/q":                       `{"dist":{"tarball":"` + srv.URL + `/files/_tgz/q/-/q-1.0.0.tgz"}}`,
		"/files/_tgz/@s/p/-/p-1.0.0.tgz": "P",
		"/files/_tgz/q/-/q-1.0.0.tgz":    "Q",
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != want {
			t.Errorf("GET %s: %d %q, want %q", path, resp.StatusCode, b, want)
		}
	}
}
