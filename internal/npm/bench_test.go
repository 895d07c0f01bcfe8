package npm

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-dev/wharf/internal/service"
)

// benchManifest is a version manifest of typical size (about 1 KB, like
// those of popular packages on the public registry).
func benchManifest(name, version string) map[string]any {
	return map[string]any{
		"description": "A benchmark package with a realistic manifest", "license": "MIT",
		"homepage": "https://example.test/" + name, "keywords": []string{"bench", "npm", "registry"},
		"repository": map[string]string{"type": "git", "url": "git+https://example.test/" + name + ".git"},
		"author":     map[string]string{"name": "Wharf", "email": "bench@example.test"},
		"main":       "index.js", "types": "index.d.ts", "engines": map[string]string{"node": ">=18"},
		"scripts":         map[string]string{"test": "node test.js", "build": "tsc -p ."},
		"dependencies":    map[string]string{"left-pad": "^1.3.0", "@types/node": "^20.0.0", "debug": "^4.3.4", "ms": "^2.1.3"},
		"devDependencies": map[string]string{"typescript": "^5.4.0", "eslint": "^9.0.0", "mocha": "^10.4.0"},
		"bin":             map[string]string{name: "bin/cli.js"},
		"readme":          "# " + name + "\n\nVersion " + version + "\n",
	}
}

// benchPublish stores versions straight through the service (parsing
// them as a publish would), which is much faster than 3,000 HTTP PUTs.
func benchPublish(b *testing.B, e *testEnv, name string, versions int) {
	b.Helper()
	n, _ := parseName(name)
	for i := range versions {
		version := fmt.Sprintf("1.%d.%d", i/100, i%100)
		tgz := pkgTgz(b, name, version)
		sp := newSpool(b.TempDir(), 1<<20)
		p, err := readPut(bytes.NewReader(publishBody(name, version, benchManifest(name, version), tgz)), sp)
		if err != nil {
			b.Fatal(err)
		}
		pub, err := p.publication(n)
		if err != nil {
			b.Fatal(err)
		}
		r, _ := sp.Reader()
		if _, err := e.svc.Publish(ctx, admin, service.PublishRequest{Ref: ref(name), Version: version, Metadata: pub.Metadata, State: pub.DistTags,
			Assets: []service.Upload{{Name: assetName, Body: r, SHA256: p.sha256}}}); err != nil {
			b.Fatal(err)
		}
		sp.Close()
	}
}

// get is one request as npm sends it; the body is read and discarded.
func benchGet(b *testing.B, client *http.Client, url, token string, hdr ...string) int64 {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 && resp.StatusCode != 304 && resp.StatusCode != 206 {
		b.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return n
}

func benchClient() *http.Client {
	// Compression off: the client sends Accept-Encoding itself and the
	// benchmark measures the server, not the client's gunzip.
	return &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}}
}

// runGets measures GETs through the HTTP handler, serially and from
// parallel clients, reporting requests per second and bytes per response.
func runGets(b *testing.B, url, token string, hdr ...string) {
	client := benchClient()
	size := benchGet(b, client, url, token, hdr...) // warm the cache
	b.Run("serial", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			benchGet(b, client, url, token, hdr...)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetBytes(size)
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				benchGet(b, client, url, token, hdr...)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}

// BenchmarkPackument: packument GETs through the real handler for a
// package with 3,000 versions and one with 3, as npm asks for them
// (abbreviated for install, full for view; gzip), a revalidation that
// ends in 304, and the render after a change invalidated the cache.
func BenchmarkPackument(b *testing.B) {
	e := newTestEnv(b)
	benchPublish(b, e, "big", 3000)
	benchPublish(b, e, "@s/small", 3)
	gz := []string{"Accept-Encoding", "gzip"}
	for _, pkg := range []struct{ label, name, path string }{{"3000versions", "big", "big"}, {"3versions", "@s/small", "@s%2fsmall"}} {
		url := e.base + pkg.path
		b.Run(pkg.label+"/abbreviated", func(b *testing.B) {
			runGets(b, url, e.token, append(gz, "Accept", abbrevType+"; q=1.0, application/json; q=0.8, */*")...)
		})
		b.Run(pkg.label+"/full", func(b *testing.B) { runGets(b, url, e.token, gz...) })
		b.Run(pkg.label+"/full-identity", func(b *testing.B) { runGets(b, url, e.token) })
		resp, _ := e.do(b, "GET", pkg.path, nil)
		b.Run(pkg.label+"/not-modified", func(b *testing.B) {
			runGets(b, url, e.token, "If-None-Match", resp.Header.Get("ETag"))
		})
		b.Run(pkg.label+"/render", func(b *testing.B) {
			client := benchClient()
			pkgID, _, _ := e.svc.PackageGeneration(ctx, admin, ref(pkg.name))
			for b.Loop() {
				e.h.cache.Drop(pkgID)
				benchGet(b, client, url, e.token, gz...)
			}
		})
	}
}

// BenchmarkTarball: tarball GETs through the real handler (token check,
// version lookup, http.ServeContent on the blob), against
// http.FileServer serving the same bytes from a file as the baseline.
func BenchmarkTarball(b *testing.B) {
	e := newTestEnv(b)
	dir := b.TempDir()
	for _, size := range []int{4 << 10, 64 << 10, 1 << 20} {
		name := fmt.Sprintf("t%d", size)
		filler := make([]byte, size)
		rand.Read(filler)
		tgz := pkgTgz(b, name, "1.0.0", tgzFile{"package/data.bin", string(filler)})
		e.publish(b, name, "1.0.0", nil, tgz)
		os.WriteFile(filepath.Join(dir, name+".tgz"), tgz, 0o644)
		label := fmt.Sprintf("%dKiB", len(tgz)>>10)
		b.Run(label+"/wharf", func(b *testing.B) {
			runGets(b, e.base+name+"/-/"+name+"-1.0.0.tgz", e.token)
		})
		fsrv := httptest.NewServer(http.FileServer(http.Dir(dir)))
		b.Run(label+"/http.FileServer", func(b *testing.B) {
			runGets(b, fsrv.URL+"/"+name+".tgz", "")
		})
		fsrv.Close()
	}
}

// BenchmarkVersionJSON: one public manifest of typical size rendered
// into a packument, walked as bytes (appendVersionJSON, what render
// uses) against decoded and encoded again (versionJSON, its fallback).
func BenchmarkVersionJSON(b *testing.B) {
	m := benchManifest("bench", "1.2.3")
	delete(m, "readme")
	m["name"], m["version"] = "bench", "1.2.3"
	m["dist"] = map[string]string{"shasum": "0123456789abcdef0123456789abcdef01234567", "tarball": "https://registry.npmjs.org/bench/-/bench-1.2.3.tgz",
		"integrity": "sha512-MpUEN2OodtUzxvKQl72cUF7RQ5EiHsGvSsVG0ia9c5RbWGL2CI4C7EpPS8UTBIplnlzZiNuV56w+FuNxy3ty2Q=="}
	doc, _ := json.Marshal(m)
	name, _ := parseName("bench")
	base := "http://127.0.0.1:8470/npm/acme-111122223333/store/"
	for _, kind := range []struct {
		label string
		kind  docKind
	}{{"abbreviated", abbrevDoc}, {"full", fullDoc}} {
		b.Run(kind.label+"/walk", func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			buf := make([]byte, 0, 4096)
			for b.Loop() {
				buf, _ = appendVersionJSON(buf[:0], doc, name, "1.2.3", base, kind.kind)
			}
		})
		b.Run(kind.label+"/decode", func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				versionJSON(doc, name, "1.2.3", base, kind.kind)
			}
		})
	}
}

// BenchmarkPublicPackument: the warm path of an install through
// public:npmjs: the abbreviated packument of a public package with 800
// versions (manifests of typical size), one of them already ingested,
// merged and rendered per request from the cached public document.
func BenchmarkPublicPackument(b *testing.B) {
	e, f := newPublicEnv(b)
	tgz := pkgTgz(b, "pub-big", "1.0.0")
	for i := range 800 {
		f.add(b, "pub-big", fmt.Sprintf("1.%d.%d", i/100, i%100), tgz, false)
	}
	for v, m := range f.docs["pub-big"]["versions"].(map[string]any) {
		mm := benchManifest("pub-big", v)
		delete(mm, "readme")
		for k, x := range m.(map[string]any) {
			mm[k] = x
		}
		f.docs["pub-big"]["versions"].(map[string]any)[v] = mm
	}
	benchGet(b, benchClient(), e.base+"pub-big/-/pub-big-1.0.0.tgz", e.token)
	runGets(b, e.base+"pub-big", e.token, "Accept-Encoding", "gzip", "Accept", abbrevType+"; q=1.0, application/json; q=0.8, */*")
}
